"""The main menu and the first-contact welcome."""

from __future__ import annotations

from bot.chat.inbound import Button
from bot.chat.turn import Turn

# (label key in content/ui.yml, payload). Order is what a worried person most often needs.
MENU = (
    ("menu_job_offer", "intent:check_job_offer"),
    ("menu_agency", "intent:check_agency"),
    ("menu_procedure", "intent:ask_procedure"),
    ("menu_costs", "intent:ask_costs"),
    ("menu_scam_signs", "intent:ask_scam_signs"),
    ("menu_rights", "intent:ask_worker_rights"),
    ("menu_legal_aid", "intent:ask_legal_aid"),
    ("menu_report", "cmd:report"),
    ("menu_status", "intent:check_case_status"),
    ("menu_human", "intent:request_human"),
    ("menu_language", "cmd:language"),
)


def menu_buttons(turn: Turn) -> list[Button]:
    return [turn.button(key, payload) for key, payload in MENU]


def show_menu(turn: Turn) -> None:
    """Show what the bot can do."""
    turn.say(turn.t("menu"), menu_buttons(turn))


def welcome(turn: Turn) -> None:
    """Greet a person: ask a newcomer for their language, tell everyone it is a bot."""
    if turn.contact.language is None:
        turn.say(
            turn.t("choose_language"),
            [Button("Bahasa Indonesia", "lang:id"), Button("English", "lang:en")],
        )
        return
    turn.say(turn.t("welcome"), menu_buttons(turn))
