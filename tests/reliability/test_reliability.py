"""Fault injection against a real `python -m bot serve` on both databases: duplicate storms, 429 / 5xx
/ hung phases of Telegram and Twilio, Rasa hung and killed, bad input, and `kill -9` mid-burst with
webhook redelivery. Fails on any acknowledged message left unanswered; the table of every scenario
is printed at the end of the run (`-m reliability` runs this suite alone)."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine, select

from bot.storage.db import create_db_engine
from bot.storage.models import Contact, Escalation
from tests.fakes.bot import WEBHOOK_SECRET
from tests.fakes.rasa_api import PARSE, FakeRasa
from tests.fakes.telegram_api import FakeTelegram
from tests.fakes.twilio_api import CREATE, FakeTwilio
from tests.reliability.harness import BotProcess, Scenario, Score, in_flight_rows, table
from tests.support import until

pytestmark = [
    pytest.mark.reliability,
    pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning"),
]
SEND = "sendMessage"
URGENT = "tolong sy dikurung majikan gk boleh keluar"
QUESTIONS = ("halo kak", "gmn cara kerja ke malaysia yg resmi", "brp biaya penempatan", "apa itu visa kerja")

New = Callable[[str], Scenario]


async def duplicate_storm(new: New, engine: Engine) -> Score:
    """Every update delivered four times at once, as a channel does when it thinks we timed out."""
    run = new("duplicate storm x4")
    for n in range(16):
        run.telegram_message("/start" if n % 2 else QUESTIONS[n % len(QUESTIONS)])
    for _ in range(8):
        run.whatsapp_message("/start")
    await run.deliver_all(copies=4, concurrency=16)
    await run.settle(engine)
    return run.score()


async def channel_phases(new: New, engine: Engine, telegram: FakeTelegram, twilio: FakeTwilio) -> list[Score]:
    """Each channel misbehaves for a few seconds while people write; both channels at once."""
    phases = [
        ("telegram 429 / twilio 5xx", (SEND, 429, {"retry_after": 1}), (CREATE, 500, {})),
        ("telegram 5xx / twilio hang", (SEND, 502, {}), (CREATE, 0, {"hang_s": 3})),
        ("telegram hang / twilio 429", (SEND, 0, {"hang_s": 3}), (CREATE, 429, {})),
    ]
    scores = []
    for name, (tg_method, tg_status, tg_kw), (wa_method, wa_status, wa_kw) in phases:
        run = new(name)
        seen = len(telegram.calls), len(twilio.calls)
        telegram.outage(tg_method, tg_status, 2.5, **tg_kw)
        twilio.outage(wa_method, wa_status, 2.5, **wa_kw)
        for n in range(8):
            run.telegram_message(QUESTIONS[n % len(QUESTIONS)])
            run.whatsapp_message(QUESTIONS[n % len(QUESTIONS)])
        await run.deliver_all()
        await run.settle(engine)
        calls = telegram.calls[seen[0]:] + twilio.calls[seen[1]:]
        refused = sum(1 for c in calls if c.status in (tg_status, wa_status))
        scores.append(run.score(f"{refused} refused calls"))
    return scores


def escalated(engine: Engine, chat: str) -> bool:
    with engine.connect() as conn:
        contact = conn.scalar(select(Contact.id).where(Contact.external_id == chat))
        return contact is not None and conn.scalar(select(Escalation.id).where(Escalation.contact_id == contact)) is not None


async def rasa_down(new: New, engine: Engine, rasa: FakeRasa, http: httpx.AsyncClient, url: str) -> list[Score]:
    """Rasa hangs, then dies: everyone still gets an answer and an urgent message still escalates."""
    scores = []
    for name in ("rasa hung", "rasa killed"):
        run = new(name)
        if name == "rasa hung":
            rasa.outage(PARSE, 0, 3, hang_s=5)
        else:
            await rasa.stop()
        keys = [run.telegram_message(q) for q in QUESTIONS] + [run.whatsapp_message(q) for q in QUESTIONS]
        urgent = run.telegram_message(URGENT)
        await run.deliver_all(keys + [urgent])
        await run.settle(engine)
        urgent_chat = run.messages[urgent][0].chat
        note = "urgent escalated" if escalated(engine, urgent_chat) else "URGENT NOT ESCALATED"
        if name == "rasa killed":
            await rasa.start()
            # Back without a restart: the bot notices on its own.
            for _ in range(100):
                if (await http.get(f"{url}/readyz")).json()["nlu"] == "rasa":
                    note += ", recovered"
                    break
                await asyncio.sleep(0.1)
        scores.append(run.score(note))
    return scores


async def bad_input(new: New, engine: Engine, http: httpx.AsyncClient, url: str) -> Score:
    """Messages no test thought of: NUL bytes, huge texts, odd scripts; and requests that are no update."""
    run = new("bad input")
    for text in ("halo\u0000kak", "a" * 9000, "مرحبا 你好 \u202e\ufeff 😀" * 20, " \n\t "):
        run.telegram_message(text)
    run.telegram_message("halo", first_name="Si\u0000ti")
    for body in ("tolong\u0000", "b" * 5000, "😀" * 700):
        run.whatsapp_message(body)
    await run.deliver_all()
    await run.redeliver_unacknowledged()
    await run.settle(engine, timeout=15)
    nested = '{"update_id": 1, "message": ' + '{"a": ' * 5000 + "{}" + "}" * 5000 + "}"
    garbage = ["{not json", "[1, 2]", '{"update_id": "x"}', nested]
    statuses: Counter[int] = Counter()
    for body in garbage:
        response = await http.post(
            f"{url}/webhooks/telegram", content=body,
            headers={"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET, "Content-Type": "application/json"},
        )
        statuses[response.status_code] += 1
    return run.score("garbage requests answered " + ",".join(f"{k}x{v}" for k, v in sorted(statuses.items())))


async def kill_mid_burst(
    new: New, engine: Engine, bot: BotProcess, telegram: FakeTelegram, twilio: FakeTwilio
) -> tuple[Score, int]:
    """kill -9 while replies are on the wire, restart, and let the channels redeliver every webhook."""
    run = new("kill -9 mid-burst")
    # Slow channels, so that sends are in flight when the process dies.
    telegram.outage(SEND, 200, 10, hang_s=0.15)
    twilio.outage(CREATE, 200, 10, hang_s=0.15)
    for n in range(40):
        run.telegram_message("/start" if n % 3 == 0 else QUESTIONS[n % len(QUESTIONS)])
    for n in range(20):
        run.whatsapp_message(QUESTIONS[n % len(QUESTIONS)])
    before = len(telegram.sent()) + len(twilio.sent())
    burst = asyncio.create_task(run.deliver_all(concurrency=6))
    await until(lambda: len(telegram.sent()) + len(twilio.sent()) - before >= 15, timeout=30)
    bot.kill9()
    await burst
    in_doubt = in_flight_rows(engine)
    await bot.start()
    await run.redeliver_unacknowledged()
    await run.deliver_all()  # the channels may redeliver acknowledged webhooks too
    await run.settle(engine, timeout=40)
    unacked = sum(1 for s, _ in run.messages.values() if None in s.statuses or any(x and x >= 500 for x in s.statuses))
    return run.score(f"{in_doubt} in flight at the kill; {unacked} webhooks redelivered"), in_doubt


async def test_no_acknowledged_message_is_lost(
    tmp_path: Path,
    database_url: str,
    fake_telegram: FakeTelegram,
    fake_twilio: FakeTwilio,
    fake_rasa: FakeRasa,
    scoreboard: list[Score],
) -> None:
    database = "postgresql" if database_url.startswith("postgresql") else "sqlite"
    bot = BotProcess(tmp_path, database_url, fake_telegram, fake_twilio, fake_rasa)
    engine = create_db_engine(database_url)
    scores: list[Score] = []
    await bot.start()
    try:
        async with httpx.AsyncClient(timeout=15) as http:

            def new(name: str) -> Scenario:
                return Scenario(name, database, bot, http, fake_telegram, fake_twilio)

            scores.append(await duplicate_storm(new, engine))
            scores += await channel_phases(new, engine, fake_telegram, fake_twilio)
            scores += await rasa_down(new, engine, fake_rasa, http, bot.url)
            scores.append(await bad_input(new, engine, http, bot.url))
            killed, in_doubt = await kill_mid_burst(new, engine, bot, fake_telegram, fake_twilio)
            scores.append(killed)
    finally:
        await bot.stop()
        engine.dispose()
        scoreboard.extend(scores)

    report = table(scores)
    assert not [s for s in scores if s.lost], f"acknowledged messages lost:\n{report}\n{bot.log_tail()}"
    # Duplicates never double a reply; only sends on the wire at the kill may go out twice.
    assert all(s.doubled == 0 for s in scores if s is not killed), report
    assert killed.doubled <= in_doubt, report
    assert all("URGENT NOT" not in s.note for s in scores), report
