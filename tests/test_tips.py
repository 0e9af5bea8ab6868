"""Subscribers get a weekly tip from the cited content; unsubscribing stops them."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.jobs.tips import send_tips
from bot.storage.db import transaction
from bot.storage.models import Contact, OutboxItem, utcnow
from tests.support import Dialog


def queue_tips(dialog: Dialog, now) -> int:  # type: ignore[no-untyped-def]
    with transaction(dialog.app.sessions) as session:
        services = dialog.app.services
        return send_tips(
            session, now, library=services.library, texts=services.texts, window_open=dialog.app.window_open,
            default_language=services.settings.default_language,
        )


async def test_subscribe_get_a_tip_and_stop(dialog: Dialog) -> None:
    await dialog.say("/start")
    await dialog.press("Bahasa Indonesia")
    replies = await dialog.say("sy mau langganan info tips migrasi aman tiap minggu")
    assert "Anda akan menerima tips" in replies[0].text

    assert queue_tips(dialog, utcnow()) == 1
    while await dialog.app.outbox.drain_once():
        pass  # one message per chat per pass, in order
    printed = dialog.out.getvalue()
    assert "Tips migrasi aman minggu ini:" in printed and "Berhenti tips" in printed
    # A week later the next tip in the series, not the same one again.
    assert queue_tips(dialog, utcnow() + timedelta(days=7)) == 1
    with dialog.app.sessions() as session:
        tips = session.scalars(select(OutboxItem.text).where(OutboxItem.text.like("Tips migrasi%"))).all()
        assert len(tips) == 2 and tips[0] != tips[1]

    replies = await dialog.say("berhenti langganan tips")
    assert "tidak akan menerima tips lagi" in replies[0].text
    assert queue_tips(dialog, utcnow() + timedelta(days=14)) == 0


async def test_whatsapp_subscribers_outside_the_24_hour_window_are_skipped(dialog: Dialog) -> None:
    now = utcnow()
    with transaction(dialog.app.sessions) as session:
        session.add_all([
            Contact(channel="whatsapp", external_id="whatsapp:+620000000001", language="id",
                    subscribed_at=now - timedelta(days=30), last_inbound_at=now - timedelta(hours=30)),
            Contact(channel="whatsapp", external_id="whatsapp:+620000000002", language="en",
                    subscribed_at=now - timedelta(days=30), last_inbound_at=now - timedelta(hours=2)),
        ])
    assert queue_tips(dialog, now) == 1
    with dialog.app.sessions() as session:
        item = session.scalars(select(OutboxItem)).one()
        assert item.chat_id == "whatsapp:+620000000002" and item.text.startswith("This week's safe-migration tip:")


async def test_tips_keep_the_same_window_margin_as_the_whatsapp_sender(dialog: Dialog) -> None:
    # In the window's last minute a message may reach WhatsApp after it closed: no tip then either.
    now = utcnow()
    with transaction(dialog.app.sessions) as session:
        session.add_all([
            Contact(channel="whatsapp", external_id="+620000000003", language="id",
                    subscribed_at=now - timedelta(days=30), last_inbound_at=now - timedelta(hours=23, minutes=58)),
            Contact(channel="whatsapp", external_id="+620000000004", language="id",
                    subscribed_at=now - timedelta(days=30),
                    last_inbound_at=now - timedelta(hours=23, minutes=59, seconds=30)),
        ])
    assert queue_tips(dialog, now) == 1
    with dialog.app.sessions() as session:
        assert session.scalars(select(OutboxItem.chat_id)).one() == "+620000000003"
