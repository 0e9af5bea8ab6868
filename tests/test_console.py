"""The staff console over HTTP: queue, claim, reply, notes, hand back, close, WhatsApp window, export.

People write through the production dispatch path; staff use the console's pages and forms.
No Rasa here: the urgent safety net and typed commands need none.
"""

from __future__ import annotations

import csv
import io
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from bot.hotline.escalations import open_escalation
from bot.storage.db import transaction
from bot.storage.models import (
    AuditEntry,
    Case,
    CaseKind,
    Contact,
    Conversation,
    ConversationState,
    EscalationStatus,
    OutboxItem,
    Priority,
    StaffRole,
    utcnow,
)
from tests.conftest import make_settings
from tests.e2e.hotline import Hotline
from tests.support import Clock

URGENT = "tolong saya dikurung majikan, tidak boleh keluar rumah"


async def test_queue_shows_urgent_first_then_longest_waiting(tmp_path: Path, database_url: str) -> None:
    hotline = Hotline.open(make_settings(tmp_path, database_url), Clock(frozen=utcnow()))
    try:
        await _queue_order(hotline)
    finally:
        await hotline.close()


async def _queue_order(hotline: Hotline) -> None:
    await hotline.say("normal-1", "/petugas")
    hotline.clock.advance(minutes=3)
    with transaction(hotline.app.sessions) as session:
        contact = Contact(channel="local", external_id="reporter")
        session.add(contact)
        session.flush()
        open_escalation(session, contact, priority=Priority.HIGH, reason="case", now=hotline.clock())
    hotline.clock.advance(minutes=2)
    await hotline.say("urgent-1", URGENT)
    hotline.clock.advance(minutes=1)
    await hotline.say("normal-2", "/petugas")
    hotline.clock.advance(seconds=30)

    ani = hotline.signed_in("ani")
    items = ani.queue()
    assert [(i["priority"], i["reason"]) for i in items] == [
        ("urgent", "Darurat: dikurung / disekap"),
        ("high", "Laporan"),
        ("normal", "Minta bicara dengan petugas"),
        ("normal", "Minta bicara dengan petugas"),
    ]
    assert [i["waited_s"] for i in items] == [90, 210, 390, 30]
    page = ani.get("/console/").text
    assert page.index("#3 Darurat") < page.index("#2 Laporan") < page.index("#1 Minta") < page.index("#4 Minta")
    assert "menunggu 1 mnt" in page


async def test_claim_reply_and_the_person_receives_it(hotline: Hotline) -> None:
    await hotline.say("person-1", URGENT)
    ani = hotline.signed_in("ani")
    budi = hotline.signed_in("budi")
    escalation_id = ani.queue()[0]["id"]

    page = ani.post(f"/console/e/{escalation_id}/claim")
    assert "Eskalasi ini sekarang Anda tangani." in page.text
    # Budi's claim a moment later loses, and says who has it.
    assert "Sudah diambil oleh ani" in budi.post(f"/console/e/{escalation_id}/claim").text
    assert ani.queue()[0]["status_label"] == "Ditangani" and ani.queue()[0]["claimed_by"] == "ani"

    page = ani.post(f"/console/e/{escalation_id}/reply", text="Kami dari Kanwil. Apakah Anda aman sekarang?")
    assert "Balasan masuk antrean kirim." in page.text
    received = await hotline.deliver()
    assert "Seorang petugas Kanwil sudah membaca pesan Anda" in received
    assert "👤 Petugas: Kami dari Kanwil. Apakah Anda aman sekarang?" in received
    with hotline.app.sessions() as session:
        item = session.scalars(select(OutboxItem).order_by(OutboxItem.id.desc())).first()
        assert item is not None and item.channel == "local" and item.chat_id == "person-1"
    escalation = hotline.escalations()[0]
    assert escalation.first_staff_reply_at is not None
    assert [m["author"] for m in ani.messages(escalation_id)][-1] == "ani"

    # Budi is an agent: another agent's conversation is not his to answer.
    refused = budi.post(f"/console/e/{escalation_id}/reply", text="halo")
    assert refused.status_code == 403
    assert "ditangani petugas lain" in refused.text
    assert hotline.audit_count("reply") == 1 and hotline.audit_count("claim") == 1


