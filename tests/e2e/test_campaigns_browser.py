"""A supervisor sends a campaign to one regency in headless Chromium, on a phone and at a desk: composes
it, previews it per channel (Telegram buttons, WhatsApp numbered list), sends it, and watches the
detail page refresh itself until every subscriber there got it. The live bot really sends it: its
scheduler runs the sending job and the outbox delivers to subscribers on the local channel.
Screenshots are saved and checked."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect
from sqlalchemy import select

from bot.console.common import WIB
from bot.storage.db import transaction
from bot.storage.models import Campaign, CampaignStatus, Contact, OutboxItem, StaffRole, utcnow
from tests.conftest import make_settings
from tests.e2e.conftest import PHONE
from tests.e2e.live import LiveServer
from tests.e2e.test_case_desk_browser import DESKTOP, open_page, screenshot, sign_in
from tests.fakes.bot import closed_nlu, tuned

MESSAGE = "Waspada lowongan kerja ke Malaysia tanpa kontrak. Cek dulu ke Disnaker Kabupaten Sambas."


@pytest.fixture
def live(tmp_path: Path, database_url: str) -> Iterator[LiveServer]:
    settings = tuned(make_settings(tmp_path, database_url, **closed_nlu()))
    # The sending job every second (config.yml: 10), and no weekly tip campaign of its own.
    settings = dataclasses.replace(
        settings, campaigns=dataclasses.replace(settings.campaigns, sweep_seconds=1, weekly_tip=False)
    )
    server = LiveServer.start(settings)
    try:
        yield server
    finally:
        server.stop()


def subscribe(live: LiveServer, regency: str, n: int) -> None:
    with transaction(live.app.sessions) as session:
        for i in range(n):
            session.add(Contact(channel="local", external_id=f"{regency}-{i}", subscribed_at=utcnow(), sub_regency=regency))


def test_a_supervisor_composes_previews_sends_and_watches_a_campaign(
    live: LiveServer, browser: Browser, tmp_path: Path
) -> None:
    live.add_staff("sari", StaffRole.SUPERVISOR)
    subscribe(live, "sambas", 3)
    subscribe(live, "sanggau", 2)
    errors: list[str] = []
    phone = open_page(browser, PHONE, errors)
    sign_in(phone, live, "sari")

    phone.get_by_role("link", name="Kampanye", exact=True).click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("Kampanye")
    expect(phone.locator("#campaigns")).to_contain_text("Belum ada kampanye.")
    phone.get_by_role("link", name="Kampanye baru").click()

    phone.get_by_label("Judul (untuk petugas)").fill("Waspada lowongan palsu")
    phone.get_by_label("Pesan dalam Bahasa Indonesia").fill(MESSAGE)
    phone.get_by_label("Kabupaten/kota").select_option(label="Kab. Sambas")
    phone.get_by_role("button", name="Pratinjau").click()

    # The preview: the audience, and the message as each channel shows it; what was entered stays.
    preview = phone.locator("#preview")
    expect(preview.locator("#reach")).to_contain_text("Akan menjangkau 3 orang")
    expect(preview.locator("#reach")).to_contain_text("Kab. Sambas")
    telegram = preview.locator(".telegram-preview")
    expect(telegram.locator(".bubble")).to_contain_text(MESSAGE)
    expect(telegram.locator(".tg-button")).to_have_text(["Berhenti tips"])
    whatsapp = preview.locator(".whatsapp-preview .wa-bubble")
    expect(whatsapp).to_contain_text(MESSAGE)
    expect(whatsapp).to_contain_text("Balas dengan angka:\n1. Berhenti tips")
    expect(phone.get_by_label("Pesan dalam Bahasa Indonesia")).to_have_value(MESSAGE)
    expect(phone.get_by_label("Kabupaten/kota")).to_have_value("sambas")
    screenshot(phone, tmp_path / "campaign-preview-phone.png")

    # Scheduled a few seconds ahead (WIB); the detail page follows it until everyone in Sambas got it.
    at = (datetime.now(UTC) + timedelta(seconds=10)).astimezone(WIB)
    phone.get_by_label("Pada tanggal dan jam (WIB)").check()
    phone.get_by_label("Tanggal dan jam kirim (WIB)").fill(at.strftime("%Y-%m-%dT%H:%M:%S"))
    phone.get_by_role("button", name="Jadwalkan / Kirim").click()
    expect(phone.get_by_role("status")).to_contain_text(f"Kampanye #1 dijadwalkan ({at:%d-%m-%Y %H:%M} WIB)")
    expect(phone.get_by_role("status")).to_contain_text("untuk 3 orang")
    expect(phone.locator("#campaign-status")).to_have_text("Terjadwal")
    expect(phone.get_by_text("Batalkan kampanye…")).to_be_visible()
    expect(phone.locator("#campaign-audience")).to_have_text("Kab. Sambas")
    expect(phone.locator("#campaign-status")).to_have_text("Selesai", timeout=40_000)
    counts = phone.locator("#campaign-counts")
    expect(counts.locator('[data-count="sent"]')).to_have_text("3")
    expect(counts.locator('[data-count="queued"]')).to_have_text("0")
    expect(counts.locator('[data-count="failed"]')).to_have_text("0")
    expect(phone.locator("#campaign-percent")).to_have_text("100")
    expect(phone.get_by_text("Batalkan kampanye…")).to_have_count(0)  # finished: nothing to cancel
    screenshot(phone, tmp_path / "campaign-detail-phone.png")

    # Exactly the Sambas subscribers got it, once each.
    assert live.wait_for_output(MESSAGE).count(MESSAGE) == 3
    with live.app.sessions() as session:
        assert session.scalars(select(Campaign)).one().status is CampaignStatus.DONE
        sent_to = session.scalars(select(OutboxItem.chat_id).where(OutboxItem.campaign_id == 1)).all()
        assert sorted(sent_to) == ["sambas-0", "sambas-1", "sambas-2"]

    # At a desk: the list and the detail, wider.
    desk = open_page(browser, DESKTOP, errors)
    sign_in(desk, live, "sari")
    desk.goto(f"{live.url}/console/campaigns")
    row = desk.locator("#campaigns > li").first
    expect(row).to_contain_text("Waspada lowongan palsu")
    expect(row).to_contain_text("Selesai")
    expect(row).to_contain_text("Konsol (sari)")
    expect(row).to_contain_text("Kab. Sambas")
    expect(row).to_contain_text("terkirim 3")
    screenshot(desk, tmp_path / "campaigns-desktop.png")
    row.get_by_role("link", name="#1 Waspada lowongan palsu").click()
    expect(desk.locator("#campaign-text-id")).to_have_text(MESSAGE)
    expect(desk.locator("#campaign-status")).to_have_text("Selesai")
    screenshot(desk, tmp_path / "campaign-detail-desktop.png")
    assert errors == [], errors
