"""The recruiter registry: `python -m bot agencies import` and name lookup (bot/agencies.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from bot.cli import main
from bot.config import PROJECT_ROOT
from bot.recruitment import agencies
from bot.storage.db import create_db_engine, session_factory
from bot.storage.models import Agency, AgencyStatus

HEADER = "name,licence_number,address,status,source,updated_on\n"
GOOD = (
    HEADER
    + "PT Sinar Jaya Abadi,SIP3MI-001,Jl. Contoh 1,active,test list,2026-10-01\n"
    + "PT. Sinar Jaya Makmur,SIP3MI-002,,active,test list,2026-10-01\n"
    + "CV Borneo Karya Manunggal,SIP3MI-003,,suspended,test list,01/10/2026\n"
    + "PT Duta Sambas Utama,SIP3MI-004,,revoked,test list,\n"
    + "PT Khatulistiwa Mandiri Sejahtera,SIP3MI-005,,active,test list,2026-10-01\n"
)


@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, database_url: str) -> str:
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("TEMAN_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("APP_ENV", "test")
    return database_url


def write(tmp_path: Path, text: str, name: str = "agencies.csv", encoding: str = "utf-8") -> str:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return str(path)


def registry(database_url: str) -> list[Agency]:
    engine = create_db_engine(database_url)
    try:
        with session_factory(engine)() as session:
            return list(session.scalars(select(Agency).order_by(Agency.name)))
    finally:
        engine.dispose()


def test_import_loads_every_valid_row(cli_env: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["agencies", "import", write(tmp_path, GOOD)]) == 0
    assert "imported 5 agencies" in capsys.readouterr().out
    rows = {a.name: a for a in registry(cli_env)}
    assert rows["CV Borneo Karya Manunggal"].status is AgencyStatus.SUSPENDED
    assert rows["CV Borneo Karya Manunggal"].updated_on.isoformat() == "2026-10-01"  # type: ignore[union-attr]
    assert rows["PT. Sinar Jaya Makmur"].normalized_name == "sinar jaya makmur"


def test_bad_rows_are_reported_by_line_and_left_out(
    cli_env: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = (
        GOOD
        + "PT Tambahan Satu,SIP3MI-021,,active,test list,2026-10-01\n"  # line 7
        + "PT Tambahan Dua,SIP3MI-022,,active,test list,2026-10-01\n"  # line 8
        + "PT Baru Sekali,SIP3MI-006,,aktif,test list,2026-10-01\n"  # line 9: status in Indonesian
        + ",SIP3MI-007,,active,test list,2026-10-01\n"  # line 10: no name
        + "PT Tanpa Nomor,,,active,test list,2026-10-01\n"  # line 11: active without a licence number
        + "PT Tanggal Salah,SIP3MI-009,,revoked,test list,besok\n"  # line 12: not a date
        + "P.T. Sinar Jaya Abadi,SIP3MI-001,,active,test list,2026-10-01\n"  # line 13: same company as line 2
        + "PT Kolom Kurang,SIP3MI-011,active\n"  # line 14: too few fields
    )
    assert main(["agencies", "import", write(tmp_path, text)]) == 0
    captured = capsys.readouterr()
    assert "imported 7 agencies" in captured.out and "6 bad rows skipped" in captured.out
    errors = captured.err.splitlines()
    assert errors == [
        "line 9: status 'aktif' must be active, suspended or revoked",
        "line 10: the name is empty",
        "line 11: an active company needs its licence number",
        "line 12: updated_on 'besok' is not a date (use YYYY-MM-DD)",
        "line 13: 'P.T. Sinar Jaya Abadi' is already on line 2",
        "line 14: has 3 fields, the header has 6",
    ]
    assert len(registry(cli_env)) == 7


@pytest.mark.parametrize(
    ("content", "encoding", "sentence"),
    [
        ("", "utf-8", "the file is empty"),
        ("nama,nomor\nPT A,1\n", "utf-8", "the header must be name,licence_number,address,status,source,updated_on"),
        (HEADER + "PT Satu,,,aktif,,\nPT Dua,,,active,,\n", "utf-8", "has no valid rows (2 bad)"),
        (HEADER + "PT Ágil,S-1,,active,,\n", "latin-1", "is not UTF-8 text"),
        (HEADER + "PT A,1,,active,,\nPT B,,,aktif,,\nPT C,,,aktif,,\nPT D,,,aktif,,\n", "utf-8", "has 3 bad rows out of 4"),
    ],
)
def test_an_unusable_file_keeps_the_previous_list_and_exits_2_with_one_sentence(
    cli_env: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str, encoding: str, sentence: str
) -> None:
    assert main(["agencies", "import", write(tmp_path, GOOD)]) == 0
    capsys.readouterr()
    assert main(["agencies", "import", write(tmp_path, content, "bad.csv", encoding)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: ") and sentence in err[0]
    assert err[0].endswith("the previous list was kept.")
    assert len(registry(cli_env)) == 5


def test_a_missing_file_exits_2(cli_env: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["agencies", "import", str(tmp_path / "nope.csv")]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_semicolon_csv_from_a_spreadsheet_with_a_byte_order_mark(
    cli_env: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = "\ufeff" + GOOD.replace(",", ";")
    assert main(["agencies", "import", write(tmp_path, text)]) == 0
    assert len(registry(cli_env)) == 5


def test_a_new_import_replaces_the_whole_list(cli_env: str, tmp_path: Path) -> None:
    assert main(["agencies", "import", write(tmp_path, GOOD)]) == 0
    assert main(["agencies", "import", write(tmp_path, HEADER + "PT Lain Lagi,SIP3MI-100,,active,x,\n", "b.csv")]) == 0
    assert [a.name for a in registry(cli_env)] == ["PT Lain Lagi"]


def test_if_empty_imports_the_shipped_sample_only_once(
    cli_env: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sample = str(PROJECT_ROOT / "content" / "agencies.csv")
    assert main(["agencies", "import", sample, "--if-empty"]) == 0
    names = [a.name for a in registry(cli_env)]
    # The shipped file is sample data: every name says so, and so does every source.
    assert names and all(n.startswith("CONTOH ") for n in names)
    assert all("SAMPLE" in (a.source or "") for a in registry(cli_env))
    assert main(["agencies", "import", write(tmp_path, GOOD)]) == 0
    capsys.readouterr()
    assert main(["agencies", "import", sample, "--if-empty"]) == 0
    assert "already holds 5 agencies; nothing imported" in capsys.readouterr().out
    assert len(registry(cli_env)) == 5


# ------------------------------------------------------------------------------------ lookup
@pytest.fixture
def loaded(cli_env: str, tmp_path: Path):  # type: ignore[no-untyped-def]
    assert main(["agencies", "import", write(tmp_path, GOOD)]) == 0
    engine = create_db_engine(cli_env)
    session = session_factory(engine)()
    try:
        yield session
    finally:
        session.close()
        engine.dispose()


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("PT Sinar Jaya Abadi", "PT Sinar Jaya Abadi"),
        ("sinar jaya abadi", "PT Sinar Jaya Abadi"),
        ("P.T. SINAR-JAYA ABADI", "PT Sinar Jaya Abadi"),
        ("PT Sinar Jaya Abadi, Tbk.", "PT Sinar Jaya Abadi"),
        ("pt sinar jya abadi", "PT Sinar Jaya Abadi"),  # typo
        ("PT Sinar Jaya Abdi", "PT Sinar Jaya Abadi"),  # typo
        ("CV Borneo Karya Manunggal", "CV Borneo Karya Manunggal"),
        ("borneo karya manungal", "CV Borneo Karya Manunggal"),
        ("PT Khatulistiwa Mandiri Sejahtra", "PT Khatulistiwa Mandiri Sejahtera"),
        ("Duta Sambas Utama", "PT Duta Sambas Utama"),
    ],
)
def test_lookup_tolerates_legal_forms_punctuation_case_and_typos(loaded, query: str, expected: str) -> None:  # type: ignore[no-untyped-def]
    found = agencies.lookup(loaded, query)
    assert found.match is not None and found.match.name == expected


@pytest.mark.parametrize(
    ("query", "similar"),
    [
        # A different last word is a different company, however close.
        ("PT Sinar Jaya Sentosa", set()),
        # Part of registered names: offered as similar, never as the company itself.
        ("PT Sinar Jaya", {"PT Sinar Jaya Abadi", "PT. Sinar Jaya Makmur"}),
        ("PT Borneo Karya", {"CV Borneo Karya Manunggal"}),
        ("PT Maju Mundur Sejahtera", set()),
        ("PT Kapuas Raya", set()),
        ("CV", set()),
        ("Jaya", set()),
    ],
)
def test_lookup_does_not_take_a_different_company_for_a_registered_one(loaded, query: str, similar: set[str]) -> None:  # type: ignore[no-untyped-def]
    found = agencies.lookup(loaded, query)
    assert found.match is None
    assert {c.agency.name for c in found.similar} == similar


def test_names_in_a_question() -> None:
    assert agencies.names_in("PT Sinar Jaya Abadi resmi gk?") == ["PT Sinar Jaya Abadi"]
    assert agencies.names_in("agen pt duta sambas utama di entikong itu resmi kah") == ["PT duta sambas utama"]
    assert agencies.names_in("cek P.T. Maju-Jaya, itu legal?") == ["PT Maju-Jaya"]
    assert agencies.names_in("pt") == []
