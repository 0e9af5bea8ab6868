"""Curated, cited answers: load the YAML library, choose an item, render it for a phone, check it.

Staff edit `content/answers/*.yml` (see `content/README.md`); nothing here runs at import time.
Contacts come from `config.yml` as a mapping of key -> {label: {id, en}, value}; an entry may
also be any object with `label` and `value` attributes (the settings' Contact dataclass).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml

LANGUAGES = ("id", "en")
MAX_PART_CHARS = 700

INFORMATIONAL_INTENTS = (
    "ask_procedure",
    "ask_documents",
    "ask_costs",
    "ask_visa",
    "ask_scam_signs",
    "ask_destination_info",
    "ask_worker_rights",
    "ask_legal_aid",
    "ask_victim_rights",
    "ask_contacts",
    "check_agency",
    "report_trafficking",
    "report_missing_person",
)

# Every intent of CONTRACTS.md §2, so a typo in a content file is caught.
KNOWN_INTENTS = frozenset(
    INFORMATIONAL_INTENTS
    + (
        "greet",
        "goodbye",
        "thank_you",
        "affirm",
        "deny",
        "ask_menu",
        "bot_challenge",
        "out_of_scope",
        "change_language",
        "check_job_offer",
        "emergency",
        "request_human",
        "check_case_status",
        "subscribe_updates",
        "unsubscribe_updates",
    )
)
KNOWN_ENTITIES = frozenset({"country", "agency", "case_id"})

# The only web addresses verified in FACTS.md; a contact value may add more.
VERIFIED_WEB_ADDRESSES = frozenset({"kp2mi.go.id", "peduliwni.kemlu.go.id", "kalbar.kemenkum.go.id"})

SOURCE_PREFIX = {"id": "Sumber", "en": "Source"}
LEGAL_NOTE = {"id": "Informasi umum, bukan nasihat hukum.", "en": "General information, not legal advice."}
CONFIRM_LINE = {
    "id": "Aturan bisa berubah; pastikan di {where}.",
    "en": "Rules can change; please confirm with {where}.",
}

# While checking lengths, an unset contact is rendered with a value this long, so the parts
# still fit when the deployment fills the placeholder in.
_RESERVED_VALUE = "0" * 32

_ITEM_KEYS = frozenset(
    {
        "id",
        "intents",
        "entities",
        "title",
        "parts",
        "sources",
        "contacts",
        "legal_note",
        "confirm_at",
        "reviewed",
        "see_also",
    }
)
_Report = Callable[[str], None]
_SNAKE = re.compile(r"^[a-z][a-z0-9_]*$")
_PLACEHOLDER = re.compile(r"\{([^{}\s]*)\}")
# A run of 7+ digits, possibly grouped by spaces, dots, dashes or brackets: a phone number.
_LONG_NUMBER = re.compile(r"(?<![\w/])\+?\(?\d[\d ().\-]*\d(?![\w/])")
# A short code (3-6 digits) right after a word that introduces a number to call.
_CALL_WORD_NUMBER = re.compile(
    r"(?i)\b(?:telepon|telpon|telp|tel|hubungi|panggil|call|phone|dial|hotline|wa|whatsapp|sms)"
    r"\s*[:.]?\s*(\+?\d{3,6})(?!\d|[ .\-]\d)"
)
_MONEY_BEFORE = re.compile(r"(?i)(?:rp\.?|rm|idr|usd|us\$|sgd|myr|\$)\s*$")
_ANY_NUMBER = re.compile(r"\+?\d[\d ().\-]*\d|\d")
_WEB_ADDRESS = re.compile(
    r"(?i)\b(?:https?://)?((?:[a-z0-9-]+\.)+(?:id|com|org|net|info|my|gov|io|co|me|app|biz|xyz|link|ly|sg|tw|kr))\b"
)


class ContentError(Exception):
    """The content files cannot be used; `problems` lists every reason."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = tuple(problems)
        lines = "\n".join(str(p) for p in self.problems)
        super().__init__(f"{len(self.problems)} problem(s) in the content files:\n{lines}")


