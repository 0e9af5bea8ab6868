"""The recruiter registry: import the CSV staff maintain, and look a company up by name.

The registry is a plain CSV (CONTRACTS §6) because the Sisko P2MI export format is unknown
(FACTS §9): `name,licence_number,address,status,source,updated_on`, status active / suspended /
revoked. `python -m bot agencies import FILE` replaces the whole list in one transaction, and
only when the file is usable; otherwise the previous list stays. `--if-empty` imports only into
an empty table: that is how the shipped sample (content/agencies.csv, every name starting with
"CONTOH") gets into a fresh database without ever overwriting a list staff imported.

Lookup tolerates "PT"/"CV", punctuation, case and typos (rapidfuzz). Only a near-identical name is
reported as that company; a merely similar one is offered as "a similar name", because fake
recruiters like to borrow the names of licensed ones.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from rapidfuzz import fuzz
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from bot.storage.models import Agency, AgencyStatus
from bot.understanding.normalise import plain_words

COLUMNS = ("name", "licence_number", "address", "status", "source", "updated_on")
# Legal-form words that say nothing about which company it is.
_LEGAL_FORMS = frozenset(
    "pt cv p t c v tbk persero perseroan terbatas ud fa firma koperasi yayasan sdn bhd ltd co inc".split()
)
# Above these rapidfuzz scores (0-100) on the normalised names:
# EXACT_SCORE: the same company written with a typo or two ("sinar jaya abadi" / "sinar jya abadi": 97;
# "khatulistiwa mandiri sejahtra" / "...sejahtera": 98). Names are short, so one changed word already
# drops well below it ("sinar jaya abadi" / "sinar jaya makmur": 73) and is never taken for it.
EXACT_SCORE = 90
# SIMILAR_SCORE: worth showing as "a similar name on the list"; the person compares it themselves.
# A query that is part of a name scores 85 ("sinar jaya" in "sinar jaya abadi"); unrelated names that
# share a common word stay below ("maju mundur sejahtera" / "khatulistiwa mandiri sejahtera": 67).
SIMILAR_SCORE = 75
# Queries shorter than this (after normalising) are only matched exactly: "abc" is not "abd".
MIN_FUZZY_LENGTH = 5
MAX_SIMILAR = 3
# More bad rows than this share of all rows makes the file unusable (it is probably the wrong file
# or a broken export), so a 300-row list is never replaced by the 10 rows that happened to parse.
MAX_BAD_SHARE = 0.5


def normalise_name(name: str) -> str:
    """'PT. Sinar-Jaya  Abadi, Tbk' -> 'sinar jaya abadi'."""
    words = plain_words(name).split()
    # "P.T." becomes "p t": drop legal forms, including spelled-out single letters before the name.
    kept = [w for w in words if w not in _LEGAL_FORMS]
    return " ".join(kept) if kept else " ".join(words)


# Words that end a company name inside a question ("PT Maju Jaya resmi gk?").
_NAME_STOP = frozenset(
    "resmi legal ilegal terdaftar punya ada itu ini apakah apa gk gak ga tidak nggak kah ya yg yang "
    "izin ijin sip3mi licensed legit official registered is in di ke untuk buat masih sudah udah dicabut "
    "aman benar betul bukan kak min bang dong sih atau and or the a".split()
)
_NAME_START = re.compile(r"(?i)(?<![a-z])(pt|cv|p\.t\.?|c\.v\.?)\.?\s+")


def names_in(text: str) -> list[str]:
    """Company names a message may hold, best guess first: 'PT x y z' up to a stop word."""
    found = []
    for m in _NAME_START.finditer(text):
        words = []
        for word in re.split(r"\s+", text[m.end():].strip()):
            bare = re.sub(r"[^\w&'-]", "", word)
            if not bare or bare.lower() in _NAME_STOP or len(words) >= 6:
                break
            words.append(bare)
            if re.search(r"[?!,;:]$", word):
                break
        if words:
            found.append(f"{m.group(1).replace('.', '').upper()} {' '.join(words)}")
    return found


def lookup_any(session: Session, candidates: Iterable[str | None]) -> Lookup:
    """Look up each candidate name; the first found wins, else the one with similar names."""
    results = [lookup(session, c) for c in dict.fromkeys(c.strip() for c in candidates if c and c.strip())]
    results = [r for r in results if normalise_name(r.query)]
    if not results:
        return Lookup("", None)
    return next((r for r in results if r.found), None) or next((r for r in results if r.similar), results[0])


# ------------------------------------------------------------------------------------ lookup
@dataclass(frozen=True)
class Candidate:
    agency: Agency
    score: float


@dataclass(frozen=True)
class Lookup:
    query: str
    match: Agency | None  # the registered company this name is (exact or a small typo)
    similar: tuple[Candidate, ...] = ()  # other names close enough to show

    @property
    def found(self) -> bool:
        return self.match is not None


def _score(query: str, name: str) -> float:
    # ratio catches typos; token_sort_ratio catches word order ("jaya sinar abadi").
    return max(fuzz.ratio(query, name), fuzz.token_sort_ratio(query, name))


def _similarity(query: str, name: str) -> float:
    # A shorter query that is part of the name ("sinar jaya" in "sinar jaya abadi") is similar,
    # never the same company.
    partial = fuzz.token_set_ratio(query, name) * 0.85 if len(query.split()) >= 2 else 0.0
    return max(_score(query, name), partial)


def lookup(session: Session, name: str) -> Lookup:
    """Find `name` in the registry: the company itself, or similar names."""
    query = normalise_name(name)
    if not query:
        return Lookup(name, None)
    agencies = list(session.scalars(select(Agency)))
    exact = [a for a in agencies if a.normalized_name == query]
    if exact:
        return Lookup(name, _most_recent(exact))
    fuzzy = len(query.replace(" ", "")) >= MIN_FUZZY_LENGTH
    scored = sorted(
        ((_score(query, a.normalized_name), a) for a in agencies) if fuzzy else (),
        key=lambda pair: -pair[0],
    )
    if scored and scored[0][0] >= EXACT_SCORE:
        best = scored[0]
        # Two registered names equally close to a typo: do not guess between them.
        rivals = [a for s, a in scored[1:] if s >= best[0] - 2 and a.normalized_name != best[1].normalized_name]
        if not rivals:
            return Lookup(name, best[1])
    similar = sorted(
        (Candidate(a, _similarity(query, a.normalized_name)) for a in agencies) if fuzzy else (),
        key=lambda c: -c.score,
    )
    return Lookup(name, None, tuple(c for c in similar if c.score >= SIMILAR_SCORE)[:MAX_SIMILAR])


def _most_recent(agencies: Sequence[Agency]) -> Agency:
    return max(agencies, key=lambda a: (a.updated_on or date.min, a.id))


def count(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(Agency)) or 0)


# ------------------------------------------------------------------------------------ import
class RegistryFileError(Exception):
    """The file cannot be used at all; the previous list stays. One sentence."""


@dataclass(frozen=True)
class AgencyRow:
    line: int
    name: str
    normalized_name: str
    licence_number: str | None
    address: str | None
    status: AgencyStatus
    source: str | None
    updated_on: date | None


@dataclass
class ParseResult:
    rows: list[AgencyRow] = field(default_factory=list)
    problems: list[tuple[int, str]] = field(default_factory=list)  # (line, what is wrong)
    ignored_columns: tuple[str, ...] = ()


def _parse_date(raw: str) -> date:
    for fmt in ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y"):
        try:
            return datetime.strptime(raw, fmt).date()
        except ValueError:
            continue
    raise ValueError(raw)


def parse_csv(text: str) -> ParseResult:
    """Validate every row; a bad row is reported by its line number and left out."""
    lines = text.splitlines()
    first = next((ln for ln in lines if ln.strip()), "")
    if not first:
        raise RegistryFileError("the file is empty")
    # Spreadsheets set to Indonesian save CSV with semicolons.
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header: list[str] | None = None
    result = ParseResult()
    seen: dict[str, int] = {}
    for raw in reader:
        line = reader.line_num
        if header is None:
            if not any(cell.strip() for cell in raw):
                continue
            header = [cell.strip().lower() for cell in raw]
            missing = [c for c in COLUMNS if c not in header]
            if missing:
                raise RegistryFileError(
                    f"the header must be {','.join(COLUMNS)} (missing: {', '.join(missing)})"
                )
            result.ignored_columns = tuple(c for c in header if c not in COLUMNS)
            continue
        if not any(cell.strip() for cell in raw):
            continue
        if len(raw) != len(header):
            result.problems.append((line, f"has {len(raw)} fields, the header has {len(header)}"))
            continue
        cells = {col: cell.strip() for col, cell in zip(header, raw, strict=True)}
        problem, row = _validate(line, cells)
        if problem:
            result.problems.append((line, problem))
            continue
        assert row is not None
        if row.normalized_name in seen:
            result.problems.append((line, f"'{row.name}' is already on line {seen[row.normalized_name]}"))
            continue
        seen[row.normalized_name] = line
        result.rows.append(row)
    if header is None:
        raise RegistryFileError("the file is empty")
    return result


def _validate(line: int, cells: dict[str, str]) -> tuple[str | None, AgencyRow | None]:
    name = cells["name"]
    if not name:
        return "the name is empty", None
    if len(name) > 200:
        return "the name is longer than 200 characters", None
    normalized = normalise_name(name)
    if not normalized:
        return f"the name '{name}' has no letters or digits", None
    try:
        status = AgencyStatus(cells["status"].lower())
    except ValueError:
        return f"status '{cells['status']}' must be active, suspended or revoked", None
    licence = cells["licence_number"] or None
    if licence and len(licence) > 100:
        return "the licence number is longer than 100 characters", None
    if status is AgencyStatus.ACTIVE and not licence:
        # People are told to compare the number on their papers with ours.
        return "an active company needs its licence number", None
    updated_on = None
    if cells["updated_on"]:
        try:
            updated_on = _parse_date(cells["updated_on"])
        except ValueError:
            return f"updated_on '{cells['updated_on']}' is not a date (use YYYY-MM-DD)", None
        if updated_on > date.today():
            return f"updated_on {updated_on.isoformat()} is in the future", None
    return None, AgencyRow(
        line=line, name=name, normalized_name=normalized, licence_number=licence,
        address=cells["address"] or None, status=status, source=cells["source"] or None, updated_on=updated_on,
    )


def read_file(path: Path) -> ParseResult:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise RegistryFileError(f"{path} does not exist") from None
    except OSError as exc:
        raise RegistryFileError(f"{path} cannot be read ({exc.strerror})") from None
    try:
        text = data.decode("utf-8-sig")  # Excel writes a byte-order mark
    except UnicodeDecodeError:
        raise RegistryFileError(f"{path} is not UTF-8 text (save it as \"CSV UTF-8\")") from None
    try:
        result = parse_csv(text)
    except csv.Error as exc:
        raise RegistryFileError(f"{path} is not a readable CSV file ({exc})") from None
    if not result.rows:
        raise RegistryFileError(f"{path} has no valid rows ({len(result.problems)} bad)")
    total = len(result.rows) + len(result.problems)
    if len(result.problems) > total * MAX_BAD_SHARE:
        raise RegistryFileError(
            f"{path} has {len(result.problems)} bad rows out of {total}, so it was not imported"
        )
    return result


def replace_all(session: Session, rows: Iterable[AgencyRow], now: datetime) -> int:
    """Swap the whole registry for `rows` (the caller's transaction makes it all or nothing)."""
    session.execute(delete(Agency))
    n = 0
    for row in rows:
        session.add(
            Agency(
                name=row.name, normalized_name=row.normalized_name, licence_number=row.licence_number,
                address=row.address, status=row.status, source=row.source, updated_on=row.updated_on,
                imported_at=now,
            )
        )
        n += 1
    session.flush()
    return n
