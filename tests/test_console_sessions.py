"""Console sessions end when they should, and failed sign-ins are throttled per source address and per
account (issue 15, items 4 and 5), with the state in the database so every replica agrees."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.storage.models import AuditEntry, Staff, StaffRole
from tests.conftest import make_settings
from tests.e2e.hotline import Console, Hotline

NEW_PASSWORD = "kata-sandi-yang-baru-456"
ATTACKER = "203.0.113.9"
OFFICE = "10.20.30.40"


@pytest.fixture
async def replica(tmp_path: Path, database_url: str) -> AsyncIterator[Hotline]:
    """A second bot process on the same database (as behind a load balancer)."""
    other = Hotline.open(make_settings(tmp_path, database_url))
    try:
        yield other
    finally:
        await other.close()


def copy_of(hotline: Hotline, console: Console) -> Console:
    """Another browser holding the same session cookie (another tab, or a stolen cookie)."""
    browser = hotline.browser()
    for cookie in console.client.cookies.jar:
        browser.cookies.jar.set_cookie(cookie)
    return Console(browser, console.csrf)


def signed_out(console: Console) -> bool:
    response = console.get("/console/")
    return response.status_code == 303 and response.headers["location"].startswith("/console/login")


def login_reasons(hotline: Hotline) -> list[str]:
    with hotline.app.sessions() as session:
        entries = session.scalars(select(AuditEntry).where(AuditEntry.action == "login_failed").order_by(AuditEntry.id))
        return [str(entry.detail.get("reason")) for entry in entries]


# ---------------------------------------------------------------- 4. sessions can be ended
async def test_a_cookie_copied_before_sign_out_no_longer_opens_the_console_on_any_replica(
    hotline: Hotline, replica: Hotline
) -> None:
    sri = hotline.signed_in("sri", StaffRole.SUPERVISOR)
    here, there = copy_of(hotline, sri), copy_of(replica, sri)
    assert here.get("/console/audit").status_code == 200
    assert there.get("/console/audit").status_code == 200

    sri.post("/console/logout")
    for console in (sri, here, there):
        response = console.get("/console/audit")
        assert response.status_code == 303 and response.headers["location"].startswith("/console/login")
    # Signing in again works, and only the new cookie is good.
    assert sri.login("sri").status_code == 303
    assert sri.get("/console/audit").status_code == 200
    assert signed_out(here)


async def test_password_reset_role_change_and_deactivation_end_the_members_sessions(hotline: Hotline) -> None:
    admin = hotline.signed_in("admin", StaffRole.ADMIN)
    ani = hotline.signed_in("ani")
    budi = hotline.signed_in("budi", StaffRole.SUPERVISOR)
    citra = hotline.signed_in("citra")
    dewi = hotline.signed_in("dewi")
    with hotline.app.sessions() as session:
        ids = {staff.username: staff.id for staff in session.scalars(select(Staff))}

    admin.post(f"/console/admin/staff/{ids['ani']}", role="agent", active="1", password=NEW_PASSWORD)
    admin.post(f"/console/admin/staff/{ids['budi']}", role="agent", active="1")
    admin.post(f"/console/admin/staff/{ids['citra']}", role="agent")  # no "active": deactivated
    admin.post(f"/console/admin/staff/{ids['dewi']}", role="agent", active="1", telegram_user_id="4242")

    assert signed_out(ani) and signed_out(budi) and signed_out(citra)
    assert not signed_out(dewi)  # a Telegram id changed nothing about who may act
    assert ani.login("ani", NEW_PASSWORD).status_code == 303
    assert budi.login("budi").status_code == 303
    assert budi.get("/console/audit").status_code == 403  # the new role holds
    with hotline.app.sessions() as session:
        details = [e.detail for e in session.scalars(select(AuditEntry).where(AuditEntry.action == "staff_update"))]
    assert [d.get("sessions_ended") for d in details] == [True, True, True, None]


async def test_an_admin_who_resets_their_own_password_stays_signed_in_only_where_they_did_it(
    hotline: Hotline,
) -> None:
    admin = hotline.signed_in("admin", StaffRole.ADMIN)
    elsewhere = copy_of(hotline, admin)
    page = admin.post("/console/admin/staff/1", role="admin", active="1", password=NEW_PASSWORD)
    assert page.status_code == 200 and "Akun admin diperbarui." in page.text
    assert admin.get("/console/admin/staff").status_code == 200
    assert signed_out(elsewhere)


# ---------------------------------------------------------------- 5. sign-in throttling
async def test_wrong_passwords_from_one_address_do_not_lock_the_owner_out_from_another(
    hotline: Hotline, replica: Hotline
) -> None:
    hotline.add_staff("ani")
    limit = hotline.app.settings.hotline.max_failed_logins
    attacker = Console(hotline.browser(ATTACKER))
    for _ in range(limit):
        assert attacker.login("ani", "tebak-tebak-tebak").status_code == 401
    # The guesser's address is locked out of the account, even with the right password, on every replica.
    assert attacker.login("ani").status_code == 401
    assert Console(replica.browser(ATTACKER)).login("ani").status_code == 401
    # Ani, from the office, signs in with her password (through the other replica, too).
    assert Console(replica.browser(OFFICE)).login("ani").status_code == 303
    assert Console(hotline.browser(OFFICE)).login("ani").status_code == 303
    assert login_reasons(hotline) == ["bad_password"] * limit + ["locked", "locked"]
    # A typo of hers does not put her with the guesser either.
    office = Console(hotline.browser(OFFICE))
    assert office.login("ani", "salah-ketik-sekali").status_code == 401
    assert office.login("ani").status_code == 303


async def test_one_address_guessing_many_names_is_throttled_whatever_the_account(hotline: Hotline) -> None:
    hotline.add_staff("budi")
    limit = hotline.app.settings.hotline.max_failed_logins * 2
    guesser = Console(hotline.browser(ATTACKER))
    for n in range(limit):
        assert guesser.login(f"nama-{n}", "apa-saja-1234").status_code == 401
    # Budi's account never failed, but this address is refused for every account for a while.
    response = guesser.login("budi")
    assert response.status_code == 401 and "Nama pengguna atau kata sandi salah" in response.text
    assert login_reasons(hotline)[-1] == "source_locked"
    assert Console(hotline.browser(OFFICE)).login("budi").status_code == 303
    hotline.clock.advance(minutes=hotline.app.settings.hotline.lockout_minutes + 1)
    assert guesser.login("budi").status_code == 303


async def test_many_addresses_guessing_one_account_close_it_until_an_admin_unlocks_it(hotline: Hotline) -> None:
    admin = hotline.signed_in("admin", StaffRole.ADMIN)
    ani_id = hotline.add_staff("ani")
    per_source = hotline.app.settings.hotline.max_failed_logins
    for n in range(4):  # a distributed guess: every address stays under its own limit's reach
        bot = Console(hotline.browser(f"198.51.100.{n}"))
        for _ in range(per_source):
            assert bot.login("ani", "tebak-tebak-tebak").status_code == 401
    office = Console(hotline.browser(OFFICE))
    assert office.login("ani").status_code == 401
    assert "terkunci" in admin.get("/console/admin/staff").text
    admin.post(f"/console/admin/staff/{ani_id}", role="agent", active="1", unlock="1")
    assert office.login("ani").status_code == 303
