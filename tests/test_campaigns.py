"""Dissemination campaigns through the real channels (fake Bot API and fake Twilio): the right people
once each, nobody who opted out, WhatsApp's window kept, counts that add up, cancel, the weekly tip."""

from __future__ import annotations

import dataclasses
import io
import json
import subprocess
import sys
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.app import App, build_app
from bot.campaigns import campaigns, subscribers
from bot.campaigns.sending import CampaignSender
from bot.channels.local import LocalSender
from bot.chat.inbound import Inbound
from bot.config import PROJECT_ROOT, Settings
from bot.jobs import tips
from bot.storage.db import transaction
from bot.storage.models import Campaign, CampaignStatus, Contact, OutboxItem, utcnow
from tests.conftest import make_settings
from tests.fakes.bot import ServedBot, channel_env, closed_nlu, serve_bot, tuned
from tests.fakes.telegram_api import FakeTelegram
from tests.fakes.twilio_api import FakeTwilio
from tests.support import until

pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
REGENCIES = ("sambas", "sanggau", "kubu_raya")
SUBSCRIBERS = 2000
TEMPLATE_SID = "HX" + "0123456789abcdef" * 2


@dataclass(frozen=True)
class Person:
    channel: str
    external_id: str
    regency: str
    language: str
    subscribed: bool
    window_open: bool  # WhatsApp: wrote within 24 hours


def population() -> list[Person]:
    """2,000 people on both channels across three regencies; every 17th opted out; WhatsApp people
    alternate between inside and outside the 24-hour window; every 5th reads English."""
    people = []
    for i in range(SUBSCRIBERS):
        telegram = i % 2 == 0
        people.append(Person(
            channel="telegram" if telegram else "whatsapp",
            external_id=str(710_000_000 + i) if telegram else f"+62812{i:07d}",
            regency=REGENCIES[i % 3],
            language="en" if i % 5 == 0 else "id",
            subscribed=i % 17 != 0,
            window_open=telegram or i % 4 == 1,
        ))
    return people


def seed(app: App, people: list[Person]) -> None:
    now = utcnow()
    with transaction(app.sessions) as session:
        session.add_all(
            Contact(
                channel=p.channel, external_id=p.external_id, language=p.language,
                subscribed_at=now - timedelta(days=3) if p.subscribed else None,
                sub_regency=p.regency,
                last_inbound_at=now - (timedelta(hours=1) if p.window_open else timedelta(hours=30)),
            )
            for p in people
        )


def campaign_settings(settings: Settings, sweep_s: float = 0.3) -> Settings:
    return dataclasses.replace(settings, campaigns=dataclasses.replace(settings.campaigns, sweep_seconds=sweep_s))


@pytest.fixture
async def served(
    tmp_path: Path, database_url: str, fake_telegram: FakeTelegram, fake_twilio: FakeTwilio
) -> AsyncIterator[ServedBot]:
    settings = make_settings(tmp_path, database_url, **closed_nlu(), **channel_env(fake_telegram, fake_twilio))
    settings = campaign_settings(tuned(settings))
    settings = dataclasses.replace(
        settings,
        telegram=dataclasses.replace(settings.telegram, max_per_second=1000),
        whatsapp=dataclasses.replace(settings.whatsapp, max_per_second=1000),
    )
    async with serve_bot(settings, telegram=fake_telegram, twilio=fake_twilio) as bot:
        yield bot


def create(app: App, **draft: object) -> int:
    with transaction(app.sessions) as session:
        return campaigns.create(session, campaigns.Draft(**draft), utcnow()).id  # type: ignore[arg-type]


def counts(app: App, campaign_id: int) -> campaigns.Counts:
    with app.sessions() as session:
        campaign = session.get(Campaign, campaign_id)
        assert campaign is not None
        return campaigns.counts(session, campaign)


async def finished(app: App, campaign_id: int, timeout: float = 120) -> campaigns.Counts:
    await until(lambda: counts(app, campaign_id).status == "done", timeout=timeout)
    return counts(app, campaign_id)


def received(telegram: FakeTelegram, twilio: FakeTwilio) -> Counter[str]:
    """How many messages each chat got, by its external id."""
    got: Counter[str] = Counter(str(c.params["chat_id"]) for c in telegram.sent())
    got.update(c.params["To"].removeprefix("whatsapp:") for c in twilio.sent())
    return got


