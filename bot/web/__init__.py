"""The one ASGI app on one port: webhooks, the staff console, health checks, and the server.

May import: app (the built App), channels, console, config.
"""
