"""Connect the channels the environment configures (Telegram token, Twilio credentials) to the app."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.app import App
    from bot.channels.telegram import TelegramChannel
    from bot.channels.whatsapp import WhatsAppChannel

log = logging.getLogger(__name__)


@dataclass
class Channels:
    telegram: TelegramChannel | None = None
    whatsapp: WhatsAppChannel | None = None


def connect_channels(app: App) -> Channels:
    """Senders join the outbox; Telegram's setWebhook or polling starts with the app's background work."""
    channels = Channels()
    settings = app.settings
    if settings.telegram.token:
        from bot.channels.telegram import TelegramChannel

        channels.telegram = TelegramChannel.connect(app)
    if settings.whatsapp.enabled:
        from bot.channels.whatsapp import WhatsAppChannel

        channels.whatsapp = WhatsAppChannel.connect(app)
    log.info(
        "channels.connected telegram=%s whatsapp=%s public_url=%s",
        settings.telegram.mode or "off",
        "on" if channels.whatsapp else "off",
        settings.public_url or "-",
    )
    return channels
