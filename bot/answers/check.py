"""`python -m bot content check`: every rule an answer must keep to be true, safe and readable.

Loading (bot/answers/library.py) refuses only what cannot be used at all; this module also finds
what would make an answer wrong, unsafe or unreachable: invented numbers and web addresses,
unknown contacts and countries, numbered lists, parts too long for a phone, old institution
names, prison ranges quoted without the new-KUHP caveat, broken links, intents left unanswered.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import Any

from bot.answers.library import (
    INFORMATIONAL_INTENTS,
    LANGUAGES,
    PLACEHOLDER,
    SNAKE,
    ContactText,
    Item,
    Library,
    Problem,
    item_problem,
    parse_directory,
    read_contacts,
)

# One part is one message. About 700 characters fill a phone screen (some 20 lines of 35-40
# characters), and WhatsApp adds the choices as numbered lines below the text (up to about 150
# characters more), so a part and its buttons can still be read without scrolling back.
MAX_PART_CHARS = 700

# After an answer's last part the bot offers this many of its `see_also` items as buttons
# (handlers/info.py), next to Menu and Talk to staff; a link further down the list is never shown.
MAX_SEE_ALSO = 3

# Web addresses checked against the ministries' own pages; a contact value may add more.
VERIFIED_WEB_ADDRESSES = frozenset({"kp2mi.go.id", "peduliwni.kemlu.go.id", "kalbar.kemenkum.go.id"})

# While checking lengths, an unset contact is rendered with a value this long, so the parts
# still fit when the deployment fills the placeholder in.
_RESERVED_VALUE = "0" * 32

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
# "1. ..." or "2) ..." at the start of a line. WhatsApp shows the buttons as "1. Lanjut", "2. Menu"
# under the text and people answer with the number: a numbered list above them reads as choices.
_NUMBERED_LINE = re.compile(r"^\s*\d{1,2}\s*[.)]\s", re.MULTILINE)
# Names that changed in 2024-2025, and the one word that made a name wrong. Each pattern matches
# only the outdated use: BP2MI stays right in the names of its regulations ("Perban BP2MI 9/2020").
_OUTDATED_NAMES = (
    (re.compile(r"(?i)\bkemenkumham\b"), "Kemenkumham was split: write Kementerian Hukum (Kemenkum)"),
    (
        re.compile(r"(?i)(?<!perban )(?<!peraturan )(?<!dulu )(?<!formerly )\bbp2mi\b(?! reg)(?! regulation)"),
        "BP2MI is now KP2MI (Kementerian P2MI); keep BP2MI only in a regulation's name, like 'Perban BP2MI 9/2020'",
    ),
    (
        re.compile(r"(?i)\bsatgas\b"),
        "the West Kalimantan task force is the Gugus Tugas (GT-PP TPPO Provinsi Kalimantan Barat), not a 'Satgas'",
    ),
    (
        re.compile(r"(?i)\bposbakum\b(?!.*\b(?:pengadilan|court)\b)"),
        "a village legal-aid post is a Posbankum (Pos Bantuan Hukum); Posbakum is the post at a court",
    ),
)
# The national KUHP (UU 1/2023) is in force since 2 January 2026 and may change the prison ranges
# of UU 21/2007; until the legal team confirms, a range quoted from that law carries a caveat.
_PRISON = {"id": re.compile(r"(?i)\bpenjara\b"), "en": re.compile(r"(?i)\bprison\b")}
_KUHP = re.compile(r"\bKUHP\b")


def check_directory(directory: Path, contacts: Mapping[str, Any], countries: Collection[str]) -> list[Problem]:
    """Every problem in the content directory, including those that stop it from loading.

    `countries`: the country values the bot can be given (bot.recruitment.red_flags.COUNTRY_GROUPS);
    the caller passes them, so this package needs nothing from the recruitment one.
    """
    items, problems = parse_directory(Path(directory))
    # While some items cannot be read, skip the checks that need all of them (coverage, links):
    # staff fix what is reported, and the next run checks the rest.
    return problems + check_items(items, contacts, countries, complete=not problems)


def check_items(
    items: Sequence[Item], contacts: Mapping[str, Any], countries: Collection[str], *, complete: bool = True
) -> list[Problem]:
    """Problems of these items; `complete`: they are the whole library, so coverage and links count."""
    library = Library(items, contacts)
    shown, problems = read_contacts(contacts)
    if complete:
        # Coverage and links depend on the whole set; with items missing they only echo the cause.
        problems += _check_coverage(items)
        problems += _check_reachable(items)
    values = list(_contact_values(shown))
    allowed_numbers = {_digits(m) for value in values for m in _ANY_NUMBER.findall(value)}
    allowed_web = set(VERIFIED_WEB_ADDRESSES) | {_bare_domain(m) for v in values for m in _WEB_ADDRESS.findall(v)}
    reserved = {
        key: ContactText(c.label, c.value if c.text("id") and c.text("en") else _RESERVED_VALUE)
        for key, c in shown.items()
    }
    ids = {item.id for item in items}
    seen: dict[str, str] = {}
    for item in items:
        problems += _check_fields(item)
        if item.id in seen:
            problems.append(item_problem(item, f"the id is also used in {seen[item.id]}; ids must be unique"))
        seen.setdefault(item.id, item.file)
        problems += _check_contacts(item, shown)
        if complete:
            problems += [
                item_problem(item, f"see_also names '{other}', but no item has that id")
                for other in item.see_also
                if other not in ids
            ]
        if len(item.see_also) > MAX_SEE_ALSO:
            problems.append(
                item_problem(
                    item,
                    f"see_also lists {len(item.see_also)} items, but only the first {MAX_SEE_ALSO} are offered "
                    "as buttons; link the others from another item",
                )
            )
        problems += _check_countries(item, countries)
        problems += _check_numbers_and_addresses(item, allowed_numbers, allowed_web)
        problems += _check_wording(item)
        problems += _check_lengths(library, item, reserved)
    return problems


# --- one item --------------------------------------------------------------------------------


def _texts(item: Item) -> list[tuple[str, str, str]]:
    """(where, language, text) of the title and every part."""
    texts = [(f"title ({lang})", lang, item.title.get(lang, "")) for lang in LANGUAGES]
    texts += [
        (f"part {n} ({lang})", lang, part.get(lang, ""))
        for n, part in enumerate(item.parts, start=1)
        for lang in LANGUAGES
    ]
    return texts


def _check_fields(item: Item) -> list[Problem]:
    # Items built in code (not parsed) get the same basic checks the parser makes.
    problems = []
    if not item.sources or not all(s.strip() for s in item.sources):
        problems.append(item_problem(item, "'sources' must list at least one source"))
    for lang in LANGUAGES:
        if not (item.title.get(lang) or "").strip():
            problems.append(item_problem(item, f"title has no '{lang}' text"))
        for number, part in enumerate(item.parts, start=1):
            if not (part.get(lang) or "").strip():
                problems.append(item_problem(item, f"part {number} has no '{lang}' text"))
    if not item.parts:
        problems.append(item_problem(item, "'parts' must list at least one part"))
    if not isinstance(item.reviewed, date):
        problems.append(item_problem(item, "'reviewed' date is missing"))
    elif item.reviewed > date.today():
        problems.append(item_problem(item, f"'reviewed' date {item.reviewed} is in the future"))
    return problems


def _check_contacts(item: Item, contacts: Mapping[str, ContactText]) -> list[Problem]:
    problems = []
    used = {key for part in item.parts for text in part.values() for key in PLACEHOLDER.findall(text)}
    for key in sorted(used):
        if not SNAKE.match(key):
            problems.append(item_problem(item, f"'{{{key}}}' is not a contact placeholder; write {{contact_key}}"))
        elif key not in contacts:
            problems.append(item_problem(item, f"unknown contact key '{key}' (not in config.yml contacts)"))
        elif key not in item.contacts:
            problems.append(item_problem(item, f"the text uses {{{key}}} but 'contacts' does not list it"))
    for key in item.contacts:
        if key not in contacts and key not in used:
            problems.append(item_problem(item, f"unknown contact key '{key}' (not in config.yml contacts)"))
        elif key not in used:
            problems.append(item_problem(item, f"'contacts' lists '{key}' but no text uses {{{key}}}"))
    return problems


def _check_countries(item: Item, countries: Collection[str]) -> list[Problem]:
    return [
        item_problem(
            item,
            f"unknown country '{value}': the bot never gives that value, so this filter never matches "
            "(use the country's English name in snake_case, like saudi_arabia or hong_kong; "
            "a new country must be added to the NLU and to bot/recruitment/red_flags.py first)",
        )
        for value in item.entities.get("country", ())
        if value not in countries
    ]


def _check_numbers_and_addresses(item: Item, allowed_numbers: set[str], allowed_web: set[str]) -> list[Problem]:
    problems = []
    for where, _, text in _texts(item):
        for number in _phone_like(text):
            if _digits(number) not in allowed_numbers:
                problems.append(
                    item_problem(
                        item,
                        f"{where} contains '{number}', which looks like a phone number but is not a "
                        "configured contact value; use a {contact_key} placeholder (if it is a date or "
                        "an amount, write it in words, like '26 November 2025' or 'Rp15 miliar')",
                    )
                )
        for address in _WEB_ADDRESS.findall(text):
            if _bare_domain(address) not in allowed_web:
                problems.append(
                    item_problem(
                        item,
                        f"{where} contains the web address '{address}', which is not verified "
                        "(only kp2mi.go.id, peduliwni.kemlu.go.id, kalbar.kemenkum.go.id and contact values)",
                    )
                )
    return problems


def _check_wording(item: Item) -> list[Problem]:
    problems = []
    for where, _, text in _texts(item):
        if _NUMBERED_LINE.search(text):
            problems.append(
                item_problem(
                    item,
                    f"{where} has a numbered list; start the lines with '•' instead (on WhatsApp the "
                    "buttons are numbered lines, and people would answer with the list's numbers)",
                )
            )
        for line in text.splitlines():
            for pattern, why in _OUTDATED_NAMES:
                if pattern.search(line):
                    problems.append(item_problem(item, f"{where}: {why}"))
    if any("UU 21/2007" in source for source in item.sources):
        for lang in LANGUAGES:
            text = "\n".join(part.get(lang, "") for part in item.parts)
            if _PRISON[lang].search(text) and not _KUHP.search(text):
                problems.append(
                    item_problem(
                        item,
                        f"the {lang} text quotes a prison term and cites UU 21/2007 but does not say that "
                        "the new KUHP (in force since 2 January 2026) may change the penalties",
                    )
                )
    return problems


# Buttons are pressed on Telegram but chosen by typing their number on WhatsApp: the bot's own
# sentences say "pilih" / "choose" (the WhatsApp channel turns 'pilih "X"' into 'ketik 2 ("X")').
_PRESS = re.compile(r"(?i)\b(?:tekan|pencet|klik|press|tap|click)\b")


def check_interface_texts(strings: Mapping[str, Mapping[str, str]], file: str = "ui.yml") -> list[Problem]:
    """The bot's own sentences (content/ui.yml): no numbered lists, no button words only Telegram makes true."""
    problems = []
    for key, texts in strings.items():
        for lang, text in texts.items():
            if _NUMBERED_LINE.search(text):
                problems.append(Problem(file, key, f"'{lang}' has a numbered list; start the lines with '•' instead "
                                                   "(on WhatsApp the buttons are numbered lines)"))
            if _PRESS.search(text):
                problems.append(Problem(file, key, f"'{lang}' tells people to press or tap; write 'pilih' / 'choose' "
                                                   "(on WhatsApp people type the number of a choice)"))
    return problems


