"""The case desk (Laporan): the list of reports with filters and search, and one case's sheet with its actions.

Any signed-in staff member works cases (`Console.current`); assigning a case to someone else is for
supervisors (bot.hotline.case_desk.assign checks it). Opening a sheet and every change are audited in
the same transaction; a search is audited with what was searched for.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from sqlalchemy.orm import Session
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from bot.console.auth import client_ip
from bot.console.common import WIB, Action, Console
from bot.hotline import case_desk, case_fields, cases, queries, referrals
from bot.hotline.case_desk import CaseError, CaseFilter
from bot.hotline.labels import CASE_STATUS_LABELS, OUTCOMES, PRIORITY_LABELS
from bot.hotline.referrals import ReferralError
from bot.storage.models import Case, CaseStatus, Priority, Staff

NOT_FOUND = "Laporan tidak ditemukan."


def parse_day(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value or "")
    except ValueError:
        return None


def created_range(request: Request) -> tuple[datetime | None, datetime | None, str, str]:
    """Optional from/to days (WIB) of the case list, as UTC bounds and as the form shows them."""
    first = parse_day(request.query_params.get("from"))
    last = parse_day(request.query_params.get("to"))
    since = datetime.combine(first, datetime.min.time(), WIB) if first else None
    until = datetime.combine(last + timedelta(days=1), datetime.min.time(), WIB) if last else None
    return since, until, first.isoformat() if first else "", last.isoformat() if last else ""


class CasesPage:
    """/cases, /c/{id} and the case actions; referral actions live in bot/console/referrals.py."""

    def __init__(self, console: Console) -> None:
        self.console = console

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/cases", self.list_page),
            Route("/c/{id:int}", self.sheet_page),
            Route("/c/{id:int}/edit", self.edit, methods=["POST"]),
            Route("/c/{id:int}/note", self.note, methods=["POST"]),
            Route("/c/{id:int}/status", self.status, methods=["POST"]),
            Route("/c/{id:int}/assign", self.assign, methods=["POST"]),
        ]

    # ------------------------------------------------------------ reading
    async def list_page(self, request: Request) -> Response:
        console = self.console
        staff = await console.current(request)
        since, until, date_from, date_to = created_range(request)
        f = CaseFilter.parse(request.query_params, since, until)
        page = int(p) if (p := request.query_params.get("page", "1")).isdigit() else 1

        def work(session: Session) -> dict[str, Any]:
            if f.query:
                number = case_desk.find_number(session, f.query) if f.query.upper().startswith("KB-") else None
                console.audit(session, request, "case_list", staff.id, target_type=None, q=f.query)
                if number is not None:
                    return {"jump": number}
            return {"result": case_desk.list_cases(session, f, page), "staff_list": queries.active_staff(session)}

        data = await console.db(work)
        if "jump" in data:  # a case number typed into the search opens that case
            return RedirectResponse(f"/console/c/{data['jump']}", 303)
        params = {k: v for k, v in request.query_params.items() if k != "page" and v}
        return console.render(
            request, "cases.html", staff, **data, filters=f, params=params, date_from=date_from, date_to=date_to,
            page_url=lambda n: "/console/cases?" + urlencode({**params, "page": n}),
            kinds=case_fields.KIND_LABELS, statuses=CASE_STATUS_LABELS, priorities=PRIORITY_LABELS,
            countries=case_fields.COUNTRY_LABELS, regencies=case_fields.REGENCY_LABELS,
            conversation=(case_desk.CONVERSATION, case_desk.CONVERSATION_LABEL),
        )

    async def sheet_page(self, request: Request) -> Response:
        console = self.console
        staff = await console.current(request)
        case_id = int(request.path_params["id"])

        def work(session: Session) -> dict[str, Any]:
            try:
                sheet = case_desk.sheet(session, case_id)
            except LookupError:
                raise HTTPException(404, NOT_FOUND) from None
            # Reading a report is access to personal data: audited every time.
            console.audit(session, request, "case_view", staff.id, case_id, target_type="case")
            contact = sheet.contact
            lines = queries.transcript(session, contact.id, limit=200) if contact else []
            window = queries.window(contact, console.now(), console.settings, console.window_open) if contact else None
            return {"sheet": sheet, "lines": lines, "window": window, "staff_list": queries.active_staff(session)}

        data = await console.db(work)
        today = console.now().astimezone(WIB).date()
        directory = console.settings.referrals
        return console.render(
            request, "case.html", staff, **data,
            kinds=case_fields.KIND_LABELS, statuses=CASE_STATUS_LABELS, priorities=PRIORITY_LABELS,
            regencies=case_fields.REGENCY_LABELS, countries=case_fields.COUNTRY_LABELS, modus=case_fields.MODUS_LABELS,
            agencies=directory.agencies, referral_statuses=referrals.STATUS_LABELS, today=today.isoformat(),
            follow_up=(today + timedelta(days=directory.follow_up_days)).isoformat(), today_date=today,
            open_referral=referrals.OPEN, close_outcomes=OUTCOMES,
        )

    # ------------------------------------------------------------ actions
    async def _action(self, request: Request, action: str, work: Action, anchor: str) -> Response:
        """Run a case action and go back to the sheet, where it was (`anchor`)."""
        case_id = int(request.path_params["id"])
        return await self.console.act(
            request, work, back=lambda: f"/console/c/{case_id}#{anchor}", not_allowed=case_desk.CaseNotAllowed,
            refused=(CaseError, ReferralError), not_found=NOT_FOUND, logged=f"{action} case={case_id}",
        )

    def _case(self, session: Session, request: Request) -> Case:
        return case_desk.get(session, int(request.path_params["id"]))

    async def edit(self, request: Request) -> Response:
        console = self.console

        def work(session: Session, me: Staff, form: Any) -> str | None:
            case = self._case(session, request)
            case_desk.require_access(session, case, me)
            values = {k: str(v) for k, v in form.items() if k != "csrf_token"}
            changed = case_desk.edit(session, case, values, me, console.now(), ip=client_ip(request))
            return f"Laporan {case.number} diperbarui ({len(changed)} isian)." if changed else "Tidak ada yang berubah."

        return await self._action(request, "case_edit", work, "isi")

    async def note(self, request: Request) -> Response:
        console = self.console

        def work(session: Session, me: Staff, form: Any) -> str | None:
            case = self._case(session, request)
            case_desk.add_note(session, case, me, str(form.get("text", "")), console.now())
            console.audit(session, request, "case_note", me.id, case.id, target_type="case")
            return "Catatan disimpan."

        return await self._action(request, "case_note", work, "catatan")

    async def status(self, request: Request) -> Response:
        """Change the report's status; closing an urgent one needs an outcome and a note."""
        console = self.console

        def work(session: Session, me: Staff, form: Any) -> str | None:
            case = self._case(session, request)
            case_desk.require_access(session, case, me)
            try:
                status = CaseStatus(str(form.get("status", "")))
            except ValueError:
                raise CaseError("Pilih status laporan.") from None
            outcome = str(form.get("outcome", "")) or None
            note = str(form.get("note", "")).strip()
            if status is CaseStatus.CLOSED and case.priority is Priority.URGENT:
                if outcome not in OUTCOMES or not note:
                    raise CaseError("Laporan mendesak: pilih hasil penanganan dan tulis catatan penutupan.")
            if outcome is not None and outcome not in OUTCOMES:
                raise CaseError("Pilih hasil penanganan.")
            changed = cases.set_status(session, case, status, me, console.now(), texts=console.texts,
                                       ip=client_ip(request), outcome=outcome)
            if not changed:
                return "Status laporan tidak berubah."
            if status is CaseStatus.CLOSED and (note or outcome):
                label = OUTCOMES.get(outcome or "", "")
                case_desk.add_note(session, case, me, f"Ditutup{f' ({label})' if label else ''}: {note or '-'}",
                                   console.now())
            return f"Status laporan {case.number} diubah; pelapor diberi tahu."

        return await self._action(request, "case_status", work, "status")

    async def assign(self, request: Request) -> Response:
        console = self.console

        def work(session: Session, me: Staff, form: Any) -> str | None:
            case = self._case(session, request)
            case_desk.require_access(session, case, me)
            target = str(form.get("staff_id", ""))
            to = session.get(Staff, int(target)) if target.isdigit() else None
            if target.isdigit() and to is None:
                raise CaseError("Petugas tidak ditemukan.")
            case_desk.assign(session, case, to, me)
            console.audit(session, request, "case_assign", me.id, case.id, target_type="case",
                          to=to.id if to else None)
            return f"Laporan {case.number} ditugaskan ke {to.username}." if to else "Penugasan dilepas."

        return await self._action(request, "case_assign", work, "status")