@dataclass(frozen=True)
class Problem:
    file: str
    item_id: str | None
    message: str

    def __str__(self) -> str:
        where = f"{self.file}: {self.item_id}" if self.item_id else self.file
        return f"{where}: {self.message}"


@dataclass(frozen=True)
class Item:
    id: str
    intents: tuple[str, ...]
    entities: Mapping[str, tuple[str, ...]]
    title: Mapping[str, str]
    parts: tuple[Mapping[str, str], ...]
    sources: tuple[str, ...]
    contacts: tuple[str, ...]
    legal_note: bool
    confirm_at: str | None
    reviewed: date
    # Related items the handler may offer as buttons; also makes an item reachable without an intent.
    see_also: tuple[str, ...] = ()
    # Where to confirm in English when it differs from `confirm_at` (which is the Indonesian text).
    confirm_at_en: str | None = None
    file: str = field(default="", compare=False)

    def __hash__(self) -> int:
        # The mapping fields are not hashable; the id is unique within a library.
        return hash(self.id)

    def confirm_where(self, lang: str) -> str | None:
        """Say where to confirm, in the person's language."""
        if lang == "en" and self.confirm_at_en:
            return self.confirm_at_en
        return self.confirm_at


@dataclass(frozen=True)
class RenderedPart:
    text: str
    part: int
    total: int
    has_more: bool


@dataclass(frozen=True)
class _Contact:
    label: Mapping[str, str]
    value: str | Mapping[str, str] | None

    def text(self, lang: str) -> str | None:
        """Render as '<label>: <value>', or None while the value is unset."""
        value = self.value.get(lang) if isinstance(self.value, Mapping) else self.value
        if value is None or not str(value).strip():
            return None
        label = self.label.get(lang) or self.label.get("id") or ""
        return f"{label}: {str(value).strip()}" if label else str(value).strip()