async def test_with_staff_the_bot_stays_out_and_staff_read_everything(hotline: Hotline) -> None:
    await hotline.say("person-1", URGENT)
    ani = hotline.signed_in("ani")
    escalation_id = ani.queue()[0]["id"]
    ani.post(f"/console/e/{escalation_id}/claim")

    result = await hotline.say("person-1", "saya di Kuching, rumah majikan di jalan Padungan")
    assert result.replies == []  # a claimed conversation: staff answer, the bot says nothing
    lines = ani.messages(escalation_id)
    assert lines[-1]["direction"] == "in"
    assert lines[-1]["text"] == "saya di Kuching, rumah majikan di jalan Padungan"
    assert ani.queue()[0]["waiting_reply"] is True
    # Only new lines come back to the page's poll.
    assert ani.messages(escalation_id, after=lines[-1]["id"]) == []


async def test_hand_back_to_the_bot_and_close_with_an_outcome(hotline: Hotline) -> None:
    await hotline.say("person-1", "/petugas")
    ani = hotline.signed_in("ani")
    escalation_id = ani.queue()[0]["id"]
    ani.post(f"/console/e/{escalation_id}/claim")
    ani.post(f"/console/e/{escalation_id}/reply", text="Sudah kami catat.")

    page = ani.post(f"/console/e/{escalation_id}/handback")
    assert "Percakapan dikembalikan ke bot" in page.text
    assert "Percakapan dengan petugas selesai. Saya (bot) kembali membantu." in await hotline.deliver()
    replies = await hotline.say("person-1", "menu")
    assert replies.replies, "the bot answers again"
    assert ani.queue()[0]["with_bot"] is True

    assert "Pilih hasil penanganan." in ani.post(f"/console/e/{escalation_id}/close", outcome="nonsense").text
    page = ani.post(f"/console/e/{escalation_id}/close", outcome="referred_legal_aid")
    assert "Eskalasi ditutup." in page.text
    escalation = hotline.escalations()[0]
    assert escalation.status is EscalationStatus.CLOSED and escalation.outcome == "referred_legal_aid"
    assert ani.queue() == []
    assert hotline.audit_count("close") == 1 and hotline.audit_count("handback") == 1


async def test_closing_while_with_staff_returns_the_person_to_the_bot(hotline: Hotline) -> None:
    await hotline.say("person-1", URGENT)
    ani = hotline.signed_in("ani")
    escalation_id = ani.queue()[0]["id"]
    ani.post(f"/console/e/{escalation_id}/claim")
    ani.post(f"/console/e/{escalation_id}/close", outcome="assisted", note="Sudah aman di rumah saudara")
    assert "Percakapan dengan petugas selesai" in await hotline.deliver()
    with hotline.app.sessions() as session:
        assert session.scalars(select(Conversation)).one().state is ConversationState.IDLE


async def test_person_ends_the_conversation_with_the_button(hotline: Hotline) -> None:
    await hotline.say("person-1", "/petugas")
    ani = hotline.signed_in("ani")
    escalation_id = ani.queue()[0]["id"]
    ani.post(f"/console/e/{escalation_id}/claim")
    result = await hotline.say("person-1", "Kembali ke bot", payload="cmd:end_staff")
    # No staff member has spoken yet: the talk did not "end", and the request stays in the queue (issue 11).
    assert "Percakapan dengan petugas selesai" not in result.replies[0].text
    assert "Pesan Anda tetap di antrean petugas (nomor 1)" in result.replies[0].text
    assert ani.queue()[0]["with_bot"] is True  # still on the owner's list until they close it


