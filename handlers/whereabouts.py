"""What works where the person is: the local emergency number, the Indonesian mission, Safe Travel.

110 and 112 work only inside Indonesia; someone in Sarawak needs 999 and the consulate in Kuching.
The contacts per country and city are config.yml's `local_contacts`; a mission whose number nobody has
verified yet is named as such (never with a guessed number), next to Kemlu's Safe Travel panic button.
"""

from __future__ import annotations

from bot.chat.turn import Turn
from bot.storage import people
from bot.understanding import places
from bot.understanding.places import Place
from handlers.menu import menu_buttons

# Keys of contacts that are emergency numbers, not offices: an unset one is simply left out.
_EMERGENCY_NUMBERS = frozenset({"malaysia_emergency_999", "police", "emergency_112"})


def place_now(turn: Turn) -> Place | None:
    """Where the person is: what this message says, else what they said recently, else None."""
    here = turn.understanding.reading.here
    if here is not None:
        return here
    known = people.place_of(turn.contact, turn.now)
    return Place(*known) if known else None


def abroad_now(turn: Turn) -> Place | None:
    """The place abroad where the person is, or None (at home, or not known)."""
    place = place_now(turn)
    return place if place is not None and place.abroad else None


def place_name(turn: Turn, place: Place) -> str:
    return places.name(place, turn.lang)


def local_lines(turn: Turn, place: Place, *, for_family: bool = False) -> str:
    """The numbers and offices that work at `place` (emergency first), then Kemlu's panic button.

    `for_family`: the reader is a relative at home, so the panic button (on the phone of the person
    abroad) is not theirs to press.
    """
    texts = turn.services.texts
    lines = []
    for key in turn.services.settings.contacts_where(place.country, place.city):
        line = texts.contact_line(key, turn.lang)
        if line is not None:
            lines.append(line)
        elif key not in _EMERGENCY_NUMBERS and key in turn.services.settings.contacts:
            label = turn.services.settings.contacts[key].label[turn.lang]
            lines.append(turn.t("mission_no_number_family" if for_family else "mission_no_number", mission=label))
    if place.abroad and not for_family:
        lines.append(turn.t("safe_travel_panic"))
        kp2mi = texts.contact_line("kp2mi_call_centre", turn.lang)
        if kp2mi:
            lines.append(kp2mi)
    return "\n".join(lines)


def acknowledge_place(turn: Turn) -> None:
    """The person said where they are: say what works there, then ask what they need."""
    place = turn.understanding.reading.here
    if place is None:
        return
    turn.conversation.clarify_count = 0
    name = place_name(turn, place)
    if place.abroad:
        text = turn.t("place_noted_abroad", place=name, local=local_lines(turn, place))
    else:
        text = turn.t("place_noted_home", place=name)
    turn.say(text, menu_buttons(turn))