class Library:
    """The loaded answers plus the contacts their placeholders refer to."""

    def __init__(self, items: Sequence[Item], contacts: Mapping[str, Any]) -> None:
        self._items = tuple(items)
        self._by_id = {item.id: item for item in self._items}
        self._contacts, self._contact_problems = _read_contacts(contacts)

    @classmethod
    def load(cls, directory: Path, contacts: Mapping[str, Any]) -> Library:
        """Read every `*.yml` in `directory`; raise ContentError if any item cannot be used."""
        items, problems = _parse_directory(Path(directory))
        if problems:
            raise ContentError(problems)
        return cls(items, contacts)

    @property
    def items(self) -> tuple[Item, ...]:
        return self._items

    def get(self, item_id: str) -> Item | None:
        return self._by_id.get(item_id)

    def find(self, intent: str, entities: Mapping[str, str] | None = None) -> Item | None:
        """Return the most specific item whose entity filter matches, else the general one."""
        given = {key: _normalise_value(value) for key, value in (entities or {}).items() if value}
        best: Item | None = None
        best_score = -1
        for item in self._items:
            if intent not in item.intents or not _filter_matches(item.entities, given):
                continue
            if len(item.entities) > best_score:  # strict: the first item wins a tie
                best, best_score = item, len(item.entities)
        return best

    def render(self, item: Item, lang: str, part: int = 0) -> RenderedPart:
        """Render one part for a phone; the last part carries the source and notes."""
        return self._render(item, lang, part, self._contacts)

    def check(self) -> list[Problem]:
        """Return every problem that would make an answer wrong, unsafe or unreachable."""
        return self._check(complete=True)

    def _check(self, complete: bool) -> list[Problem]:
        problems = list(self._contact_problems)
        if complete:
            # Coverage and links depend on the whole set; with items missing they only echo the cause.
            problems += _check_coverage(self._items)
            problems += _check_reachable(self._items)
        allowed_numbers = self._allowed_numbers()
        allowed_web = set(VERIFIED_WEB_ADDRESSES) | self._contact_web_addresses()
        reserved = {
            key: _Contact(c.label, c.value if c.text("id") and c.text("en") else _RESERVED_VALUE)
            for key, c in self._contacts.items()
        }
        seen: dict[str, str] = {}
        for item in self._items:
            problems += _check_fields(item)
            if item.id in seen:
                problems.append(_p(item, f"the id is also used in {seen[item.id]}; ids must be unique"))
            seen.setdefault(item.id, item.file)
            problems += self._check_contacts(item)
            if complete:
                problems += self._check_see_also(item)
            problems += _check_numbers_and_addresses(item, allowed_numbers, allowed_web)
            problems += self._check_lengths(item, reserved)
        return problems

    def _render(self, item: Item, lang: str, part: int, contacts: Mapping[str, _Contact]) -> RenderedPart:
        if lang not in LANGUAGES:
            raise ValueError(f"unknown language {lang!r}; expected one of {LANGUAGES}")
        total = len(item.parts)
        if not 0 <= part < total:
            raise IndexError(f"item {item.id!r} has {total} part(s); part {part} does not exist")
        text = _fill(item.parts[part].get(lang, ""), lang, contacts)
        if part == total - 1:
            text = f"{text}\n\n{_footer(item, lang)}" if text else _footer(item, lang)
        return RenderedPart(text=text, part=part, total=total, has_more=part < total - 1)

    def _check_contacts(self, item: Item) -> list[Problem]:
        problems = []
        used = {key for part in item.parts for text in part.values() for key in _PLACEHOLDER.findall(text)}
        for key in sorted(used):
            if not _SNAKE.match(key):
                problems.append(_p(item, f"'{{{key}}}' is not a contact placeholder; write {{contact_key}}"))
            elif key not in self._contacts:
                problems.append(_p(item, f"unknown contact key '{key}' (not in config.yml contacts)"))
            elif key not in item.contacts:
                problems.append(_p(item, f"the text uses {{{key}}} but 'contacts' does not list it"))
        for key in item.contacts:
            if key not in self._contacts and key not in used:
                problems.append(_p(item, f"unknown contact key '{key}' (not in config.yml contacts)"))
            elif key not in used:
                problems.append(_p(item, f"'contacts' lists '{key}' but no text uses {{{key}}}"))
        return problems

    def _check_see_also(self, item: Item) -> list[Problem]:
        return [
            _p(item, f"see_also names '{other}', but no item has that id")
            for other in item.see_also
            if other not in self._by_id
        ]

    def _check_lengths(self, item: Item, reserved: Mapping[str, _Contact]) -> list[Problem]:
        problems = []
        for index in range(len(item.parts)):
            for lang in LANGUAGES:
                if not item.parts[index].get(lang, "").strip():
                    continue  # reported by _check_fields
                length = max(
                    len(self._render(item, lang, index, self._contacts).text),
                    len(self._render(item, lang, index, reserved).text),
                )
                if length > MAX_PART_CHARS:
                    problems.append(
                        _p(
                            item,
                            f"part {index + 1} ({lang}) is {length} characters after rendering "
                            f"(with contact numbers and the source line); the limit is {MAX_PART_CHARS}",
                        )
                    )
        return problems

    def _allowed_numbers(self) -> set[str]:
        numbers = set()
        for value in self._contact_values():
            for match in _ANY_NUMBER.findall(value):
                numbers.add(_digits(match))
        return numbers

    def _contact_web_addresses(self) -> set[str]:
        return {_bare_domain(m) for value in self._contact_values() for m in _WEB_ADDRESS.findall(value)}

    def _contact_values(self) -> Iterable[str]:
        for contact in self._contacts.values():
            value = contact.value
            if isinstance(value, Mapping):
                yield from (str(v) for v in value.values() if v)
            elif value:
                yield str(value)


def check_directory(directory: Path, contacts: Mapping[str, Any]) -> list[Problem]:
    """Every problem in the content directory, including those that stop it from loading."""
    items, problems = _parse_directory(Path(directory))
    # While some items cannot be read, skip the checks that need all of them (coverage, links):
    # staff fix what is reported, and the next run checks the rest.
    return problems + Library(items, contacts)._check(complete=not problems)


# --- parsing ---------------------------------------------------------------------------------


