"""Country values: what the NLU can give, what content and red flags know, and the Middle East ban.

The NLU's possible `country` values are read from its training data (synonyms, the lookup table
and annotated examples), so no model is needed; they pass through the bot's own normalisation
(bot.understanding.rasa.parse_response) exactly as a live Rasa answer would.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
import yaml

from bot.answers.library import Library
from bot.config import PROJECT_ROOT, load_settings
from bot.recruitment import red_flags
from bot.recruitment.red_flags import BAN_COUNTRIES, COUNTRY_GROUPS
from bot.understanding.rasa import parse_response
from tests.support import Dialog, texts

NLU_FILES = sorted((PROJECT_ROOT / "nlu" / "data").glob("*.yml")) + [PROJECT_ROOT / "nlu" / "tests" / "heldout.yml"]
# [text](country) or [text]{"entity": "country", "value": "..."}
_ANNOTATION = re.compile(r"\[([^\]]+)\](?:\(([^)]*)\)|(\{[^}]*\}))")

# Kepmenaker 260/2015: the 21 countries, with the names the ban answer must show in Bahasa Indonesia.
KEPMENAKER_260_2015 = {
    "algeria": "Aljazair", "saudi_arabia": "Arab Saudi", "bahrain": "Bahrain", "iraq": "Irak", "iran": "Iran",
    "kuwait": "Kuwait", "lebanon": "Lebanon", "libya": "Libya", "morocco": "Maroko", "mauritania": "Mauritania",
    "egypt": "Mesir", "oman": "Oman", "pakistan": "Pakistan", "palestine": "Palestina", "qatar": "Qatar",
    "south_sudan": "Sudan Selatan", "syria": "Suriah", "tunisia": "Tunisia",
    "united_arab_emirates": "Uni Emirat Arab", "yemen": "Yaman", "jordan": "Yordania",
}


def _bot_value(raw: str) -> str:
    """The value the bot works with for a `country` entity Rasa reports as `raw`."""
    parse = parse_response({"intent": {"name": "ask_destination_info", "confidence": 1.0},
                            "entities": [{"entity": "country", "value": raw}]})
    return parse.entities[0].value


def _nlu_blocks() -> list[dict[str, Any]]:
    return [block for path in NLU_FILES for block in yaml.safe_load(path.read_text(encoding="utf-8"))["nlu"]]


def _examples(block: dict[str, Any]) -> list[str]:
    return [line.strip()[2:].strip() for line in str(block.get("examples", "")).splitlines() if line.strip()]


def nlu_synonyms() -> dict[str, str]:
    """Text (lower case) -> the value Rasa's synonym mapper gives, from synonym blocks and annotations."""
    synonyms = {}
    for block in _nlu_blocks():
        if "synonym" in block:
            synonyms.update({text.lower(): str(block["synonym"]) for text in _examples(block)})
    for text, value in _annotated():
        if value is not None and value.lower() != text.lower():
            synonyms[text.lower()] = value
    return synonyms


def _annotated() -> list[tuple[str, str | None]]:
    """(text, explicit value or None) of every `country` annotation in the examples."""
    found = []
    for block in _nlu_blocks():
        if "intent" not in block:
            continue
        for example in _examples(block):
            for text, role, spec in _ANNOTATION.findall(example):
                if role == "country":
                    found.append((text, None))
                elif spec and json_value(spec, "entity") == "country":
                    found.append((text, json_value(spec, "value")))
    return found


def json_value(spec: str, key: str) -> str | None:
    match = re.search(rf'"{key}"\s*:\s*"([^"]*)"', spec)
    return match.group(1) if match else None


def nlu_country_values() -> dict[str, str]:
    """Every country value the NLU can give (as the bot sees it) -> one text that produces it."""
    synonyms = nlu_synonyms()
    texts_: list[str] = []
    for block in _nlu_blocks():
        if block.get("lookup") == "country":
            texts_ += _examples(block)
        if "synonym" in block:
            texts_ += _examples(block)
    texts_ += [text for text, _ in _annotated()]
    values = {}
    for text in texts_:
        values.setdefault(_bot_value(synonyms.get(text.lower(), text)), text)
    # An annotation's explicit value is what DIET reports for that span.
    for text, value in _annotated():
        if value is not None:
            values.setdefault(_bot_value(value), text)
    return values


