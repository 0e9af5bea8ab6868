"""Channel adapters (Telegram, WhatsApp through Twilio, the local terminal chat).

An adapter verifies what arrives, parses it into one Inbound, and sends Outgoing messages; it never
decides what to say. May import: chat.inbound, outbox (sender types and status repository), storage,
config. Never handlers.
"""
