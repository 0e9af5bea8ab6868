"""The Telegram staff group, end to end: webhook updates in, the fake Bot API records what goes out."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from bot.config import Settings
from bot.hotline.escalations import open_escalation
from bot.hotline.staff import create_staff
from bot.storage.db import transaction
from bot.storage.models import AuditEntry, Contact, Escalation, EscalationStatus, Priority, StaffRole
from bot.web.app import create_web_app
from bot.web.server import feature_routes
from tests.conftest import make_settings
from tests.e2e.live import PASSWORD, csrf_from
from tests.fakes import shapes
from tests.fakes.bot import ServedBot, channel_env, closed_nlu, serve_bot, tuned
from tests.fakes.telegram_api import FakeTelegram
from tests.support import outbox_drained, until

GROUP = {"id": -1009876543210, "title": "Staf Hotline Kanwil", "type": "supergroup"}
ANI = {"id": 7001, "is_bot": False, "first_name": "Ani", "language_code": "id"}
STRANGER = {"id": 7999, "is_bot": False, "first_name": "Orang", "language_code": "id"}
PERSON = shapes.PERSON["id"]
URGENT = "tolong saya dikurung majikan, tidak boleh keluar rumah"


def group_settings(tmp_path: Path, database_url: str, fake: FakeTelegram, group: int | None) -> Settings:
    settings = tuned(make_settings(tmp_path, database_url, **closed_nlu(), **channel_env(telegram=fake)))
    return dataclasses.replace(settings, telegram=dataclasses.replace(settings.telegram, staff_group_id=group))


@pytest.fixture
async def bot(tmp_path: Path, database_url: str, fake_telegram: FakeTelegram) -> AsyncIterator[ServedBot]:
    async with serve_bot(group_settings(tmp_path, database_url, fake_telegram, GROUP["id"]),
                         telegram=fake_telegram) as served:
        with transaction(served.app.sessions) as session:
            create_staff(session, "ani", PASSWORD, role=StaffRole.AGENT, telegram_user_id=ANI["id"])
        yield served


def group_calls(fake: FakeTelegram) -> list[Any]:
    return fake.sent(GROUP["id"])


def keyboard(call: Any) -> list[tuple[str, str]]:
    rows = call.params.get("reply_markup", {}).get("inline_keyboard", [])
    return [(b["text"], b["callback_data"]) for row in rows for b in row]


def escalation(bot: ServedBot) -> Escalation:
    return bot.rows(Escalation)[0]


async def test_new_escalation_is_posted_claimed_and_answered_from_the_group(
    bot: ServedBot, fake_telegram: FakeTelegram
) -> None:
    await bot.post_update(shapes.message(URGENT))
    [post] = await until(lambda: group_calls(fake_telegram))
    assert post.params["text"].startswith("🚨 Eskalasi baru #1 (MENDESAK): Darurat: dikurung / disekap")
    assert "https://teman-migran.example.org/console/e/1" in post.params["text"]
    # The group is on Telegram's servers: neither the person's words nor their name go there.
    assert "majikan" not in post.params["text"] and "Siti" not in post.params["text"]
    assert keyboard(post) == [("Ambil", "staff:claim:1")]
    await until(lambda: any("Polisi: 110" in t for t in fake_telegram.texts(PERSON)))

    press = shapes.callback_query("staff:claim:1", sent=post.result, user=ANI)
    press["callback_query"]["message"]["chat"] = GROUP
    assert (await bot.post_update(press)).status_code == 200
    [answer] = await fake_telegram.wait_for("answerCallbackQuery", 1)
    assert answer.params["text"] == "✅ Eskalasi #1 diambil oleh ani."
    claimed = escalation(bot)
    assert claimed.status is EscalationStatus.CLAIMED and claimed.staff_group_message_id == post.result["message_id"]
    [entry] = bot.rows(AuditEntry, AuditEntry.action == "claim")
    assert entry.staff_id == 1 and entry.detail == {"via": "telegram"}
    notice = await until(lambda: [c for c in group_calls(fake_telegram) if "diambil oleh ani" in c.params["text"]])
    assert notice[0].params["reply_parameters"]["message_id"] == post.result["message_id"]
    await until(lambda: any("sudah membaca pesan Anda" in t for t in fake_telegram.texts(PERSON)))

    reply = shapes.message("Kami dari Kanwil. Apakah Anda aman sekarang?", user=ANI, chat=GROUP,
                           reply_to_message=post.result)
    assert (await bot.post_update(reply)).status_code == 200
    await until(lambda: "👤 Petugas: Kami dari Kanwil. Apakah Anda aman sekarang?" in fake_telegram.texts(PERSON))
    await until(lambda: any("Balasan untuk eskalasi #1" in t for t in fake_telegram.texts(GROUP["id"])))
    assert escalation(bot).first_staff_reply_at is not None

    # The console shows the same state.
    console = StaffConsole(bot)
    await console.login("ani")
    [item] = await console.queue()
    assert (item["status"], item["claimed_by"]) == ("claimed", "ani")
    assert (await console.messages(1))[-1]["author"] == "ani"
    await console.aclose()


async def test_a_second_claim_from_the_group_is_told_who_has_it(bot: ServedBot, fake_telegram: FakeTelegram) -> None:
    with transaction(bot.app.sessions) as session:
        create_staff(session, "budi", PASSWORD, role=StaffRole.AGENT, telegram_user_id=7002)
    await bot.post_update(shapes.message(URGENT))
    [post] = await until(lambda: group_calls(fake_telegram))
    for user in (ANI, {**ANI, "id": 7002, "first_name": "Budi"}):
        press = shapes.callback_query("staff:claim:1", sent=post.result, user=user)
        press["callback_query"]["message"]["chat"] = GROUP
        await bot.post_update(press)
    answers = await fake_telegram.wait_for("answerCallbackQuery", 2)
    assert [a.params["text"] for a in answers] == [
        "✅ Eskalasi #1 diambil oleh ani.", "Eskalasi #1 sudah ditangani ani."
    ]
    assert escalation(bot).claimed_by == 1


async def test_unlinked_members_can_neither_claim_nor_answer(bot: ServedBot, fake_telegram: FakeTelegram) -> None:
    await bot.post_update(shapes.message(URGENT))
    [post] = await until(lambda: group_calls(fake_telegram))
    press = shapes.callback_query("staff:claim:1", sent=post.result, user=STRANGER)
    press["callback_query"]["message"]["chat"] = GROUP
    await bot.post_update(press)
    [answer] = await fake_telegram.wait_for("answerCallbackQuery", 1)
    assert "belum terhubung" in answer.params["text"] and "7999" in answer.params["text"]

    await bot.post_update(shapes.message("halo ini saya", user=STRANGER, chat=GROUP, reply_to_message=post.result))
    await until(lambda: any("belum terhubung" in t for t in fake_telegram.texts(GROUP["id"])))
    assert escalation(bot).status is EscalationStatus.OPEN
    assert not any("halo ini saya" in t for t in fake_telegram.texts(PERSON))


async def test_console_actions_and_reports_from_flows_reach_the_group(
    bot: ServedBot, fake_telegram: FakeTelegram
) -> None:
    await bot.post_update(shapes.message(URGENT))
    [post] = await until(lambda: group_calls(fake_telegram))
    console = StaffConsole(bot)
    await console.login("ani")
    await console.post("/console/e/1/claim")
    claimed = await until(lambda: [c for c in group_calls(fake_telegram) if "diambil oleh ani" in c.params["text"]])
    assert claimed[0].params["reply_parameters"]["message_id"] == post.result["message_id"]
    await console.post("/console/e/1/close", outcome="referred_police", note="Diteruskan ke Polda")
    await until(lambda: any("ditutup oleh ani: Dirujuk ke polisi" in t for t in fake_telegram.texts(GROUP["id"])))
    await console.aclose()

    # A report from a guided flow opens a high-priority escalation the same way.
    with transaction(bot.app.sessions) as session:
        contact = Contact(channel="telegram", external_id="5550009")
        session.add(contact)
        session.flush()
        open_escalation(session, contact, priority=Priority.HIGH, reason="case", now=bot.app.services.clock())
    bot.app.outbox.wake()  # a flow's turn wakes the sender on commit; this test opens it directly
    await until(lambda: any(t.startswith("⚠️ Eskalasi baru #2 (TINGGI): Laporan") for t in fake_telegram.texts(GROUP["id"])))


async def test_without_a_staff_group_nothing_is_posted(
    tmp_path: Path, database_url: str, fake_telegram: FakeTelegram
) -> None:
    async with serve_bot(group_settings(tmp_path, database_url, fake_telegram, None), telegram=fake_telegram) as bot:
        assert bot.app.staff_group_handler is None
        await bot.post_update(shapes.message(URGENT))
        await until(lambda: fake_telegram.texts(PERSON))
        await outbox_drained(bot.app)
        assert {c.params["chat_id"] for c in fake_telegram.sent()} == {str(PERSON)}
        with bot.app.sessions() as session:
            assert session.scalars(select(Escalation)).one().priority is Priority.URGENT


class StaffConsole:
    """A staff member's browser on the console of the same served app, in the same event loop."""

    def __init__(self, bot: ServedBot) -> None:
        web = create_web_app(bot.app, feature_routes(bot.app), start_background=False)
        self.http = httpx.AsyncClient(transport=httpx.ASGITransport(app=web), base_url="https://testserver")
        self.csrf = ""

    async def login(self, username: str) -> None:
        page = await self.http.get("/console/login")
        response = await self.http.post("/console/login", data={
            "username": username, "password": PASSWORD, "csrf_token": csrf_from(page.text)})
        assert response.status_code == 303
        self.csrf = csrf_from((await self.http.get("/console/")).text)

    async def post(self, path: str, **form: str) -> httpx.Response:
        response = await self.http.post(path, data={"csrf_token": self.csrf, **form})
        assert response.status_code == 303, response.text
        return response

    async def queue(self) -> list[dict[str, Any]]:
        return list((await self.http.get("/console/api/queue")).json()["items"])

    async def messages(self, escalation_id: int) -> list[dict[str, Any]]:
        return list((await self.http.get(f"/console/api/e/{escalation_id}/messages")).json()["lines"])

    async def aclose(self) -> None:
        await self.http.aclose()
