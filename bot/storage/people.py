"""Repository functions for people, conversations and transcripts. They never commit."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, bindparam, event, inspect, select, text
from sqlalchemy.orm import (
    ColumnProperty,
    ORMExecuteState,
    Session,
    UOWTransaction,
    contains_eager,
    make_transient_to_detached,
    sessionmaker,
)
from sqlalchemy.orm.attributes import set_committed_value

from bot.chat.inbound import Inbound
from bot.storage.chained import Link, insert_chain
from bot.storage.models import (
    Contact,
    Conversation,
    ConversationState,
    Direction,
    Message,
    utcnow,
)

# A place the person named longer ago than this no longer says where they are (people move, go home).
PLACE_VALID = timedelta(days=90)


def find_contact(
    session: Session, channel: str, external_id: str, contact_id: int | None = None
) -> Contact | None:
    """The person a channel address (or, when known, a contact id) names."""
    if contact_id is not None:
        return session.get(Contact, contact_id)
    return session.scalars(
        select(Contact).where(Contact.channel == channel, Contact.external_id == external_id)
    ).one_or_none()


def wrote_at(session: Session, channel: str, external_id: str, at: datetime) -> None:
    """The person wrote at `at`: their last message time moves forward (never back)."""
    contact = find_contact(session, channel, external_id)
    if contact is not None and (contact.last_inbound_at is None or contact.last_inbound_at < at):
        contact.last_inbound_at = at


def open_turn(
    session: Session, inbound: Inbound, now: datetime, *, reserve_id: Callable[[Session], int] | None = None
) -> tuple[Contact, Conversation, bool]:
    """The person who wrote and their conversation, for one dispatch transaction, and whether the
    person is new (has no history to look up).

    Someone known costs one query, which also locks their contact row (PostgreSQL; SQLite has one
    writer anyway): a person's messages are handled one at a time across replicas. Someone new is
    not in the session yet: `add_message` inserts them, once what the turn learnt of them (language,
    place) is set, so their row is written once; their conversation is inserted at the end of the
    turn as the turn leaves it (not inserted, then updated), with the first reply.

    `reserve_id` (PostgreSQL): someone new gets their id from it now (`reserve_ids` fills it), so
    their row can be written later with their message in the statement of the turn's first reply
    (add_message).
    """
    found = session.scalars(
        _person_statement(), {"b_channel": inbound.channel, "b_external_id": inbound.chat_id}
    ).one_or_none()
    if found is None:
        contact = _new_contact(inbound.channel, inbound.chat_id)
        conversation = _new_conversation()
        if reserve_id is not None:
            contact.id = reserve_id(session)
    else:
        contact = found
        conversation = contact.conversation
        if conversation is None:
            conversation = _new_conversation(contact)
            session.add(conversation)
    if inbound.display_name:
        contact.display_name = inbound.display_name[:128]
    contact.last_inbound_at = inbound.received_at
    conversation.last_activity_at = now
    return contact, conversation, found is None


def add_message(
    session: Session,
    contact: Contact,
    conversation: Conversation,
    inbound: Inbound,
    text: str | None,
    *,
    intent: str | None,
    confidence: float | None,
    urgent: bool,
    route: str | None,
    new_person: bool,
) -> None:
    """Store the turn's message: when its person has an id, with the turn's first reply (one
    statement on PostgreSQL: enqueue_replies takes it with `take_pending`), or before anything else
    the session sends or flushes, should the handler read or write first (`write_pending`, hooked in
    by `write_pending_first`): a handler that erases the person's data finds it all the same. A
    repeated delivery fails on the unique channel message id, and its whole turn is undone.

    Someone new without a reserved id (SQLite, or a turn not opened early) is inserted now with
    their message (one statement on PostgreSQL, bot.storage.chained), before the handler, which may
    need their id; a concurrent first message of the same person fails there (or at the deferred
    write), on the unique channel address, and dispatch runs the turn again. Their conversation
    (open_turn) is written at the end of the turn, with the first reply (unsaved_conversation).
    """
    message = {
        "direction": Direction.IN, "channel": inbound.channel,
        "channel_message_id": inbound.message_id, "kind": inbound.kind, "text": text,
        "media": [
            {"kind": m.kind, "url": m.url, "file_id": m.file_id, "content_type": m.content_type}
            for m in inbound.media
        ],
        "intent": intent, "confidence": confidence, "urgent": urgent, "route": route,
        "author": None, "delivery_status": None, "created_at": inbound.received_at,
    }
    if contact.id is None:
        contact.id, _ = insert_chain(session, _PERSON_AND_MESSAGE, {"contact": _row(contact), "message": message})
        _joined(session, contact, conversation)
        return
    session.info[PENDING] = PendingInbound(contact, {"contact_id": contact.id, **message}, new_person)
    if new_person:
        # Their row is written with the message (its values as they are then): the turn uses the
        # person as if loaded meanwhile, so a handler's rows may point at them.
        _joined(session, contact, conversation)


def reserve_ids(session: Session, count: int) -> list[int]:
    """`count` new people's ids from the contacts sequence (PostgreSQL), in one round trip: unique
    across replicas; ids never used leave gaps, as rolled-back inserts do."""
    return [int(i) for i in session.execute(_NEXT_CONTACT_IDS, {"count": count}).scalars()]


def _joined(session: Session, contact: Contact, conversation: Conversation) -> None:
    """A new person, inserted or to be inserted with their message, joins the session as if loaded
    (the unit of work would insert them at several times the cost, on every new person's first message)."""
    make_transient_to_detached(contact)
    session.add(contact)
    # Their conversation stays out of the session until then: no insert now and an update later.
    conversation.contact_id = contact.id
    # Known to be theirs: no query (as `conversation.contact = contact` would make, for the old value).
    set_committed_value(contact, "conversation", conversation)


@dataclass
class PendingInbound:
    """A turn's message not written yet (add_message), and its person's row when they are new."""

    contact: Contact
    message: dict[str, Any]
    new_person: bool

    def links(self) -> tuple[tuple[Link, ...], dict[str, dict[str, Any]]]:
        """The chain links that write it (to go first in a longer chain), and their values."""
        rows: dict[str, dict[str, Any]] = {"inbound": self.message}
        if not self.new_person:
            return _INBOUND, rows
        return _RESERVED_PERSON_AND_INBOUND, {"person": {"id": self.contact.id, **_row(self.contact)}, **rows}


def take_pending(session: Session) -> PendingInbound | None:
    """The turn's message still to be written, now the caller's to write."""
    pending: PendingInbound | None = session.info.pop(PENDING, None)
    return pending


def write_pending(session: Session) -> None:
    """Write the turn's message (and new person) now, if it is still waiting."""
    pending = take_pending(session)
    if pending is not None:
        links, rows = pending.links()
        insert_chain(session, links, rows)


def write_pending_first(sessions: sessionmaker[Session]) -> None:
    """Sessions of `sessions` write a turn's waiting message before any statement or flush of
    theirs, so whatever a handler reads or writes finds it, and rows come in the order they were made."""
    if not event.contains(sessions, "do_orm_execute", _before_execute):
        event.listen(sessions, "do_orm_execute", _before_execute)
        event.listen(sessions, "before_flush", _before_flush)


def _before_execute(state: ORMExecuteState) -> None:
    if PENDING in state.session.info:
        write_pending(state.session)


def _before_flush(session: Session, _flush: UOWTransaction, _instances: object) -> None:
    if PENDING in session.info:
        write_pending(session)


def unsaved_conversation(conversation: Conversation) -> dict[str, Any] | None:
    """A new person's conversation not written yet (add_message): its row, for the statement that
    writes the turn's first reply; None once it is in the session (pending or stored)."""
    if not inspect(conversation).transient:
        return None
    return _row(conversation)


def conversation_saved(session: Session, conversation: Conversation, conversation_id: int) -> None:
    """The conversation's row was inserted with `conversation_id`: it joins the session as if loaded."""
    conversation.id = conversation_id
    make_transient_to_detached(conversation)
    session.add(conversation)


def save_conversation(session: Session, conversation: Conversation) -> None:
    """A turn without replies still leaves a new person's conversation: inserted at commit."""
    if inspect(conversation).transient:
        session.add(conversation)


# A new person and their first message (add_message).
_PERSON_AND_MESSAGE = (Link("contact", Contact), Link("message", Message, refs=(("contact_id", "contact"),)))
# A turn's message written later (PendingInbound), alone or after its person's row (their id reserved).
_INBOUND = (Link("inbound", Message),)
_RESERVED_PERSON_AND_INBOUND = (Link("person", Contact), *_INBOUND)
PENDING = "teman.pending_inbound"  # session.info key
# New people's ids, taken before their rows are written (reserve_ids; PostgreSQL).
_NEXT_CONTACT_IDS = text("SELECT nextval(pg_get_serial_sequence('contacts', 'id')) FROM generate_series(1, :count)")


@functools.cache
def _person_statement() -> Select[tuple[Contact]]:
    """open_turn's query, built once: every message runs it, and building it costs more than running it."""
    return (
        select(Contact)
        .outerjoin(Contact.conversation)
        .options(contains_eager(Contact.conversation))
        .where(Contact.channel == bindparam("b_channel"), Contact.external_id == bindparam("b_external_id"))
        .with_for_update(of=Contact)
    )


def _new_contact(channel: str, external_id: str) -> Contact:
    # Every column set: add_message writes them all with one INSERT.
    return Contact(
        channel=channel, external_id=external_id, display_name=None, language=None, consent_at=None,
        subscribed_at=None, created_at=utcnow(), last_inbound_at=None, place_country=None, place_city=None,
        place_at=None, sub_regency=None, sub_country=None, sub_topics=[],
    )


def _row(obj: Contact | Conversation) -> dict[str, Any]:
    """The object's values for an INSERT of its row (every column but the id)."""
    return {column.key: getattr(obj, column.key) for column in _columns(type(obj))}


@functools.cache
def _columns(model: type[Contact] | type[Conversation]) -> tuple[ColumnProperty[Any], ...]:
    return tuple(prop for prop in inspect(model).column_attrs if prop.key != "id")


def _new_conversation(contact: Contact | None = None) -> Conversation:
    # Every value set, defaults too: a new person's conversation is used before it is inserted.
    now = utcnow()
    conversation = Conversation(
        state=ConversationState.IDLE, flow=None, step=None, answers={}, offered=[], clarify_count=0,
        reminded_at=None, created_at=now, updated_at=now, last_activity_at=now,
    )
    if contact is not None:
        conversation.contact = contact
    return conversation


def is_duplicate(session: Session, inbound: Inbound) -> bool:
    """A channel delivered this message before (webhook retries, Twilio/Telegram redelivery)."""
    return (
        session.scalar(
            select(Message.id).where(
                Message.channel == inbound.channel, Message.channel_message_id == inbound.message_id
            )
        )
        is not None
    )


def get_conversation(session: Session, contact: Contact) -> Conversation:
    conversation = session.scalars(
        select(Conversation).where(Conversation.contact_id == contact.id)
    ).one_or_none()
    if conversation is None:
        conversation = Conversation(contact_id=contact.id, state=ConversationState.IDLE, answers={}, offered=[])
        session.add(conversation)
        session.flush()
    return conversation


def enter_flow(conversation: Conversation, flow: str, step: str, answers: dict | None = None) -> None:
    conversation.state = ConversationState.IN_FLOW
    conversation.flow = flow
    conversation.step = step
    conversation.answers = dict(answers or {})
    conversation.reminded_at = None


def leave_flow(conversation: Conversation) -> None:
    if conversation.state is ConversationState.IN_FLOW:
        conversation.state = ConversationState.IDLE
    conversation.flow = None
    conversation.step = None
    conversation.answers = {}


def touch(conversation: Conversation, now: datetime) -> None:
    conversation.last_activity_at = now


def remember_language(contact: Contact, language: str | None) -> None:
    """The person writes in `language` (a first message, or a clear switch); None changes nothing."""
    if language is not None:
        contact.language = language


def remember_place(contact: Contact, country: str, city: str | None, now: datetime) -> None:
    """The person said where they are now."""
    contact.place_country = country[:32]
    contact.place_city = city[:32] if city else None
    contact.place_at = now


def place_of(contact: Contact, now: datetime) -> tuple[str, str | None] | None:
    """(country, city) the person last said they are in, while that is recent enough to trust."""
    if contact.place_country is None or contact.place_at is None or now - contact.place_at > PLACE_VALID:
        return None
    return contact.place_country, contact.place_city