async def test_a_campaign_to_one_regency_reaches_exactly_its_subscribers_once(
    served: ServedBot, fake_telegram: FakeTelegram, fake_twilio: FakeTwilio
) -> None:
    people = population()
    seed(served.app, people)
    campaign_id = create(
        served.app, title="Waspada lowongan operator IT", text_id="Waspada lowongan 'operator IT' di Kamboja.",
        text_en="Beware of 'IT operator' jobs in Cambodia.", segment={"regency": "sambas"},
    )
    result = await finished(served.app, campaign_id)

    in_regency = [p for p in people if p.regency == "sambas" and p.subscribed]
    reachable = {p.external_id for p in in_regency if p.window_open}
    got = received(fake_telegram, fake_twilio)
    assert set(got) == reachable, "exactly the regency's subscribers the channels let us write to"
    assert set(got.values()) == {1}, "nobody twice"
    opted_out = {p.external_id for p in people if not p.subscribed}
    assert not opted_out & set(got)
    # Free text only inside WhatsApp's window; outside it (no template) skipped and counted.
    outside = [p for p in in_regency if not p.window_open]
    assert outside and all(p.channel == "whatsapp" for p in outside)
    assert all("ContentSid" not in c.params for c in fake_twilio.sent())
    # Each in their language.
    english = next(p for p in in_regency if p.language == "en" and p.channel == "telegram")
    assert fake_telegram.texts(english.external_id) == ["Beware of 'IT operator' jobs in Cambodia."]
    indonesian = next(p for p in in_regency if p.language == "id" and p.channel == "whatsapp" and p.window_open)
    [body] = fake_twilio.bodies(f"whatsapp:{indonesian.external_id}")
    assert body.startswith("Waspada lowongan 'operator IT' di Kamboja.") and "1. Berhenti" in body

    assert (result.audience, result.queued, result.failed) == (len(in_regency), 0, 0)
    assert result.sent == len(reachable) and result.delivered >= sum(1 for p in in_regency if p.channel == "telegram")
    assert result.skipped == len(outside) and result.skipped_reasons == {"window": len(outside)}
    assert result.sent + result.skipped == result.audience


async def test_whatsapp_people_outside_the_window_get_the_campaigns_approved_template(
    served: ServedBot, fake_telegram: FakeTelegram, fake_twilio: FakeTwilio
) -> None:
    people = population()[:600]
    seed(served.app, people)
    campaign_id = create(
        served.app, title="Tips", text_id="Kerja ke luar negeri? Gratis biaya penempatan.",
        segment={"regency": "sanggau", "channel": "whatsapp"},
        wa_template_sid=TEMPLATE_SID, wa_template_vars={"1": "Sanggau"},
    )
    result = await finished(served.app, campaign_id)
    targets = [p for p in people if p.regency == "sanggau" and p.channel == "whatsapp" and p.subscribed]
    calls = {c.params["To"].removeprefix("whatsapp:"): c.params for c in fake_twilio.sent()}
    assert set(calls) == {p.external_id for p in targets} and not fake_telegram.sent()
    for p in targets:
        params = calls[p.external_id]
        if p.window_open:
            assert params["Body"].startswith("Kerja ke luar negeri?") and "ContentSid" not in params
        else:
            assert params["ContentSid"] == TEMPLATE_SID and json.loads(params["ContentVariables"]) == {"1": "Sanggau"}
            assert "Body" not in params
    assert result.sent == len(targets) and result.skipped == 0


async def test_cancelling_a_campaign_withdraws_what_was_not_sent_yet(tmp_path: Path, database_url: str) -> None:
    """Queued, then cancelled before the outbox reached them: nobody gets it, all counted as skipped."""
    app = local_app(tmp_path, database_url)
    try:
        seed(app, [p for p in population()[:300] if p.channel == "telegram"])
        with transaction(app.sessions) as session:
            for contact in session.scalars(select(Contact)):
                contact.channel = "local"
        campaign_id = create(app, title="x", text_id="Info diseminasi hukum")
        assert sending(app).run() is True
        queued = counts(app, campaign_id)
        assert queued.queued == queued.audience > 0
        with transaction(app.sessions) as session:
            campaign = session.get(Campaign, campaign_id)
            assert campaign is not None
            assert campaigns.cancel(session, campaign, utcnow()) == queued.audience
        assert await app.outbox.drain_once() == 0
        after = counts(app, campaign_id)
        assert (after.status, after.sent, after.queued) == ("cancelled", 0, 0)
        assert after.skipped_reasons == {"cancelled": queued.audience}
        with transaction(app.sessions) as session, pytest.raises(campaigns.CampaignError):
            campaigns.cancel(session, session.get(Campaign, campaign_id), utcnow())  # type: ignore[arg-type]
    finally:
        await app.aclose()


