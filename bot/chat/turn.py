"""Everything a handler may use for one message; handlers never see the channel."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from bot.answers.texts import Texts
from bot.chat.inbound import Button, Inbound, Reply
from bot.chat.payload import Payload
from bot.chat.router import Decision
from bot.config import Settings
from bot.storage.models import Contact, Conversation
from bot.understanding.result import Understanding

if TYPE_CHECKING:
    from bot.answers.library import Library


@dataclass
class Services:
    """Built once by the app factory and shared by every turn."""

    settings: Settings
    library: Library
    texts: Texts
    clock: Callable[[], datetime]

    def find_answer(self, intent: str, entities: dict[str, str]) -> str | None:
        """The id of the content item that answers `intent` (router.FindAnswer), or None."""
        item = self.library.find(intent, entities)
        return item.id if item else None


@dataclass
class Turn:
    session: Session
    services: Services
    inbound: Inbound
    contact: Contact
    conversation: Conversation
    understanding: Understanding
    decision: Decision
    text: str = ""  # the message text, stripped and length-capped by dispatch
    replies: list[Reply] = field(default_factory=list)
    # Work to run after the transaction commits (e.g. tell the console a new escalation exists).
    after_commit: list[Callable[[], Any]] = field(default_factory=list)
    # Set by follow(): dispatch routes the turn again as a request for this intent.
    followed_intent: str | None = None

    @property
    def lang(self) -> str:
        return self.contact.language or self.services.settings.default_language

    @property
    def now(self) -> datetime:
        return self.services.clock()

    def t(self, key: str, **values: Any) -> str:
        return self.services.texts.get(key, self.lang, **values)

    def say(self, text: str, buttons: tuple[Button, ...] | list[Button] = ()) -> None:
        self.replies.append(Reply(text=text, buttons=tuple(buttons)))

    def button(self, key: str, payload: Payload) -> Button:
        return Button(self.t(key), str(payload))

    def follow(self, intent: str) -> None:
        """Hand the turn back to dispatch as a confident request for `intent`.

        A handler never calls the router or another route's handler itself: a button naming an
        intent, or a clear new request typed mid-flow, is routed by dispatch like any message.
        """
        self.followed_intent = intent
