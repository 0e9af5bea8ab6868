"""The main menu and the first-contact welcome."""

from __future__ import annotations

from bot.chat.inbound import Button
from bot.chat.payload import AskIntent, ChooseLanguage, Command
from bot.chat.turn import Turn

# (label key in content/ui.yml, payload). Order is what a worried person most often needs.
MENU = (
    ("menu_job_offer", AskIntent("check_job_offer")),
    ("menu_agency", AskIntent("check_agency")),
    ("menu_procedure", AskIntent("ask_procedure")),
    ("menu_costs", AskIntent("ask_costs")),
    ("menu_scam_signs", AskIntent("ask_scam_signs")),
    ("menu_rights", AskIntent("ask_worker_rights")),
    ("menu_legal_aid", AskIntent("ask_legal_aid")),
    ("menu_report", Command("report")),
    ("menu_status", AskIntent("check_case_status")),
    ("menu_human", AskIntent("request_human")),
    ("menu_language", Command("language")),
)

# Offered before anything else: a newcomer picks the language first.
LANGUAGE_BUTTONS = (Button("Bahasa Indonesia", str(ChooseLanguage("id"))), Button("English", str(ChooseLanguage("en"))))


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
            list(LANGUAGE_BUTTONS),
        )
        return
    turn.say(turn.t("welcome"), menu_buttons(turn))