async def test_a_person_who_opts_out_after_being_queued_gets_nothing(tmp_path: Path, database_url: str) -> None:
    app = local_app(tmp_path, database_url)
    out = app.outbox.senders["local"].out  # type: ignore[attr-defined]
    try:
        now = utcnow()
        with transaction(app.sessions) as session:
            session.add_all(Contact(channel="local", external_id=f"p{i}", subscribed_at=now) for i in range(3))
        campaign_id = create(app, title="x", text_id="Pesan kampanye")
        sending(app).run()
        with transaction(app.sessions) as session:
            person = session.scalars(select(Contact).where(Contact.external_id == "p1")).one()
            assert subscribers.opt_out(session, person) == 1
        while await app.outbox.drain_once():
            pass
        assert out.getvalue().count("Pesan kampanye") == 2
        result = counts(app, campaign_id)
        assert (result.sent, result.skipped_reasons) == (2, {"opted_out": 1})
        sending(app).run()  # the next sweep sees nothing waiting
        assert counts(app, campaign_id).status == "done"
    finally:
        await app.aclose()


async def test_recipients_are_queued_once_even_when_two_sweeps_overlap(tmp_path: Path, database_url: str) -> None:
    """A second replica's sweep, or a restart after a batch committed, queues nobody again."""
    app = local_app(tmp_path, database_url)
    try:
        now = utcnow()
        with transaction(app.sessions) as session:
            session.add_all(Contact(channel="local", external_id=f"p{i}", subscribed_at=now) for i in range(25))
        campaign_id = create(app, title="x", text_id="Sekali saja")
        sender = sending(app, batch_size=10)
        with transaction(app.sessions) as session:
            assert sender._batch(session, campaign_id) == (10, True)  # one batch committed, then a crash
        assert sender.queue_all(campaign_id) == 15
        assert sender.queue_all(campaign_id) == 0
        with app.sessions() as session:
            rows = session.scalars(select(OutboxItem.contact_id).where(OutboxItem.campaign_id == campaign_id)).all()
        assert len(rows) == len(set(rows)) == 25
        assert counts(app, campaign_id).audience == 25
    finally:
        await app.aclose()


async def test_replies_within_48_hours_are_counted(tmp_path: Path, database_url: str) -> None:
    app = local_app(tmp_path, database_url)
    try:
        now = utcnow()
        with transaction(app.sessions) as session:
            session.add_all(Contact(channel="local", external_id=f"p{i}", subscribed_at=now) for i in range(3))
        campaign_id = create(app, title="x", text_id="Ada pertanyaan? Balas saja.")
        sending(app).run()
        while await app.outbox.drain_once():
            pass
        await app.dispatcher.dispatch(Inbound(channel="local", chat_id="p0", message_id="r1", text="menu"))
        result = counts(app, campaign_id)
        assert (result.sent, result.replies) == (3, 1)
    finally:
        await app.aclose()


async def test_the_weekly_tip_is_a_campaign_made_once_a_week(tmp_path: Path, database_url: str) -> None:
    app = local_app(tmp_path, database_url)
    out = app.outbox.senders["local"].out  # type: ignore[attr-defined]
    try:
        now = utcnow()
        with transaction(app.sessions) as session:
            session.add(Contact(channel="local", external_id="sub-id", subscribed_at=now, language="id"))
            session.add(Contact(channel="local", external_id="sub-en", subscribed_at=now, language="en"))
            session.add(Contact(channel="local", external_id="not-subscribed", language="id"))
        services = app.services
        run = lambda at: tips.run_weekly(  # noqa: E731
            app.sessions, lambda: at, library=services.library, texts=services.texts,
            settings=services.settings.campaigns,
        )
        run(now)
        run(now + timedelta(hours=1))  # the same week (a second replica, a restart): no second campaign
        with app.sessions() as session:
            made = session.scalars(select(Campaign)).all()
        assert [(c.origin, c.status) for c in made] == [("tips", CampaignStatus.SCHEDULED)]
        sending(app).run()
        while await app.outbox.drain_once():
            pass
        printed = out.getvalue()
        assert "Tips migrasi aman minggu ini:" in printed and "This week's safe-migration tip:" in printed
        assert counts(app, made[0].id).sent == 2
        run(now + timedelta(days=7))
        with app.sessions() as session:
            weekly = session.scalars(select(Campaign).order_by(Campaign.id)).all()
        assert len(weekly) == 2 and weekly[0].content_item != weekly[1].content_item
    finally:
        await app.aclose()


