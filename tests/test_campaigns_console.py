"""The console's campaigns page (issue 14, part 2) over HTTP: compose, preview per channel, create,
watch the counts, cancel; supervisors and admins only, CSRF-checked, audited, bad input refused.

Subscribers are contacts on the local channel; the production sending job (CampaignSender) queues
them and the outbox sends them, as `serve` does.
"""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import func, select

from bot.campaigns.sending import CampaignSender
from bot.console.common import WIB
from bot.storage.db import transaction
from bot.storage.models import AuditEntry, Campaign, CampaignStatus, Contact, StaffRole
from tests.e2e.hotline import Hotline

SID = "HX" + "0123456789abcdef" * 2
MESSAGE = "Waspada lowongan kerja ke Malaysia tanpa kontrak. Cek dulu ke Disnaker."


def subscribers(hotline: Hotline, regency: str, n: int, start: int = 0) -> None:
    with transaction(hotline.app.sessions) as session:
        for i in range(start, start + n):
            session.add(Contact(channel="local", external_id=f"{regency}-{i}", subscribed_at=hotline.clock(),
                                sub_regency=regency))


def campaign_count(hotline: Hotline) -> int:
    with hotline.app.sessions() as session:
        return int(session.scalar(select(func.count()).select_from(Campaign)) or 0)


def send_due(hotline: Hotline) -> None:
    """One sweep of the sending job, as the scheduler runs it."""
    app = hotline.app
    CampaignSender(
        app.sessions, hotline.clock, settings=app.settings.campaigns, texts=app.services.texts,
        library=app.services.library, window_open=app.window_open, default_language=app.settings.default_language,
    ).run()


def form(**values: str) -> dict[str, str]:
    return {"title": "Waspada lowongan", "text_id": MESSAGE, "text_en": "", "regency": "sambas",
            "when": "now", "action": "send", **values}


async def test_a_supervisor_previews_creates_and_watches_a_campaign_to_one_regency(hotline: Hotline) -> None:
    subscribers(hotline, "sambas", 3)
    subscribers(hotline, "sanggau", 2)
    sri = hotline.signed_in("sri", StaffRole.SUPERVISOR)
    assert 'href="/console/campaigns"' in sri.get("/console/").text  # in the navigation
    page = sri.get("/console/campaigns/new")
    assert page.status_code == 200 and "Kab. Sambas" in page.text and "Luar negeri" in page.text

    # The preview keeps what was entered, counts the audience and shows each channel's message.
    preview = sri.post("/console/campaigns/new", **form(action="preview", text_en="Beware of job offers."))
    assert preview.status_code == 200
    html = preview.text
    assert "Akan menjangkau 3 orang" in html
    assert 'value="sambas" selected' in html and "Beware of job offers." in html
    telegram = html[html.index("telegram-preview"):html.index("whatsapp-preview")]
    assert MESSAGE in telegram and 'class="tg-button">Berhenti tips' in telegram
    whatsapp = html[html.index("whatsapp-preview"):]
    assert "Balas dengan angka:\n1. Berhenti tips" in whatsapp
    assert "Reply with a number:\n1." in whatsapp  # the English message too
    assert campaign_count(hotline) == 0  # a preview stores nothing

    created = sri.post("/console/campaigns/new", **form())
    assert "Kampanye #1 dijadwalkan" in created.text and "untuk 3 orang" in created.text
    assert "Terjadwal" in created.text and "Batalkan kampanye" in created.text
    with hotline.app.sessions() as session:
        campaign = session.get(Campaign, 1)
        assert campaign is not None and campaign.segment == {"regency": "sambas"} and campaign.created_by == 1
        assert campaign.origin == "console"
        [entry] = session.scalars(select(AuditEntry).where(AuditEntry.action == "campaign_create")).all()
        assert (entry.target_type, entry.target_id, entry.detail["audience"]) == ("campaign", 1, 3)

    send_due(hotline)
    received = await hotline.deliver()
    assert received.count(MESSAGE) == 3
    send_due(hotline)  # every message went out: the campaign is done
    detail = sri.get("/console/campaigns/1").text
    assert "Selesai" in detail and "Batalkan kampanye" not in detail
    assert re.search(r'data-count="sent">3<', detail) and re.search(r'data-count="queued">0<', detail)
    api = sri.get("/console/api/campaigns/1").json()
    assert api["status"] == "done" and api["counts"]["sent"] == 3 and api["progress"]["percent"] == 100
    listing = sri.get("/console/campaigns").text
    assert "#1 Waspada lowongan" in listing and "Kab. Sambas" in listing and "Selesai" in listing


