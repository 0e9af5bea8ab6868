"""Who may do what in the console (issue 15, items 3 and 7): every console route against anonymous,
agent, supervisor and admin visitors, read from the console app itself so a new route cannot skip it;
the ownership of cases; transcript reads through the JSON API are audited."""

from __future__ import annotations

import itertools
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from starlette.routing import BaseRoute, Mount, Route

from bot.campaigns import campaigns
from bot.hotline import referrals
from bot.hotline.escalations import open_escalation
from bot.hotline.labels import OUTCOMES
from bot.storage.db import transaction
from bot.storage.models import (
    AuditEntry,
    Case,
    CaseKind,
    CaseStatus,
    Contact,
    Escalation,
    Priority,
    SavedReply,
    Staff,
    StaffRole,
)
from bot.web.app import create_web_app
from bot.web.server import feature_routes
from tests.e2e.hotline import Console, Hotline
from tests.e2e.live import csrf_from

URGENT = "tolong saya dikurung majikan, tidak boleh keluar rumah"


async def escalation_with_case(hotline: Hotline, chat_id: str, number: str) -> int:
    """An escalation (through dispatch) with a report behind it, as the report flows make them."""
    await hotline.say(chat_id, "halo")
    with transaction(hotline.app.sessions) as session:
        contact = session.scalars(select(Contact).where(Contact.external_id == chat_id)).one()
        case = Case(number=number, kind=CaseKind.TRAFFICKING, contact_id=contact.id, details={})
        session.add(case)
        session.flush()
        escalation, _ = open_escalation(session, contact, priority=Priority.HIGH, reason="case",
                                        now=hotline.clock(), case_id=case.id)
        return escalation.id


def held_case_with_referral(hotline: Hotline, escalation_id: int) -> tuple[int, int]:
    """The case behind a claimed escalation, referred once by its holder: (case id, referral id)."""
    with transaction(hotline.app.sessions) as session:
        escalation = session.get(Escalation, escalation_id)
        assert escalation is not None and escalation.case_id is not None and escalation.claimed_by is not None
        case = session.get(Case, escalation.case_id)
        holder = session.get(Staff, escalation.claimed_by)
        assert case is not None and holder is not None
        referral = referrals.refer(
            session, case, hotline.app.settings.referrals.agencies["bp3mi_kalbar"], holder, hotline.clock(),
            texts=hotline.app.services.texts, referred_on=hotline.clock().date(), follow_up_on=None,
        )
        return case.id, referral.id


def saved_reply(hotline: Hotline) -> int:
    with transaction(hotline.app.sessions) as session:
        reply = SavedReply(language="id", title="Contoh", text="Terima kasih.")
        session.add(reply)
        session.flush()
        return reply.id


def scheduled_campaign(hotline: Hotline) -> int:
    with transaction(hotline.app.sessions) as session:
        draft = campaigns.Draft(title="Contoh", text_id="Waspada calo.", send_at=hotline.clock() + timedelta(days=1))
        return campaigns.create(session, draft, hotline.clock()).id


def case_status(hotline: Hotline, number: str) -> CaseStatus:
    with hotline.app.sessions() as session:
        return session.scalars(select(Case).where(Case.number == number)).one().status


# ---------------------------------------------------------------- 3. ownership of a case's status
async def test_an_agent_cannot_change_the_status_of_another_agents_case(hotline: Hotline) -> None:
    escalation_id = await escalation_with_case(hotline, "reporter", "KB-2026-000042")
    ani = hotline.signed_in("ani")
    budi = hotline.signed_in("budi")
    ani.post(f"/console/e/{escalation_id}/claim")
    told_before = await hotline.deliver()

    response = budi.post(f"/console/e/{escalation_id}/case-status", status="closed")
    assert response.status_code == 403
    assert "ditangani petugas lain" in response.text
    assert case_status(hotline, "KB-2026-000042") is CaseStatus.NEW
    assert await hotline.deliver() == told_before  # the reporter was told nothing
    assert hotline.audit_count("case_status") == 0
    # The owner, and a supervisor, may.
    assert "diubah" in ani.post(f"/console/e/{escalation_id}/case-status", status="in_review").text
    sri = hotline.signed_in("sri", StaffRole.SUPERVISOR)
    assert "diubah" in sri.post(f"/console/e/{escalation_id}/case-status", status="referred").text
    assert case_status(hotline, "KB-2026-000042") is CaseStatus.REFERRED


