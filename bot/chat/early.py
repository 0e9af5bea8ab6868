"""A message's transaction opened while its NLU parse is on the way (PostgreSQL only).

Dispatch asks Rasa first and opens the transaction after, so a slow parse never holds a lock. On
PostgreSQL the opening (a pooled connection, BEGIN, the person's row read and locked) is ~0.8 ms
of round trips that need nothing from the parse: done during the parse, they leave the message's
critical path. That is safe only when bounded, because an opened transaction holds a connection
and the person's row lock until the parse returns (at most the NLU request timeout):

- PostgreSQL only: SQLite has one writer and one database thread; nothing is opened early there.
- Never more than `limit` open at once, and only while fewer connections than the pool's size are
  in use, so early openings can neither exhaust the pool nor take its overflow (kept for bursts).
- Under the chat's own lock (dispatch holds it), so the row lock is one the chat's next message
  would wait for anyway.

Anything that goes wrong while opening gives no opening: the turn then opens as it always did.
"""

from __future__ import annotations

import logging
from collections import deque
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine
from sqlalchemy.orm import Session, SessionTransaction, sessionmaker
from sqlalchemy.pool import QueuePool

from bot.chat.inbound import Inbound
from bot.storage import people
from bot.storage.db import is_sqlite
from bot.storage.models import Contact, Conversation

log = logging.getLogger(__name__)
ID_BLOCK = 32  # new people's ids taken from the sequence at a time


@dataclass
class Opened:
    """A transaction begun with `people.open_turn` done: the turn continues in it (Dispatcher._transaction),
    or it is dropped (`close`)."""

    session: Session
    transaction: SessionTransaction
    contact: Contact
    conversation: Conversation
    new_person: bool
    budget: EarlyTurns

    closed: bool = False

    def close(self) -> None:
        """Roll back what is still open and give the connection back. Safe to call twice."""
        if self.closed:
            return
        self.closed = True
        try:
            self.session.close()
        finally:
            self.budget.returned()


class EarlyTurns:
    """How many transactions may be open early at once, and the opening itself (run where the database
    work runs: bot.storage.db.database_work; on PostgreSQL the event loop)."""

    def __init__(self, sessions: sessionmaker[Session], limit: int) -> None:
        engine: Engine = sessions.kw["bind"]
        pool = engine.pool
        # Only a pool that says how many connections are in use and its size; SQLite never opens early.
        self.limit = 0 if is_sqlite(engine) or not isinstance(pool, QueuePool) else limit
        self._pool = pool if isinstance(pool, QueuePool) else None
        self._sessions = sessions
        self._open = 0  # changed on the event loop only (take) and by returned(); see there
        self._ids: deque[int] = deque()  # new people's ids reserved from the sequence (_contact_id)

    def take(self) -> bool:
        """On the event loop: whether an opening may start now; if so it counts until returned."""
        # Within the pool's own size (idle or not yet opened): never into its overflow, kept for bursts.
        if self._pool is None or self._open >= self.limit or self._pool.checkedout() >= self._pool.size():
            return False
        self._open += 1
        return True

    def returned(self) -> None:
        # Called where the database work runs (the event loop on PostgreSQL, so no race there; with
        # threads a lost update would only let one opening more or fewer through for a moment).
        self._open = max(0, self._open - 1)

    def _contact_id(self, session: Session) -> int:
        """A new person's id from this process's block (a new block when it is used up): most new
        people's turns need no round trip for theirs."""
        if not self._ids:
            self._ids.extend(people.reserve_ids(session, ID_BLOCK))
        return self._ids.popleft()

    def open(self, inbound: Inbound, now: datetime) -> Opened | None:
        """BEGIN and `people.open_turn` (where the database work runs); None (all undone) when it fails."""
        session = self._sessions()
        try:
            transaction = session.begin()
            # Someone new gets their id now: their row goes with their message and the first reply.
            contact, conversation, new_person = people.open_turn(session, inbound, now, reserve_id=self._contact_id)
        except Exception as exc:  # the turn opens the usual way and meets the same fault there
            log.warning("dispatch.early_open_failed channel=%s error=%s", inbound.channel, exc)
            session.close()
            self.returned()
            return None
        return Opened(session, transaction, contact, conversation, new_person, self)
