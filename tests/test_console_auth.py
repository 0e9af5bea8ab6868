"""Who may use the console: login with argon2 hashes, lockout, session cookie, CSRF, roles, CLI."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import select

from bot.config import PROJECT_ROOT
from bot.storage.models import AuditEntry, Staff, StaffRole
from tests.conftest import make_settings
from tests.e2e.hotline import Console, Hotline
from tests.e2e.live import PASSWORD, csrf_from

URGENT = "tolong saya dikurung majikan, tidak boleh keluar rumah"


async def test_anonymous_visitors_see_the_login_page(hotline: Hotline) -> None:
    await hotline.say("person-1", URGENT)
    browser = hotline.browser()
    for path in ("/console/", "/console/e/1", "/console/audit", "/console/export.csv", "/console/admin/staff"):
        response = browser.get(path)
        assert response.status_code == 303, path
        assert response.headers["location"].startswith("/console/login?next=")
    assert browser.get("/console/api/queue").status_code == 401
    login = browser.get("/console/login")
    assert login.status_code == 200 and 'name="password"' in login.text
    assert "dikurung" not in browser.get("/console/api/e/1/messages").text
    # A POST without a session is sent to the login page before anything happens.
    refused = browser.post("/console/e/1/claim", data={"csrf_token": "x"})
    assert refused.status_code == 303 and refused.headers["location"].startswith("/console/login")
    assert hotline.escalations()[0].claimed_by is None


async def test_login_uses_argon2_and_a_strict_session_cookie(hotline: Hotline) -> None:
    hotline.add_staff("ani")
    with hotline.app.sessions() as session:
        stored = session.scalars(select(Staff)).one().password_hash
    assert stored.startswith("$argon2id$") and PASSWORD not in stored

    console = Console(hotline.browser())
    response = console.login("ani")
    assert response.status_code == 303 and response.headers["location"] == "/console/"
    cookie = response.headers["set-cookie"].lower()
    for flag in ("httponly", "samesite=strict", "secure", "path=/console"):
        assert flag in cookie
    assert console.get("/console/").status_code == 200
    with hotline.app.sessions() as session:
        entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "login")).one()
        assert entry.staff_id == 1 and entry.ip == "testclient"

    # Signing out ends the session.
    console.post("/console/logout")
    assert console.get("/console/").status_code == 303


async def test_development_cookies_work_over_plain_http(tmp_path: Path, database_url: str) -> None:
    hotline = Hotline.open(make_settings(tmp_path, database_url, APP_ENV="development"))
    try:
        hotline.add_staff("ani")
        response = Console(hotline.browser()).login("ani")
        assert "secure" not in response.headers["set-cookie"].lower()
    finally:
        await hotline.close()


async def test_wrong_passwords_lock_the_account_for_a_while(hotline: Hotline) -> None:
    hotline.add_staff("ani")
    limit = hotline.app.settings.hotline.max_failed_logins
    console = Console(hotline.browser())
    for _ in range(limit):
        response = console.login("ani", "salah-salah-salah")
        assert response.status_code == 401
        assert "Nama pengguna atau kata sandi salah" in response.text
    # Locked: even the right password is refused, with the same message as a wrong one.
    response = console.login("ani")
    assert response.status_code == 401 and "dikunci sementara" in response.text
    # An unknown name gets exactly the same answer.
    assert console.login("tidak-ada", "apa-saja-123").text.count("Nama pengguna atau kata sandi salah") == 1
    with hotline.app.sessions() as session:
        reasons = [e.detail.get("reason") for e in session.scalars(
            select(AuditEntry).where(AuditEntry.action == "login_failed").order_by(AuditEntry.id))]
    assert reasons == ["bad_password"] * limit + ["locked", "unknown_user"]

    hotline.clock.advance(minutes=hotline.app.settings.hotline.lockout_minutes + 1)
    assert console.login("ani").status_code == 303


async def test_every_form_needs_the_sessions_csrf_token(hotline: Hotline) -> None:
    await hotline.say("person-1", URGENT)
    hotline.add_staff("ani")
    browser = hotline.browser()
    page = browser.get("/console/login")
    token = csrf_from(page.text)
    assert browser.post("/console/login", data={"username": "ani", "password": PASSWORD}).status_code == 403
    assert browser.post("/console/login", data={"username": "ani", "password": PASSWORD,
                                                "csrf_token": "not-the-token"}).status_code == 403
    assert browser.post("/console/login", data={"username": "ani", "password": PASSWORD,
                                                "csrf_token": token}).status_code == 303
    token = csrf_from(browser.get("/console/").text)  # a new session gets a new token

    for path, form in (
        ("/console/e/1/claim", {}),
        ("/console/e/1/note", {"text": "catatan"}),
        ("/console/e/1/close", {"outcome": "false_alarm"}),
        ("/console/logout", {}),
    ):
        assert browser.post(path, data=form).status_code == 403, path
        assert browser.post(path, data={**form, "csrf_token": token + "x"}).status_code == 403, path
    assert hotline.escalations()[0].claimed_by is None
    assert hotline.audit_count("note") == 0

    # A script's fetch() sends the token in a header instead.
    response = browser.post("/console/e/1/claim", headers={"X-CSRF-Token": token})
    assert response.status_code == 303
    assert hotline.escalations()[0].claimed_by == 1


async def test_roles_agents_cannot_open_admin_pages_or_export(hotline: Hotline) -> None:
    await hotline.say("person-1", URGENT)
    agent = hotline.signed_in("ani", StaffRole.AGENT)
    supervisor = hotline.signed_in("sari", StaffRole.SUPERVISOR)
    admin = hotline.signed_in("adi", StaffRole.ADMIN)

    for path in ("/console/audit", "/console/export.csv", "/console/closed", "/console/admin/staff"):
        response = agent.get(path)
        assert response.status_code == 403, path
        assert "Akses ditolak" in response.text
    assert agent.post("/console/admin/staff", username="eko", password="p" * 12, role="admin").status_code == 403
    assert hotline.audit_count("export") == 0

    assert supervisor.get("/console/audit").status_code == 200
    assert supervisor.get("/console/export.csv").status_code == 200
    assert supervisor.get("/console/admin/staff").status_code == 403

    assert admin.get("/console/admin/staff").status_code == 200
    page = admin.post("/console/admin/staff", username="eko", password="rahasia-eko-1", role="agent",
                      telegram_user_id="5550001")
    assert "Akun eko dibuat." in page.text
    assert Console(hotline.browser()).login("eko", "rahasia-eko-1").status_code == 303
    page = admin.post("/console/admin/staff/1", role="agent", active="", telegram_user_id="")
    assert "Akun ani diperbarui." in page.text
    # A deactivated account's open session stops working at once.
    assert agent.get("/console/").status_code == 303
    assert hotline.audit_count("staff_create") == 1 and hotline.audit_count("staff_update") == 1


def run_cli(args: list[str], stdin: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args], input=stdin, capture_output=True, text=True,
        cwd=PROJECT_ROOT, env={**os.environ, **env}, timeout=120,
    )


async def test_staff_add_command_creates_an_account_that_can_sign_in(tmp_path: Path, database_url: str) -> None:
    env = {"DATABASE_URL": database_url, "TEMAN_VAR_DIR": str(tmp_path / "var"), "APP_ENV": "test"}
    hotline = Hotline.open(make_settings(tmp_path, database_url))  # migrates the database
    try:
        done = run_cli(["staff", "add", "Sari.Supervisor", "--role", "supervisor"], "kata-sandi-sari-99\n", env)
        assert done.returncode == 0, done.stderr
        assert "sari.supervisor" in done.stdout and "supervisor" in done.stdout

        again = run_cli(["staff", "add", "sari.supervisor", "--role", "agent"], "kata-sandi-lain-99\n", env)
        assert again.returncode == 2 and "already exists" in again.stderr
        short = run_cli(["staff", "add", "budi", "--role", "agent"], "pendek\n", env)
        assert short.returncode == 2 and "at least 10 characters" in short.stderr
        bad_role = run_cli(["staff", "add", "budi", "--role", "boss"], "kata-sandi-budi-99\n", env)
        assert bad_role.returncode == 2

        console = Console(hotline.browser())
        assert console.login("sari.supervisor", "kata-sandi-sari-99").status_code == 303
        assert console.get("/console/audit").status_code == 200
    finally:
        await hotline.close()


async def test_login_returns_only_to_console_pages(hotline: Hotline) -> None:
    hotline.add_staff("ani")
    for target, expected in (("/console/audit", "/console/audit"), ("//evil.example/x", "/console/"),
                             ("https://evil.example/console/", "/console/"), ("/healthz", "/console/")):
        browser = hotline.browser()
        page = browser.get("/console/login", params={"next": target})
        response = browser.post("/console/login", data={
            "username": "ani", "password": PASSWORD, "csrf_token": csrf_from(page.text), "next": target})
        assert response.headers["location"] == expected, target
