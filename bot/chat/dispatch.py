"""The one path every message takes: understand, store, route, handle, enqueue replies, commit."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy.exc import IntegrityError, OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from bot.chat import payload as payloads
from bot.chat.early import EarlyTurns, Opened
from bot.chat.inbound import MAX_TEXT, Inbound, Reply
from bot.chat.payload import AskIntent, Command, MediaSent, Payload
from bot.chat.router import Decision, Route, decide, decide_followed
from bot.chat.turn import Services, Turn
from bot.outbox import rows
from bot.outbox.enqueue import Claim, enqueue_replies
from bot.outbox.rows import Head
from bot.storage import people
from bot.storage.db import AnyDatabaseWork, DatabaseWork, transaction
from bot.storage.models import Contact, ConversationState, OutboxItem
from bot.understanding import safety
from bot.understanding.result import Understanding
from bot.understanding.understand import Understander, from_button

log = logging.getLogger(__name__)
# A handler may hand the turn on (Turn.follow) this many times; more would be a loop.
MAX_FOLLOWS = 2
# Turns of the event loop a webhook's answer waits after its replies' sends start (_dispatch).
SEND_HEAD_START = 3


class DispatchError(Exception):
    """The message could not be stored; the caller must not acknowledge it as handled."""


@dataclass
class DispatchResult:
    replies: list[Reply]
    stored: bool = True  # False: the database failed; replies are an emergency fallback to send directly
    duplicate: bool = False
    decision: Decision | None = None
    escalated: bool = False
    extra: dict[str, Any] = field(default_factory=dict)
    # The replies' outbox rows, committed (the worker sends them at once), and whether the turn
    # queued or changed other outbox rows too (e.g. a staff group notice: a pass finds those).
    queued: list[Head] = field(default_factory=list)
    other_rows: bool = False


Handler = Callable[[Turn], None]
ResolveHandler = Callable[[Route], Handler]
# Whether staff closed this person's escalation lately, so what they write goes back to staff
# (bot.hotline; handed in by the app factory, as the handlers are).
ClosedLately = Callable[[Session, Contact, datetime], bool]


class OutboxNotice(Protocol):
    """How dispatch tells the outbox worker (bot.outbox.sender.OutboxWorker) about committed replies."""

    def offer(self, heads: Sequence[Head]) -> None: ...

    def wake(self) -> None: ...

    def sendable_now(self, channel: str, chat_id: str) -> tuple[datetime, timedelta | None, timedelta] | None: ...


class DispatchObserver(Protocol):
    """What dispatch reports (bot.metrics.Metrics)."""

    def received(self, channel: str) -> None: ...

    def understood(self, source: str, seconds: float) -> None: ...

    def dispatched(self, channel: str, seconds: float) -> None: ...


@dataclass
class _ChatLock:
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    users: int = 0  # messages of the chat holding or waiting for the lock


class _HandlerFailed(Exception):
    """A handler raised: the turn is run again in a new transaction with the kind fallback."""


class Dispatcher:
    def __init__(
        self,
        services: Services,
        sessions: sessionmaker[Session],
        understander: Understander,
        resolve_handler: ResolveHandler,
        outbox: OutboxNotice | None = None,
        observer: DispatchObserver | None = None,
        closed_lately: ClosedLately | None = None,
        db: AnyDatabaseWork | None = None,
        early: EarlyTurns | None = None,
    ) -> None:
        self.db: AnyDatabaseWork = db or DatabaseWork()
        self.services = services
        self.sessions = sessions
        self.understander = understander
        self.resolve_handler = resolve_handler
        self.outbox = outbox
        self.observer = observer
        self.closed_lately = closed_lately
        self.early = early
        # A turn's message is written with its first reply, or before the handler's first statement.
        people.write_pending_first(sessions)
        self._chats: dict[tuple[str, str], _ChatLock] = {}
        self._closing: set[asyncio.Future[None]] = set()

    @asynccontextmanager
    async def _chat_turn(self, inbound: Inbound) -> AsyncIterator[None]:
        """Messages of one chat are handled one at a time, in arrival order (asyncio.Lock is FIFO).
        A chat's lock is forgotten when no message of it is waiting, so the map stays small."""
        key = (inbound.channel, inbound.chat_id)
        chat = self._chats.get(key)
        if chat is None:
            chat = self._chats[key] = _ChatLock()
        chat.users += 1
        try:
            async with chat.lock:
                yield
        finally:
            chat.users -= 1
            if chat.users == 0:
                del self._chats[key]

    async def dispatch(self, inbound: Inbound) -> DispatchResult:
        started = time.perf_counter()
        if self.observer is not None:
            self.observer.received(inbound.channel)
        result = await self._dispatch(inbound)
        if self.observer is not None:
            self.observer.dispatched(inbound.channel, time.perf_counter() - started)
        return result

    async def _dispatch(self, inbound: Inbound) -> DispatchResult:
        text = (inbound.text or "").strip()
        if len(text) > MAX_TEXT:
            log.warning("dispatch.text_truncated channel=%s chars=%d", inbound.channel, len(text))
            text = text[:MAX_TEXT]
        payload = self._pressed(inbound, text)
        # The chat's lock is taken before the parse, so its messages are stored and answered in the
        # order they came, however long each one's parse takes.
        async with self._chat_turn(inbound):
            opening: asyncio.Future[Opened | None] | None = None
            if payload is None and text and inbound.kind == "text" and payloads.numbered_choice(text) is None:
                if self.early is not None and self.early.take():
                    # The transaction opens while Rasa parses (PostgreSQL, bounded: bot.chat.early).
                    opening = asyncio.ensure_future(self.db.run(self.early.open, inbound, self.services.clock()))
                try:
                    understanding = await self._understand(text)
                    opened = await opening if opening is not None else None
                except BaseException:
                    if opening is not None:
                        self._drop(opening)
                    raise
            else:
                understanding = (
                    from_button(_asked_intent(payload), text)
                    if payload is not None
                    # Media, empty texts and bare numbers ("2" = a button) need no NLU; safety still looks.
                    else Understanding(None, 0.0, source="none", safety=safety.check(text))
                )
                opened = None
            try:
                result = await self.db.run(self._run_turn, inbound, text, payload, understanding, opened)
            except (OperationalError, SQLAlchemyError, OSError) as exc:
                # The store is down: the person still gets a kind answer with the numbers to call,
                # and the whole message goes to the log so an operator can act on it.
                log.error(
                    "dispatch.store_failed channel=%s chat=%s message=%s urgent=%s text=%r error=%s",
                    inbound.channel, inbound.chat_id, inbound.message_id, understanding.safety.urgent, text, exc,
                )
                lang = inbound.language_hint if inbound.language_hint in ("id", "en") else "id"
                fallback = self.services.texts.get("store_failed", lang)
                return DispatchResult([Reply(fallback)], stored=False)
        if self.outbox is not None:
            if result.queued:
                self.outbox.offer(result.queued)
                # The replies' sends have just been started as tasks: a few turns of the loop let
                # their requests leave (the send task, then aiohttp's body writer) before the
                # channel's acknowledgment of this message is written. The person waits for the
                # reply; the webhook's caller does not mind a few microseconds. ~1 ms at p50.
                for _ in range(SEND_HEAD_START):
                    await asyncio.sleep(0)
            if result.other_rows or result.escalated:
                self.outbox.wake()
        return result

    async def _understand(self, text: str) -> Understanding:
        asked = time.perf_counter()
        understanding = await self.understander.understand(text)
        if self.observer is not None:
            self.observer.understood(understanding.source, time.perf_counter() - asked)
        return understanding

    def _drop(self, opening: asyncio.Future[Opened | None]) -> None:
        """A transaction opened early that no turn will use (the dispatch was cancelled): closed on a
        database thread once the opening is done, so its connection and row lock are given back."""

        def close(done: asyncio.Future[Opened | None]) -> None:
            opened = None if done.cancelled() or done.exception() is not None else done.result()
            if opened is not None:
                task = asyncio.ensure_future(self.db.run(opened.close))
                self._closing.add(task)
                task.add_done_callback(self._closing.discard)

        opening.add_done_callback(close)

    def _run_turn(
        self, inbound: Inbound, text: str, payload: Payload | None, understanding: Understanding,
        opened: Opened | None = None,
    ) -> DispatchResult:
        """One transaction (the first run may take one opened early); run again when a handler failed
        (with the fallback) or a person's first two messages raced to create them (the second run
        finds them)."""
        handler_failed = False
        for attempt in range(3):
            after_commit: list[Callable[[], Any]] = []
            early, opened = opened, None
            try:
                with self._transaction(early) as session:
                    result, queued = self._turn_in_transaction(
                        session, inbound, text, payload, understanding, after_commit, handler_failed, early
                    )
                result.queued = queued  # committed: the worker may send them
                break
            except _HandlerFailed:
                handler_failed = True  # the handler's changes are gone; the message is stored next run
            except IntegrityError:
                if self._stored_before(inbound):
                    # A repeated delivery (webhook retries, Twilio/Telegram redelivery): answered before.
                    log.info("dispatch.duplicate channel=%s message=%s", inbound.channel, inbound.message_id)
                    return DispatchResult([], duplicate=True)
                if attempt == 2:
                    raise
                # Else the person's first messages raced to create them: the next run finds them.
        for callback in after_commit:
            try:
                callback()
            except Exception:  # a notification must never undo a stored message
                log.exception("dispatch.after_commit_failed")
        return result

    @contextmanager
    def _transaction(self, early: Opened | None) -> Iterator[Session]:
        """The turn's one transaction: the one opened early, when there is one, else a new one."""
        if early is None:
            with transaction(self.sessions) as session:
                yield session
            return
        try:
            with early.session as session, early.transaction:
                yield session
        finally:
            early.close()

    def _stored_before(self, inbound: Inbound) -> bool:
        with self.sessions() as session:
            return people.is_duplicate(session, inbound)

    def _turn_in_transaction(
        self,
        session: Session,
        inbound: Inbound,
        text: str,
        payload: Payload | None,
        understanding: Understanding,
        after_commit: list[Callable[[], Any]],
        handler_failed: bool = False,
        early: Opened | None = None,
    ) -> tuple[DispatchResult, list[Head]]:
        if early is not None:
            contact, conversation, new_person = early.contact, early.conversation, early.new_person
        else:
            contact, conversation, new_person = people.open_turn(session, inbound, self.services.clock())

        if payload is None and text:
            payload = self._chosen_button(conversation.offered, text)
            if payload is not None:
                understanding = from_button(_asked_intent(payload), text)
        if inbound.kind not in ("text", "button") and payload is None:
            payload = MediaSent(inbound.kind)
        # The conversation follows the person's language, and remembers where they say they are.
        reading = understanding.reading
        people.remember_language(contact, reading.language_for(contact.language))
        if reading.here is not None:
            people.remember_place(contact, reading.here.country, reading.here.city, self.services.clock())
        settings = self.services.settings
        decision = decide(
            understanding,
            state=conversation.state,
            flow=conversation.flow,
            payload=payload,
            threshold=settings.nlu.confidence_threshold,
            find_answer=self.services.find_answer,
            after_close=(
                self.closed_lately is not None
                and not new_person  # nobody closed anything for someone who never wrote before
                and conversation.state is ConversationState.IDLE
                and self._closed_lately(session, contact)
            ),
        )
        people.add_message(
            session, contact, conversation, inbound, text or None, intent=decision.intent,
            confidence=understanding.confidence, urgent=decision.urgent, route=str(decision.route)[:96],
            new_person=new_person,
        )
        turn = Turn(
            session=session,
            services=self.services,
            inbound=inbound,
            contact=contact,
            conversation=conversation,
            understanding=understanding,
            decision=decision,
            text=text,
            after_commit=after_commit,
        )
        if handler_failed:
            self._fallback(turn)
        else:
            self._run_handler(turn)
        conversation.offered = [
            {"label": b.label, "payload": b.payload} for b in (turn.replies[-1].buttons if turn.replies else ())
        ]
        other_rows = _touches_outbox(session)
        if other_rows:
            session.flush()  # what the handler queued goes first, as it was said first
        claim = self._claim(session, inbound, new_person) if turn.replies and not other_rows else None
        queued = enqueue_replies(session, contact, conversation, turn.replies, claim=claim)
        log.info(
            "dispatch.handled channel=%s contact=%s intent=%s conf=%.2f urgent=%s route=%s nlu=%s replies=%d",
            inbound.channel, contact.id, decision.intent, understanding.confidence, decision.urgent,
            decision.route, understanding.source, len(turn.replies),
        )
        result = DispatchResult(
            list(turn.replies), decision=decision, escalated=decision.escalates, other_rows=other_rows
        )
        return result, queued

    def _claim(self, session: Session, inbound: Inbound, new_person: bool) -> Claim | None:
        """Claim the turn's first reply in its own transaction when this process can send it at once,
        so the sender needs no claim transaction of its own (the usual case: a reply to someone who
        waits). The chat must be free as `rows.claim` requires; the contact's row lock (open_turn)
        keeps a concurrent turn of the same person from claiming too. Turns that queued other rows
        (a staff notice) take the usual way."""
        if self.outbox is None:
            return None
        slot = self.outbox.sendable_now(inbound.channel, inbound.chat_id)
        if slot is None:
            return None
        now, spacing, lease = slot
        # Someone new has no rows yet; anyone else's chat is asked (one query).
        if not new_person and not rows.chat_is_free(
            session, inbound.channel, inbound.chat_id, None if spacing is None else now - spacing
        ):
            return None
        return Claim(now, lease)

    def _closed_lately(self, session: Session, contact: Contact) -> bool:
        assert self.closed_lately is not None
        # Not flushed first: the person's changed row (last message time, name) is written by the
        # turn's one flush at commit, not by an extra one here.
        with session.no_autoflush:
            return self.closed_lately(session, contact, self.services.clock())

    def _run_handler(self, turn: Turn) -> None:
        # No savepoint (two more round trips on every message): a failing handler aborts the whole
        # transaction and _run_turn stores the message again with the fallback (_fallback).
        contact_id = turn.contact.id  # read now: after a failed flush the session refuses every attribute
        try:
            self._handle(turn)
        except IntegrityError:
            # A unique row a handler inserts met another turn's (two first messages of one person
            # at once): _run_turn runs the turn again, or answers it as a repeated delivery.
            raise
        except Exception as exc:
            log.exception("dispatch.handler_failed route=%s contact=%s", turn.decision.route, contact_id)
            raise _HandlerFailed() from exc

    def _fallback(self, turn: Turn) -> None:
        """After a handler failed: if the message was urgent, the escalation path runs on its own, so
        nobody in danger is lost; otherwise a kind reply with the numbers to call."""
        if turn.decision.urgent and not turn.decision.escalates:
            _, turn.decision = decide_followed(
                turn.understanding, "emergency", urgent=True, find_answer=self.services.find_answer
            )
            self.resolve_handler(turn.decision.route)(turn)
        else:
            turn.say(turn.t("handler_failed"))

    def _handle(self, turn: Turn) -> None:
        """Run the decision's handler, and the decisions a handler hands on with Turn.follow."""
        self.resolve_handler(turn.decision.route)(turn)
        for _ in range(MAX_FOLLOWS):
            intent, turn.followed_intent = turn.followed_intent, None
            if intent is None:
                return
            turn.understanding, turn.decision = decide_followed(
                turn.understanding, intent, urgent=turn.decision.urgent, find_answer=self.services.find_answer
            )
            self.resolve_handler(turn.decision.route)(turn)
        if turn.followed_intent is not None:
            log.error("dispatch.follow_loop intent=%s contact=%s", turn.followed_intent, turn.contact.id)
            turn.followed_intent = None

    @staticmethod
    def _pressed(inbound: Inbound, text: str) -> Payload | None:
        """The button pressed, command typed or opt-out word sent, parsed once; unknown button data
        shows the menu."""
        if inbound.payload:
            payload = payloads.parse(inbound.payload)
            if payload is None:
                log.warning("dispatch.unknown_payload channel=%s data=%r", inbound.channel, inbound.payload[:64])
                return Command("menu")
            return payload
        return payloads.typed_command(text) or payloads.opt_out_word(text)

    @staticmethod
    def _chosen_button(offered: list[Any], text: str) -> Payload | None:
        """'2' (or the button's own label) picks from the buttons shown last time."""
        if not offered:
            return None
        index = payloads.numbered_choice(text)
        if index is not None:
            return payloads.parse(offered[index]["payload"]) if 0 <= index < len(offered) else None
        lowered = text.strip().lower()
        for button in offered:
            if button["label"].strip().lower() == lowered:
                return payloads.parse(str(button["payload"]))
        return None


def _touches_outbox(session: Session) -> bool:
    """Whether the turn so far queued, loaded or changed any outbox row (a handler's notice to staff)."""
    return any(isinstance(row, OutboxItem) for row in (*session.new, *session.identity_map.values()))


def _asked_intent(payload: Payload) -> str | None:
    return payload.intent if isinstance(payload, AskIntent) else None