@pytest.fixture(scope="module")
def shipped() -> Library:
    settings = load_settings(PROJECT_ROOT / "config.yml", environ={})
    return Library.load(settings.content_dir, settings.contacts)


def test_every_country_value_the_nlu_can_give_is_known_to_content_and_red_flags() -> None:
    values = nlu_country_values()
    unknown = {value: text for value, text in values.items() if value not in COUNTRY_GROUPS}
    assert unknown == {}, "the NLU can give these values, which bot/recruitment/red_flags.py does not know"
    # And the other way round: a country the bot knows but the NLU never gives is dead weight.
    assert set(COUNTRY_GROUPS) <= set(values)


def test_one_value_per_country_for_the_uae_and_its_cities() -> None:
    synonyms = nlu_synonyms()
    for text in ("uae", "uea", "uni emirat arab", "dubai", "abu dhabi", "emirates"):
        assert _bot_value(synonyms[text]) == "united_arab_emirates", text
    assert "uae" not in nlu_country_values()


def test_the_ban_list_is_the_21_countries_of_kepmenaker_260_2015(shipped: Library) -> None:
    assert BAN_COUNTRIES == set(KEPMENAKER_260_2015)
    assert {c for c, group in COUNTRY_GROUPS.items() if group == "middle_east"} == BAN_COUNTRIES
    ban = shipped.get("destination_middle_east_ban")
    assert ban is not None and set(ban.entities["country"]) == BAN_COUNTRIES
    first = shipped.render(ban, "id", 0).text
    for country, name in KEPMENAKER_260_2015.items():
        assert name in first, name
        found = shipped.find("ask_destination_info", {"country": country})
        assert found is not None and found.id == "destination_middle_east_ban", country
    assert "sektor formal" in first and "Kepmenaker 260/2015" in shipped.render(ban, "id", len(ban.parts) - 1).text
    assert set(nlu_country_values()) >= BAN_COUNTRIES  # the NLU can name every one of them


@pytest.mark.parametrize(
    "place",
    ["Aljazair", "Arab Saudi", "Bahrain", "Irak", "Iran", "Kuwait", "Lebanon", "Libya", "Maroko", "Mauritania",
     "Mesir", "Oman", "Pakistan", "Palestina", "Qatar", "Sudan Selatan", "Suriah", "Tunisia", "Uni Emirat Arab",
     "Dubai", "Abu Dhabi", "Yaman", "Yordania"],
)
def test_household_work_in_each_ban_country_raises_the_ban(place: str) -> None:
    found = red_flags.scan(f"Dicari PRT untuk majikan di {place}, berangkat bulan depan")
    assert found.answers["destination"] == "middle_east" and found.answers["job"] == "household"
    assert [f.code for f in red_flags.at_once(found.answers)] == ["middle_east_household"]


def test_sudan_alone_and_turkey_are_not_in_the_ban() -> None:
    assert red_flags.destination_of("kerja di Turki") == "other"
    assert red_flags.destination_of("kerja di Sudan") is None
    assert red_flags.destination_of("kerja di sana", "sudan") == "other"


# --- said at once, through the real dialog -----------------------------------------------------


async def test_the_ban_is_said_as_soon_as_destination_and_household_work_are_known(dialog: Dialog) -> None:
    await dialog.say("/cek")
    for label in ("Perusahaan", "Tidak", "Visa kerja", "Timur Tengah"):
        replies = await dialog.press(label)
    assert "PENTING" not in texts(replies)  # the destination alone says nothing yet
    replies = await dialog.press("Rumah tangga")
    warning, question = replies[0].text, replies[-1].text
    assert warning.startswith("PENTING, sebelum lanjut:")
    assert "Pekerja rumah tangga ke Timur Tengah atau Afrika Utara" in warning and "(Kepmenaker 260/2015)" in warning
    assert "perjanjian kerja" in question  # the check goes on
    replies = await dialog.press("Sudah ada")
    assert "PENTING" not in texts(replies)  # said once


async def test_a_pasted_advert_for_a_housemaid_in_egypt_hears_the_ban_in_the_first_reply(dialog: Dialog) -> None:
    await dialog.say("/cek")
    replies = await dialog.say("ada lowongan jadi pembantu rumah tangga di Mesir, gaji 6 juta, berangkat lewat PT")
    first = replies[0].text
    assert "Dari teks Anda saya menangkap:" in first
    assert "PENTING, sebelum lanjut:" in first and "Kepmenaker 260/2015" in first