def test_the_command_line_sends_and_reports_a_campaign(tmp_path: Path, sqlite_url: str) -> None:
    env = {"DATABASE_URL": sqlite_url, "TEMAN_VAR_DIR": str(tmp_path / "var"), "APP_ENV": "test", "PATH": "/usr/bin:/bin"}

    def bot(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "bot", *args], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=120
        )

    assert bot("migrate").returncode == 0
    app = build_app(make_settings(tmp_path, sqlite_url, **closed_nlu()), manage_nlu=False)
    seed(app, population()[:170])
    app.engine.dispose()
    text = tmp_path / "pesan.txt"
    text.write_text("Hati-hati tawaran kawin kontrak.\n", encoding="utf-8")
    english = tmp_path / "message.txt"
    english.write_text("Beware of contract-marriage offers.\n", encoding="utf-8")
    expected = sum(1 for p in population()[:170] if p.subscribed and p.regency == "kubu_raya")

    dry = bot("campaign", "send", "--text-file", str(text), "--segment", "region:kubu_raya", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert json.loads(dry.stdout) == {"campaign": None, "audience": expected}
    sent = bot("campaign", "send", "--text-file", str(text), "--text-file-en", str(english),
               "--segment", "region:kubu_raya", "--at", "2030-01-01T09:00")
    assert sent.returncode == 0, sent.stderr
    created = json.loads(sent.stdout)
    assert created["audience"] == expected and isinstance(created["campaign"], int)
    status = bot("campaign", "status", str(created["campaign"]))
    assert status.returncode == 0, status.stderr
    figures = json.loads(status.stdout)
    assert {k: figures[k] for k in ("queued", "sent", "failed", "skipped")} == {"queued": 0, "sent": 0, "failed": 0, "skipped": 0}
    assert figures["status"] == "scheduled"
    by_language = bot("campaign", "send", "--text-file", str(text), "--segment", "language:en", "--dry-run")
    assert json.loads(by_language.stdout)["audience"] == sum(1 for p in population()[:170] if p.subscribed and p.language == "en")

    for bad in (["--segment", "region:jakarta"], ["--at", "besok pagi"], ["--segment", "channel:sms"]):
        refused = bot("campaign", "send", "--text-file", str(text), *bad)
        assert refused.returncode == 2 and refused.stderr.startswith("error: ") and not refused.stdout
    assert bot("campaign", "send", "--text-file", str(tmp_path / "missing.txt")).returncode == 2
    assert bot("campaign", "status", "999").returncode == 2
    cancel = bot("campaign", "cancel", str(created["campaign"]))
    assert cancel.returncode == 0 and json.loads(bot("campaign", "status", str(created["campaign"])).stdout)["status"] == "cancelled"


# ---------------------------------------------------------------- helpers
def local_app(tmp_path: Path, database_url: str) -> App:
    settings = campaign_settings(tuned(make_settings(tmp_path, database_url, **closed_nlu())))
    return build_app(settings, senders={"local": LocalSender(io.StringIO())}, manage_nlu=False)


def sending(app: App, batch_size: int | None = None) -> CampaignSender:
    settings = app.settings.campaigns
    if batch_size is not None:
        settings = dataclasses.replace(settings, batch_size=batch_size)
    return CampaignSender(
        app.sessions, app.services.clock, settings=settings, texts=app.services.texts, library=app.services.library,
        window_open=app.window_open, default_language=app.settings.default_language,
    )



async def test_campaigns_keep_the_same_window_margin_as_the_whatsapp_sender(tmp_path: Path, database_url: str) -> None:
    # In the window's last minute a message may reach WhatsApp after it closed: skipped then too.
    app = local_app(tmp_path, database_url)
    try:
        now = utcnow()
        with transaction(app.sessions) as session:
            session.add_all([
                Contact(channel="whatsapp", external_id="+620000000003", subscribed_at=now - timedelta(days=30),
                        last_inbound_at=now - timedelta(hours=23, minutes=58)),
                Contact(channel="whatsapp", external_id="+620000000004", subscribed_at=now - timedelta(days=30),
                        last_inbound_at=now - timedelta(hours=23, minutes=59, seconds=30)),
            ])
        campaign_id = create(app, title="x", text_id="Info")
        sending(app).run()
        with app.sessions() as session:
            assert session.scalars(select(OutboxItem.chat_id)).all() == ["+620000000003"]
        assert counts(app, campaign_id).skipped_reasons == {"window": 1}
    finally:
        await app.aclose()
