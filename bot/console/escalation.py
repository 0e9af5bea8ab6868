"""One escalation (a conversation): its page and transcript refresh, and the staff actions on it.

Each action is one transaction holding its audit entry; reading a conversation is audited too.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from bot.console.auth import client_ip
from bot.console.common import Action, Console
from bot.hotline import commands, queries, saved_replies
from bot.hotline import staff as staff_accounts
from bot.hotline.labels import CASE_STATUS_LABELS, OUTCOME_LABELS
from bot.storage.models import EscalationStatus, Staff

# What staff read after sending a reply, by how it goes out (commands.ReplyResult.mode).
REPLY_SENT = {
    "text": "Balasan masuk antrean kirim.",
    "template": "Balasan DITAHAN: template pembuka WhatsApp dikirim dulu; balasan Anda terkirim "
    "setelah orangnya menjawab.",
    "held": "Balasan disimpan tetapi DITAHAN: di luar jendela 24 jam WhatsApp dan tidak ada template.",
}
# Escalations whose reading this session has audited, newest last; a long shift stays under the cap.
READ_KEY = "read"
READ_KEEP = 100


def read_in_session(request: Request) -> list[int]:
    return [i for i in request.session.get(READ_KEY, []) if isinstance(i, int)]


def mark_read(request: Request, escalation_id: int) -> None:
    read = [i for i in read_in_session(request) if i != escalation_id]
    request.session[READ_KEY] = [*read, escalation_id][-READ_KEEP:]


class EscalationPage:
    """/e/{id} and its actions: any signed-in staff member; the commands check who may do what."""

    def __init__(self, console: Console) -> None:
        self.console = console

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/api/e/{id:int}/messages", self.messages_json),
            Route("/e/{id:int}", self.page),
            Route("/e/{id:int}/claim", self.claim, methods=["POST"]),
            Route("/e/{id:int}/reply", self.reply, methods=["POST"]),
            Route("/e/{id:int}/note", self.note, methods=["POST"]),
            Route("/e/{id:int}/reassign", self.reassign, methods=["POST"]),
            Route("/e/{id:int}/handback", self.hand_back, methods=["POST"]),
            Route("/e/{id:int}/close", self.close, methods=["POST"]),
            Route("/e/{id:int}/case-status", self.case_status, methods=["POST"]),
        ]

    # ------------------------------------------------------------ reading
    async def page(self, request: Request) -> Response:
        console = self.console
        staff = await console.current(request)
        escalation_id = int(request.path_params["id"])

        def work(session: Session) -> dict[str, Any]:
            try:
                view = queries.view(session, escalation_id, console.now(), console.settings, console.window_open)
            except LookupError:
                raise HTTPException(404, "Eskalasi tidak ditemukan.") from None
            lines = queries.transcript(session, view.contact.id)
            # Reading a conversation is itself access to personal data: audited every time.
            console.audit(session, request, "view", staff.id, escalation_id)
            language = view.contact.language or console.settings.default_language
            return {
                "view": view, "lines": lines, "staff_list": queries.active_staff(session),
                "last_id": lines[-1].id if lines else 0,
                "saved_replies": saved_replies.all_replies(session, language),
                "case_statuses": [(status.value, label) for status, label in CASE_STATUS_LABELS.items()],
            }

        data = await console.db(work)
        mark_read(request, escalation_id)
        escalation = data["view"].escalation
        data["can_act"] = escalation.status is not EscalationStatus.CLOSED and (
            escalation.claimed_by == staff.id or staff_accounts.can_supervise(staff)
        )
        return console.render(request, "escalation.html", staff, **data)

    async def messages_json(self, request: Request) -> Response:
        """New transcript lines for an open escalation page; a session's first read of one is audited."""
        staff = await self.console.current(request)
        escalation_id = int(request.path_params["id"])
        first_read = escalation_id not in read_in_session(request)
        try:
            after = int(request.query_params.get("after", "0"))
        except ValueError:
            after = 0

        def work(session: Session) -> dict[str, Any]:
            try:
                escalation = queries.get(session, escalation_id)
            except LookupError:
                raise HTTPException(404, "Eskalasi tidak ditemukan.") from None
            lines = queries.transcript(session, escalation.contact_id, after_id=after)
            if first_read:
                # Read without the page (which audits every view): the transcript is personal data all the same.
                self.console.audit(session, request, "view", staff.id, escalation_id, via="api")
            return {
                "lines": [line.as_json() for line in lines],
                "status": escalation.status.value,
                "claimed_by": escalation.claimer.username if escalation.claimer else None,
            }

        body = await self.console.db(work)
        if first_read:
            mark_read(request, escalation_id)
        return JSONResponse(body, headers={"Cache-Control": "no-store"})

    # ------------------------------------------------------------ actions
    async def _action(self, request: Request, action: str, work: Action) -> Response:
        """Run an escalation action and go back to its page."""
        escalation_id = int(request.path_params["id"])
        return await self.console.act(
            request, work, back=lambda: f"/console/e/{escalation_id}", not_allowed=commands.NotAllowed,
            refused=(commands.QueueError,), not_found="Eskalasi tidak ditemukan.",
            logged=f"{action} escalation={escalation_id}",
        )

    def _group_post(self, session: Session, key: str, escalation_id: int, **values: Any) -> None:
        group = self.console.app.staff_group
        if group is not None:
            escalation = queries.get(session, escalation_id)
            group.post(session, key, escalation_id, reply_to=group.message_id_of(session, escalation), **values)

    async def claim(self, request: Request) -> Response:
        console = self.console
        escalation_id = int(request.path_params["id"])

        def work(session: Session, me: Staff, form: Any) -> str | None:
            result = commands.claim(session, escalation_id, me, console.now(), console.settings, console.texts,
                                    console.window_open, ip=client_ip(request))
            if not result.won:
                raise commands.QueueError(f"Sudah diambil oleh {result.owner or 'petugas lain'}.")
            self._group_post(session, "staff_group_claimed", escalation_id, staff=me.username)
            return "Eskalasi ini sekarang Anda tangani."

        return await self._action(request, "claim", work)

    async def reply(self, request: Request) -> Response:
        console = self.console
        escalation_id = int(request.path_params["id"])

        def work(session: Session, me: Staff, form: Any) -> str | None:
            escalation = queries.get(session, escalation_id)
            sent = commands.reply(session, escalation, me, str(form.get("text", "")), console.now(),
                                  console.settings, console.texts, console.window_open)
            console.audit(session, request, "reply", me.id, escalation_id, mode=sent.mode)
            return REPLY_SENT[sent.mode]

        return await self._action(request, "reply", work)

    async def note(self, request: Request) -> Response:
        console = self.console
        escalation_id = int(request.path_params["id"])

        def work(session: Session, me: Staff, form: Any) -> str | None:
            escalation = queries.get(session, escalation_id)
            commands.add_note(session, escalation, me, str(form.get("text", "")), console.now())
            console.audit(session, request, "note", me.id, escalation_id)
            return "Catatan disimpan."

        return await self._action(request, "note", work)

    async def reassign(self, request: Request) -> Response:
        console = self.console
        escalation_id = int(request.path_params["id"])

        def work(session: Session, me: Staff, form: Any) -> str | None:
            escalation = queries.get(session, escalation_id)
            target_id = str(form.get("staff_id", ""))
            to = session.get(Staff, int(target_id)) if target_id.isdigit() else None
            if to is None:
                raise commands.QueueError("Pilih petugas tujuan.")
            previous = escalation.claimed_by
            commands.reassign(session, escalation, to, me, console.now())
            console.audit(session, request, "reassign", me.id, escalation_id, from_staff=previous, to_staff=to.id)
            self._group_post(session, "staff_group_claimed", escalation_id, staff=to.username)
            return f"Dialihkan ke {to.username}."

        return await self._action(request, "reassign", work)

    async def hand_back(self, request: Request) -> Response:
        console = self.console
        escalation_id = int(request.path_params["id"])

        def work(session: Session, me: Staff, form: Any) -> str | None:
            escalation = queries.get(session, escalation_id)
            commands.hand_back(session, escalation, me, console.now(), console.settings, console.texts, console.window_open)
            console.audit(session, request, "handback", me.id, escalation_id)
            return "Percakapan dikembalikan ke bot. Eskalasi tetap terbuka sampai Anda menutupnya."

        return await self._action(request, "handback", work)

    async def close(self, request: Request) -> Response:
        console = self.console
        escalation_id = int(request.path_params["id"])

        def work(session: Session, me: Staff, form: Any) -> str | None:
            escalation = queries.get(session, escalation_id)
            outcome = str(form.get("outcome", ""))
            commands.close(session, escalation, me, outcome, console.now(), console.settings, console.texts,
                           console.window_open, note=str(form.get("note", "")))
            console.audit(session, request, "close", me.id, escalation_id, outcome=outcome)
            self._group_post(session, "staff_group_closed", escalation_id, staff=me.username,
                             outcome=OUTCOME_LABELS[outcome])
            return "Eskalasi ditutup."

        return await self._action(request, "close", work)

    async def case_status(self, request: Request) -> Response:
        """Change the status of the report behind an escalation; bot.hotline.cases tells the reporter."""
        console = self.console
        escalation_id = int(request.path_params["id"])

        def work(session: Session, me: Staff, form: Any) -> str | None:
            escalation = queries.get(session, escalation_id)
            case, changed = commands.change_case_status(
                session, escalation, str(form.get("status", "")), me, console.now(), console.texts,
                ip=client_ip(request),
            )
            if not changed:
                return "Status laporan tidak berubah."
            return f"Status laporan {case.number} diubah; pelapor diberi tahu."

        return await self._action(request, "case_status", work)
