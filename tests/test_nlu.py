"""The real Rasa server sorts messages; the safety net works without it; degraded mode recovers."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlparse

import httpx
import pytest

from bot.config import PROJECT_ROOT
from bot.web.app import create_web_app
from tests.conftest import make_settings
from tests.support import Dialog, RasaServer, TcpProxy, free_port, texts

# Written for these tests, not copied from nlu/data: one realistic message per intent and register.
ROUTED = [
    ("assalamualaikum min", "greet", "smalltalk"),
    ("makasih banyak kak infonya", "thank_you", "smalltalk"),
    ("ini robot ya atau orang beneran?", "bot_challenge", "smalltalk"),
    ("gmn cara daftar kerja ke taiwan yg resmi min", "ask_procedure", "answer:"),
    ("syarat umur brp utk jadi pmi?", "ask_documents", "answer:"),
    ("agen minta 15 juta biaya penempatan, wajar gak?", "ask_costs", "answer:"),
    ("boleh gak berangkat kerja pake visa umroh", "ask_visa", "answer:"),
    ("ciri ciri lowongan kerja palsu apa aja", "ask_scam_signs", "answer:"),
    ("apa hak pekerja migran kalau gaji tidak dibayar", "ask_worker_rights", "answer:"),
    ("sy butuh pengacara gratis, ada posbakum?", "ask_legal_aid", "answer:"),
    ("nomor hotline yang bisa dihubungi apa", "ask_contacts", "answer:"),
    ("ada tawaran jadi operator IT di kamboja gaji 20 juta, aman gak?", "check_job_offer", "flow:job_offer"),
    ("adik sy di malaysia udah 3 bulan gak bisa dihubungi", "report_missing_person", "flow:missing_person"),
    ("saya mau melaporkan calo yang memberangkatkan orang lewat jalur tikus", "report_trafficking", "flow:trafficking_report"),
    ("mau bicara dengan petugas saja", "request_human", "escalate"),
]

URGENT = [
    "tolong saya dikunci di kamar sama majikan di kuching",
    "kamek dipukul tauke, tak boleh balik",
    "they took my passport and I cannot leave the compound, please help",
    "sy mau bunuh diri aja",
]


def triage(lines: list[str], env: dict[str, str]) -> list[dict]:
    proc = subprocess.run(
        [sys.executable, "-m", "bot", "triage"], input="\n".join(lines) + "\n",
        cwd=PROJECT_ROOT, capture_output=True, text=True, env={**os.environ, **env}, timeout=600,
    )
    assert proc.returncode == 0, proc.stderr
    return [json.loads(line) for line in proc.stdout.splitlines()]


def test_triage_routes_every_kind_of_message_with_real_rasa(rasa_server: RasaServer, tmp_path: Path) -> None:
    rows = triage(
        [m for m, _, _ in ROUTED] + URGENT,
        {"NLU_URL": rasa_server.url, "NLU_TOKEN": rasa_server.token, "TEMAN_VAR_DIR": str(tmp_path)},
    )
    assert len(rows) == len(ROUTED) + len(URGENT)
    for row, (message, intent, route) in zip(rows[: len(ROUTED)], ROUTED, strict=True):
        assert set(row) == {"text", "intent", "confidence", "urgent", "route", "entities", "nlu"}
        assert row["text"] == message and row["nlu"] == "rasa"
        assert (row["intent"], row["route"].startswith(route), row["urgent"]) == (intent, True, False), row
    for row in rows[len(ROUTED):]:
        assert (row["intent"], row["urgent"], row["route"]) == ("emergency", True, "escalate"), row


def test_triage_extracts_country_and_case_entities(rasa_server: RasaServer, tmp_path: Path) -> None:
    rows = triage(
        ["status laporan KB-2026-000123 gmn?", "aturan kerja di saudi gimana sekarang"],
        {"NLU_URL": rasa_server.url, "NLU_TOKEN": rasa_server.token, "TEMAN_VAR_DIR": str(tmp_path)},
    )
    assert rows[0]["intent"] == "check_case_status"
    assert {"entity": "case_id", "value": "KB-2026-000123"}.items() <= rows[0]["entities"][0].items()
    assert rows[1]["intent"] == "ask_destination_info"
    assert any(e["entity"] == "country" and e["value"] == "saudi_arabia" for e in rows[1]["entities"])
    assert rows[1]["route"] == "answer:destination_middle_east_ban"


def test_triage_without_rasa_is_degraded_but_urgent_still_escalates(tmp_path: Path) -> None:
    rows = triage(
        URGENT + ["gmn cara daftar kerja ke taiwan"],
        {"NLU_URL": f"http://127.0.0.1:{free_port()}", "TEMAN_VAR_DIR": str(tmp_path)},
    )
    assert all(r["nlu"] == "degraded" for r in rows)
    assert [r["urgent"] for r in rows] == [True] * len(URGENT) + [False]
    assert all(r["route"] == "escalate" for r in rows[: len(URGENT)])
    assert rows[-1]["route"] == "clarify"


@pytest.mark.nlu
def test_triage_starts_the_managed_rasa_server_itself(tmp_path: Path) -> None:
    """Managed mode with nothing answering: triage starts Rasa, answers, and stops it again."""
    port = free_port()
    config = tmp_path / "config.yml"
    text = (PROJECT_ROOT / "config.yml").read_text().replace("managed_port: 5005", f"managed_port: {port}")
    config.write_text(text.replace("content_dir: content/answers", f"content_dir: {PROJECT_ROOT}/content/answers"))
    env = {k: v for k, v in os.environ.items() if k not in ("NLU_URL", "NLU_TOKEN")}
    env.update({"TEMAN_CONFIG": str(config), "TEMAN_VAR_DIR": str(tmp_path), "NLU_PROJECT_DIR": str(PROJECT_ROOT / "nlu")})
    # A token beginning with "-" (older var/nlu-token files may hold one) must not read as an option.
    (tmp_path / "nlu-token").write_text("-dash-first-token")
    proc = subprocess.run(
        [sys.executable, "-m", "bot", "triage"], input="ada lowongan jadi penerjemah mandarin di myanmar, aman?\n",
        cwd=PROJECT_ROOT, capture_output=True, text=True, env=env, timeout=600,
    )
    assert proc.returncode == 0, proc.stderr
    row = json.loads(proc.stdout)
    assert row["nlu"] == "rasa" and row["intent"] == "check_job_offer", proc.stderr[-2000:]
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"http://127.0.0.1:{port}/status", timeout=2)


async def test_degraded_mode_and_recovery_through_dispatch(rasa_server: RasaServer, tmp_path: Path, sqlite_url: str) -> None:
    proxy = TcpProxy(urlparse(rasa_server.url).port or 0)
    await proxy.start()
    settings = make_settings(tmp_path, sqlite_url, NLU_URL=proxy.url, NLU_TOKEN=rasa_server.token)
    dialog = Dialog.open(settings)
    web = create_web_app(dialog.app, start_background=False)
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=web), base_url="http://bot")
    try:
        await dialog.say("halo")
        await dialog.press("Bahasa Indonesia")
        assert "Biaya" in texts(await dialog.say("berapa biaya penempatan ke hongkong?")) or dialog.last[0].buttons
        assert (await client.get("/readyz")).json()["nlu"] == "rasa"

        await proxy.stop()  # Rasa is unreachable now
        replies = await dialog.say("berapa biaya penempatan ke hongkong?")
        assert "sistem saya sedang terganggu" in texts(replies) and "Polisi: 110" in texts(replies)
        assert (await client.get("/readyz")).json()["nlu"] == "degraded"
        replies = await dialog.say("tolong sy disekap di rumah majikan")
        assert "diteruskan ke petugas" in texts(replies)
        await dialog.press("Kembali ke bot")

        await proxy.start()  # Rasa is back: the periodic re-check notices without any message
        dialog.app.understander.recheck_interval_s = 0
        await dialog.app.understander.recheck()
        assert (await client.get("/readyz")).json()["nlu"] == "rasa"
        replies = await dialog.say("syarat dokumen untuk kerja ke korea apa aja")
        assert "sistem saya sedang terganggu" not in texts(replies)
        assert replies[0].text.strip().endswith(("nasihat hukum.", "BP3MI.")) or "Sumber" in replies[0].text or len(replies[0].buttons) > 0
    finally:
        await client.aclose()
        await dialog.close()
        await proxy.stop()


def test_rasa_entities_are_normalised_and_reported_once() -> None:
    from bot.understanding.rasa import parse_response

    body = {
        "intent": {"name": "ask_destination_info", "confidence": 0.9},
        "intent_ranking": [{"name": "nlu_fallback", "confidence": 0.95}, {"name": "ask_destination_info", "confidence": 0.9}],
        "entities": [
            {"entity": "country", "value": "saudi arabia", "extractor": "DIETClassifier"},
            {"entity": "country", "value": "saudi arabia", "extractor": "RegexEntityExtractor"},
            {"entity": "agency", "value": "PT Maju  Jaya"},
        ],
    }
    parse = parse_response(body)
    assert parse.intent == "ask_destination_info"  # never nlu_fallback
    assert [(e.entity, e.value) for e in parse.entities] == [("country", "saudi_arabia"), ("agency", "PT Maju Jaya")]
