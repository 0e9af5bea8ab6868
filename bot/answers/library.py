"""Curated, cited answers: load the YAML library, choose an item, render it for a phone.

Staff edit `content/answers/*.yml` (see `content/README.md`); nothing here runs at import time.
Contacts come from `config.yml` as a mapping of key -> {label: {id, en}, value}; an entry may
also be any object with `label` and `value` attributes (the settings' Contact dataclass).
Validation beyond what loading needs (`python -m bot content check`) is in bot/answers/check.py.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml

from bot import yaml_text
from bot.understanding.intents import NAMES, NEEDS_GENERAL_ANSWER

LANGUAGES = ("id", "en")

# The intents that need a general content item, in a stable order (content check lists them).
INFORMATIONAL_INTENTS = tuple(sorted(NEEDS_GENERAL_ANSWER))

KNOWN_ENTITIES = frozenset({"country", "agency", "case_id"})

SOURCE_PREFIX = {"id": "Sumber", "en": "Source"}
LEGAL_NOTE = {"id": "Informasi umum, bukan nasihat hukum.", "en": "General information, not legal advice."}
CONFIRM_LINE = {
    "id": "Aturan bisa berubah; pastikan di {where}.",
    "en": "Rules can change; please confirm with {where}.",
}

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
SNAKE = re.compile(r"^[a-z][a-z0-9_]*$")
# "{contact_key}" in an answer text: the line shows that contact, or is left out while it is unset.
PLACEHOLDER = re.compile(r"\{([^{}\s]*)\}")


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
class ContactText:
    """A contact as an answer shows it: '<label>: <value>', in the person's language."""

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
        # Problems with the contacts' labels are reported by `content check`, not here.
        self._contacts, _ = read_contacts(contacts)

    @classmethod
    def load(cls, directory: Path, contacts: Mapping[str, Any]) -> Library:
        """Read every `*.yml` in `directory`; raise ContentError if any item cannot be used."""
        items, problems = parse_directory(Path(directory))
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

    @property
    def contacts(self) -> Mapping[str, ContactText]:
        return MappingProxyType(self._contacts)

    def render(
        self, item: Item, lang: str, part: int = 0, contacts: Mapping[str, ContactText] | None = None
    ) -> RenderedPart:
        """Render one part for a phone; the last part carries the source and notes.

        `contacts` replaces the library's own, so `content check` can measure a part with every
        placeholder filled in.
        """
        contacts = self._contacts if contacts is None else contacts
        if lang not in LANGUAGES:
            raise ValueError(f"unknown language {lang!r}; expected one of {LANGUAGES}")
        total = len(item.parts)
        if not 0 <= part < total:
            raise IndexError(f"item {item.id!r} has {total} part(s); part {part} does not exist")
        text = _fill(item.parts[part].get(lang, ""), lang, contacts)
        if part == total - 1:
            text = f"{text}\n\n{_footer(item, lang)}" if text else _footer(item, lang)
        return RenderedPart(text=text, part=part, total=total, has_more=part < total - 1)


# --- parsing ---------------------------------------------------------------------------------


def parse_directory(directory: Path) -> tuple[list[Item], list[Problem]]:
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
                problems.append(item_problem(item, f"the id is also used in {seen[item.id]}; ids must be unique"))
                continue
            seen[item.id] = item.file
            items.append(item)
    return items, problems


def _parse_file(path: Path) -> tuple[list[Item], list[Problem]]:
    name = path.name
    try:
        data = yaml_text.safe_load(path.read_text(encoding="utf-8"))
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

    if not isinstance(item_id, str) or not SNAKE.match(item_id):
        bad("'id' must be lowercase letters, digits and underscores, starting with a letter")
    for key in sorted(set(raw) - _ITEM_KEYS, key=str):
        bad(f"unknown field '{key}' (allowed: {', '.join(sorted(_ITEM_KEYS))})")

    intents = _str_list(raw.get("intents", []), "intents", bad)
    for intent in intents:
        if intent not in NAMES:
            bad(f"unknown intent '{intent}' (see the list in content/README.md)")
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
            if not SNAKE.match(v):
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


def item_problem(item: Item, message: str) -> Problem:
    """A problem with one item, named by its file and id."""
    return Problem(item.file or "?", item.id, message)


# --- rendering -------------------------------------------------------------------------------


def _fill(text: str, lang: str, contacts: Mapping[str, ContactText]) -> str:
    lines = []
    for line in text.strip().splitlines():
        keys = PLACEHOLDER.findall(line)
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


def read_contacts(contacts: Mapping[str, Any]) -> tuple[dict[str, ContactText], list[Problem]]:
    result: dict[str, ContactText] = {}
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
        result[str(key)] = ContactText(label=dict(label), value=value)
    return result, problems


def _filter_matches(wanted: Mapping[str, tuple[str, ...]], given: Mapping[str, str]) -> bool:
    return all(given.get(key) in values for key, values in wanted.items())


def _normalise_value(value: str) -> str:
    return re.sub(r"[\s\-]+", "_", str(value).strip().lower())
