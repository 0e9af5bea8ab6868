"""Saved replies: ready answers per language that staff insert into a reply; supervisors edit them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.config import LANGUAGES
from bot.hotline.staff import can_supervise
from bot.storage.models import SavedReply, Staff

MAX_TITLE = 100
MAX_TEXT = 4000


class SavedReplyError(Exception):
    """The saved reply cannot be stored; the message is for staff."""


def all_replies(session: Session, language: str | None = None) -> list[SavedReply]:
    query = select(SavedReply).order_by(SavedReply.language, SavedReply.title, SavedReply.id)
    if language is not None:
        query = query.where(SavedReply.language == language)
    return list(session.scalars(query))


def save(
    session: Session, staff: Staff, now: datetime, *, language: str, title: str, text: str,
    reply_id: int | None = None,
) -> SavedReply:
    """Create or change one saved reply (supervisors and admins only)."""
    if not can_supervise(staff):
        raise SavedReplyError("Hanya supervisor atau admin yang bisa mengubah balasan tersimpan.")
    if language not in LANGUAGES:
        raise SavedReplyError("Pilih bahasa balasan.")
    title, text = title.strip(), text.strip()
    if not title or not text:
        raise SavedReplyError("Judul dan isi balasan wajib diisi.")
    if len(title) > MAX_TITLE or len(text) > MAX_TEXT:
        raise SavedReplyError(f"Judul maksimal {MAX_TITLE} karakter, isi maksimal {MAX_TEXT} karakter.")
    reply = session.get(SavedReply, reply_id) if reply_id is not None else None
    if reply_id is not None and reply is None:
        raise LookupError(reply_id)
    if reply is None:
        reply = SavedReply(language=language, title=title, text=text)
        session.add(reply)
    reply.language, reply.title, reply.text = language, title, text
    reply.updated_by, reply.updated_at = staff.id, now
    session.flush()
    return reply


def delete(session: Session, staff: Staff, reply_id: int) -> SavedReply:
    if not can_supervise(staff):
        raise SavedReplyError("Hanya supervisor atau admin yang bisa menghapus balasan tersimpan.")
    reply = session.get(SavedReply, reply_id)
    if reply is None:
        raise LookupError(reply_id)
    session.delete(reply)
    return reply