def _check_lengths(library: Library, item: Item, reserved: Mapping[str, ContactText]) -> list[Problem]:
    problems = []
    for index in range(len(item.parts)):
        for lang in LANGUAGES:
            if not item.parts[index].get(lang, "").strip():
                continue  # reported by _check_fields
            length = max(
                len(library.render(item, lang, index).text),
                len(library.render(item, lang, index, reserved).text),
            )
            if length > MAX_PART_CHARS:
                problems.append(
                    item_problem(
                        item,
                        f"part {index + 1} ({lang}) is {length} characters after rendering "
                        f"(with contact numbers and the source line); the limit is {MAX_PART_CHARS}",
                    )
                )
    return problems


# --- the whole library -----------------------------------------------------------------------


def _check_coverage(items: Sequence[Item]) -> list[Problem]:
    general = {intent for item in items if not item.entities for intent in item.intents}
    return [
        Problem("(all files)", None, f"no general item (without 'entities') answers the intent '{intent}'")
        for intent in INFORMATIONAL_INTENTS
        if intent not in general
    ]


def _check_reachable(items: Sequence[Item]) -> list[Problem]:
    linked = {other for item in items for other in item.see_also[:MAX_SEE_ALSO]}
    problems = []
    for index, item in enumerate(items):
        if item.id in linked:
            continue
        if any(not _shadowed(item, intent, items[:index]) for intent in item.intents):
            continue
        problems.append(
            item_problem(
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


# --- small helpers ---------------------------------------------------------------------------


def _phone_like(text: str) -> list[str]:
    found = []
    for match in _LONG_NUMBER.finditer(text):
        candidate = match.group(0).strip(" ().-")
        if len(_digits(candidate)) >= 7 and not _MONEY_BEFORE.search(text[: match.start()]):
            found.append(candidate)
    for match in _CALL_WORD_NUMBER.finditer(text):
        found.append(match.group(1))
    return found


def _contact_values(contacts: Mapping[str, ContactText]) -> Iterable[str]:
    for contact in contacts.values():
        value = contact.value
        if isinstance(value, Mapping):
            yield from (str(v) for v in value.values() if v)
        elif value:
            yield str(value)


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text)


def _bare_domain(address: str) -> str:
    address = address.lower()
    return address[4:] if address.startswith("www.") else address


# --- what works where the person is (config.yml local_contacts) -------------------------------


def check_local_contacts(
    local_contacts: Mapping[str, Mapping[str, Sequence[str]]],
    contacts: Mapping[str, Any],
    countries: Collection[str],
    cities: Mapping[str, str],
) -> tuple[list[Problem], list[str]]:
    """Problems of the local_contacts table, and the places whose contacts are still unset.

    `countries`: the country values the bot knows; `cities`: city key -> its country (both passed by
    the caller, like check_directory's countries). An unset contact is no problem (the bot says it has
    no number there yet and names Kemlu's Safe Travel panic button) but the deployment must see the list.
    """
    shown, _ = read_contacts(contacts)
    problems: list[Problem] = []
    unset: list[str] = []
    for country, places in local_contacts.items():
        if country not in countries:
            problems.append(Problem("config.yml", f"local_contacts.{country}", "unknown country value"))
        for place, keys in places.items():
            where = country if place == "all" else f"{country}/{place}"
            if place != "all" and cities.get(place) != country:
                problems.append(Problem("config.yml", f"local_contacts.{country}.{place}", f"'{place}' is not a known city of {country}"))
            missing = [key for key in keys if key not in shown or shown[key].text("id") is None]
            if missing:
                unset.append(f"{where}: {', '.join(missing)}")
    return problems, unset
