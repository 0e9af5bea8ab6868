"""Replies are stored in the message's own transaction (enqueue), then sent in order per chat,
within each channel's rate, retried without losing a row (sender).

May import: storage, chat.inbound (the Reply type), config. Channels implement its ChannelSender.
"""
