"""Typed commands in triage, and Rasa's "/intent" shortcut never leaking a name outside the catalogue."""

from __future__ import annotations

from pathlib import Path

from bot.understanding.intents import NAMES
from bot.understanding.rasa import parse_response
from tests.support import RasaServer
from tests.test_nlu import triage


def test_typed_commands_route_like_live_messages_and_slash_words_are_not_intents(
    rasa_server: RasaServer, tmp_path: Path
) -> None:
    rows = triage(
        ["/status KB-2026-000007", "/menu", "/cek", "/menu_utama_dong"],
        {"NLU_URL": rasa_server.url, "NLU_TOKEN": rasa_server.token, "TEMAN_VAR_DIR": str(tmp_path)},
    )
    status, menu, check, unknown = rows
    assert (status["intent"], status["route"]) == ("check_case_status", "flow:case_status")
    assert {"entity": "case_id", "value": "KB-2026-000007"}.items() <= status["entities"][0].items()
    assert (menu["intent"], menu["route"]) == ("ask_menu", "smalltalk")
    assert (check["intent"], check["route"]) == ("check_job_offer", "flow:job_offer")
    # Rasa would answer "intent menu_utama_dong, confidence 1.0" for the slash alone.
    assert unknown["intent"] in NAMES and unknown["confidence"] < 1.0
    assert all(row["nlu"] == "rasa" for row in rows)


def test_parse_response_keeps_only_catalogue_intents() -> None:
    parse = parse_response({
        "intent": {"name": "menu", "confidence": 1.0},
        "intent_ranking": [{"name": "menu", "confidence": 1.0}, {"name": "ask_costs", "confidence": 0.2}],
        "entities": [],
    })
    assert (parse.intent, parse.ranking) == ("ask_costs", (("ask_costs", 0.2),))
