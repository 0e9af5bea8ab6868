"""`python -m bot stats`: the task force's figures equal what the seeded dialogs created, on both databases."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta
from pathlib import Path

import pytest

from bot.cli import main
from bot.hotline.cases import WIB
from bot.storage.models import StaffRole
from tests.case_desk_support import ANONYMOUS_RECRUITER, MISSING_DAUGHTER, file_report
from tests.conftest import make_settings
from tests.e2e.hotline import Hotline
from tests.support import Clock

URGENT = "tolong saya dikurung majikan, tidak boleh keluar rumah"


def stats_cli(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    capsys.readouterr()
    assert main(["stats", *args]) == 0
    return capsys.readouterr().out


async def test_stats_equal_what_the_dialogs_created(
    tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = make_settings(tmp_path, database_url)
    clock = Clock()
    hotline = Hotline.open(settings, clock)
    try:
        # Forty days ago: someone asked for staff (outside the period asked for below).
        clock.advance(days=-40)
        await hotline.say("long-ago", "/petugas", received_at=clock())
        clock.advance(days=40)
        # Today: two reports, an emergency and a request for staff; one report is referred to BP3MI.
        number = await file_report(hotline.say, "mama")
        await file_report(hotline.say, "anon", ANONYMOUS_RECRUITER)
        await hotline.say("urgent-1", URGENT)
        await hotline.say("normal-1", "/petugas")
        await hotline.say("normal-1", "halo, masih di sana?")
        sari = hotline.signed_in("sari", StaffRole.SUPERVISOR)
        case_id = sari.get(f"/console/cases?q={number}").headers.get("location", "").rsplit("/", 1)[-1]
        assert "dirujuk" in sari.post(f"/console/c/{case_id}/refer", agency="bp3mi_kalbar").text
    finally:
        await hotline.close()

    today = clock().astimezone(WIB).date()
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("TEMAN_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("APP_ENV", "test")
    figures = json.loads(stats_cli(capsys, "--from", today.isoformat(), "--to", today.isoformat()))
    assert figures["people"] == 4
    assert figures["messages"] == len(MISSING_DAUGHTER) + len(ANONYMOUS_RECRUITER) + 1 + 2
    assert figures["escalations"] == {"urgent": 1, "high": 2, "normal": 1}
    assert figures["cases"] == {"missing_person": 1, "trafficking": 1}
    assert figures["referrals"]["bp3mi_kalbar"] == 1 and sum(figures["referrals"].values()) == 1
    assert figures["cases_by_regency"] == {"sambas": 1, "unknown": 1}
    assert figures["cases_by_country"] == {"cambodia": 1, "malaysia": 1}
    assert figures["cases_by_modus"] == {"departure_unofficial": 1, "job_scam": 1}
    assert figures["cases_by_status"] == {"new": 1, "in_review": 0, "referred": 1, "closed": 0}
    assert figures["referrals_by_status"]["sent"] == 1
    assert sum(w["messages"] for w in figures["weekly"]) == figures["messages"]
    assert max(w["people"] for w in figures["weekly"]) == 4
    # Aggregates only: nothing any person wrote or is called.
    for private in ("Siti", "0812", "Budi", "dikurung", "mama", number):
        assert private not in json.dumps(figures), private

    wider = json.loads(stats_cli(capsys, "--from", (today - timedelta(days=45)).isoformat(), "--to", today.isoformat()))
    assert (wider["people"], wider["escalations"]["normal"]) == (5, 2)

    rows = list(csv.reader(io.StringIO(stats_cli(capsys, "--from", today.isoformat(), "--to", today.isoformat(),
                                                "--format", "csv"))))
    assert rows[0] == ["section", "key", "value"]
    table = {(section, key): value for section, key, value in rows[1:]}
    assert table[("total", "people")] == "4" and table[("escalations", "urgent")] == "1"  # exact, not "<5"
    assert table[("referrals", "bp3mi_kalbar")] == "1" and table[("cases", "trafficking")] == "1"


def test_stats_refuses_bad_dates(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
                                 tmp_path: Path) -> None:
    monkeypatch.setenv("TEMAN_VAR_DIR", str(tmp_path))
    assert main(["stats", "--from", "2026-02-30", "--to", "2026-03-01"]) == 2
    assert "--from must be a date like" in capsys.readouterr().err
    assert main(["stats", "--from", "2026-03-02", "--to", "2026-03-01"]) == 2
    assert "--to is before --from" in capsys.readouterr().err
