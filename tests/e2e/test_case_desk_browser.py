"""An officer works a family's report in headless Chromium, on a phone and at a desk: the report arrives
through dispatch, the case sheet, an edited field, a referral to BP3MI with its reference number, its
status, the family told, and the dashboard counting the referral. Screenshots are saved and checked."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from bot.storage.models import Case, CaseStatus, OutboxItem, Referral, ReferralStatus, StaffRole
from tests.case_desk_support import file_report_sync
from tests.conftest import make_settings
from tests.e2e.conftest import PHONE
from tests.e2e.live import PASSWORD, LiveServer
from tests.fakes.bot import closed_nlu, tuned

DESKTOP = {"viewport": {"width": 1280, "height": 900}, "locale": "id-ID"}


@pytest.fixture
def live(tmp_path: Path, database_url: str) -> Iterator[LiveServer]:
    server = LiveServer.start(tuned(make_settings(tmp_path, database_url, **closed_nlu())))
    try:
        yield server
    finally:
        server.stop()


def open_page(browser: Browser, shape: dict[str, object], errors: list[str]) -> Page:
    context = browser.new_context(**shape)  # type: ignore[arg-type]
    context.set_default_timeout(15_000)
    page = context.new_page()
    # A script the console's Content-Security-Policy blocked, or one that failed, shows up here.
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    return page


def sign_in(page: Page, live: LiveServer, username: str) -> None:
    page.goto(f"{live.url}/console/login")
    page.get_by_label("Nama pengguna").fill(username)
    page.get_by_label("Kata sandi").fill(PASSWORD)
    page.get_by_role("button", name="Masuk").click()
    expect(page).to_have_url(f"{live.url}/console/")


def screenshot(page: Page, path: Path) -> None:
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 10_000, path  # a real page was drawn, not a blank one
    # Usable on a phone: nothing wider than the screen.
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"] + 1, (path.name, width)  # type: ignore[index]


def test_an_officer_refers_a_familys_report_to_bp3mi(live: LiveServer, browser: Browser, tmp_path: Path) -> None:
    live.add_staff("sari", StaffRole.SUPERVISOR)
    number = file_report_sync(live.say, "mama")
    errors: list[str] = []
    phone = open_page(browser, PHONE, errors)
    sign_in(phone, live, "sari")

    # The queue card says where the relative is and what the report is about.
    card = phone.locator("#queue > li").first
    expect(card).to_contain_text("Malaysia")
    expect(card).to_contain_text("Siti Aminah · Malaysia, Kuching")
    expect(card).to_contain_text("Laporan: keluarga tidak bisa dihubungi")
    card.get_by_role("link", name=f"Laporan {number}").click()

    # The case sheet.
    expect(phone.get_by_role("heading", level=1)).to_contain_text(number)
    expect(phone.locator("#case-status")).to_have_text("Baru")
    expect(phone.locator("#case-channel")).to_contain_text("Chat lokal · mama")
    expect(phone.get_by_label("Nama", exact=True)).to_have_value("Siti Aminah")
    expect(phone.get_by_label("Asal (kabupaten/kota)")).to_have_value("sambas")
    screenshot(phone, tmp_path / "case-phone.png")

    # Edit a field; the page comes back where the officer was, with the change in the history.
    phone.get_by_label("Umur").fill("31 tahun")
    save = phone.get_by_role("button", name="Simpan perubahan")
    save.scroll_into_view_if_needed()
    before = phone.evaluate("window.scrollY")
    assert before > 300
    save.click()
    expect(phone.get_by_role("status")).to_contain_text(f"Laporan {number} diperbarui (1 isian).")
    expect(phone.locator("#history")).to_contain_text("Umur: 30 tahun → 31 tahun")
    phone.wait_for_function(f"Math.abs(window.scrollY - {before}) < 80")  # fails after 15 s if it never gets there

    # Refer to BP3MI with the agency's reference number.
    phone.get_by_label("Instansi tujuan").select_option(label="BP3MI Kalimantan Barat")
    phone.get_by_label("Nomor rujukan dari instansi").fill("B-123/BP3MI/2026")
    phone.get_by_role("button", name="Rujuk", exact=True).click()
    expect(phone.get_by_role("status")).to_contain_text(f"Laporan {number} dirujuk ke BP3MI Kalimantan Barat")
    referral = phone.locator("#referrals > li").first
    expect(referral).to_contain_text("BP3MI Kalimantan Barat")
    expect(referral).to_contain_text("No. B-123/BP3MI/2026")
    expect(referral.locator(".referral-status")).to_have_text("Dikirim")
    expect(phone.locator("#case-status")).to_have_text("Dirujuk")

    # The agency answers: the officer records it.
    referral.get_by_label("Status").select_option(label="Sedang ditangani")
    referral.get_by_role("button", name="Perbarui rujukan").click()
    expect(phone.get_by_role("status")).to_contain_text("Rujukan diperbarui: Sedang ditangani.")
    expect(phone.locator("#referrals > li").first.locator(".referral-status")).to_have_text("Sedang ditangani")

    # The family is told which kind of agency has the case, on their own channel.
    told = live.wait_for_output(f"Kabar laporan {number}: laporan Anda sudah diteruskan ke BP3MI")
    assert "B-123" not in told
    with live.app.sessions() as session:
        case = session.scalars(select(Case)).one()
        assert case.status is CaseStatus.REFERRED and case.details["age"] == "31 tahun"
        assert session.scalars(select(Referral)).one().status is ReferralStatus.IN_PROGRESS
        rows = session.scalars(select(OutboxItem.text).where(OutboxItem.chat_id == "mama")).all()
        assert any("diteruskan ke BP3MI" in text for text in rows)

    # The letter holds the report, not the reporter's number.
    phone.locator("#referrals > li").first.get_by_role("link", name="Surat rujukan").click()
    expect(phone.locator("#letter")).to_contain_text("Siti Aminah")
    expect(phone.locator("#letter")).to_contain_text("B-123/BP3MI/2026")
    expect(phone.locator("#letter")).not_to_contain_text("0812")

    # The dashboard counts the referral (under 5: shown as "<5").
    phone.get_by_role("link", name="Dasbor").click()
    expect(phone.locator("#dashboard")).to_have_attribute("data-ready", "yes")
    referrals = phone.locator("#chart-referrals")
    expect(referrals).to_contain_text("Rujukan per instansi")
    expect(referrals.locator("tr", has_text="BP3MI Kalimantan Barat")).to_contain_text("<5")
    expect(referrals.locator("canvas")).to_have_attribute("data-drawn", "yes")
    expect(phone.locator("#dashboard")).not_to_contain_text("Siti")
    screenshot(phone, tmp_path / "dashboard-phone.png")

    # At a desk: the same pages, wider.
    desk = open_page(browser, DESKTOP, errors)
    sign_in(desk, live, "sari")
    desk.goto(f"{live.url}/console/cases")
    row = desk.locator("#cases > li").first
    expect(row).to_contain_text(number)
    expect(row).to_contain_text("Dirujuk")
    expect(row).to_contain_text("Kab. Sambas")
    row.get_by_role("link", name=number).click()
    expect(desk.locator("#referrals")).to_contain_text("Sedang ditangani")
    screenshot(desk, tmp_path / "case-desktop.png")
    desk.goto(f"{live.url}/console/dashboard")
    expect(desk.locator("#dashboard")).to_have_attribute("data-ready", "yes")
    box = desk.locator("#chart-referrals canvas").bounding_box()
    assert box is not None and box["width"] > 300 and box["height"] > 150  # drawn side by side, not squeezed
    screenshot(desk, tmp_path / "dashboard-desktop.png")
    assert errors == [], errors