def _parse_directory(directory: Path) -> tuple[list[Item], list[Problem]]:
    if not directory.is_dir():
        return [], [Problem(str(directory), None, "the content folder does not exist")]
    items: list[Item] = []
    problems: list[Problem] = []
    for stray in sorted(directory.glob("*.yaml")):
        problems.append(Problem(stray.name, None, "content files must end in .yml; this file is ignored"))
    files = sorted(directory.glob("*.yml"))
    if not files:
        problems.append(Problem(str(directory), None, "no .yml content files found"))
    seen: dict[str, str] = {}
    for path in files:
        file_items, file_problems = _parse_file(path)
        problems += file_problems
        for item in file_items:
            if item.id in seen:
                problems.append(_p(item, f"the id is also used in {seen[item.id]}; ids must be unique"))
                continue
            seen[item.id] = item.file
            items.append(item)
    return items, problems


def _parse_file(path: Path) -> tuple[list[Item], list[Problem]]:
    name = path.name
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" near line {mark.line + 1}" if mark is not None else ""
        reason = getattr(exc, "problem", None) or "invalid YAML"
        return [], [
            Problem(name, None, f"cannot read the file{where}: {reason} (check indentation and quotes)")
        ]
    except (OSError, UnicodeDecodeError) as exc:
        return [], [Problem(name, None, f"cannot read the file: {exc}")]
    if not isinstance(data, Mapping) or not isinstance(data.get("items"), list):
        return [], [Problem(name, None, "the file must start with 'items:' followed by a list of items")]
    items: list[Item] = []
    problems: list[Problem] = []
    for position, raw in enumerate(data["items"], start=1):
        item, item_problems = _parse_item(name, position, raw)
        problems += item_problems
        if item is not None:
            items.append(item)
    return items, problems


def _parse_item(file: str, position: int, raw: Any) -> tuple[Item | None, list[Problem]]:
    if not isinstance(raw, Mapping):
        return None, [Problem(file, None, f"item {position} is not a set of 'key: value' lines")]
    item_id = raw.get("id")
    label = item_id if isinstance(item_id, str) and item_id else f"item {position}"
    problems: list[Problem] = []

    def bad(message: str) -> None:
        problems.append(Problem(file, label, message))

    if not isinstance(item_id, str) or not _SNAKE.match(item_id):
        bad("'id' must be lowercase letters, digits and underscores, starting with a letter")
    for key in sorted(set(raw) - _ITEM_KEYS, key=str):
        bad(f"unknown field '{key}' (allowed: {', '.join(sorted(_ITEM_KEYS))})")

    intents = _str_list(raw.get("intents", []), "intents", bad)
    for intent in intents:
        if intent not in KNOWN_INTENTS:
            bad(f"unknown intent '{intent}' (see CONTRACTS.md §2)")
    entities = _entities(raw.get("entities") or {}, bad)
    title = _bilingual(raw.get("title"), "title", bad)
    parts_raw = raw.get("parts")
    parts: list[Mapping[str, str]] = []
    if not isinstance(parts_raw, list) or not parts_raw:
        bad("'parts' must be a list with at least one part")
    else:
        for number, part in enumerate(parts_raw, start=1):
            parts.append(_bilingual(part, f"part {number}", bad))
    sources = _str_list(raw.get("sources"), "sources", bad)
    if not sources:
        bad("'sources' must list at least one source (law and article, or the page/issuer)")
    contacts = _str_list(raw.get("contacts", []), "contacts", bad)
    see_also = _str_list(raw.get("see_also", []), "see_also", bad)
    legal_note = raw.get("legal_note")
    if not isinstance(legal_note, bool):
        bad("'legal_note' must be true or false")
    confirm_at, confirm_at_en = _confirm_at(raw.get("confirm_at"), bad)
    reviewed = _reviewed(raw.get("reviewed"), bad)

    if problems:
        return None, problems
    assert isinstance(item_id, str) and isinstance(legal_note, bool) and reviewed is not None
    return (
        Item(
            id=item_id,
            intents=tuple(intents),
            entities=MappingProxyType(entities),
            title=MappingProxyType(dict(title)),
            parts=tuple(MappingProxyType(dict(p)) for p in parts),
            sources=tuple(sources),
            contacts=tuple(contacts),
            legal_note=legal_note,
            confirm_at=confirm_at,
            reviewed=reviewed,
            see_also=tuple(see_also),
            confirm_at_en=confirm_at_en,
            file=file,
        ),
        [],
    )