# ---------------------------------------------------------------- 7. transcript reads are audited
async def test_the_first_transcript_read_through_the_api_in_a_session_is_audited(hotline: Hotline) -> None:
    await hotline.say("person-1", URGENT)
    escalation_id = hotline.escalations()[0].id
    ani = hotline.signed_in("ani")

    lines = ani.messages(escalation_id)
    assert any("dikurung" in line["text"] for line in lines)
    ani.messages(escalation_id, after=lines[-1]["id"])  # the page's refresh: no new entry
    with hotline.app.sessions() as session:
        [entry] = session.scalars(select(AuditEntry).where(AuditEntry.action == "view")).all()
        assert (entry.staff_id, entry.target_type, entry.target_id, entry.ip) == (
            1, "escalation", escalation_id, "testclient")
        assert entry.detail == {"via": "api"}
    # A new session reading it again is a new access.
    ani.client.post("/console/logout", data={"csrf_token": ani.csrf})
    assert ani.login("ani").status_code == 303
    ani.messages(escalation_id)
    assert hotline.audit_count("view", target_id=escalation_id) == 2
    # The page audits every view itself; its refreshes add nothing.
    assert ani.get(f"/console/e/{escalation_id}").status_code == 200
    ani.messages(escalation_id)
    budi = hotline.signed_in("budi")
    assert budi.get(f"/console/e/{escalation_id}").status_code == 200
    budi.messages(escalation_id)
    assert hotline.audit_count("view", target_id=escalation_id) == 4


