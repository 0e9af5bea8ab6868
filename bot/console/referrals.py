"""Referrals from a case sheet: refer to a partner agency, record its answers, print the letter.

Any signed-in staff member (`Console.current`) works referrals, as they work cases; each action and
each printed letter is audited in its own transaction.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from bot.console.auth import client_ip
from bot.console.cases import parse_day
from bot.console.common import WIB, Action, Console
from bot.hotline import case_desk, case_fields, referrals
from bot.hotline.case_desk import CaseError
from bot.hotline.referrals import ReferralError
from bot.storage.models import Staff

log = logging.getLogger(__name__)


class ReferralsPage:
    """POST /c/{id}/refer, POST /referrals/{id}, GET /referrals/{id}/letter."""

    def __init__(self, console: Console) -> None:
        self.console = console

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/c/{id:int}/refer", self.refer, methods=["POST"]),
            Route("/referrals/{id:int}", self.update, methods=["POST"]),
            Route("/referrals/{id:int}/letter", self.letter),
        ]

    async def _action(self, request: Request, work: Action, case_id: Callable[[], int | None]) -> Response:
        """Run a referral action and go back to the case sheet's referrals (`case_id()`: whose sheet)."""

        def back() -> str:
            found = case_id()
            if found is None:
                raise HTTPException(404, "Rujukan tidak ditemukan.")
            return f"/console/c/{found}#rujukan"

        return await self.console.act(
            request, work, back=back, not_allowed=case_desk.CaseNotAllowed, refused=(CaseError, ReferralError),
            not_found="Laporan atau rujukan tidak ditemukan.",
        )

    async def refer(self, request: Request) -> Response:
        console = self.console
        case_id = int(request.path_params["id"])

        def work(session: Session, me: Staff, form: Any) -> str:
            case = case_desk.get(session, case_id)
            case_desk.require_access(session, case, me)
            agency = console.settings.referrals.agencies.get(str(form.get("agency", "")))
            if agency is None:
                raise ReferralError("Pilih instansi tujuan rujukan.")
            referred_on = parse_day(str(form.get("referred_on", ""))) or console.now().astimezone(WIB).date()
            referral = referrals.refer(
                session, case, agency, me, console.now(), texts=console.texts, referred_on=referred_on,
                follow_up_on=parse_day(str(form.get("follow_up_on", ""))),
                reference_number=str(form.get("reference_number", "")),
                contact_person=str(form.get("contact_person", "")),
                share_reporter_contact=form.get("share_reporter_contact") == "1", ip=client_ip(request),
            )
            log.info("console.refer case=%s agency=%s referral=%s staff=%s", case.id, agency.key, referral.id, me.id)
            return f"Laporan {case.number} dirujuk ke {agency.name}; pelapor diberi tahu."

        return await self._action(request, work, lambda: case_id)

    async def update(self, request: Request) -> Response:
        console = self.console
        referral_id = int(request.path_params["id"])
        case_id: int | None = None

        def work(session: Session, me: Staff, form: Any) -> str:
            nonlocal case_id
            referral = referrals.get(session, referral_id)
            case_id = referral.case_id
            case_desk.require_access(session, case_desk.get(session, referral.case_id), me)
            changed = referrals.update_referral(
                session, referral, me, console.now(), status=str(form.get("status", "")),
                reference_number=str(form.get("reference_number", "")),
                contact_person=str(form.get("contact_person", "")),
                follow_up_on=parse_day(str(form.get("follow_up_on", ""))), ip=client_ip(request),
            )
            label = referrals.STATUS_LABELS[referral.status]
            return f"Rujukan diperbarui: {label}." if changed else "Rujukan tidak berubah."

        return await self._action(request, work, lambda: case_id)

    async def letter(self, request: Request) -> Response:
        """The printable referral letter: only what the report's consent allows (bot.hotline.referrals.letter)."""
        console = self.console
        staff = await console.current(request)
        referral_id = int(request.path_params["id"])

        def work(session: Session) -> referrals.Letter:
            try:
                referral = referrals.get(session, referral_id)
            except LookupError:
                raise HTTPException(404, "Rujukan tidak ditemukan.") from None
            console.audit(session, request, "letter_print", staff.id, referral.case_id, target_type="case",
                          referral=referral.id)
            return referrals.letter(session, referral, console.settings.referrals)

        letter = await console.db(work)
        return console.render(request, "letter.html", staff, letter=letter, kinds=case_fields.KIND_LABELS,
                              printed=console.now())