async def test_content_item_scheduled_time_and_cancel(hotline: Hotline) -> None:
    subscribers(hotline, "sintang", 2)
    admin = hotline.signed_in("admin", StaffRole.ADMIN)
    item = next(i for i in hotline.app.services.library.items if len(i.parts) > 1)
    filled = admin.post("/console/campaigns/new", **form(action="fill", content_item=item.id, text_id="", title=""))
    first_id = hotline.app.services.library.render(item, "id", 0).text
    assert filled.status_code == 200
    assert first_id[:40] in filled.text  # the text area holds the item's first part (escaped)
    # A longer item: people get a button to read on, then the one to stop (WhatsApp: numbered).
    assert 'class="tg-button">Lanjut</span><span class="tg-button">Berhenti tips' in filled.text
    assert "1. Lanjut\n2. Berhenti tips" in filled.text and "1. Continue\n2. Stop tips" in filled.text

    at = (hotline.clock() + timedelta(hours=2)).astimezone(WIB)
    created = admin.post("/console/campaigns/new", **form(
        content_item=item.id, text_id="Teks dari pustaka", regency="sintang", when="at",
        send_at=at.strftime("%Y-%m-%dT%H:%M"), wa_template_sid=SID, wa_template_vars="1=Sintang\n2=Kanwil"))
    assert "dijadwalkan" in created.text and at.strftime("%d-%m-%Y %H:%M") + " WIB" in created.text
    with hotline.app.sessions() as session:
        campaign = session.scalars(select(Campaign)).one()
        assert campaign.content_item == item.id and campaign.wa_template_vars == {"1": "Sintang", "2": "Kanwil"}
        assert abs(campaign.send_at - at) < timedelta(minutes=1)
    send_due(hotline)  # not yet due
    assert "Terjadwal" in admin.get("/console/campaigns/1").text

    cancelled = admin.post("/console/campaigns/1/cancel")
    assert "Kampanye #1 dibatalkan" in cancelled.text and "Dibatalkan" in cancelled.text
    assert "Batalkan kampanye" not in cancelled.text
    assert hotline.audit_count("campaign_cancel", target_id=1) == 1
    again = admin.post("/console/campaigns/1/cancel")
    assert "sudah selesai atau sudah dibatalkan" in again.text
    assert hotline.audit_count("campaign_cancel") == 1
    send_due(hotline)
    assert await hotline.deliver() == ""


async def test_bad_input_is_refused_with_a_clear_message_and_nothing_is_stored(hotline: Hotline) -> None:
    sri = hotline.signed_in("sri", StaffRole.SUPERVISOR)
    cases = {
        "Pesan dalam Bahasa Indonesia wajib diisi.": form(text_id="   "),
        "Content SID template WhatsApp tidak valid": form(wa_template_sid="HX123"),
        "tulis satu per baris sebagai kunci=nilai": form(wa_template_sid=SID, wa_template_vars="tanpa sama dengan"),
        "Waktu kirim sudah lewat": form(when="at", send_at="2001-01-01T10:00"),
        "Isi tanggal dan jam kirim": form(when="at", send_at=""),
        "Pilihan audiens tidak dikenal": form(regency="atlantis"),
        "paling banyak 3500 karakter": form(text_id="x" * 3501),
    }
    for message, data in cases.items():
        response = sri.post("/console/campaigns/new", **data)
        assert response.status_code == 400, message
        assert message.lower() in response.text.lower(), message
        assert data["text_id"][:50] in response.text  # what was typed stays
    assert campaign_count(hotline) == 0
    assert hotline.audit_count("campaign_create") == 0


async def test_agents_get_403_and_a_form_without_its_token_is_refused(hotline: Hotline) -> None:
    subscribers(hotline, "sambas", 1)
    ani = hotline.signed_in("ani")
    for path in ("/console/campaigns", "/console/campaigns/new", "/console/api/campaigns/1"):
        assert ani.get(path).status_code == 403, path
    assert ani.post("/console/campaigns/new", **form()).status_code == 403
    assert 'href="/console/campaigns"' not in ani.get("/console/").text
    assert campaign_count(hotline) == 0

    sri = hotline.signed_in("sri", StaffRole.SUPERVISOR)
    no_token = sri.client.post("/console/campaigns/new", data=form())
    assert no_token.status_code == 403 and "Token formulir tidak valid" in no_token.text
    assert campaign_count(hotline) == 0
    sri.post("/console/campaigns/new", **form())
    assert sri.client.post("/console/campaigns/1/cancel", data={}).status_code == 403
    with hotline.app.sessions() as session:
        assert session.get(Campaign, 1).status is CampaignStatus.SCHEDULED  # type: ignore[union-attr]
    assert sri.get("/console/campaigns/99").status_code == 404
