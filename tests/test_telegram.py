"""Telegram end to end: updates posted to the served webhook, replies through a real PTB Bot to the fake Bot API."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import event, text
from telegram import Bot, Update

from bot.channels.telegram import read_plain_text, read_update
from bot.chat.inbound import Button, Reply
from bot.config import Settings
from bot.outbox.enqueue import enqueue
from bot.storage.db import transaction
from bot.storage.models import Contact, Direction, Message, OutboxItem, OutboxStatus
from tests.conftest import make_settings
from tests.fakes import shapes
from tests.fakes.bot import PUBLIC_URL, WEBHOOK_SECRET, ServedBot, channel_env, closed_nlu, serve_bot, tuned
from tests.fakes.telegram_api import BOT_MESSAGE_IDS_FROM, FakeTelegram
from tests.support import outbox_drained, until

PERSON_ID = shapes.PERSON["id"]


@pytest.fixture
def tg_settings(tmp_path: Path, database_url: str, fake_telegram: FakeTelegram) -> Settings:
    return tuned(make_settings(tmp_path, database_url, **closed_nlu(), **channel_env(telegram=fake_telegram)))


@pytest.fixture
async def bot(tg_settings: Settings, fake_telegram: FakeTelegram) -> AsyncIterator[ServedBot]:
    async with serve_bot(tg_settings, telegram=fake_telegram) as served:
        yield served


def keyboard_of(call_params: dict) -> list[tuple[str, str]]:
    rows = call_params["reply_markup"]["inline_keyboard"]
    return [(button["text"], button["callback_data"]) for row in rows for button in row]


async def test_start_in_a_private_chat_is_answered_with_an_inline_keyboard(
    bot: ServedBot, fake_telegram: FakeTelegram
) -> None:
    update = shapes.message("/start")
    response = await bot.post_update(update)
    assert response.status_code == 200

    [call] = await fake_telegram.wait_for("sendMessage", 1)
    assert call.params["chat_id"] == str(PERSON_ID)
    assert "Pilih bahasa / Choose your language" in call.params["text"]
    assert keyboard_of(call.params) == [("Bahasa Indonesia", "lang:id"), ("English", "lang:en")]

    [inbound] = bot.rows(Message, Message.direction == Direction.IN)
    assert inbound.channel == "telegram"
    assert inbound.channel_message_id == f"{PERSON_ID}:{update['message']['message_id']}"
    contact = bot.rows(Contact)[0]
    assert (contact.external_id, contact.display_name) == (str(PERSON_ID), "Siti Aminah")
    await until(lambda: bot.rows(OutboxItem)[0].status is OutboxStatus.SENT)
    [item] = bot.rows(OutboxItem)
    assert item.provider_message_id == f"{PERSON_ID}:{call.result['message_id']}"


async def test_forged_or_missing_secret_gets_403_and_changes_nothing(
    bot: ServedBot, fake_telegram: FakeTelegram
) -> None:
    for secret in ("wrong-secret", WEBHOOK_SECRET[:-1], WEBHOOK_SECRET + "x", "", None):
        response = await bot.post_update(shapes.message("/start"), secret=secret)
        assert response.status_code == 403, secret
    await outbox_drained(bot.app)  # a (wrongly) queued reply would be out by now
    assert bot.count(Message) == bot.count(Contact) == bot.count(OutboxItem) == 0
    assert fake_telegram.sent() == []


async def test_pressed_button_is_acknowledged_then_handled(
    bot: ServedBot, fake_telegram: FakeTelegram
) -> None:
    await bot.post_update(shapes.message("/start"))
    [language_question] = await fake_telegram.wait_for("sendMessage", 1)

    press = shapes.callback_query("lang:en", sent=language_question.result)
    assert (await bot.post_update(press)).status_code == 200

    [answered] = await fake_telegram.wait_for("answerCallbackQuery", 1)
    assert answered.params["callback_query_id"] == press["callback_query"]["id"]
    calls = await fake_telegram.wait_for("sendMessage", 2)
    assert "I am a bot (not a person)" in calls[1].params["text"]
    assert ("Talk to staff", "intent:request_human") in keyboard_of(calls[1].params)
    # The spinner is stopped before the bot starts thinking about the answer.
    assert fake_telegram.calls.index(answered) < fake_telegram.calls.index(calls[1])

    pressed = bot.rows(Message, Message.direction == Direction.IN)[1]
    assert (pressed.kind, pressed.text, pressed.channel_message_id) == (
        "button",
        "English",
        f"cb:{press['callback_query']['id']}",
    )


async def test_the_same_update_delivered_twice_gets_one_reply(
    bot: ServedBot, fake_telegram: FakeTelegram
) -> None:
    update = shapes.message("/start")
    first = await bot.post_update(update)
    second = await bot.post_update(update)
    assert (first.status_code, second.status_code) == (200, 200)
    await fake_telegram.wait_for("sendMessage", 1)
    await outbox_drained(bot.app)
    assert len(fake_telegram.sent()) == 1
    assert bot.count(Message, Message.direction == Direction.IN) == 1


async def test_message_ids_are_per_chat_so_two_people_with_the_same_id_both_get_answers(
    bot: ServedBot, fake_telegram: FakeTelegram
) -> None:
    other = {"id": 5550002, "is_bot": False, "first_name": "Rudi", "language_code": "id"}
    await bot.post_update(shapes.message("/start", message_id=77))
    await bot.post_update(shapes.message("/start", message_id=77, user=other))
    await fake_telegram.wait_for("sendMessage", 2)
    assert {c.params["chat_id"] for c in fake_telegram.sent()} == {str(PERSON_ID), "5550002"}


async def test_a_reply_given_the_id_of_a_message_already_stored_is_still_recorded_sent_once(
    bot: ServedBot, fake_telegram: FakeTelegram
) -> None:
    """Telegram never gives a reply the id of the person's message, but if a provider did, the
    outcome must still be written: left "sending", the reply would go out again after every lease."""
    colliding = BOT_MESSAGE_IDS_FROM + 1  # the id the fake gives this chat's first reply
    await bot.post_update(shapes.message("/start", message_id=colliding))
    await fake_telegram.wait_for("sendMessage", 1)
    await until(lambda: all(row.status is OutboxStatus.SENT for row in bot.rows(OutboxItem)))
    [row] = bot.rows(OutboxItem)
    assert row.provider_message_id == f"{PERSON_ID}:{colliding}"
    [inbound] = bot.rows(Message, Message.direction == Direction.IN)
    [line] = bot.rows(Message, Message.direction == Direction.OUT)
    assert inbound.channel_message_id == f"{PERSON_ID}:{colliding}"
    assert (line.delivery_status, line.channel_message_id) == ("sent", None)  # the id stays with the first
    # A second reply, with an id of its own, keeps it on its transcript line.
    await bot.post_update(shapes.message("/menu"))
    await fake_telegram.wait_for("sendMessage", 2)
    await until(lambda: all(row.status is OutboxStatus.SENT for row in bot.rows(OutboxItem)))
    lines = bot.rows(Message, Message.direction == Direction.OUT)
    assert lines[-1].channel_message_id == f"{PERSON_ID}:{colliding + 1}"
    assert len(fake_telegram.sent()) == 2


async def test_an_edited_message_is_read_again_under_its_own_id(
    bot: ServedBot, fake_telegram: FakeTelegram
) -> None:
    original = shapes.message("/start")
    await bot.post_update(original)
    message_id = original["message"]["message_id"]
    edit = shapes.edited_message("/menu", message_id=message_id)
    assert (await bot.post_update(edit)).status_code == 200
    await fake_telegram.wait_for("sendMessage", 2)

    ids = [m.channel_message_id for m in bot.rows(Message, Message.direction == Direction.IN)]
    edit_date = edit["edited_message"]["edit_date"]
    assert ids == [f"{PERSON_ID}:{message_id}", f"edit:{PERSON_ID}:{message_id}:{edit_date}"]
    # Delivered again, the same edit is not answered twice.
    await bot.post_update(edit)
    await outbox_drained(bot.app)
    assert len(fake_telegram.sent()) == 2


@pytest.mark.parametrize(
    ("update_factory", "kind", "stored_media"),
    [
        (lambda: shapes.photo("paspor saya ditahan"), "photo", {"file_id": "AgACAgQAAxkBAAIB-large"}),
        (shapes.voice, "voice", {"file_id": "AwACAgQAAxkBAAIB-voice", "content_type": "audio/ogg"}),
        (shapes.sticker, "sticker", {"file_id": "CAACAgIAAxkBAAIB-sticker"}),
        (lambda: shapes.location(3.1390, 101.6869), "location", {"url": "geo:3.139,101.6869"}),
    ],
    ids=["photo", "voice", "sticker", "location"],
)
async def test_photos_voice_notes_stickers_and_locations_are_kept_and_answered_kindly(
    bot: ServedBot, fake_telegram: FakeTelegram, update_factory, kind: str, stored_media: dict
) -> None:
    assert (await bot.post_update(update_factory())).status_code == 200
    [call] = await fake_telegram.wait_for("sendMessage", 1)
    assert "Maaf, saya hanya bisa membaca teks" in call.params["text"]
    assert "110" in call.params["text"]  # the police number is always in reach

    [stored] = bot.rows(Message, Message.direction == Direction.IN)
    assert stored.kind == kind
    assert stored.media and stored.media[0]["kind"] == kind
    for key, value in stored_media.items():
        assert stored.media[0][key] == value
    if kind == "photo":
        assert stored.text == "paspor saya ditahan"  # the caption is kept with the photo


async def test_groups_blocks_and_unknown_updates_are_acknowledged_and_ignored(
    bot: ServedBot, fake_telegram: FakeTelegram, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="bot.channels.telegram")
    updates = [
        shapes.group_message("/start"),
        shapes.my_chat_member("kicked"),
        {
            "update_id": 900000001,
            "inline_query": {"id": "8310", "from": shapes.PERSON, "query": "visa", "offset": ""},
        },
        {"update_id": 900000002, "something_telegram_adds_next_year": {"x": 1}},
    ]
    for update in updates:
        assert (await bot.post_update(update)).status_code == 200
    await outbox_drained(bot.app)
    assert bot.count(Message) == bot.count(Contact) == 0
    assert fake_telegram.sent() == []
    ignored = [r.getMessage() for r in caplog.records if "telegram.update.ignored" in r.getMessage()]
    assert len(ignored) == 4
    assert "supergroup" in ignored[0] and "status=kicked" in ignored[1]


async def test_malformed_json_gets_400_and_changes_nothing(bot: ServedBot) -> None:
    assert (await bot.post_update('{"update_id": 1, "message": ')).status_code == 400
    assert (await bot.post_update('["not", "an", "update"]')).status_code == 400
    assert bot.count(Message) == 0


async def test_staff_group_updates_go_to_the_staff_group_handler(
    tmp_path: Path, database_url: str, fake_telegram: FakeTelegram
) -> None:
    group_id = -1009876543210
    base = tuned(make_settings(tmp_path, database_url, **closed_nlu(), **channel_env(telegram=fake_telegram)))
    settings = dataclasses.replace(base, telegram=dataclasses.replace(base.telegram, staff_group_id=group_id))
    seen: list[Update] = []

    async def staff_group_handler(update: Update) -> None:
        seen.append(update)

    def install(app) -> None:  # type: ignore[no-untyped-def]
        app.staff_group_handler = staff_group_handler

    async with serve_bot(settings, telegram=fake_telegram, before_start=install) as served:
        staff_post = shapes.group_message("saya ambil", chat_id=group_id, title="Piket Kanwil")
        other_group = shapes.group_message("halo semua")
        assert (await served.post_update(staff_post)).status_code == 200
        assert (await served.post_update(other_group)).status_code == 200
        assert [u.update_id for u in seen] == [staff_post["update_id"]]
        assert seen[0].effective_message.text == "saya ambil"
        assert served.count(Message) == 0


async def test_set_webhook_on_start_with_public_url_and_secret(
    bot: ServedBot, fake_telegram: FakeTelegram
) -> None:
    [call] = await fake_telegram.wait_for("setWebhook", 1)
    assert call.params["url"] == f"{PUBLIC_URL}/webhooks/telegram"
    assert call.params["secret_token"] == WEBHOOK_SECRET
    assert call.params["drop_pending_updates"] == "false"
    assert set(call.params["allowed_updates"]) >= {"message", "edited_message", "callback_query"}


async def test_polling_mode_answers_and_confirms_only_what_was_stored(
    tmp_path: Path, database_url: str, fake_telegram: FakeTelegram
) -> None:
    env = channel_env(telegram=fake_telegram, public_url=None)  # no PUBLIC_URL: polling by default
    settings = tuned(make_settings(tmp_path, database_url, **closed_nlu(), **env))
    assert settings.telegram.mode == "polling"
    async with serve_bot(settings, telegram=fake_telegram) as served:
        first = shapes.message("/start")
        fake_telegram.push_update(first)
        await fake_telegram.wait_for("sendMessage", 1)
        second = shapes.message("/menu")
        fake_telegram.push_update(second)
        calls = await fake_telegram.wait_for("sendMessage", 2)
        assert "Pilih bahasa" in calls[0].params["text"]
        assert served.count(Message, Message.direction == Direction.IN) == 2
        # Each update is confirmed (offset = update_id + 1) only after it was handled.
        await until(lambda: second["update_id"] + 1 in fake_telegram.poll_offsets)
        assert fake_telegram.poll_offsets[:2] == [0, first["update_id"] + 1]
        assert fake_telegram.ok_calls("deleteWebhook")  # getUpdates is refused while a webhook is set
        assert fake_telegram.ok_calls("setWebhook") == []


async def test_a_long_button_payload_travels_as_a_token_and_comes_back_whole(
    bot: ServedBot, fake_telegram: FakeTelegram
) -> None:
    long_payload = "cmd:menu:" + "x" * 80
    await bot.post_update(shapes.message("/start"))
    await fake_telegram.wait_for("sendMessage", 1)
    [contact] = bot.rows(Contact)
    with transaction(bot.app.sessions) as session:
        enqueue(session, session.get(Contact, contact.id), Reply("Pilih:", (Button("Lanjut", long_payload),)))
    bot.app.outbox.wake()
    calls = await fake_telegram.wait_for("sendMessage", 2)
    [(label, data)] = keyboard_of(calls[1].params)
    assert label == "Lanjut" and data.startswith("h:") and len(data.encode()) <= 64

    await bot.post_update(shapes.callback_query(data, sent=calls[1].result))
    await fake_telegram.wait_for("sendMessage", 3)
    pressed = bot.rows(Message, Message.direction == Direction.IN)[-1]
    assert pressed.route == f"button:{long_payload}"[:96]


async def test_when_the_database_fails_the_person_still_gets_the_numbers_and_telegram_retries(
    bot: ServedBot, fake_telegram: FakeTelegram
) -> None:
    with bot.app.engine.begin() as conn:
        conn.execute(text("ALTER TABLE messages RENAME TO messages_away"))
    update = shapes.message("/start")
    try:
        assert (await bot.post_update(update)).status_code == 500
        assert (await bot.post_update(update)).status_code == 500  # Telegram's redelivery
        [call] = await fake_telegram.wait_for("sendMessage", 1)
        assert "sistem kami sedang bermasalah" in call.params["text"] and "110" in call.params["text"]
        await outbox_drained(bot.app)
        assert len(fake_telegram.sent()) == 1  # told once, not at every redelivery
    finally:
        with bot.app.engine.begin() as conn:
            conn.execute(text("ALTER TABLE messages_away RENAME TO messages"))
    # The database is back: the next redelivery is stored and answered normally.
    assert (await bot.post_update(update)).status_code == 200
    calls = await fake_telegram.wait_for("sendMessage", 2)
    assert "Pilih bahasa" in calls[1].params["text"]


async def test_polling_does_not_confirm_an_update_the_database_could_not_store(
    tmp_path: Path, database_url: str, fake_telegram: FakeTelegram
) -> None:
    env = channel_env(telegram=fake_telegram, public_url=None)
    settings = tuned(make_settings(tmp_path, database_url, **closed_nlu(), **env))
    async with serve_bot(settings, telegram=fake_telegram) as served:
        with served.app.engine.begin() as conn:
            conn.execute(text("ALTER TABLE messages RENAME TO messages_away"))
        update = shapes.message("/start")
        fake_telegram.push_update(update)
        [fallback] = await fake_telegram.wait_for("sendMessage", 1)
        assert "sistem kami sedang bermasalah" in fallback.params["text"]
        assert update["update_id"] + 1 not in fake_telegram.poll_offsets  # not confirmed
        with served.app.engine.begin() as conn:
            conn.execute(text("ALTER TABLE messages_away RENAME TO messages"))
        # Asked for again after a pause, stored, answered once, and only then confirmed.
        calls = await fake_telegram.wait_for("sendMessage", 2)
        assert "Pilih bahasa" in calls[1].params["text"]
        await until(lambda: update["update_id"] + 1 in fake_telegram.poll_offsets)
        assert served.count(Message, Message.direction == Direction.IN) == 1
        assert len(fake_telegram.sent()) == 2


async def test_a_reply_to_someone_waiting_is_claimed_with_its_turn(bot: ServedBot, fake_telegram: FakeTelegram) -> None:
    """The turn stores the message and its reply already claimed; the sender writes only the outcome
    (one UPDATE of the outbox row instead of a claim and an outcome). A later message of the same
    person, whose chat is free, is claimed the same way."""
    outbox_updates: list[str] = []

    def note(conn: object, cursor: object, sql: str, *rest: object) -> None:
        # A statement that updates outbox rows (on PostgreSQL the outcome is `WITH outbox_row AS (UPDATE outbox ...`).
        if "UPDATE OUTBOX " in " ".join(sql.upper().split()):
            outbox_updates.append(sql)

    event.listen(bot.app.turn_engine, "before_cursor_execute", note)
    for n, text_ in enumerate(("/start", "/menu"), start=1):
        outbox_updates.clear()
        await bot.post_update(shapes.message(text_))
        await fake_telegram.wait_for("sendMessage", n)
        await until(lambda: all(row.status is OutboxStatus.SENT for row in bot.rows(OutboxItem)))
        assert len(outbox_updates) == 1, outbox_updates  # the outcome; no claim
    [first, second] = bot.rows(OutboxItem)
    assert (first.attempts, second.attempts) == (1, 1)
    assert first.attempted_at is not None and first.sent_at is not None


# ------------------------------------------------------------------------------ the plain-text reader
_STAFF_GROUP = -1001234567890
_NO_LAST_NAME = {"id": 5550003, "is_bot": False, "first_name": "Budi"}
_NO_LANGUAGE = {"id": 5550004, "is_bot": False, "first_name": "Rina", "last_name": "S"}
_A_BOT = {"id": 5550005, "is_bot": True, "first_name": "OtherBot"}


@pytest.mark.parametrize(
    ("update", "plain"),
    [
        (shapes.message("gmn cara kerja ke malaysia yg resmi"), True),
        (shapes.message("/start"), True),
        (shapes.message("tolong 🙏 saya dikurung", user=_NO_LAST_NAME), True),
        (shapes.message("halo", user=_NO_LANGUAGE), True),
        (shapes.message(""), True),
        (shapes.message("halo", user=_A_BOT), False),
        (shapes.group_message("halo semua"), False),
        (shapes.group_message("klaim", chat_id=_STAFF_GROUP), False),
        (shapes.edited_message("tolong", message_id=41), False),
        (shapes.callback_query("lang:id", sent={
            "message_id": BOT_MESSAGE_IDS_FROM, "date": 1764547200, "text": "Pilih bahasa",
            "chat": shapes.private_chat(shapes.PERSON),
            "from": {"id": 1, "is_bot": True, "first_name": "Teman Migran"},
        }), False),
        (shapes.photo("ini kontraknya"), False),
        (shapes.voice(), False),
        (shapes.location(1.55, 110.34), False),
        (shapes.my_chat_member(), False),
        ({**shapes.message("halo"), "edited_message": {}}, False),
        ({"update_id": 1, "message": {"text": "halo"}}, False),
    ],
)
def test_the_plain_text_reader_reads_what_ptb_reads_and_leaves_the_rest_to_it(
    update: dict[str, object], plain: bool
) -> None:
    """Webhook updates are read without PTB's objects when they are a person's text in a private chat
    (read_plain_text); anything else goes through PTB. Where the plain reader answers, it gives
    exactly what the PTB reading gives."""
    now = datetime(2026, 12, 1, tzinfo=UTC)
    fast = read_plain_text(update, _STAFF_GROUP, now)
    assert (fast is not None) is plain
    if fast is not None:
        through_ptb = read_update(Update.de_json(update, Bot("1:x")), _STAFF_GROUP, now)  # type: ignore[arg-type]
        assert fast == through_ptb