async def test_claiming_a_report_puts_the_conversation_with_staff(hotline: Hotline) -> None:
    await hotline.say("reporter", "halo")
    with transaction(hotline.app.sessions) as session:
        contact = session.scalars(select(Contact)).one()
        case = Case(number="KB-2026-000042", kind=CaseKind.TRAFFICKING, contact_id=contact.id, details={})
        session.add(case)
        session.flush()
        open_escalation(session, contact, priority=Priority.HIGH, reason="case", now=hotline.clock(), case_id=case.id)
    ani = hotline.signed_in("ani")
    item = ani.queue()[0]
    assert item["case_number"] == "KB-2026-000042" and item["with_bot"] is True
    assert "KB-2026-000042" in ani.get(f"/console/e/{item['id']}").text

    ani.post(f"/console/e/{item['id']}/claim")
    with hotline.app.sessions() as session:
        assert session.scalars(select(Conversation)).one().state is ConversationState.WITH_STAFF
    assert (await hotline.say("reporter", "kapan laporan saya diproses?")).replies == []


async def test_notes_stay_internal(hotline: Hotline) -> None:
    await hotline.say("person-1", URGENT)
    ani = hotline.signed_in("ani")
    escalation_id = ani.queue()[0]["id"]
    await hotline.deliver()
    before = hotline.out.getvalue()
    page = ani.post(f"/console/e/{escalation_id}/note", text="Sudah telepon KBRI Kuala Lumpur <b>penting</b>")
    assert "Catatan disimpan." in page.text
    assert "Sudah telepon KBRI Kuala Lumpur &lt;b&gt;penting&lt;/b&gt;" in page.text
    assert await hotline.deliver() == before  # nothing went to the person
    assert hotline.audit_count("note") == 1


async def test_supervisor_reassigns(hotline: Hotline) -> None:
    await hotline.say("person-1", URGENT)
    ani = hotline.signed_in("ani")
    hotline.add_staff("budi")
    sari = hotline.signed_in("sari", StaffRole.SUPERVISOR)
    escalation_id = ani.queue()[0]["id"]
    ani.post(f"/console/e/{escalation_id}/claim")

    budi_id = 2
    assert ani.post(f"/console/e/{escalation_id}/reassign", staff_id=str(budi_id)).status_code == 403
    page = sari.post(f"/console/e/{escalation_id}/reassign", staff_id=str(budi_id))
    assert "Dialihkan ke budi." in page.text
    assert hotline.escalations()[0].claimed_by == budi_id
    assert hotline.audit_count("reassign", staff_id=3) == 1


async def test_a_message_holding_html_is_shown_as_text(hotline: Hotline) -> None:
    await hotline.say("person-1", 'tolong saya dikurung <script>alert("x")</script><img src=x onerror=alert(1)>')
    ani = hotline.signed_in("ani")
    page = ani.get(f"/console/e/{ani.queue()[0]['id']}")
    assert "<script>alert" not in page.text and "<img src=x" not in page.text
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;" in page.text
    assert "script-src 'self'" in page.headers["content-security-policy"]


async def test_whatsapp_outside_24_hours_uses_the_reopening_template(tmp_path: Path, database_url: str) -> None:
    settings = make_settings(tmp_path, database_url)
    settings = replace(settings, whatsapp=replace(settings.whatsapp, reopen_template_sid="HX0123456789abcdef"))
    hotline = Hotline.open(settings)
    try:
        await hotline.say("6281234567890", URGENT, channel="whatsapp", received_at=utcnow() - timedelta(hours=25))
        ani = hotline.signed_in("ani")
        escalation_id = ani.queue()[0]["id"]
        ani.post(f"/console/e/{escalation_id}/claim")
        page = ani.get(f"/console/e/{escalation_id}")
        assert "Di luar jendela 24 jam WhatsApp" in page.text and "template pembuka" in page.text
        page = ani.post(f"/console/e/{escalation_id}/reply", text="Kami dari Kanwil, apakah Anda aman?")
        assert "template pembuka WhatsApp dikirim dulu" in page.text
        with hotline.app.sessions() as session:
            item = session.scalars(select(OutboxItem).where(OutboxItem.channel == "whatsapp")
                                   .order_by(OutboxItem.id.desc())).first()
            # The staff's own words wait in the outbox; the WhatsApp sender puts the template first.
            assert item is not None and "Kami dari Kanwil, apakah Anda aman?" in item.text
        assert hotline.audit_count("reply") == 1

        # The person answers: the window is open again and the console says so.
        await hotline.say("6281234567890", "ya saya masih di sini", channel="whatsapp")
        page = ani.get(f"/console/e/{escalation_id}")
        assert "Di luar jendela 24 jam" not in page.text
        assert "Balasan masuk antrean kirim." in ani.post(f"/console/e/{escalation_id}/reply", text="Baik").text
    finally:
        await hotline.close()


