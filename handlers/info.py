"""Answers from the curated content library (content/answers), part by part."""

from __future__ import annotations

from bot.chat.inbound import Button
from bot.chat.payload import AskIntent, Command, ShowAnswer
from bot.chat.turn import Turn
from bot.recruitment.red_flags import BAN_COUNTRIES
from bot.understanding.places import Place
from handlers import whereabouts
from handlers.menu import show_menu


def send_part(turn: Turn, item_id: str, part: int) -> None:
    """Send one part of a content item, with 'Lanjut' while more parts follow."""
    library = turn.services.library
    item = library.get(item_id)
    if item is None:
        show_menu(turn)
        return
    rendered = library.render(item, turn.lang, part)
    buttons = []
    if rendered.has_more:
        buttons.append(turn.button("btn_next", ShowAnswer(item.id, rendered.part + 1)))
    else:
        # After the last part, offer the related answers the content team linked (see_also).
        for other_id in item.see_also[:3]:
            other = library.get(other_id)
            if other is not None:
                buttons.append(Button(other.title[turn.lang], str(ShowAnswer(other.id))))
    buttons.append(turn.button("btn_menu", Command("menu")))
    buttons.append(turn.button("menu_human", AskIntent("request_human")))
    turn.say(rendered.text, buttons)


def answer(turn: Turn, content_id: str) -> None:
    """Answer an informational question with its content item."""
    turn.conversation.clarify_count = 0
    if turn.decision.intent == "ask_contacts":
        lead_with_local(turn)
    say_ban_first(turn, content_id)
    send_part(turn, content_id, 0)


def say_ban_first(turn: Turn, content_id: str | None = None) -> None:
    """A message naming a country of the household-work ban hears of the ban first, whatever it asked
    (unless the answer about to be sent is the ban itself)."""
    country = turn.understanding.entity("country")
    item = turn.services.library.get(content_id) if content_id else None
    if country not in BAN_COUNTRIES or (item is not None and country in item.entities.get("country", ())):
        return
    turn.say(turn.t("ban_notice"))


def lead_with_local(turn: Turn) -> None:
    """Before the general list of numbers: what works in the place asked about, or where the person is."""
    place: Place | None = turn.understanding.reading.place
    if place is None or not place.abroad:
        place = whereabouts.abroad_now(turn)
    if place is None:
        return
    local = whereabouts.local_lines(turn, place)
    if local:
        turn.say(turn.t("contacts_local_head", place=whereabouts.place_name(turn, place), local=local))


def answer_intent(turn: Turn, intent: str) -> None:
    """Answer by intent (used when a button or a flow asks for an intent's general answer)."""
    entities = {e.entity: e.value for e in turn.understanding.entities}
    item = turn.services.library.find(intent, entities)
    if item is None:
        show_menu(turn)
        return
    send_part(turn, item.id, 0)
