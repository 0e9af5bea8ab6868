"""The case desk on 100,000 cases and 20,000 escalations without a report (both databases): case-list pages, searches and the dashboard, through
the console's HTTP routes (query, rendering, audit). Prints the times; fails only if a page errs."""

from __future__ import annotations

import random
import statistics
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert, text

from bot.hotline.case_fields import COUNTRIES, REGENCIES
from bot.storage.db import transaction
from bot.storage.models import (
    Case,
    CaseKind,
    CaseStatus,
    Contact,
    Direction,
    Escalation,
    EscalationStatus,
    Message,
    Priority,
    Referral,
    ReferralStatus,
    StaffRole,
)
from tests.conftest import make_settings
from tests.e2e.hotline import Hotline

CASES = 100_000
CONVERSATIONS = 20_000  # escalations without a report, listed with the cases
CONTACTS = 20_000
MESSAGES = 100_000
REFERRALS = 10_000
BATCH = 5_000
NAMES = ("Siti", "Aminah", "Rahmat", "Dewi", "Yohanes", "Nurhayati", "Agus", "Maria", "Hendra", "Lestari")


def _batches(rows: list[dict[str, object]]) -> list[list[dict[str, object]]]:
    return [rows[i:i + BATCH] for i in range(0, len(rows), BATCH)]


def seed(hotline: Hotline) -> None:
    rng = random.Random(13)
    now = datetime.now(UTC)
    regencies, countries = [*REGENCIES, "other"], list(COUNTRIES)
    agencies = list(hotline.app.settings.referrals.agencies)
    with transaction(hotline.app.sessions) as session:
        for batch in _batches([{"channel": "whatsapp", "external_id": f"62812{i:07d}", "language": "id",
                                "display_name": rng.choice(NAMES), "place_country": rng.choice([None, *countries])}
                               for i in range(CONTACTS)]):
            session.execute(insert(Contact), batch)
        cases = []
        for i in range(1, CASES + 1):
            kind = CaseKind.MISSING_PERSON if i % 3 else CaseKind.TRAFFICKING
            name = f"{rng.choice(NAMES)} {rng.choice(NAMES)} {i}"
            created = now - timedelta(minutes=rng.randrange(365 * 24 * 60))
            details = {"name": name, "place": "Malaysia, Kuching"} if kind is CaseKind.MISSING_PERSON else {
                "recruiter": f"PT Contoh {i}", "what": "job_scam"}
            cases.append({
                "id": i, "number": f"KB-{created.year}-{i:06d}", "kind": kind, "contact_id": rng.randrange(1, CONTACTS),
                "status": rng.choice(list(CaseStatus)), "priority": rng.choice([Priority.HIGH] * 9 + [Priority.URGENT]),
                "details": details, "created_at": created, "updated_at": created,
                "regency": rng.choice(regencies), "country": rng.choice(countries),
                "modus": "job_scam" if kind is CaseKind.TRAFFICKING else "departure_unofficial",
                "search_text": f"kb-{created.year}-{i:06d} {name.lower()} 0812{i:08d}",
            })
        for batch in _batches(cases):
            session.execute(insert(Case), batch)
        escalations = []
        for case in cases:
            opened = case["created_at"]
            assert isinstance(opened, datetime)
            claimed = opened + timedelta(minutes=rng.randrange(1, 60))
            escalations.append({
                "contact_id": case["contact_id"], "priority": case["priority"], "status": EscalationStatus.CLOSED,
                "reason": f"case:{case['kind'].value}", "case_id": case["id"], "opened_at": opened,  # type: ignore[attr-defined]
                "claimed_at": claimed, "closed_at": claimed + timedelta(hours=2), "outcome": "assisted",
            })
        for _ in range(CONVERSATIONS):
            opened = now - timedelta(minutes=rng.randrange(365 * 24 * 60))
            escalations.append({
                "contact_id": rng.randrange(1, CONTACTS), "priority": rng.choice(list(Priority)),
                "status": rng.choice([EscalationStatus.CLOSED] * 8 + [EscalationStatus.OPEN, EscalationStatus.CLAIMED]),
                "reason": rng.choice(["request_human", "safety:confinement"]), "case_id": None, "opened_at": opened,
            })
        for batch in _batches(escalations):
            session.execute(insert(Escalation), batch)
        for batch in _batches([{
            "contact_id": rng.randrange(1, CONTACTS), "direction": Direction.IN, "channel": "whatsapp",
            "channel_message_id": f"bench-{i}", "text": "halo", "intent": rng.choice(["ask_costs", "greet", "ask_visa"]),
            "created_at": now - timedelta(minutes=rng.randrange(365 * 24 * 60)),
        } for i in range(MESSAGES)]):
            session.execute(insert(Message), batch)
        for batch in _batches([{
            "case_id": rng.randrange(1, CASES), "agency": rng.choice(agencies), "status": rng.choice(list(ReferralStatus)),
            "referred_on": now.date(), "created_at": now - timedelta(days=rng.randrange(365)),
            "updated_at": now, "history": [],
        } for _ in range(REFERRALS)]):
            session.execute(insert(Referral), batch)
    if hotline.app.engine.dialect.name == "postgresql":
        with hotline.app.engine.begin() as conn:
            conn.execute(text("ANALYZE"))
    else:
        with hotline.app.engine.begin() as conn:
            conn.execute(text("ANALYZE"))


async def test_case_list_and_dashboard_on_100000_cases(tmp_path: Path, database_url: str) -> None:
    hotline = Hotline.open(make_settings(tmp_path, database_url))
    try:
        started = time.perf_counter()
        seed(hotline)
        seeded = time.perf_counter() - started
        sari = hotline.signed_in("sari", StaffRole.SUPERVISOR)
        today = datetime.now(UTC).date()
        pages = {
            "case list, page 1": "/console/cases",
            "case list, page 2000": "/console/cases?page=2000",
            "filter regency+status+kind": "/console/cases?regency=sambas&status=referred&kind=missing_person",
            "filter country+priority+dates": f"/console/cases?country=malaysia&priority=urgent&from={today - timedelta(days=30)}",
            "search a name": "/console/cases?q=nurhayati+agus",
            "search a phone": "/console/cases?q=0812-0005-4321",
            "escalations without a report": "/console/cases?kind=conversation&page=20",
            "open a case number": "/console/cases?q=KB-2026-054321",
            "case sheet": "/console/c/54321",
            "dashboard, 90 days": "/console/dashboard",
            "dashboard, 1 year": f"/console/dashboard?from={today - timedelta(days=365)}&to={today}",
            "monthly CSV": "/console/dashboard/month.csv",
        }
        lines = []
        for label, path in pages.items():
            times = []
            for _ in range(3):
                start = time.perf_counter()
                response = sari.client.get(path)
                times.append(time.perf_counter() - start)
                assert response.status_code in (200, 303), (label, response.status_code)
            lines.append(f"  {label:32s} median {statistics.median(times) * 1000:7.0f} ms  max {max(times) * 1000:7.0f} ms")
    finally:
        await hotline.close()
    print(f"\n[{database_url.split(':')[0]}] case desk on {CASES:,} cases, {CONVERSATIONS:,} escalations without "
          f"a report, {MESSAGES:,} messages, "
          f"{REFERRALS:,} referrals (seeded in {seeded:.1f}s):\n" + "\n".join(lines))
