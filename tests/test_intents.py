"""The intent catalogue is the one list: Rasa's domain, the router, the content and the UI agree with it."""

from __future__ import annotations

import yaml

from bot.answers.library import Library
from bot.answers.texts import Texts, privacy_values
from bot.app import UI_TEXTS
from bot.chat.router import Answer, Escalate, Flow, Smalltalk, route_for_intent
from bot.config import PROJECT_ROOT, load_settings
from bot.understanding.intents import ANSWERED, BY_NAME, CATALOGUE, FLOW_FOR_INTENT, GUESSABLE, NAMES, Kind
from bot.understanding.result import Understanding
from handlers.flows import FLOWS


def _domain_intents() -> list[str]:
    domain = yaml.safe_load((PROJECT_ROOT / "nlu" / "domain.yml").read_text(encoding="utf-8"))
    return [i if isinstance(i, str) else next(iter(i)) for i in domain["intents"]]


def test_the_catalogue_names_each_intent_once() -> None:
    names = [i.name for i in CATALOGUE]
    assert len(names) == len(set(names))


def test_rasa_is_trained_on_exactly_the_catalogue() -> None:
    assert sorted(_domain_intents()) == sorted(NAMES)


def test_every_flow_intent_has_a_flow_and_every_answered_intent_has_content() -> None:
    assert set(FLOW_FOR_INTENT.values()) <= set(FLOWS), set(FLOW_FOR_INTENT.values()) - set(FLOWS)
    settings = load_settings(PROJECT_ROOT / "config.yml", {"APP_ENV": "test"})
    library = Library.load(settings.content_dir, settings.contacts)
    missing = [intent for intent in sorted(ANSWERED) if library.find(intent, {}) is None]
    assert missing == []


def test_content_names_only_catalogue_intents() -> None:
    settings = load_settings(PROJECT_ROOT / "config.yml", {"APP_ENV": "test"})
    library = Library.load(settings.content_dir, settings.contacts)
    used = {intent for item in library.items for intent in item.intents}
    assert used <= NAMES, used - NAMES


def test_every_intent_a_button_can_offer_has_a_label_in_both_languages() -> None:
    settings = load_settings(PROJECT_ROOT / "config.yml", {"APP_ENV": "test"})
    texts = Texts.load(UI_TEXTS, settings.contacts, privacy_values(settings.privacy))
    offered = GUESSABLE | {"emergency"}  # clarify offers these as "did you mean" buttons
    for name in sorted(offered):
        for lang in ("id", "en"):
            label = texts.get(f"intent.{name}", lang)
            assert label and not label.startswith("intent."), (name, lang)


def test_each_kind_routes_where_the_catalogue_says() -> None:
    def route(name: str) -> object:
        return route_for_intent(Understanding(name, 1.0), lambda intent, entities: f"item-{intent}")

    for intent in CATALOGUE:
        expected = {
            Kind.ANSWER: Answer(f"item-{intent.name}"),
            Kind.FLOW: Flow(intent.flow or ""),
            Kind.HUMAN: Escalate(),
            Kind.SMALLTALK: Smalltalk(),
        }[intent.kind]
        assert route(intent.name) == expected, intent.name
    assert BY_NAME["request_human"].kind is Kind.HUMAN
