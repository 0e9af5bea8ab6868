"""Urgent safety net: the matcher that flags a message as an emergency without Rasa.

These rules run on every message, before and regardless of the NLU, so that someone who is
locked in, beaten, threatened, sold, sexually abused or thinking of suicide is escalated even
when the Rasa server is down or misreads informal Indonesian / Malay / English.

The rules themselves (word groups, patterns, framings) are data in safety_rules.py; this module
compiles them, reads a message clause by clause and decides. Education and rights questions are
kept out of the urgent queue by downgrading only the weaker categories, and only when nobody
concrete is named as the victim.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.understanding import safety_rules as rules
from bot.understanding.normalise import fold_message

__all__ = ["CATEGORIES", "SafetyVerdict", "check"]

CATEGORIES = rules.CATEGORIES


@dataclass(frozen=True)
class SafetyVerdict:
    urgent: bool
    reasons: tuple[str, ...]
    matched: tuple[str, ...]


# --------------------------------------------------------------------------------------------
# The rules, compiled
# --------------------------------------------------------------------------------------------


def _expand(pattern: str) -> str:
    for _ in range(3):  # fragments may nest one level
        for name, fragment in rules.FRAGMENTS.items():
            pattern = pattern.replace(f"<{name}>", fragment)
    return pattern


def _rx(pattern: str) -> re.Pattern[str]:
    return re.compile(_expand(pattern))


@dataclass(frozen=True)
class _Rule:
    category: str
    pattern: re.Pattern[str]
    active: bool
    not_after: re.Pattern[str] | None  # searched in the text just before a match


def _compile(rule: rules.Rule) -> _Rule:
    before = _rx(rule.not_after + r" $") if rule.not_after else None
    return _Rule(rule.category, _rx(rule.pattern), rule.active, before)


_RULES: tuple[_Rule, ...] = tuple(_compile(rule) for rule in rules.RULES)
# Every rule's pattern as one alternation: it matches somewhere exactly when some rule does, so a
# message no rule matches (most messages) costs one scan instead of one per rule (~30 against ~80 µs).
_ANY_RULE = re.compile("|".join(f"(?:{rule.pattern.pattern})" for rule in _RULES))
_CRY_ONLY = _rx(rules.CRY_ONLY)
_PASSPORT_HELD = _rx(rules.PASSPORT_HELD)
_CANNOT_LEAVE = _rx(rules.CANNOT_LEAVE)
_WANTS_OUT = _rx(rules.WANTS_OUT)
_DISTRESS = _rx(rules.DISTRESS)
_EXPLICIT_HELP = _rx(rules.EXPLICIT_HELP)
_RULE_QUESTION = _rx(rules.RULE_QUESTION)
_HYPOTHETICAL = _rx(rules.HYPOTHETICAL)
_GENERIC_SUBJECT = _rx(rules.GENERIC_SUBJECT)
_ASKER_PREAMBLE = _rx(rules.ASKER_PREAMBLE)
_PERSONAL = _rx(rules.PERSONAL)
_PAST = _rx(rules.PAST)
_SAFE_NOW = _rx(rules.SAFE_NOW)
_PRESENT = _rx(rules.PRESENT)
_SENTENCE_END = re.compile(r"[.!?;\n\u3002]+")


# --------------------------------------------------------------------------------------------
# check()
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Hit:
    category: str
    fragment: str
    clause: str  # the normalised sentence it was found in
    active: bool


def _clauses(text: str) -> list[tuple[int, str]]:
    """Normalise each sentence separately; return (start offset in the joined text, clause)."""
    out: list[tuple[int, str]] = []
    offset = 0
    for sentence in _SENTENCE_END.split(text):
        clause = fold_message(sentence)
        if clause:
            out.append((offset, clause))
            offset += len(clause) + 1
    return out


def _clause_at(clauses: list[tuple[int, str]], position: int) -> tuple[int, str]:
    current = clauses[0]
    for start, clause in clauses:
        if start > position:
            break
        current = (start, clause)
    return current


# How far back a rule looks for the words that void it; also keeps long messages linear.
_LOOKBACK = 120


def _rule_hits(joined: str, clauses: list[tuple[int, str]], *, prefilter: bool = True) -> list[_Hit]:
    hits: list[_Hit] = []
    if prefilter and not _ANY_RULE.search(joined):
        return hits
    for rule in _RULES:
        for m in rule.pattern.finditer(joined):
            start, clause = _clause_at(clauses, m.start())
            before = joined[max(start, m.start() - _LOOKBACK) : m.start()]
            if rule.not_after and rule.not_after.search(before):
                continue
            hits.append(_Hit(rule.category, m.group(0).strip(), clause, rule.active))
    return hits


def _combination_hits(joined: str) -> list[_Hit]:
    hits: list[_Hit] = []
    if m := _CRY_ONLY.match(joined):
        hits.append(_Hit("danger_now", m.group(0), joined, active=False))
    held = _PASSPORT_HELD.search(joined)
    if held:
        why = (
            _CANNOT_LEAVE.search(joined)
            or _WANTS_OUT.search(joined)
            or _DISTRESS.search(joined)
            or _EXPLICIT_HELP.search(joined)
        )
        if why:
            hits.append(_Hit("passport_held_cannot_leave", held.group(0), joined, False))
            hits.append(_Hit("passport_held_cannot_leave", why.group(0), joined, False))
    fear = _DISTRESS.search(joined)
    plea = _EXPLICIT_HELP.search(joined)
    if fear and plea:
        hits.append(_Hit("danger_now", fear.group(0), joined, False))
        hits.append(_Hit("danger_now", plea.group(0), joined, False))
    return hits


def _is_downgraded(hit: _Hit, *, personal: bool, safe_again: bool) -> bool:
    """A weak hit inside a general question or a past-and-safe story is not an emergency."""
    if hit.category in rules.STRONG:
        return False
    if safe_again:
        return True
    if personal:
        return False
    if _RULE_QUESTION.search(hit.clause):
        return True
    if not _HYPOTHETICAL.search(hit.clause):
        return False
    # Dropped-subject passives ("dikurung majikan, lapor kemana?") are the speaker's own.
    implicit_victim = not hit.active and not _GENERIC_SUBJECT.search(hit.clause)
    return not implicit_victim


def check(text: str) -> SafetyVerdict:
    """Decide whether a message describes someone in danger now."""
    clauses = _clauses(text)
    if not clauses:
        return SafetyVerdict(False, (), ())
    joined = " ".join(clause for _, clause in clauses)
    hits = _rule_hits(joined, clauses) + _combination_hits(joined)
    if not hits:
        return SafetyVerdict(False, (), ())

    explicit_help = bool(_EXPLICIT_HELP.search(joined))
    personal = explicit_help or bool(_PERSONAL.search(_ASKER_PREAMBLE.sub(" ", joined)))
    safe_again = (
        not explicit_help
        and bool(_PAST.search(joined) and _SAFE_NOW.search(joined))
        and not _PRESENT.search(joined)
    )
    kept = [h for h in hits if not _is_downgraded(h, personal=personal, safe_again=safe_again)]
    if not kept:
        return SafetyVerdict(False, (), ())
    found = {h.category for h in kept}
    reasons = tuple(c for c in CATEGORIES if c in found)
    matched = tuple(dict.fromkeys(h.fragment for h in kept))
    return SafetyVerdict(True, reasons, matched)
