"""The one path every message takes: Inbound -> dispatch -> router -> handler -> Reply -> outbox.

May import: understanding, answers, outbox.enqueue, storage, config. Never channels, console, web or
handlers: the handler registry is handed to the Dispatcher by the app factory.
"""