async def test_whatsapp_outside_24_hours_without_template_is_held_visibly(hotline: Hotline) -> None:
    await hotline.say("6281234567890", URGENT, channel="whatsapp", received_at=utcnow() - timedelta(hours=30))
    ani = hotline.signed_in("ani")
    escalation_id = ani.queue()[0]["id"]
    ani.post(f"/console/e/{escalation_id}/claim")
    assert "balasan akan DITAHAN" in ani.get(f"/console/e/{escalation_id}").text
    page = ani.post(f"/console/e/{escalation_id}/reply", text="Halo, kami dari Kanwil")
    assert "DITAHAN" in page.text


async def test_supervisor_exports_closed_escalations_without_personal_data(hotline: Hotline) -> None:
    await hotline.say("+6281299990000", URGENT)
    await hotline.say("person-2", "/petugas")
    ani = hotline.signed_in("ani")
    sari = hotline.signed_in("sari", StaffRole.SUPERVISOR)
    first = ani.queue()[0]["id"]
    ani.post(f"/console/e/{first}/claim")
    ani.post(f"/console/e/{first}/reply", text="Nama saya Ani, kami bantu")
    ani.post(f"/console/e/{first}/close", outcome="referred_police", note="Diteruskan ke Polda")

    response = sari.get("/console/export.csv")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [r["escalation_id"] for r in rows] == [str(first)]  # the open one is not in it
    row = rows[0]
    assert row["outcome"] == "referred_police" and row["handled_by"] == "ani" and row["priority"] == "urgent"
    assert float(row["minutes_to_first_reply"]) >= 0
    assert "6281299990000" not in response.text and "dikurung" not in response.text and "Ani, kami" not in response.text
    assert hotline.audit_count("export") == 1
    assert f"/console/e/{first}" in sari.get("/console/closed").text


async def test_audit_log_records_views_and_actions_with_ip(hotline: Hotline) -> None:
    await hotline.say("person-1", URGENT)
    ani = hotline.signed_in("ani")
    sari = hotline.signed_in("sari", StaffRole.SUPERVISOR)
    escalation_id = ani.queue()[0]["id"]
    ani.get(f"/console/e/{escalation_id}")
    ani.post(f"/console/e/{escalation_id}/claim")  # the claim's redirect is a second view
    assert hotline.audit_count("view", staff_id=1, target_id=escalation_id) == 2
    page = sari.get("/console/audit")
    assert page.status_code == 200
    for label in ("Masuk", "Membuka percakapan", "Mengambil"):
        assert label in page.text
    assert f"escalation #{escalation_id}" in page.text
    assert "testclient" in page.text  # the client address Starlette's test client reports


async def test_staff_change_a_reports_status_and_the_reporter_is_told(hotline: Hotline) -> None:
    await hotline.say("reporter", "halo")
    with transaction(hotline.app.sessions) as session:
        contact = session.scalars(select(Contact)).one()
        case = Case(number="KB-2026-000007", kind=CaseKind.MISSING_PERSON, contact_id=contact.id, details={})
        session.add(case)
        session.flush()
        open_escalation(session, contact, priority=Priority.HIGH, reason="case", now=hotline.clock(), case_id=case.id)
    await hotline.deliver()
    ani = hotline.signed_in("ani")
    escalation_id = ani.queue()[0]["id"]
    ani.post(f"/console/e/{escalation_id}/claim")
    page = ani.post(f"/console/e/{escalation_id}/case-status", status="in_review")
    assert "Status laporan KB-2026-000007 diubah" in page.text
    assert "Sedang ditinjau" in page.text
    assert "KB-2026-000007" in (await hotline.deliver()).split("Seorang petugas Kanwil")[-1]
    with hotline.app.sessions() as session:
        assert session.scalars(select(Case)).one().status.value == "in_review"
        entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "case_status")).one()
        assert (entry.staff_id, entry.target_type, entry.ip) == (1, "case", "testclient")
