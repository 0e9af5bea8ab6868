"""What the bot says and asks: one handler per route, and the guided flows (handlers/flows).

Handlers read a Turn and say Replies; they never know the channel. To serve another intent a handler
calls Turn.follow and dispatch routes the turn again. May import: bot.chat (Turn, payload types, route
types), bot.answers, bot.campaigns (subscribers), bot.hotline, bot.recruitment, bot.storage,
bot.understanding. Never bot.channels, bot.console or bot.web.
"""
