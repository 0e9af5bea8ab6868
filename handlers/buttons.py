"""Pressed buttons, typed commands and numbered choices: payloads need no NLU."""

from __future__ import annotations

from bot.chat.payload import AskIntent, ChooseLanguage, Command, FlowAnswer, MediaSent, Payload, ShowAnswer
from bot.chat.turn import Turn
from bot.storage import people
from bot.storage.models import ConversationState
from handlers import escalation, flows, info, media, menu
from handlers.flows import language, subscription

# While staff hold the chat, only these act; everything else reaches staff. A report's status
# (/status) is answered in every state: the person must never wait on staff to learn it, and an
# opt-out must take effect before the next campaign message.
_WITH_STAFF: frozenset[Payload] = frozenset({
    Command("end_staff"), Command("erase"), AskIntent("check_case_status"), Command("unsubscribe"),
    AskIntent("unsubscribe_updates"),  # a tip's "Berhenti tips" button
})


def pressed(turn: Turn, payload: Payload) -> None:
    """Act on the payload of a button or command."""
    conversation = turn.conversation
    if conversation.state is ConversationState.WITH_STAFF and payload not in _WITH_STAFF:
        escalation.with_staff(turn)
        return
    match payload:
        case AskIntent(intent):
            # A button that names an intent behaves exactly like a confident message of that intent.
            turn.follow(intent)
        case ShowAnswer(item_id, part):
            info.send_part(turn, item_id, part)
        case FlowAnswer(flow):
            flows.run(turn, flow, payload if payload.choice is not None else None)
        case ChooseLanguage(code):
            language.choose(turn, code)
        case MediaSent():
            if conversation.state is ConversationState.IN_FLOW and conversation.flow:
                flows.run(turn, conversation.flow, None)
            else:
                media.media(turn)
        case Command(name):
            command(turn, name)


def command(turn: Turn, name: str) -> None:
    if name == "menu":
        if turn.conversation.state is ConversationState.IN_FLOW:
            people.leave_flow(turn.conversation)
        menu.show_menu(turn)
    elif name == "start":
        people.leave_flow(turn.conversation)
        menu.welcome(turn)
    elif name == "language":
        turn.say(turn.t("choose_language"), list(language.BUTTONS))
    elif name == "cancel":
        flows.cancel(turn)
    elif name == "end_staff":
        escalation.end_staff(turn)
    elif name == "erase":
        flows.run(turn, "erase")
    elif name == "unsubscribe":
        unsubscribe(turn)
    elif name == "report":
        turn.say(
            turn.t("report_choose"),
            [
                turn.button("btn_report_missing", AskIntent("report_missing_person")),
                turn.button("btn_report_trafficking", AskIntent("report_trafficking")),
                turn.button("menu_human", AskIntent("request_human")),
            ],
        )
    else:
        menu.show_menu(turn)


def unsubscribe(turn: Turn) -> None:
    """An opt-out word or button, in any state. For someone not subscribed the word keeps its
    everyday meaning: it leaves a flow, and while staff hold the chat it is a message for them."""
    state = turn.conversation.state
    if turn.contact.subscribed_at is None and state is ConversationState.WITH_STAFF:
        escalation.with_staff(turn)
    elif turn.contact.subscribed_at is None and state is ConversationState.IN_FLOW:
        flows.cancel(turn)
    else:
        subscription.stop(turn)
