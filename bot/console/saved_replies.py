"""Saved replies (Balasan tersimpan): ready answers per language; supervisors and admins edit them.

Staff insert them into a reply from a conversation page (bot/console/escalation.py lists them for the
person's language); every change is audited.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from bot.console.auth import SUPERVISOR, checked_form, flash, require
from bot.console.common import Console
from bot.hotline import saved_replies
from bot.hotline.saved_replies import SavedReplyError
from bot.storage.models import Staff

LANGUAGE_LABELS = {"id": "Bahasa Indonesia", "en": "English"}


class SavedRepliesPage:
    """/replies (GET, POST), /replies/{id} and /replies/{id}/delete: supervisors and admins only."""

    def __init__(self, console: Console) -> None:
        self.console = console

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/replies", self.page, methods=["GET"]),
            Route("/replies", self.create, methods=["POST"]),
            Route("/replies/{id:int}", self.update, methods=["POST"]),
            Route("/replies/{id:int}/delete", self.delete, methods=["POST"]),
        ]

    async def page(self, request: Request) -> Response:
        staff = await self.console.current(request)
        require(staff, SUPERVISOR)
        replies = await self.console.db(saved_replies.all_replies)
        return self.console.render(request, "replies.html", staff, replies=replies, languages=LANGUAGE_LABELS)

    async def create(self, request: Request) -> Response:
        return await self._change(request, None)

    async def update(self, request: Request) -> Response:
        return await self._change(request, int(request.path_params["id"]))

    async def _change(self, request: Request, reply_id: int | None) -> Response:
        console = self.console
        staff = await console.current(request)
        require(staff, SUPERVISOR)
        form = await checked_form(request)

        def work(session: Session, me: Staff) -> str:
            reply = saved_replies.save(
                session, me, console.now(), language=str(form.get("language", "")),
                title=str(form.get("title", "")), text=str(form.get("text", "")), reply_id=reply_id,
            )
            console.audit(session, request, "saved_reply", me.id, reply.id, target_type="saved_reply",
                          change="update" if reply_id else "create", language=reply.language)
            return f"Balasan “{reply.title}” disimpan."

        await self._run(request, staff, work)
        return RedirectResponse(f"/console/replies#r{reply_id or ''}", 303)

    async def delete(self, request: Request) -> Response:
        console = self.console
        staff = await console.current(request)
        require(staff, SUPERVISOR)
        await checked_form(request)
        reply_id = int(request.path_params["id"])

        def work(session: Session, me: Staff) -> str:
            reply = saved_replies.delete(session, me, reply_id)
            console.audit(session, request, "saved_reply", me.id, reply_id, target_type="saved_reply",
                          change="delete")
            return f"Balasan “{reply.title}” dihapus."

        await self._run(request, staff, work)
        return RedirectResponse("/console/replies", 303)

    async def _run(self, request: Request, staff: Staff, work: Callable[[Session, Staff], str]) -> None:
        def run(session: Session) -> str:
            me = session.get(Staff, staff.id)
            assert me is not None
            return work(session, me)

        try:
            flash(request, await self.console.db(run), "ok")
        except SavedReplyError as exc:
            flash(request, str(exc), "error")
        except LookupError:
            raise HTTPException(404, "Balasan tidak ditemukan.") from None



