"""The queue's guarantees under concurrency: one owner per escalation, one escalation per person."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.hotline import commands
from bot.storage.db import transaction
from bot.storage.models import AuditEntry, Escalation, EscalationStatus, Staff, StaffRole
from tests.conftest import make_settings
from tests.e2e.hotline import Hotline
from tests.e2e.live import LiveServer, async_client, csrf_from

URGENT = "tolong saya dikurung majikan, tidak boleh keluar rumah"
CLAIMERS = 8


async def test_concurrent_claims_in_separate_sessions_have_one_winner(hotline: Hotline) -> None:
    await hotline.say("person-1", URGENT)
    staff_ids = [hotline.add_staff(f"petugas{n}") for n in range(CLAIMERS)]
    escalation_id = hotline.escalations()[0].id
    app = hotline.app
    barrier = threading.Barrier(CLAIMERS)
    results: dict[int, bool] = {}

    def claim(staff_id: int) -> None:
        # Each thread is a separate request: its own session, connection and transaction.
        with transaction(app.sessions) as session:
            staff = session.get(Staff, staff_id)
            assert staff is not None
            barrier.wait()
            won = commands.claim(session, escalation_id, staff, app.services.clock(), app.settings,
                                 app.services.texts, app.window_open).won
        results[staff_id] = won

    threads = [threading.Thread(target=claim, args=(sid,)) for sid in staff_ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(results) == staff_ids
    winners = [sid for sid, won in results.items() if won]
    assert len(winners) == 1
    escalation = hotline.escalations()[0]
    assert escalation.status is EscalationStatus.CLAIMED and escalation.claimed_by == winners[0]
    with app.sessions() as session:
        claims = session.scalars(select(AuditEntry).where(AuditEntry.action == "claim")).all()
    # Claiming is claim-with-audit: only the winner's claim is in the audit log.
    assert [(entry.staff_id, entry.target_id) for entry in claims] == [(winners[0], escalation_id)]


@pytest.fixture
def live(tmp_path: Path, database_url: str) -> Iterator[LiveServer]:
    server = LiveServer.start(make_settings(tmp_path, database_url))
    try:
        yield server
    finally:
        server.stop()


async def test_concurrent_claim_requests_to_the_server_have_one_owner(live: LiveServer) -> None:
    live.say("person-1", URGENT)
    escalation_id = live.escalations()[0].id
    names = [f"petugas{n}" for n in range(CLAIMERS)]
    for name in names:
        live.add_staff(name, StaffRole.AGENT)
    clients = [async_client(live.url) for _ in names]
    try:
        tokens = []
        for client, name in zip(clients, names, strict=True):
            page = await client.get("/console/login")
            response = await client.post("/console/login", data={
                "username": name, "password": "kata-sandi-rahasia-123", "csrf_token": csrf_from(page.text)})
            assert response.status_code == 303
            tokens.append(csrf_from((await client.get("/console/")).text))

        responses = await asyncio.gather(*(
            client.post(f"/console/e/{escalation_id}/claim", data={"csrf_token": token}, follow_redirects=True)
            for client, token in zip(clients, tokens, strict=True)
        ))
    finally:
        for client in clients:
            await client.aclose()
    pages = [r.text for r in responses]
    assert all(r.status_code == 200 for r in responses)
    assert sum("Eskalasi ini sekarang Anda tangani." in p for p in pages) == 1
    assert sum("Sudah diambil oleh" in p for p in pages) == CLAIMERS - 1
    escalation = live.escalation(escalation_id)
    with live.app.sessions() as session:
        owner = session.get(Staff, escalation.claimed_by)
        claims = session.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "claim"))
    assert owner is not None and owner.username in names
    assert claims == 1


async def test_one_active_escalation_per_person(hotline: Hotline) -> None:
    await hotline.say("person-1", "/petugas")
    await hotline.say("person-1", URGENT)  # a waiting person's situation got worse
    await hotline.say("person-1", "saya dipukul")
    with hotline.app.sessions() as session:
        escalations = session.scalars(select(Escalation)).all()
    assert len(escalations) == 1
    assert escalations[0].priority.value == "urgent"
    assert escalations[0].reason == "safety:confinement"
