"""The content library: the shipped answers, rendering for a phone, and `content check`."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot import yaml_text
from bot.answers.check import MAX_PART_CHARS, MAX_SEE_ALSO, check_directory
from bot.answers.library import (
    INFORMATIONAL_INTENTS,
    ContentError,
    Library,
    Problem,
)
from bot.recruitment.red_flags import COUNTRY_GROUPS

CONTENT_DIR = Path(__file__).resolve().parent.parent / "content" / "answers"


@pytest.fixture
def contacts() -> dict[str, dict[str, Any]]:
    """The contacts section of config.yml: the checked numbers, placeholders unset."""
    return {
        "police": {"label": {"id": "Polisi", "en": "Police"}, "value": "110", "source": "Polri"},
        "emergency_112": {
            "label": {
                "id": "Panggilan darurat 112 (gratis; belum aktif di semua daerah)",
                "en": "Emergency 112 (free; not active in every district)",
            },
            "value": "112",
        },
        "sapa_129": {
            "label": {"id": "SAPA 129 (KemenPPPA)", "en": "SAPA 129 (Women's Empowerment Ministry)"},
            "value": "telepon 129 / WhatsApp 08111-129-129",
        },
        "kp2mi_call_centre": {
            "label": {"id": "Call centre KP2MI", "en": "KP2MI call centre"},
            "value": "0800-1000 (bebas pulsa di Indonesia); +62 21 2924 4800 dari luar negeri",
        },
        "kanwil_hotline": {"label": {"id": "Hotline Kanwil", "en": "Kanwil hotline"}, "value": None},
        "bp3mi_kalbar": {"label": {"id": "BP3MI Kalbar", "en": "BP3MI West Kalimantan"}, "value": None},
        "kemlu_hotline": {"label": {"id": "Hotline Kemlu", "en": "Kemlu hotline"}, "value": None},
        "kp2mi_whatsapp": {"label": {"id": "WhatsApp KP2MI", "en": "KP2MI WhatsApp"}, "value": None},
        "legal_aid_queue": {
            "label": {"id": "Layanan bantuan hukum", "en": "Legal-aid service"},
            "value": None,
        },
        "malaysia_emergency_999": {
            "label": {"id": "Darurat di Malaysia", "en": "Emergency in Malaysia"},
            "value": "999",
        },
        "kjri_kuching": {"label": {"id": "KJRI Kuching", "en": "Consulate in Kuching"}, "value": None},
        "lpsk": {"label": {"id": "LPSK", "en": "LPSK"}, "value": None},
    }


@pytest.fixture
def shipped(contacts: dict[str, dict[str, Any]]) -> Library:
    return Library.load(CONTENT_DIR, contacts)


def make_item(item_id: str = "test_item", **overrides: Any) -> dict[str, Any]:
    item: dict[str, Any] = {
        "id": item_id,
        "intents": ["ask_costs"],
        "title": {"id": "Judul uji", "en": "Test title"},
        "parts": [{"id": "Teks bagian satu.", "en": "Part one text."}],
        "sources": ["UU 18/2017 Pasal 30"],
        "contacts": [],
        "legal_note": True,
        "reviewed": "2026-01-15",
    }
    item.update(overrides)
    return item


def write_items(directory: Path, name: str, *items: dict[str, Any]) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    path.write_text(
        yaml.safe_dump({"items": list(items)}, allow_unicode=True, sort_keys=False), encoding="utf-8"
    )
    return path


# --- the shipped content -----------------------------------------------------------------------


def test_shipped_content_passes_check(contacts: dict[str, dict[str, Any]]) -> None:
    problems = check_directory(CONTENT_DIR, contacts, COUNTRY_GROUPS)
    assert problems == [], "\n".join(str(p) for p in problems)


@pytest.mark.parametrize("intent", INFORMATIONAL_INTENTS)
def test_every_informational_intent_answers_in_both_languages(shipped: Library, intent: str) -> None:
    item = shipped.find(intent)
    assert item is not None, f"no answer for {intent}"
    last_lines = {}
    for lang in ("id", "en"):
        texts = [shipped.render(item, lang, n).text for n in range(len(item.parts))]
        assert all(len(text) <= MAX_PART_CHARS for text in texts)
        last_lines[lang] = texts[-1].splitlines()
    assert any(line.startswith("Sumber: ") for line in last_lines["id"])
    assert any(line.startswith("Source: ") for line in last_lines["en"])
    # Both languages are written, not one copied into the other.
    assert shipped.render(item, "id").text != shipped.render(item, "en").text


GENERAL_ANSWERS = {
    "ask_procedure": "procedure_legal_steps",
    "ask_documents": "documents_requirements",
    "ask_costs": "costs_zero_placement",
    "ask_visa": "visa_work_not_tourist",
    "ask_scam_signs": "scam_signs_red_flags",
    "ask_destination_info": "destination_general",
    "ask_worker_rights": "worker_rights_general",
    "ask_legal_aid": "legal_aid_free",
    "ask_victim_rights": "victim_rights_tppo",
    "ask_contacts": "contacts_all",
    "check_agency": "check_agency_how",
    "report_trafficking": "report_trafficking_how",
    "report_missing_person": "report_missing_person_how",
    "report_work_problem": "work_problem_general",
}


def test_each_intent_gets_its_main_answer(shipped: Library) -> None:
    # Items are read in file-name order, so a stray intent in an earlier file would win.
    assert set(GENERAL_ANSWERS) == set(INFORMATIONAL_INTENTS)
    chosen = {intent: getattr(shipped.find(intent), "id", None) for intent in INFORMATIONAL_INTENTS}
    assert chosen == GENERAL_ANSWERS


def test_shipped_contact_lines_show_verified_numbers_and_hide_placeholders(shipped: Library) -> None:
    item = shipped.find("ask_contacts")
    assert item is not None
    text = "\n".join(shipped.render(item, "id", n).text for n in range(len(item.parts)))
    assert "Polisi: 110" in text
    assert "SAPA 129 (KemenPPPA): telepon 129 / WhatsApp 08111-129-129" in text
    for unset_label in (
        "Hotline Kanwil",
        "BP3MI Kalbar:",
        "Hotline Kemlu",
        "WhatsApp KP2MI",
        "Layanan bantuan hukum",
    ):
        assert unset_label not in text
    assert "{" not in text


def test_answers_that_may_change_say_where_to_confirm(shipped: Library) -> None:
    costs = shipped.find("ask_costs")
    assert costs is not None
    last = shipped.render(costs, "id", len(costs.parts) - 1).text
    assert "Aturan bisa berubah; pastikan di BP3MI." in last
    assert "Permen P2MI 17/2025" in last


# --- find() ------------------------------------------------------------------------------------


def test_find_prefers_the_country_specific_item(shipped: Library) -> None:
    general = shipped.find("ask_destination_info")
    assert general is not None and general.id == "destination_general"
    saudi = shipped.find("ask_destination_info", {"country": "saudi_arabia"})
    assert saudi is not None and saudi.id == "destination_middle_east_ban"
    cambodia = shipped.find("ask_destination_info", {"country": "cambodia"})
    assert cambodia is not None and cambodia.id == "scam_signs_online_scam"
    assert shipped.find("ask_destination_info", {"country": "Saudi Arabia"}) == saudi


def test_find_falls_back_to_the_general_item_for_other_countries(shipped: Library) -> None:
    japan = shipped.find("ask_destination_info", {"country": "japan"})
    assert japan is not None and japan.id == "destination_general"
    # The general answer says it has no rules for that country, in both languages.
    assert "belum punya aturan khusus" in shipped.render(japan, "id").text
    assert "no country-specific rules" in shipped.render(japan, "en").text


def test_find_ranks_by_number_of_matching_filters(
    tmp_path: Path, contacts: dict[str, dict[str, Any]]
) -> None:
    write_items(
        tmp_path,
        "a.yml",
        make_item("general_costs"),
        make_item("malaysia_costs", entities={"country": ["malaysia"]}),
        make_item("malaysia_agency_costs", entities={"country": ["malaysia"], "agency": ["pt_contoh"]}),
    )
    library = Library.load(tmp_path, contacts)

    def chosen(entities: dict[str, str]) -> str | None:
        item = library.find("ask_costs", entities)
        return item.id if item else None

    assert chosen({"country": "malaysia", "agency": "pt_contoh"}) == "malaysia_agency_costs"
    assert chosen({"country": "malaysia", "agency": "other"}) == "malaysia_costs"
    assert chosen({"country": "taiwan"}) == "general_costs"
    assert library.find("ask_visa") is None


# --- render() ----------------------------------------------------------------------------------


def test_render_splits_a_multi_part_item_and_ends_with_source_and_notes(
    tmp_path: Path, contacts: dict[str, dict[str, Any]]
) -> None:
    write_items(
        tmp_path,
        "a.yml",
        make_item(
            parts=[
                {"id": "Bagian pertama.", "en": "First part."},
                {"id": "Bagian kedua.", "en": "Second part."},
            ],
            sources=["UU 18/2017 Pasal 30", "Perban BP2MI 9/2020"],
            confirm_at="BP3MI",
        ),
    )
    library = Library.load(tmp_path, contacts)
    item = library.get("test_item")
    assert item is not None

    first = library.render(item, "id", 0)
    assert (first.text, first.part, first.total, first.has_more) == ("Bagian pertama.", 0, 2, True)

    last = library.render(item, "id", 1)
    assert (last.part, last.total, last.has_more) == (1, 2, False)
    assert last.text == (
        "Bagian kedua.\n\n"
        "Aturan bisa berubah; pastikan di BP3MI.\n"
        "Sumber: UU 18/2017 Pasal 30; Perban BP2MI 9/2020\n"
        "Informasi umum, bukan nasihat hukum."
    )
    assert library.render(item, "en", 1).text.endswith(
        "Source: UU 18/2017 Pasal 30; Perban BP2MI 9/2020\nGeneral information, not legal advice."
    )
    with pytest.raises(IndexError):
        library.render(item, "id", 2)
    with pytest.raises(ValueError):
        library.render(item, "ms", 0)


def test_render_without_legal_note_ends_with_the_source(
    tmp_path: Path, contacts: dict[str, dict[str, Any]]
) -> None:
    write_items(tmp_path, "a.yml", make_item(legal_note=False))
    library = Library.load(tmp_path, contacts)
    item = library.get("test_item")
    assert item is not None
    assert library.render(item, "en").text == "Part one text.\n\nSource: UU 18/2017 Pasal 30"


def test_placeholder_line_is_omitted_while_the_contact_is_unset(
    tmp_path: Path, contacts: dict[str, dict[str, Any]]
) -> None:
    write_items(
        tmp_path,
        "a.yml",
        make_item(
            parts=[{"id": "Hubungi:\n{kanwil_hotline}\n{police}", "en": "Call:\n{kanwil_hotline}\n{police}"}],
            contacts=["kanwil_hotline", "police"],
            legal_note=False,
        ),
    )
    item_dir = tmp_path

    unset = Library.load(item_dir, contacts)
    item = unset.get("test_item")
    assert item is not None
    text = unset.render(item, "id").text
    assert text.splitlines()[:2] == ["Hubungi:", "Polisi: 110"]
    assert "Hotline Kanwil" not in text and "None" not in text

    contacts["kanwil_hotline"]["value"] = "000-TEST"
    filled = Library.load(item_dir, contacts)
    item = filled.get("test_item")
    assert item is not None
    assert filled.render(item, "id").text.splitlines()[:3] == [
        "Hubungi:",
        "Hotline Kanwil: 000-TEST",
        "Polisi: 110",
    ]
    assert filled.render(item, "en").text.splitlines()[:3] == [
        "Call:",
        "Kanwil hotline: 000-TEST",
        "Police: 110",
    ]


# --- check(): each kind of broken file ---------------------------------------------------------


@pytest.fixture
def content_copy(tmp_path: Path) -> Path:
    """A copy of the shipped content, so one broken file is the only thing wrong."""
    directory = tmp_path / "answers"
    shutil.copytree(CONTENT_DIR, directory)
    return directory


def broken(item_id: str = "test_item", **overrides: Any) -> dict[str, Any]:
    """A test item that answers only for a country no shipped costs item names, so none hides it."""
    return make_item(item_id, **{"entities": {"country": ["poland"]}, **overrides})


BROKEN_ITEMS = {
    "missing_en_text": (broken(parts=[{"id": "Hanya bahasa Indonesia."}]), "part 1 has no 'en' text"),
    "no_sources": (broken(sources=[]), "'sources' must list at least one source"),
    "unknown_contact_key": (
        broken(parts=[{"id": "{polisi_lokal}", "en": "{polisi_lokal}"}], contacts=["polisi_lokal"]),
        "unknown contact key 'polisi_lokal'",
    ),
    "over_long_part": (
        broken(parts=[{"id": "Kata " * 150, "en": "Short."}]),
        # 749 characters of text plus the 66-character source and legal-note lines.
        f"part 1 (id) is 815 characters after rendering (with contact numbers and the source line); "
        f"the limit is {MAX_PART_CHARS}",
    ),
    "invented_phone_number": (
        broken(parts=[{"id": "Hubungi 0812-3456-7890.", "en": "Call the recruiter's office."}]),
        "part 1 (id) contains '0812-3456-7890', which looks like a phone number",
    ),
    "invented_short_code": (
        broken(parts=[{"id": "Silakan bertanya.", "en": "Call 119 now."}]),
        "part 1 (en) contains '119', which looks like a phone number",
    ),
    "unverified_web_address": (
        broken(parts=[{"id": "Lihat lowongan.example.com", "en": "See the job list."}]),
        "part 1 (id) contains the web address 'lowongan.example.com', which is not verified",
    ),
    "duplicate_id": (broken("costs_zero_placement"), "the id is also used in costs.yml; ids must be unique"),
    "unknown_intent": (broken(intents=["ask_cost"]), "unknown intent 'ask_cost'"),
    "missing_reviewed_date": (broken(reviewed=None), "'reviewed' must be the date of the last review"),
    # The NLU gives united_arab_emirates for UAE / Dubai: a filter on "uae" would never match.
    "unknown_country": (broken(entities={"country": ["uae"]}), "unknown country 'uae'"),
    "numbered_list": (
        broken(parts=[{"id": "Langkah:\n1. Daftar.\n2. Berangkat.", "en": "Steps:\n• Register.\n• Leave."}]),
        "part 1 (id) has a numbered list; start the lines with '•' instead",
    ),
    "old_task_force_name": (
        broken(parts=[{"id": "Satgas TPPO Kalbar menyebut modus ini.", "en": "The task force named it."}]),
        "part 1 (id): the West Kalimantan task force is the Gugus Tugas (GT-PP TPPO Provinsi Kalimantan Barat)",
    ),
    "old_ministry_name": (
        broken(parts=[{"id": "Tanyakan ke KP2MI.", "en": "Ask BP2MI."}]),
        "part 1 (en): BP2MI is now KP2MI",
    ),
    "trafficking_penalty_without_the_new_kuhp": (
        broken(
            parts=[{"id": "Pelaku diancam penjara 3 sampai 15 tahun.", "en": "Traffickers face a long sentence."}],
            sources=["UU 21/2007 Pasal 2"],
        ),
        "the id text quotes a prison term and cites UU 21/2007 but does not say that the new KUHP",
    ),
    "too_many_related_answers": (
        broken(see_also=["costs_zero_placement", "visa_work_not_tourist", "legal_aid_free", "contacts_all"]),
        f"see_also lists 4 items, but only the first {MAX_SEE_ALSO} are offered as buttons",
    ),
}


@pytest.mark.parametrize("case", sorted(BROKEN_ITEMS))
def test_check_reports_a_broken_item(
    case: str, content_copy: Path, contacts: dict[str, dict[str, Any]]
) -> None:
    item, expected = BROKEN_ITEMS[case]
    write_items(content_copy, "zz_broken.yml", item)

    problems = check_directory(content_copy, contacts, COUNTRY_GROUPS)

    assert len(problems) == 1, "\n".join(str(p) for p in problems)
    problem = problems[0]
    assert (problem.file, problem.item_id) == ("zz_broken.yml", item["id"])
    assert expected in problem.message


def test_check_reports_bad_yaml_and_load_refuses_it(
    content_copy: Path, contacts: dict[str, dict[str, Any]]
) -> None:
    (content_copy / "zz_broken.yml").write_text(
        'items:\n  - id: broken\n    title: {id: "Judul", en: "Title"\n    parts: []\n', encoding="utf-8"
    )

    problems = check_directory(content_copy, contacts, COUNTRY_GROUPS)

    assert len(problems) == 1
    assert problems[0].file == "zz_broken.yml" and problems[0].item_id is None
    assert problems[0].message.startswith("cannot read the file near line")
    with pytest.raises(ContentError) as raised:
        Library.load(content_copy, contacts)
    assert raised.value.problems == tuple(problems)
    assert "zz_broken.yml: cannot read the file" in str(raised.value)


def test_a_broken_shipped_file_is_reported_once_not_as_every_link_to_it(
    content_copy: Path, contacts: dict[str, dict[str, Any]]
) -> None:
    costs = content_copy / "costs.yml"
    costs.write_text(
        costs.read_text(encoding="utf-8").replace("    sources:", "   sources:"), encoding="utf-8"
    )

    problems = check_directory(content_copy, contacts, COUNTRY_GROUPS)

    assert [(p.file, p.item_id) for p in problems] == [("costs.yml", None)]
    assert problems[0].message.startswith("cannot read the file near line")


def test_check_reports_an_intent_left_without_an_answer(
    content_copy: Path, contacts: dict[str, dict[str, Any]]
) -> None:
    (content_copy / "visa.yml").unlink()
    # The visa item was linked from other items; those links break too.
    problems = check_directory(content_copy, contacts, COUNTRY_GROUPS)
    assert (
        Problem("(all files)", None, "no general item (without 'entities') answers the intent 'ask_visa'")
        in problems
    )
    assert {p.message for p in problems if p.item_id} == {
        "see_also names 'visa_work_not_tourist', but no item has that id"
    }


def test_check_reports_an_item_nobody_can_reach(
    content_copy: Path, contacts: dict[str, dict[str, Any]]
) -> None:
    write_items(content_copy, "zz_extra.yml", make_item("second_costs_answer"))

    problems = check_directory(content_copy, contacts, COUNTRY_GROUPS)

    assert [(p.item_id, "can never be shown" in p.message) for p in problems] == [
        ("second_costs_answer", True)
    ]


def test_check_accepts_numbers_that_are_configured_contacts(
    content_copy: Path, contacts: dict[str, dict[str, Any]]
) -> None:
    text = "Telepon 129 atau WA 08111-129-129. Biaya Rp 15.000.000.000. Info: kp2mi.go.id"
    write_items(content_copy, "zz_numbers.yml", broken("numbers_in_text", parts=[{"id": text, "en": text}]))

    assert check_directory(content_copy, contacts, COUNTRY_GROUPS) == []


def test_shipped_content_passes_check_with_the_shipped_config() -> None:
    # The production path: contacts come from config.yml through the settings loader.
    from bot.config import load_settings

    settings = load_settings(CONTENT_DIR.parent.parent / "config.yml", environ={})
    problems = check_directory(settings.content_dir, settings.contacts, COUNTRY_GROUPS)
    assert problems == [], "\n".join(str(p) for p in problems)


def test_the_cli_content_check_passes_on_the_shipped_content_and_names_unset_placeholders(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from bot.cli import main

    assert main(["content", "check"]) == 0
    out, err = capsys.readouterr()
    assert "content check passed." in out
    assert "contact placeholders not set yet" in err and "kjri_kuching" in err and "lpsk" in err


def _bot_yaml_files() -> list[Path]:
    """Every YAML file the bot itself reads: the answer library, its texts, config.yml."""
    root = CONTENT_DIR.parent.parent
    return sorted({*root.joinpath("content").rglob("*.yml"), root / "config.yml"})


def test_libyaml_reads_every_file_the_bot_reads_as_pyyaml_does() -> None:
    # bot.yaml_text parses with libyaml when PyYAML has it (PyYAML's wheels do): ten times faster,
    # and it must read the same data as PyYAML's own parser, file for file.
    assert yaml_text.SAFE_LOADER is yaml.CSafeLoader
    files = _bot_yaml_files()
    assert len(files) > 10
    for path in files:
        source = path.read_text(encoding="utf-8")
        assert yaml_text.safe_load(source) == yaml.load(source, Loader=yaml.SafeLoader), path


def test_libyaml_names_the_line_of_a_fault_as_pyyaml_does() -> None:
    broken = 'items:\n  - id: broken\n    title: {id: "Judul", en: "Title"\n    parts: []\n'
    with pytest.raises(yaml.YAMLError) as fast:
        yaml_text.safe_load(broken)
    with pytest.raises(yaml.YAMLError) as plain:
        yaml.load(broken, Loader=yaml.SafeLoader)
    assert fast.value.problem_mark.line == plain.value.problem_mark.line == 3  # type: ignore[attr-defined]
