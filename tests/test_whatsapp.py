"""WhatsApp end to end: Twilio's signed webhooks posted to the served app, replies through a real twilio
Client to the fake Twilio REST API."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import text

from bot.chat.inbound import Reply
from bot.config import Settings
from bot.outbox.enqueue import enqueue
from bot.storage.db import transaction
from bot.storage.models import Contact, Direction, Message, OutboxItem, OutboxStatus
from tests.conftest import make_settings
from tests.fakes import shapes
from tests.fakes.bot import PUBLIC_URL, ServedBot, channel_env, closed_nlu, serve_bot, tuned
from tests.fakes.twilio_api import AUTH_TOKEN, CREATE, SENDER, FakeTwilio
from tests.support import Clock, RasaServer, outbox_drained, until

PHONE = "+6281234567890"
TO = f"whatsapp:{PHONE}"
STATUS_PATH = "/webhooks/whatsapp/status"


@pytest.fixture
def wa_settings(tmp_path: Path, database_url: str, fake_twilio: FakeTwilio) -> Settings:
    return tuned(make_settings(tmp_path, database_url, **closed_nlu(), **channel_env(twilio=fake_twilio)))


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def bot(wa_settings: Settings, fake_twilio: FakeTwilio, clock: Clock) -> AsyncIterator[ServedBot]:
    async with serve_bot(wa_settings, twilio=fake_twilio, clock=clock) as served:
        yield served


def inbound_rows(bot: ServedBot) -> list[Message]:
    return bot.rows(Message, Message.direction == Direction.IN)


async def test_a_message_in_gets_its_reply_out_through_the_rest_api(
    bot: ServedBot, fake_twilio: FakeTwilio
) -> None:
    form = shapes.twilio_message("/start", profile="Siti")
    response = await bot.post_twilio(form)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/xml")
    assert "<Message>" not in response.text  # the reply is not TwiML: it goes through the REST API

    [call] = await fake_twilio.wait_for(CREATE, 1)
    assert (call.params["To"], call.params["From"]) == (TO, SENDER)
    assert "Pilih bahasa / Choose your language" in call.params["Body"]
    assert call.params["Body"].endswith("Balas dengan angka:\n1. Bahasa Indonesia\n2. English")
    assert call.params["StatusCallback"] == f"{PUBLIC_URL}{STATUS_PATH}"

    [inbound] = inbound_rows(bot)
    assert (inbound.channel, inbound.channel_message_id, inbound.text) == (
        "whatsapp",
        form["MessageSid"],
        "/start",
    )
    [contact] = bot.rows(Contact)
    assert (contact.external_id, contact.display_name) == (PHONE, "Siti")


async def test_forged_signatures_get_403_and_change_nothing(bot: ServedBot, fake_twilio: FakeTwilio) -> None:
    form = shapes.twilio_message("/start")
    tampered = dict(form, Body="/menu")
    forged = [
        bot.post_twilio(form, signature="bm90IGEgc2lnbmF0dXJl"),
        bot.post_twilio(form, signature=""),  # no header at all
        bot.post_twilio(form, sign_as=("another-accounts-token", f"{PUBLIC_URL}/webhooks/whatsapp")),
        bot.post_twilio(form, sign_as=(AUTH_TOKEN, "https://attacker.example/webhooks/whatsapp")),
        bot.post_twilio(
            tampered, signature=shapes.twilio_signature(AUTH_TOKEN, f"{PUBLIC_URL}/webhooks/whatsapp", form)
        ),
        bot.post_twilio(shapes.twilio_status("SMfake0001", "delivered"), path=STATUS_PATH, signature="x"),
    ]
    for request in forged:
        assert (await request).status_code == 403
    await outbox_drained(bot.app)  # a (wrongly) queued reply would be out by now
    assert bot.count(Message) == bot.count(Contact) == bot.count(OutboxItem) == 0
    assert fake_twilio.calls == []


async def test_the_webhook_of_a_channel_not_configured_is_refused(bot: ServedBot) -> None:
    # Only Twilio is configured here: Telegram's webhook answers 403 as a wrong secret would.
    response = await bot.post_update(shapes.message("/start"))
    assert response.status_code == 403
    assert bot.count(Message) == bot.count(Contact) == 0


async def test_a_typed_number_presses_the_button_offered_last(
    bot: ServedBot, fake_twilio: FakeTwilio
) -> None:
    await bot.post_twilio(shapes.twilio_message("/start"))
    await fake_twilio.wait_for(CREATE, 1)
    await bot.post_twilio(shapes.twilio_message("2"))
    calls = await fake_twilio.wait_for(CREATE, 2)
    assert "I am a bot (not a person)" in calls[1].params["Body"]
    assert "Reply with a number:\n1. " in calls[1].params["Body"]
    assert bot.rows(Contact)[0].language == "en"


async def test_a_redelivered_message_sid_gets_one_reply(bot: ServedBot, fake_twilio: FakeTwilio) -> None:
    form = shapes.twilio_message("/start")
    assert (await bot.post_twilio(form)).status_code == 200
    assert (await bot.post_twilio(form)).status_code == 200
    await fake_twilio.wait_for(CREATE, 1)
    await outbox_drained(bot.app)
    assert len(fake_twilio.sent()) == 1
    assert len(inbound_rows(bot)) == 1


async def test_photos_voice_notes_and_locations_are_recorded(bot: ServedBot, fake_twilio: FakeTwilio) -> None:
    photo_url = "https://api.twilio.com/2010-04-01/Accounts/ACtest/Messages/MMtest1/Media/MEtest1"
    await bot.post_twilio(shapes.twilio_message("kontrak saya", media=[(photo_url, "image/jpeg")]))
    await bot.post_twilio(shapes.twilio_message(media=[("https://api.twilio.com/m/voice", "audio/ogg")]))
    await bot.post_twilio(
        shapes.twilio_message(
            Latitude="1.5533",
            Longitude="110.3592",
            Address="Jalan Padungan, Kuching",
            Label="Ruko",
            MessageType="location",
        )
    )
    calls = await fake_twilio.wait_for(CREATE, 3)
    assert all("Maaf, saya hanya bisa membaca teks" in c.params["Body"] for c in calls)

    photo, voice, place = inbound_rows(bot)
    assert (photo.kind, photo.text) == ("photo", "kontrak saya")
    assert photo.media == [{"kind": "photo", "url": photo_url, "file_id": None, "content_type": "image/jpeg"}]
    assert (voice.kind, voice.media[0]["content_type"]) == ("voice", "audio/ogg")
    assert place.kind == "location" and place.media[0]["url"] == "geo:1.5533,110.3592"
    assert place.text == "Ruko, Jalan Padungan, Kuching"


async def test_delivery_statuses_are_recorded_and_never_go_backwards(
    bot: ServedBot, fake_twilio: FakeTwilio
) -> None:
    await bot.post_twilio(shapes.twilio_message("/start"))
    [call] = await fake_twilio.wait_for(CREATE, 1)
    sid = call.params["_sid"]
    await until(lambda: bot.rows(OutboxItem)[0].provider_message_id == sid)

    def status() -> str | None:
        return bot.rows(Message, Message.direction == Direction.OUT)[0].delivery_status

    assert status() == "sent"
    for reported in ("delivered", "read", "sent"):  # "sent" arriving late must not undo "read"
        response = await bot.post_twilio(shapes.twilio_status(sid, reported), path=STATUS_PATH)
        assert response.status_code == 204
    assert status() == "read"
    # Forged: refused, nothing changes.
    forged = await bot.post_twilio(
        shapes.twilio_status(sid, "failed", error_code="30008"), path=STATUS_PATH, signature="Zm9yZ2Vk"
    )
    assert forged.status_code == 403
    assert status() == "read" and bot.rows(OutboxItem)[0].status is OutboxStatus.SENT


async def test_an_undelivered_message_is_marked_dead_with_an_operator_alert(
    bot: ServedBot, fake_twilio: FakeTwilio, caplog: pytest.LogCaptureFixture
) -> None:
    await bot.post_twilio(shapes.twilio_message("/start"))
    [call] = await fake_twilio.wait_for(CREATE, 1)
    await until(lambda: bot.rows(OutboxItem)[0].status is OutboxStatus.SENT)
    await bot.post_twilio(
        shapes.twilio_status(call.params["_sid"], "undelivered", error_code="63024"), path=STATUS_PATH
    )
    [item] = bot.rows(OutboxItem)
    assert item.status is OutboxStatus.DEAD and "63024" in (item.last_error or "")
    assert any(
        r.levelno == logging.ERROR and "operator action needed" in r.getMessage() for r in caplog.records
    )
    ready = (await bot.http.get("/readyz")).json()
    assert ready["outbox"]["dead"] == 1


async def test_outside_the_24_hour_window_a_message_is_held_then_sent_when_the_person_writes(
    bot: ServedBot, fake_twilio: FakeTwilio, clock: Clock
) -> None:
    await bot.post_twilio(shapes.twilio_message("/start"))
    await fake_twilio.wait_for(CREATE, 1)
    clock.advance(hours=25)
    await _enqueue_for_contact(bot, "Petugas: apakah Anda sudah aman?")

    await until(lambda: bot.rows(OutboxItem)[-1].status is OutboxStatus.HELD)
    assert len(fake_twilio.sent()) == 1  # nothing went out: WhatsApp would refuse it
    ready = (await bot.http.get("/readyz")).json()
    assert ready["outbox"]["held"] == 1 and ready["outbox"]["pending"] == 0

    # The person writes again: the held message goes out first, then the answer to the new message.
    await bot.post_twilio(shapes.twilio_message("/menu"))
    calls = await fake_twilio.wait_for(CREATE, 3)
    assert calls[1].params["Body"] == "Petugas: apakah Anda sudah aman?"
    assert "Balas dengan angka:" in calls[2].params["Body"]
    assert bot.count(OutboxItem, OutboxItem.status == OutboxStatus.HELD) == 0


async def test_with_a_reopening_template_the_person_is_asked_once_to_answer(
    tmp_path: Path, database_url: str, fake_twilio: FakeTwilio, clock: Clock
) -> None:
    base = tuned(make_settings(tmp_path, database_url, **closed_nlu(), **channel_env(twilio=fake_twilio)))
    template = "HXtest0001"  # obviously fake Content SID
    settings = dataclasses.replace(
        base, whatsapp=dataclasses.replace(base.whatsapp, reopen_template_sid=template)
    )
    async with serve_bot(settings, twilio=fake_twilio, clock=clock) as bot:
        await bot.post_twilio(shapes.twilio_message("/start"))
        await fake_twilio.wait_for(CREATE, 1)
        clock.advance(hours=30)
        await _enqueue_for_contact(bot, "Pesan pertama dari petugas")
        await _enqueue_for_contact(bot, "Pesan kedua dari petugas")
        await until(lambda: bot.count(OutboxItem, OutboxItem.status == OutboxStatus.HELD) == 2)

        sent = fake_twilio.sent()
        assert [c.params.get("ContentSid") for c in sent] == [None, template]  # one template, not two
        assert "Body" not in sent[1].params

        await bot.post_twilio(shapes.twilio_message("ya"))  # the person answers the template
        calls = await fake_twilio.wait_for(CREATE, 5)
        assert [c.params.get("Body") for c in calls[2:4]] == [
            "Pesan pertama dari petugas",
            "Pesan kedua dari petugas",
        ]


async def test_twilio_saying_the_window_closed_holds_the_message(
    bot: ServedBot, fake_twilio: FakeTwilio
) -> None:
    await bot.post_twilio(shapes.twilio_message("/start"))
    await fake_twilio.wait_for(CREATE, 1)
    fake_twilio.fail(CREATE, 400, code=63016)
    await _enqueue_for_contact(bot, "Pesan petugas")
    await until(lambda: bot.rows(OutboxItem)[-1].status is OutboxStatus.HELD)
    assert "24-hour window" in (bot.rows(OutboxItem)[-1].last_error or "")


async def test_twilio_rate_limits_and_outages_are_retried_and_bad_numbers_given_up(
    bot: ServedBot, fake_twilio: FakeTwilio, caplog: pytest.LogCaptureFixture
) -> None:
    fake_twilio.fail(CREATE, 429, times=3)
    fake_twilio.fail(CREATE, 500, times=2)
    await bot.post_twilio(shapes.twilio_message("/start"))
    await fake_twilio.wait_for(CREATE, 1)
    assert [c.status for c in fake_twilio.calls] == [429, 429, 429, 500, 500, 201]
    await until(lambda: bot.rows(OutboxItem)[0].status is OutboxStatus.SENT)
    assert bot.rows(OutboxItem)[0].attempts == 3  # the 429s are not counted as failed attempts

    fake_twilio.fail(CREATE, 400, code=21211)  # invalid 'To' number: retrying cannot help
    await bot.post_twilio(shapes.twilio_message("/menu", phone="+62800"))
    await until(lambda: bot.rows(OutboxItem)[-1].status is OutboxStatus.DEAD)
    assert "21211" in (bot.rows(OutboxItem)[-1].last_error or "")
    assert any(r.levelno == logging.ERROR and "outbox.dead" in r.getMessage() for r in caplog.records)


async def test_when_the_database_fails_the_person_still_gets_the_numbers(
    bot: ServedBot, fake_twilio: FakeTwilio
) -> None:
    with bot.app.engine.begin() as conn:
        conn.execute(text("ALTER TABLE messages RENAME TO messages_away"))
    form = shapes.twilio_message("tolong")
    try:
        assert (await bot.post_twilio(form)).status_code == 500
        assert (await bot.post_twilio(form)).status_code == 500
        [call] = await fake_twilio.wait_for(CREATE, 1)
        assert "sistem kami sedang bermasalah" in call.params["Body"] and "110" in call.params["Body"]
        await outbox_drained(bot.app)
        assert len(fake_twilio.sent()) == 1  # told once, not at every redelivery
    finally:
        with bot.app.engine.begin() as conn:
            conn.execute(text("ALTER TABLE messages_away RENAME TO messages"))


async def test_an_urgent_message_on_whatsapp_reaches_the_hotline_and_the_numbers_go_out(
    tmp_path: Path, database_url: str, fake_twilio: FakeTwilio, rasa_server: RasaServer
) -> None:
    env = channel_env(twilio=fake_twilio) | {"NLU_URL": rasa_server.url, "NLU_TOKEN": rasa_server.token}
    settings = tuned(make_settings(tmp_path, database_url, **env))
    async with serve_bot(settings, twilio=fake_twilio) as bot:
        await bot.post_twilio(
            shapes.twilio_message("tolong saya dikurung majikan, paspor diambil, tidak boleh keluar")
        )
        calls = await fake_twilio.wait_for(CREATE, 1)
        body = "\n".join(c.params["Body"] for c in calls)
        assert "110" in body
        [inbound] = inbound_rows(bot)
        assert inbound.urgent and inbound.route == "escalate"


async def _enqueue_for_contact(bot: ServedBot, message: str) -> None:
    """A message the bot or staff decide to send later (e.g. a staff reply), through the outbox."""
    with transaction(bot.app.sessions) as session:
        contact = session.query(Contact).one()
        enqueue(session, contact, Reply(message), author="staff:1")
    bot.app.outbox.wake()