def _str_list(value: Any, name: str, bad: _Report) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        bad(f"'{name}' must be a list of non-empty texts, like [a, b]")
        return []
    return [v.strip() for v in value]


def _entities(value: Any, bad: _Report) -> dict[str, tuple[str, ...]]:
    if not isinstance(value, Mapping):
        bad("'entities' must look like {country: [malaysia, brunei]}")
        return {}
    result: dict[str, tuple[str, ...]] = {}
    for key, values in value.items():
        if key not in KNOWN_ENTITIES:
            bad(f"unknown entity '{key}' (allowed: {', '.join(sorted(KNOWN_ENTITIES))})")
            continue
        listed = [values] if isinstance(values, str) else values
        if not isinstance(listed, list) or not listed or not all(isinstance(v, str) for v in listed):
            bad(f"'entities.{key}' must be a list of values, like [malaysia]")
            continue
        for v in listed:
            if not _SNAKE.match(v):
                bad(f"entity value '{v}' must be lowercase snake_case English, like saudi_arabia")
        result[str(key)] = tuple(listed)
    return result


def _bilingual(value: Any, name: str, bad: _Report) -> dict[str, str]:
    if not isinstance(value, Mapping):
        bad(f"{name} must have an 'id:' text and an 'en:' text")
        return {}
    result = {}
    for lang in LANGUAGES:
        text = value.get(lang)
        if not isinstance(text, str) or not text.strip():
            bad(f"{name} has no '{lang}' text")
        else:
            result[lang] = text.strip()
    for extra in sorted(set(value) - set(LANGUAGES), key=str):
        bad(f"{name} has an unknown language '{extra}' (use 'id' and 'en')")
    return result


def _confirm_at(value: Any, bad: _Report) -> tuple[str | None, str | None]:
    if value is None:
        return None, None
    if isinstance(value, str) and value.strip():
        return value.strip(), None
    if isinstance(value, Mapping):
        texts = _bilingual(value, "confirm_at", bad)
        if len(texts) == len(LANGUAGES):
            return texts["id"], texts["en"]
        return None, None
    bad("'confirm_at' must be a place, like \"BP3MI\", or {id: ..., en: ...}")
    return None, None


def _reviewed(value: Any, bad: _Report) -> date | None:
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    bad("'reviewed' must be the date of the last review, written YYYY-MM-DD")
    return None


# --- checks ----------------------------------------------------------------------------------


def _p(item: Item, message: str) -> Problem:
    return Problem(item.file or "?", item.id, message)


def _check_fields(item: Item) -> list[Problem]:
    # Items built in code (not parsed) get the same basic checks the parser makes.
    problems = []
    if not item.sources or not all(s.strip() for s in item.sources):
        problems.append(_p(item, "'sources' must list at least one source"))
    for lang in LANGUAGES:
        if not (item.title.get(lang) or "").strip():
            problems.append(_p(item, f"title has no '{lang}' text"))
        for number, part in enumerate(item.parts, start=1):
            if not (part.get(lang) or "").strip():
                problems.append(_p(item, f"part {number} has no '{lang}' text"))
    if not item.parts:
        problems.append(_p(item, "'parts' must list at least one part"))
    if not isinstance(item.reviewed, date):
        problems.append(_p(item, "'reviewed' date is missing"))
    elif item.reviewed > date.today():
        problems.append(_p(item, f"'reviewed' date {item.reviewed} is in the future"))
    return problems


def _check_coverage(items: Sequence[Item]) -> list[Problem]:
    general = {intent for item in items if not item.entities for intent in item.intents}
    return [
        Problem("(all files)", None, f"no general item (without 'entities') answers the intent '{intent}'")
        for intent in INFORMATIONAL_INTENTS
        if intent not in general
    ]


def _check_reachable(items: Sequence[Item]) -> list[Problem]:
    linked = {other for item in items for other in item.see_also}
    problems = []
    for index, item in enumerate(items):
        if item.id in linked:
            continue
        if any(not _shadowed(item, intent, items[:index]) for intent in item.intents):
            continue
        problems.append(
            _p(
                item,
                "this item can never be shown: no intent chooses it (an earlier item with the same "
                "intent and entities wins) and no item lists it in 'see_also'",
            )
        )
    return problems


