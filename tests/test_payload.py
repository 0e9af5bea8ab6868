"""Button payloads: the wire strings stored in sent buttons parse to the same typed values."""

from __future__ import annotations

import pytest

from bot.chat.payload import (
    BACK,
    AskIntent,
    ChooseLanguage,
    Command,
    FlowAnswer,
    MediaSent,
    ShowAnswer,
    numbered_choice,
    parse,
    typed_command,
)


@pytest.mark.parametrize(
    ("wire", "typed"),
    [
        ("intent:check_job_offer", AskIntent("check_job_offer")),
        ("answer:costs_general:2", ShowAnswer("costs_general", 2)),
        ("flow:job_offer:salary=high", FlowAnswer("job_offer", "high", "salary")),
        ("flow:erase:yes", FlowAnswer("erase", "yes")),
        (f"flow:missing_person:{BACK}", FlowAnswer("missing_person", BACK)),
        ("flow:language", FlowAnswer("language")),
        ("lang:en", ChooseLanguage("en")),
        ("cmd:end_staff", Command("end_staff")),
        ("media:photo", MediaSent("photo")),
    ],
)
def test_wire_forms_parse_and_encode_back(wire: str, typed: object) -> None:
    assert parse(wire) == typed
    assert str(typed) == wire


@pytest.mark.parametrize("data", ["", "nonsense", "intent:", "h:abc123", "flow:"])
def test_unknown_data_is_none(data: str) -> None:
    assert parse(data) is None


def test_typed_commands_with_and_without_bot_name() -> None:
    assert typed_command("/menu@TemanMigranBot") == Command("menu")
    assert typed_command("/status KB-2026-000001") == AskIntent("check_case_status")
    assert typed_command("/unknown") is None
    assert typed_command("menu") is None


def test_numbered_choices() -> None:
    assert numbered_choice(" 2. ") == 1
    assert numbered_choice("10)") == 9
    assert numbered_choice("2 anak") is None