# ---------------------------------------------------------------- 3. the authorization matrix
ROLES = ("anonymous", "agent", "supervisor", "admin")
OK, DONE, FORBIDDEN, LOGIN = "ok", "done", "forbidden", "login"
# Every console route: (method, path) -> what each visitor gets, in ROLES order. OK: the page (200);
# DONE: the action ran or was refused by the escalation's state (303 back to a console page);
# FORBIDDEN: 403; LOGIN: sent to sign in (303 to the login page, or 401 from the JSON API).
# The escalation in /e/{id} routes is claimed by another agent, so the agent here is not its owner.
MATRIX: dict[tuple[str, str], tuple[str, str, str, str]] = {
    ("GET", "/console"): (DONE, DONE, DONE, DONE),
    ("GET", "/console/"): (LOGIN, OK, OK, OK),
    ("GET", "/console/api/queue"): (LOGIN, OK, OK, OK),
    ("GET", "/console/login"): (OK, OK, OK, OK),
    ("POST", "/console/login"): (LOGIN, LOGIN, LOGIN, LOGIN),  # a wrong password, for everyone
    ("GET", "/console/api/e/{id:int}/messages"): (LOGIN, OK, OK, OK),
    ("GET", "/console/e/{id:int}"): (LOGIN, OK, OK, OK),
    ("POST", "/console/e/{id:int}/claim"): (LOGIN, DONE, DONE, DONE),  # "already claimed" for the agent
    ("POST", "/console/e/{id:int}/reply"): (LOGIN, FORBIDDEN, DONE, DONE),
    ("POST", "/console/e/{id:int}/note"): (LOGIN, DONE, DONE, DONE),
    ("POST", "/console/e/{id:int}/reassign"): (LOGIN, FORBIDDEN, DONE, DONE),
    ("POST", "/console/e/{id:int}/handback"): (LOGIN, FORBIDDEN, DONE, DONE),
    ("POST", "/console/e/{id:int}/close"): (LOGIN, FORBIDDEN, DONE, DONE),
    ("POST", "/console/e/{id:int}/case-status"): (LOGIN, FORBIDDEN, DONE, DONE),
    ("GET", "/console/closed"): (LOGIN, FORBIDDEN, OK, OK),
    ("GET", "/console/export.csv"): (LOGIN, FORBIDDEN, OK, OK),
    ("GET", "/console/audit"): (LOGIN, FORBIDDEN, OK, OK),
    ("GET", "/console/admin/staff"): (LOGIN, FORBIDDEN, FORBIDDEN, OK),
    ("POST", "/console/admin/staff"): (LOGIN, FORBIDDEN, FORBIDDEN, DONE),
    ("POST", "/console/admin/staff/{id:int}"): (LOGIN, FORBIDDEN, FORBIDDEN, DONE),
    ("GET", "/console/static/{path}"): (OK, OK, OK, OK),
    # The case desk. The case in /c/{id} and /referrals/{id} routes is held by another agent (they
    # claimed its escalation): the agent here may read it and add a note, not change it.
    ("GET", "/console/cases"): (LOGIN, OK, OK, OK),
    ("GET", "/console/c/{id:int}"): (LOGIN, OK, OK, OK),
    ("POST", "/console/c/{id:int}/edit"): (LOGIN, FORBIDDEN, DONE, DONE),
    ("POST", "/console/c/{id:int}/note"): (LOGIN, DONE, DONE, DONE),
    ("POST", "/console/c/{id:int}/status"): (LOGIN, FORBIDDEN, DONE, DONE),
    ("POST", "/console/c/{id:int}/assign"): (LOGIN, FORBIDDEN, DONE, DONE),
    ("POST", "/console/c/{id:int}/refer"): (LOGIN, FORBIDDEN, DONE, DONE),
    ("POST", "/console/referrals/{id:int}"): (LOGIN, FORBIDDEN, DONE, DONE),
    ("GET", "/console/referrals/{id:int}/letter"): (LOGIN, OK, OK, OK),
    ("GET", "/console/replies"): (LOGIN, FORBIDDEN, OK, OK),
    ("POST", "/console/replies"): (LOGIN, FORBIDDEN, DONE, DONE),
    ("POST", "/console/replies/{id:int}"): (LOGIN, FORBIDDEN, DONE, DONE),
    ("POST", "/console/replies/{id:int}/delete"): (LOGIN, FORBIDDEN, DONE, DONE),
    ("GET", "/console/dashboard"): (LOGIN, FORBIDDEN, OK, OK),
    ("GET", "/console/dashboard/month.csv"): (LOGIN, FORBIDDEN, OK, OK),
    ("GET", "/console/dashboard/print"): (LOGIN, FORBIDDEN, OK, OK),
    # Campaigns (issue 14): a campaign scheduled for tomorrow in /campaigns/{id} routes.
    ("GET", "/console/campaigns"): (LOGIN, FORBIDDEN, OK, OK),
    ("GET", "/console/campaigns/new"): (LOGIN, FORBIDDEN, OK, OK),
    ("POST", "/console/campaigns/new"): (LOGIN, FORBIDDEN, DONE, DONE),
    ("GET", "/console/campaigns/{id:int}"): (LOGIN, FORBIDDEN, OK, OK),
    ("POST", "/console/campaigns/{id:int}/cancel"): (LOGIN, FORBIDDEN, DONE, DONE),
    ("GET", "/console/api/campaigns/{id:int}"): (LOGIN, FORBIDDEN, OK, OK),
    ("POST", "/console/logout"): (LOGIN, LOGIN, LOGIN, LOGIN),  # last: it ends the session
}


def console_routes(hotline: Hotline) -> list[tuple[str, str]]:
    """(method, path) of every route the served app has under /console, read from the app itself."""
    web = create_web_app(hotline.app, feature_routes(hotline.app), start_background=False)
    found: list[tuple[str, str]] = []

    def walk(routes: list[BaseRoute], prefix: str) -> None:
        for route in routes:
            if isinstance(route, Mount):
                if route.routes:
                    walk(list(route.routes), prefix + route.path)
                else:  # an app mounted whole (the static files)
                    found.append(("GET", prefix + route.path + "/{path}"))
            elif isinstance(route, Route):
                found.extend((method, prefix + route.path) for method in sorted(route.methods or ()) if method != "HEAD")

    walk([r for r in web.routes if getattr(r, "path", "").startswith("/console")], "")
    return found