def _shadowed(item: Item, intent: str, earlier: Sequence[Item]) -> bool:
    for other in earlier:
        if intent in other.intents and set(other.entities) == set(item.entities):
            if all(set(item.entities[key]) <= set(other.entities[key]) for key in item.entities):
                return True
    return False


def _check_numbers_and_addresses(
    item: Item, allowed_numbers: set[str], allowed_web: set[str]
) -> list[Problem]:
    problems = []
    texts = [(f"title ({lang})", item.title.get(lang, "")) for lang in LANGUAGES]
    texts += [
        (f"part {n} ({lang})", part.get(lang, ""))
        for n, part in enumerate(item.parts, start=1)
        for lang in LANGUAGES
    ]
    for where, text in texts:
        for number in _phone_like(text):
            if _digits(number) not in allowed_numbers:
                problems.append(
                    _p(
                        item,
                        f"{where} contains '{number}', which looks like a phone number but is not a "
                        "configured contact value; use a {contact_key} placeholder (if it is a date or "
                        "an amount, write it in words, like '26 November 2025' or 'Rp15 miliar')",
                    )
                )
        for address in _WEB_ADDRESS.findall(text):
            if _bare_domain(address) not in allowed_web:
                problems.append(
                    _p(
                        item,
                        f"{where} contains the web address '{address}', which is not verified in FACTS.md",
                    )
                )
    return problems


def _phone_like(text: str) -> list[str]:
    found = []
    for match in _LONG_NUMBER.finditer(text):
        candidate = match.group(0).strip(" ().-")
        if len(_digits(candidate)) >= 7 and not _MONEY_BEFORE.search(text[: match.start()]):
            found.append(candidate)
    for match in _CALL_WORD_NUMBER.finditer(text):
        found.append(match.group(1))
    return found


# --- rendering -------------------------------------------------------------------------------


def _fill(text: str, lang: str, contacts: Mapping[str, _Contact]) -> str:
    lines = []
    for line in text.strip().splitlines():
        keys = _PLACEHOLDER.findall(line)
        rendered = [contacts[k].text(lang) if k in contacts else None for k in keys]
        if any(r is None for r in rendered):
            continue  # never show a guessed or empty number: drop the whole line
        for key, value in zip(keys, rendered, strict=True):
            line = line.replace("{" + key + "}", value or "", 1)
        lines.append(line.rstrip())
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def _footer(item: Item, lang: str) -> str:
    lines = []
    where = item.confirm_where(lang)
    if where:
        lines.append(CONFIRM_LINE[lang].format(where=where))
    lines.append(f"{SOURCE_PREFIX[lang]}: {'; '.join(item.sources)}")
    if item.legal_note:
        lines.append(LEGAL_NOTE[lang])
    return "\n".join(lines)


# --- small helpers ---------------------------------------------------------------------------


def _read_contacts(contacts: Mapping[str, Any]) -> tuple[dict[str, _Contact], list[Problem]]:
    result: dict[str, _Contact] = {}
    problems: list[Problem] = []
    for key, entry in (contacts or {}).items():
        if isinstance(entry, Mapping):
            label, value = entry.get("label"), entry.get("value")
        else:
            label, value = getattr(entry, "label", None), getattr(entry, "value", None)
        if not isinstance(label, Mapping) or any(not label.get(lang) for lang in LANGUAGES):
            problems.append(
                Problem("config.yml", None, f"contact '{key}' needs a label with 'id' and 'en' text")
            )
            label = label if isinstance(label, Mapping) else {}
        if value is not None and not isinstance(value, (str, Mapping)):
            value = str(value)
        result[str(key)] = _Contact(label=dict(label), value=value)
    return result, problems


def _filter_matches(wanted: Mapping[str, tuple[str, ...]], given: Mapping[str, str]) -> bool:
    return all(given.get(key) in values for key, values in wanted.items())


def _normalise_value(value: str) -> str:
    return re.sub(r"[\s\-]+", "_", str(value).strip().lower())


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text)


def _bare_domain(address: str) -> str:
    address = address.lower()
    return address[4:] if address.startswith("www.") else address