def outcome(response: Any) -> str:
    location = response.headers.get("location", "")
    if response.status_code == 401 or (response.status_code == 303 and location.startswith("/console/login")):
        return LOGIN
    if response.status_code in (303, 307):
        return DONE
    return {200: OK, 403: FORBIDDEN}.get(response.status_code, str(response.status_code))


async def test_every_console_route_has_an_entry_in_the_authorization_matrix(hotline: Hotline) -> None:
    routes = console_routes(hotline)
    assert len(routes) == len(set(routes))
    assert sorted(routes) == sorted(MATRIX), "a console route without an authorization entry (or a stale one)"


async def test_the_authorization_matrix_holds_for_every_route_and_role(hotline: Hotline) -> None:
    owner = hotline.signed_in("owner")
    target_id = hotline.add_staff("target")
    visitors: dict[str, Console] = {
        "agent": hotline.signed_in("agent"),
        "supervisor": hotline.signed_in("sri", StaffRole.SUPERVISOR),
        "admin": hotline.signed_in("admin", StaffRole.ADMIN),
    }
    anonymous = Console(hotline.browser())
    anonymous.csrf = csrf_from(anonymous.get("/console/login").text)  # a valid token: only the role differs
    visitors = {"anonymous": anonymous, **visitors}
    numbers = itertools.count(1)

    async def path_and_form(method: str, path: str) -> tuple[str, dict[str, str]]:
        n = next(numbers)
        form: dict[str, str] = {}
        if "/e/{id:int}" in path:
            escalation_id = await escalation_with_case(hotline, f"person-{n}", f"KB-2026-{n:06d}")
            owner.post(f"/console/e/{escalation_id}/claim")
            path = path.replace("{id:int}", str(escalation_id))
            form = {"text": "Kami bantu.", "staff_id": "1", "outcome": next(iter(OUTCOMES)), "status": "in_review"}
        elif "/c/{id:int}" in path or "/referrals/{id:int}" in path:
            escalation_id = await escalation_with_case(hotline, f"person-{n}", f"KB-2026-{n:06d}")
            owner.post(f"/console/e/{escalation_id}/claim")
            case_id, referral_id = held_case_with_referral(hotline, escalation_id)
            path = path.replace("/c/{id:int}", f"/c/{case_id}").replace("/referrals/{id:int}", f"/referrals/{referral_id}")
            form = {"text": "Sudah ditelepon.", "status": "in_review", "staff_id": "", "agency": "bp3mi_kalbar"}
        elif "/campaigns/{id:int}" in path:
            path = path.replace("{id:int}", str(scheduled_campaign(hotline)))
        elif path.endswith("/campaigns/new"):
            form = {"title": f"Kampanye {n}", "text_id": "Waspada calo.", "when": "now", "action": "send"}
        elif "/replies/{id:int}" in path:
            path = path.replace("{id:int}", str(saved_reply(hotline)))
            form = {"language": "id", "title": f"Salam {n}", "text": "Terima kasih sudah menghubungi kami."}
        elif path.endswith("/replies"):
            form = {"language": "id", "title": f"Salam {n}", "text": "Terima kasih sudah menghubungi kami."}
        elif path.endswith("/admin/staff/{id:int}"):
            path = path.replace("{id:int}", str(target_id))
            form = {"role": "agent", "active": "1"}
        elif path.endswith("/admin/staff"):
            form = {"username": f"baru-{n}", "password": "kata-sandi-baru-123", "role": "agent"}
        elif path.endswith("/login"):
            form = {"username": "tidak-ada", "password": "salah-salah-salah"}
        return path.replace("{path}", "console.css"), form

    wrong: dict[str, str] = {}
    for (method, path), expected in MATRIX.items():
        for role, wanted in zip(ROLES, expected, strict=True):
            url, form = await path_and_form(method, path)
            visitor = visitors[role]
            if method == "GET":
                response = visitor.client.get(url)
            else:
                response = visitor.client.post(url, data={"csrf_token": visitor.csrf, **form})
            if (got := outcome(response)) != wanted:
                wrong[f"{method} {path} as {role}"] = f"{got}, expected {wanted}"
    assert wrong == {}, "route x role cells that differ from the matrix"
