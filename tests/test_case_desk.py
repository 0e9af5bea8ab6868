"""The case desk over HTTP: reports filed through dispatch become cases staff find, edit, refer and close.

Both databases; no Rasa (the report flows run on typed commands, numbered buttons and free text).
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, select

from bot.hotline import referrals
from bot.hotline.cases import WIB
from bot.storage.db import transaction
from bot.storage.models import (
    AuditEntry,
    Case,
    CaseChange,
    CaseNote,
    CaseStatus,
    Contact,
    Escalation,
    EscalationStatus,
    JobRun,
    OutboxItem,
    Priority,
    Referral,
    StaffRole,
)
from tests.case_desk_support import ANONYMOUS_RECRUITER, file_report
from tests.conftest import make_settings
from tests.e2e.hotline import Hotline
from tests.support import until

URGENT = "tolong saya dikurung majikan, tidak boleh keluar rumah"
STAFF_GROUP = -1001234567


def case_of(hotline: Hotline, number: str) -> Case:
    with hotline.app.sessions() as session:
        return session.scalars(select(Case).where(Case.number == number)).one()


def outbox_texts(hotline: Hotline, chat_id: str) -> list[str]:
    with hotline.app.sessions() as session:
        return list(session.scalars(select(OutboxItem.text).where(OutboxItem.chat_id == chat_id).order_by(OutboxItem.id)))


async def test_a_report_is_a_case_with_its_own_sheet_and_the_queue_card_previews_it(hotline: Hotline) -> None:
    number = await file_report(hotline.say, "mama")
    case = case_of(hotline, number)
    assert (case.regency, case.country, case.modus) == ("sambas", "malaysia", "departure_unofficial")
    ani = hotline.signed_in("ani")

    [card] = ani.queue()
    assert card["country"] == "Malaysia" and card["preview"].startswith("Siti Aminah · Malaysia, Kuching")
    assert card["reason"] == "Laporan: keluarga tidak bisa dihubungi"  # not "Case:missing_person"
    assert f'href="/console/c/{case.id}"' in ani.get("/console/").text

    page = ani.get(f"/console/c/{case.id}").text
    for shown in (number, "Keluarga tidak bisa dihubungi", "Berangkat tidak resmi", 'value="Siti Aminah"',
                  'value="0812-3456-7890"', "Kab. Sambas", "Chat lokal · mama", "TINGGI", "Baru"):
        assert shown in page, shown
    assert "/lapor" in page  # the transcript
    assert hotline.audit_count("case_view", target_id=case.id) == 1


async def test_staff_edit_a_field_with_history_and_the_list_follows(hotline: Hotline) -> None:
    number = await file_report(hotline.say, "mama")
    case_id = case_of(hotline, number).id
    ani = hotline.signed_in("ani")

    page = ani.post(f"/console/c/{case_id}/edit", name="Siti Aminah binti Ahmad", regency="pontianak", country="brunei",
                    age="30 tahun")
    assert "diperbarui (3 isian)" in page.text
    assert "Siti Aminah binti Ahmad" in page.text and "Kab. Sambas → Kota Pontianak" in page.text
    case = case_of(hotline, number)
    assert (case.details["name"], case.regency, case.country) == ("Siti Aminah binti Ahmad", "pontianak", "brunei")
    with hotline.app.sessions() as session:
        changes = session.scalars(select(CaseChange).order_by(CaseChange.id)).all()
        assert [(c.field, c.before, c.after, c.staff_id) for c in changes] == [
            ("name", "Siti Aminah", "Siti Aminah binti Ahmad", 1), ("regency", "sambas", "pontianak", 1),
            ("country", None, "brunei", 1),
        ]
        entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "case_edit")).one()
        assert entry.detail["fields"] == ["name", "regency", "country"] and entry.ip == "testclient"
    assert "Pilihan asal" in ani.post(f"/console/c/{case_id}/edit", regency="atlantis").text
    listed = ani.get("/console/cases?regency=pontianak&country=brunei").text
    assert number in listed and "1 laporan" in listed
    assert "0 laporan" in ani.get("/console/cases?regency=sambas").text


async def test_search_by_number_name_phone_recruiter_and_filters(hotline: Hotline) -> None:
    first = await file_report(hotline.say, "mama")
    second = await file_report(hotline.say, "anon", ANONYMOUS_RECRUITER)
    ani = hotline.signed_in("ani")

    jump = ani.client.get(f"/console/cases?q={second.lower()}")
    assert jump.status_code == 303 and jump.headers["location"] == f"/console/c/{case_of(hotline, second).id}"
    for query, found, absent in (("siti", first, second), ("0812 3456", first, second), ("budi calo", second, first),
                                 ("maju jaya", first, second), ("0899-1111", second, first)):
        page = ani.get(f"/console/cases?q={query}").text
        assert found in page and absent not in page, query
    assert hotline.audit_count("case_list") == 6
    kinds = ani.get("/console/cases?kind=trafficking").text
    assert second in kinds and first not in kinds
    assert first in ani.get("/console/cases?country=malaysia").text
    assert second in ani.get("/console/cases?country=cambodia").text  # named in the story
    assert "0 laporan" in ani.get("/console/cases?status=closed").text
    today = hotline.clock().astimezone(WIB).date()
    assert "2 laporan" in ani.get(f"/console/cases?from={today}&to={today}").text
    assert "0 laporan" in ani.get(f"/console/cases?to={today - timedelta(days=1)}").text


async def test_the_list_pages_through_many_cases(hotline: Hotline) -> None:
    for n in range(27):
        await file_report(hotline.say, f"person-{n}")
    ani = hotline.signed_in("ani")
    first = ani.get("/console/cases").text
    assert "27 laporan · halaman 1 dari 2" in first and "KB-" in first
    assert first.count('class="case-row') == 25 and 'rel="next"' in first
    second = ani.get("/console/cases?page=2").text
    assert second.count('class="case-row') == 2 and 'rel="prev"' in second


def listed(page: str) -> list[str]:
    """The links of the case list's rows, in order: /console/c/<id> for reports, /console/e/<id> for escalations."""
    return re.findall(r'<a class="title" href="(/console/[ce]/\d+)"', page)


async def test_escalations_without_a_report_are_in_the_list_with_the_reports(hotline: Hotline) -> None:
    number = await file_report(hotline.say, "mama")  # its escalation has the report: listed once, as the report
    hotline.clock.advance(minutes=5)
    await hotline.say("6281299990000", URGENT, channel="whatsapp")
    hotline.clock.advance(minutes=5)
    await hotline.say("person-2", "/petugas")
    with transaction(hotline.app.sessions) as session:
        rina = session.scalars(select(Contact).where(Contact.external_id == "6281299990000")).one()
        rina.display_name, rina.place_country = "Rina", "malaysia"
    urgent, asked = [e for e in hotline.escalations() if e.case_id is None]
    case_id = case_of(hotline, number).id
    ani = hotline.signed_in("ani")

    page = ani.get("/console/cases").text
    assert "1 laporan · 2 eskalasi tanpa laporan" in page
    assert listed(page) == [f"/console/e/{asked.id}", f"/console/e/{urgent.id}", f"/console/c/{case_id}"]
    opened = urgent.opened_at.astimezone(WIB).strftime("%d-%m-%Y %H:%M WIB")
    for shown in (f"Eskalasi #{urgent.id}", "MENDESAK", "Menunggu", "Darurat: dikurung / disekap", opened,
                  "WhatsApp · <strong>Rina</strong> · Malaysia · belum diambil", "Minta bicara dengan petugas",
                  "Chat lokal", "Eskalasi tanpa laporan (percakapan)"):
        assert shown in page, shown
    assert ">urgent<" not in page and ">open<" not in page

    def only(query: str) -> list[str]:
        return listed(ani.get(f"/console/cases?{query}").text)

    conversations = ani.get("/console/cases?kind=conversation").text
    assert "2 eskalasi tanpa laporan" in conversations and "laporan ·" not in conversations
    assert listed(conversations) == [f"/console/e/{asked.id}", f"/console/e/{urgent.id}"]
    assert only("kind=missing_person") == [f"/console/c/{case_id}"]
    assert only("priority=urgent") == [f"/console/e/{urgent.id}"]
    # A country is where the person said they are; an escalation has no regency and is never referred.
    assert only("country=malaysia") == [f"/console/e/{urgent.id}", f"/console/c/{case_id}"]
    assert only("regency=sambas") == [f"/console/c/{case_id}"]
    assert only("status=referred") == []
    assert only("q=rina") == [f"/console/e/{urgent.id}"]
    assert only("q=0812-9999-0000") == [f"/console/e/{urgent.id}"]  # typed as staff write it, stored +62
    assert only("q=siti") == [f"/console/c/{case_id}"]
    today = hotline.clock().astimezone(WIB).date()
    assert len(only(f"from={today}&to={today}")) == 3 and only(f"to={today - timedelta(days=1)}") == []

    # Status and assignee read the escalation's own: waiting is "new", claimed is "in review".
    ani.post(f"/console/e/{urgent.id}/claim")
    assert only("status=in_review") == [f"/console/e/{urgent.id}"]
    assert only("status=new") == [f"/console/e/{asked.id}", f"/console/c/{case_id}"]
    assert only("assignee=1") == [f"/console/e/{urgent.id}"]
    assert only("assignee=0") == [f"/console/e/{asked.id}", f"/console/c/{case_id}"]
    assert "Rina</strong> · Malaysia · ani" in ani.get("/console/cases?priority=urgent").text
    ani.post(f"/console/e/{asked.id}/claim")
    assert "Eskalasi ditutup." in ani.post(f"/console/e/{asked.id}/close", outcome="assisted").text
    assert only("status=closed") == [f"/console/e/{asked.id}"]


async def test_the_list_pages_through_reports_and_escalations_by_time(hotline: Hotline) -> None:
    """Reports and escalations without one interleave by time; pages neither repeat nor skip a row."""
    for n in range(3):
        await file_report(hotline.say, f"mother-{n}")
        for m in range(8):
            hotline.clock.advance(minutes=1)
            await hotline.say(f"person-{n}-{m}", "/petugas")
        hotline.clock.advance(minutes=1)
    ani = hotline.signed_in("ani")
    first = ani.get("/console/cases").text
    assert "3 laporan · 24 eskalasi tanpa laporan · halaman 1 dari 2" in first
    second = ani.get("/console/cases?page=2").text
    rows = listed(first) + listed(second)
    assert len(listed(first)) == 25 and len(rows) == 27 and len(set(rows)) == 27
    with hotline.app.sessions() as session:
        times = {f"/console/c/{i}": at for i, at in session.execute(select(Case.id, Case.created_at))}
        times.update({f"/console/e/{i}": at for i, at in session.execute(
            select(Escalation.id, Escalation.opened_at).where(Escalation.case_id.is_(None)))})
    assert [times[r] for r in rows] == sorted(times.values(), reverse=True)
    assert rows[-1].startswith("/console/c/")  # the first report is the oldest row


async def test_an_anonymous_report_keeps_no_reporter_fields(hotline: Hotline) -> None:
    number = await file_report(hotline.say, "anon", ANONYMOUS_RECRUITER)
    case = case_of(hotline, number)
    ani = hotline.signed_in("ani")
    page = ani.get(f"/console/c/{case.id}").text
    assert "anonim" in page and 'name="reporter_phone"' not in page and 'name="share_reporter_contact"' not in page
    ani.post(f"/console/c/{case.id}/edit", reporter_name="Someone")
    assert "reporter_name" not in case_of(hotline, number).details


async def test_refer_to_bp3mi_the_reporter_is_told_and_the_letter_holds_what_consent_allows(hotline: Hotline) -> None:
    number = await file_report(hotline.say, "mama")
    case_id = case_of(hotline, number).id
    await hotline.deliver()
    ani = hotline.signed_in("ani")

    page = ani.post(f"/console/c/{case_id}/refer", agency="bp3mi_kalbar", reference_number="B-123/BP3MI/2026",
                    contact_person="Seksi Pelindungan", referred_on="", follow_up_on="")
    assert f"Laporan {number} dirujuk ke BP3MI Kalimantan Barat; pelapor diberi tahu." in page.text
    assert "B-123/BP3MI/2026" in page.text and "Dikirim" in page.text
    case = case_of(hotline, number)
    assert case.status is CaseStatus.REFERRED
    told = outbox_texts(hotline, "mama")[-1]
    assert told.startswith(f"Kabar laporan {number}: laporan Anda sudah diteruskan ke BP3MI")
    assert "Seksi Pelindungan" not in told and "B-123" not in told  # the kind of agency, not its people
    assert len([t for t in outbox_texts(hotline, "mama") if number in t and "Kabar" in t]) == 1  # one message

    with hotline.app.sessions() as session:
        referral = session.scalars(select(Referral)).one()
    today = hotline.clock().astimezone(WIB).date()
    assert referral.referred_on == today and referral.follow_up_on is None
    page = ani.post(f"/console/referrals/{referral.id}", status="accepted", reference_number="B-123/BP3MI/2026",
                    contact_person="Seksi Pelindungan", follow_up_on=(today + timedelta(days=7)).isoformat())
    assert "Rujukan diperbarui: Diterima instansi." in page.text
    assert hotline.audit_count("referral_create") == 1 and hotline.audit_count("referral_update") == 1

    letter = ani.get(f"/console/referrals/{referral.id}/letter").text
    for shown in ("Surat Rujukan", "BP3MI Kalimantan Barat", "B-123/BP3MI/2026", "Siti Aminah", "Malaysia, Kuching",
                  "Kab. Sambas", "tanpa persetujuan pelapor untuk dibagikan"):
        assert shown in letter, shown
    assert "0812" not in letter and "mama" not in letter and "/lapor" not in letter  # no reporter, no chat
    assert hotline.audit_count("letter_print") == 1

    shared = ani.post(f"/console/c/{case_id}/refer", agency="police_ppa", share_reporter_contact="1",
                      follow_up_on=today.isoformat())
    assert "dirujuk ke Unit Pelayanan Perempuan dan Anak" in shared.text
    with hotline.app.sessions() as session:
        police = session.scalars(select(Referral).where(Referral.agency == "police_ppa")).one()
    assert "0812-3456-7890" in ani.get(f"/console/referrals/{police.id}/letter").text
    assert outbox_texts(hotline, "mama")[-1].startswith(f"Kabar laporan {number}: laporan Anda sudah diteruskan "
                                                         "ke kepolisian")


async def test_an_anonymous_reports_letter_never_names_the_reporter(hotline: Hotline) -> None:
    number = await file_report(hotline.say, "anon", ANONYMOUS_RECRUITER)
    case_id = case_of(hotline, number).id
    ani = hotline.signed_in("ani")
    ani.post(f"/console/c/{case_id}/refer", agency="police_ppa", share_reporter_contact="1")
    with hotline.app.sessions() as session:
        referral = session.scalars(select(Referral)).one()
    assert referral.share_reporter_contact is False
    letter = ani.get(f"/console/referrals/{referral.id}/letter").text
    assert "Budi Calo" in letter and "(laporan anonim)" in letter and "anon" not in letter.replace("anonim", "")


async def test_a_referral_past_its_follow_up_date_is_flagged_once_by_the_scheduled_job(hotline: Hotline) -> None:
    number = await file_report(hotline.say, "mama")
    ani = hotline.signed_in("ani")
    today = hotline.clock().astimezone(WIB).date()
    ani.post(f"/console/c/{case_of(hotline, number).id}/refer", agency="lpsk", follow_up_on=today.isoformat())
    ani.post(f"/console/c/{case_of(hotline, number).id}/refer", agency="dinas_sosial",
             follow_up_on=(today + timedelta(days=3)).isoformat())

    app = hotline.app
    app.scheduler.every(referrals.JOB_NAME, 0.2, lambda: referrals.run_follow_up_sweep(app.sessions, hotline.clock))
    app.scheduler.start()
    try:
        assert app.scheduler.next_run_time(referrals.JOB_NAME) is not None

        def flagged() -> list[str]:
            with app.sessions() as session:
                return list(session.scalars(select(Referral.agency).where(Referral.follow_up_alerted_at.is_not(None))))

        assert await until(flagged) == ["lpsk"]
    finally:
        await app.scheduler.shutdown()
    with app.sessions() as session:
        first_flag = session.scalars(select(Referral.follow_up_alerted_at).where(Referral.agency == "lpsk")).one()
        assert referrals.sweep(session, hotline.clock() + timedelta(hours=1)) == []  # never twice
        assert session.scalars(select(Referral.follow_up_alerted_at).where(Referral.agency == "lpsk")).one() == first_flag
    page = ani.get(f"/console/c/{case_of(hotline, number).id}").text
    assert page.count("Tindak lanjut jatuh tempo") == 1
    hotline.clock.advance(days=3)
    with transaction(app.sessions) as session:
        social = session.scalars(select(Referral.id).where(Referral.agency == "dinas_sosial")).one()
        assert referrals.sweep(session, hotline.clock()) == [social]


async def test_an_overdue_referral_is_posted_to_the_staff_group_once_per_follow_up_date(
    tmp_path: Path, database_url: str
) -> None:
    settings = make_settings(tmp_path, database_url, PUBLIC_URL="https://teman-migran.example.org")
    settings = replace(settings, telegram=replace(settings.telegram, staff_group_id=STAFF_GROUP),
                       referrals=replace(settings.referrals, follow_up_sweep_seconds=0.2))
    hotline = Hotline.open(settings)
    app = hotline.app
    try:
        number = await file_report(hotline.say, "mama")
        case_id = case_of(hotline, number).id
        ani = hotline.signed_in("ani")
        today = hotline.clock().astimezone(WIB).date()

        def day(offset: int) -> str:
            return (today + timedelta(days=offset)).isoformat()

        ani.post(f"/console/c/{case_id}/refer", agency="bp3mi_kalbar", referred_on=day(-10), follow_up_on=day(-2),
                 reference_number="B-9/BP3MI/2026", contact_person="Seksi Pelindungan")
        ani.post(f"/console/c/{case_id}/refer", agency="lpsk", follow_up_on=day(10))  # not due yet
        ani.post(f"/console/c/{case_id}/refer", agency="dinas_sosial", referred_on=day(-10), follow_up_on=day(-1))
        with app.sessions() as session:
            ids = dict(session.execute(select(Referral.agency, Referral.id)).tuples().all())
        ani.post(f"/console/referrals/{ids['dinas_sosial']}", status="done", follow_up_on=day(-1))  # answered

        def reminders() -> list[str]:
            with app.sessions() as session:
                return [item.text for item in session.scalars(
                    select(OutboxItem).where(OutboxItem.chat_id == str(STAFF_GROUP)).order_by(OutboxItem.id))
                    if item.extra.get("staff_group") == "staff_group_referral_overdue"]

        def runs() -> int:
            with app.sessions() as session:
                return int(session.scalar(select(func.count(JobRun.id)).where(
                    JobRun.job == referrals.JOB_NAME, JobRun.outcome == "ok")) or 0)

        app.scheduler.start()  # the job as the app schedules it
        [post] = await until(reminders)
        due = (today - timedelta(days=2)).strftime("%d-%m-%Y")
        assert post == (f"📌 Rujukan laporan {number} ke BP3MI Kalimantan Barat belum ada kabar: tindak lanjut "
                        f"jatuh tempo sejak {due} (status: Dikirim). Tanyakan ke instansi dan catat di lembar kasus: "
                        f"https://teman-migran.example.org/console/c/{case_id}")
        for private in ("Siti", "0812", "mama", "Seksi Pelindungan", "Sambas"):
            assert private not in post, private
        seen = runs()
        await until(lambda: runs() >= seen + 3)  # later sweeps post nothing again
        assert len(reminders()) == 1

        # Staff ask again and set a new follow-up date: when it comes, a new reminder.
        ani.post(f"/console/referrals/{ids['bp3mi_kalbar']}", status="accepted", reference_number="B-9/BP3MI/2026",
                 contact_person="Seksi Pelindungan", follow_up_on=day(3))
        seen = runs()
        await until(lambda: runs() >= seen + 2)
        assert len(reminders()) == 1
        hotline.clock.advance(days=3)
        later = await until(lambda: reminders()[1:])
        assert later == [f"📌 Rujukan laporan {number} ke BP3MI Kalimantan Barat belum ada kabar: tindak lanjut "
                         f"jatuh tempo sejak {(today + timedelta(days=3)).strftime('%d-%m-%Y')} (status: Diterima "
                         f"instansi). Tanyakan ke instansi dan catat di lembar kasus: "
                         f"https://teman-migran.example.org/console/c/{case_id}"]
    finally:
        await hotline.close()


async def test_closing_urgent_work_asks_for_an_outcome_and_a_note(hotline: Hotline) -> None:
    await hotline.say("person-1", URGENT)
    ani = hotline.signed_in("ani")
    escalation_id = ani.queue()[0]["id"]
    ani.post(f"/console/e/{escalation_id}/claim")
    page = ani.get(f"/console/e/{escalation_id}").text
    assert 'name="note"' in page and "wajib untuk eskalasi mendesak" in page
    refused = ani.post(f"/console/e/{escalation_id}/close", outcome="assisted")
    assert "tulis catatan penutupan" in refused.text
    assert hotline.escalations()[0].status is EscalationStatus.CLAIMED
    page = ani.post(f"/console/e/{escalation_id}/close", outcome="referred_police", note="Korban dijemput polisi")
    assert "Eskalasi ditutup." in page.text and "Ditutup (Dirujuk ke polisi): Korban dijemput polisi" in page.text

    # An urgent report is closed from its sheet the same way.
    number = await file_report(hotline.say, "mama")
    with transaction(hotline.app.sessions) as session:
        session.scalars(select(Case).where(Case.number == number)).one().priority = Priority.URGENT
    case_id = case_of(hotline, number).id
    refused = ani.post(f"/console/c/{case_id}/status", status="closed", outcome="", note="")
    assert "pilih hasil penanganan dan tulis catatan penutupan" in refused.text
    assert case_of(hotline, number).status is CaseStatus.NEW
    page = ani.post(f"/console/c/{case_id}/status", status="closed", outcome="referred_bp3mi", note="Sudah pulang")
    assert f"Status laporan {number} diubah" in page.text and "Ditutup (Dirujuk ke BP3MI): Sudah pulang" in page.text
    assert case_of(hotline, number).status is CaseStatus.CLOSED
    assert "Selesai (ditutup)" in outbox_texts(hotline, "mama")[-1]


async def test_saved_replies_per_language_edited_by_supervisors(hotline: Hotline) -> None:
    await hotline.say("person-1", "/petugas")
    ani = hotline.signed_in("ani")
    sari = hotline.signed_in("sari", StaffRole.SUPERVISOR)
    assert ani.get("/console/replies").status_code == 403
    assert ani.post("/console/replies", language="id", title="Salam", text="Halo").status_code == 403
    page = sari.post("/console/replies", language="id", title="Salam pembuka",
                     text="Halo, kami petugas bantuan hukum Kanwil Kemenkum Kalbar.")
    assert "Balasan “Salam pembuka” disimpan." in page.text
    sari.post("/console/replies", language="en", title="Greeting", text="Hello, we are the Kanwil legal-aid staff.")
    assert "Judul dan isi balasan wajib diisi." in sari.post("/console/replies", language="id", title="", text="x").text
    escalation_id = ani.queue()[0]["id"]
    ani.post(f"/console/e/{escalation_id}/claim")
    page = ani.get(f"/console/e/{escalation_id}").text
    assert "Salam pembuka" in page and "Greeting" not in page  # the person speaks Indonesian (the default)
    sari.post("/console/replies/1", language="id", title="Salam", text="Halo dari Kanwil.")
    assert 'data-text="Halo dari Kanwil."' in ani.get(f"/console/e/{escalation_id}").text
    sari.post("/console/replies/1/delete")
    assert "Salam" not in ani.get(f"/console/e/{escalation_id}").text.split("Balas")[1].split("Catatan")[0]
    assert hotline.audit_count("saved_reply") == 4


async def test_the_dashboard_is_for_supervisors_and_shows_aggregates_only(hotline: Hotline) -> None:
    number = await file_report(hotline.say, "mama")
    await file_report(hotline.say, "anon", ANONYMOUS_RECRUITER)
    await hotline.say("someone", URGENT)
    ani = hotline.signed_in("ani")
    sari = hotline.signed_in("sari", StaffRole.SUPERVISOR)
    ani.post(f"/console/c/{case_of(hotline, number).id}/refer", agency="bp3mi_kalbar", reference_number="B-1")
    for path in ("/console/dashboard", "/console/dashboard/print", "/console/dashboard/month.csv"):
        assert ani.get(path).status_code == 403, path

    page = sari.get("/console/dashboard").text
    assert "Dasbor pemantauan" in page and "/console/static/vendor/chartjs/chart.umd.min.js" in page
    assert "Rujukan per instansi" in page and "BP3MI Kalimantan Barat" in page
    for private in ("Siti", "0812", "Budi", "dikurung", "mama", number):
        assert private not in page, private
    assert "&lt;5" in page and ">0<" not in page.split('id="totals"')[1].split("</section>")[0]
    assert hotline.audit_count("dashboard_view") == 1

    printed = sari.get("/console/dashboard/print").text
    assert "Rekap pemantauan Teman Migran" in printed and "BP3MI Kalimantan Barat" in printed and "Siti" not in printed
    month = hotline.clock().astimezone(WIB).strftime("%Y-%m")
    response = sari.get(f"/console/dashboard/month.csv?month={month}")
    assert response.headers["content-type"].startswith("text/csv")
    rows = {(r["section"], r["key"]): r["value"] for r in csv.DictReader(io.StringIO(response.text))}
    assert rows[("referrals", "bp3mi_kalbar")] == "<5" and rows[("cases", "missing_person")] == "<5"
    assert rows[("period", "from")] == f"{month}-01"
    assert hotline.audit_count("stats_export") == 1


async def test_the_closed_list_and_its_csv_show_wib(hotline: Hotline) -> None:
    await hotline.say("person-1", "/petugas")
    sari = hotline.signed_in("sari", StaffRole.SUPERVISOR)
    escalation_id = sari.queue()[0]["id"]
    sari.post(f"/console/e/{escalation_id}/close", outcome="assisted")
    with hotline.app.sessions() as session:
        closed_at = session.get(Escalation, escalation_id).closed_at  # type: ignore[union-attr]
    assert closed_at is not None
    local = closed_at.astimezone(WIB)
    page = sari.get("/console/closed").text
    assert local.strftime("%d-%m-%Y %H:%M WIB") in page and "BIASA" in page and ">normal<" not in page
    row = next(csv.DictReader(io.StringIO(sari.get("/console/export.csv").text)))
    assert row["closed_at"] == local.isoformat(timespec="seconds") and row["closed_at"].endswith("+07:00")


async def test_every_new_page_needs_a_sign_in_and_the_right_role(hotline: Hotline) -> None:
    number = await file_report(hotline.say, "mama")
    case_id = case_of(hotline, number).id
    anonymous = hotline.browser()
    for path in ("/console/cases", f"/console/c/{case_id}", "/console/dashboard", "/console/replies",
                 "/console/referrals/1/letter", "/console/dashboard/month.csv"):
        response = anonymous.get(path)
        assert response.status_code == 303 and response.headers["location"].startswith("/console/login"), path
    ani = hotline.signed_in("ani")
    budi = hotline.signed_in("budi")
    assert ani.get("/console/cases").status_code == 200 and ani.get(f"/console/c/{case_id}").status_code == 200
    refused = ani.post(f"/console/c/{case_id}/assign", staff_id="2")
    assert "Hanya supervisor" in refused.text
    assert "ditugaskan ke ani" in ani.post(f"/console/c/{case_id}/assign", staff_id="1").text
    assert budi.client.post(f"/console/c/{case_id}/refer", data={"agency": "lpsk"}).status_code == 403  # no CSRF
    assert ani.get("/console/c/999").status_code == 404


async def test_erasing_on_request_leaves_nothing_to_search_or_read(hotline: Hotline) -> None:
    number = await file_report(hotline.say, "mama")
    case_id = case_of(hotline, number).id
    ani = hotline.signed_in("ani")
    ani.post(f"/console/c/{case_id}/edit", name="Siti Aminah binti Ahmad")
    ani.post(f"/console/c/{case_id}/note", text="Ibu Siti sudah ditelepon")
    await hotline.say("mama", "/hapus")
    await hotline.say("mama", "1")  # Ya, hapus
    case = case_of(hotline, number)
    assert case.details == {"erased": True} and case.search_text == number.lower()
    with hotline.app.sessions() as session:
        assert session.scalars(select(CaseChange)).all() == [] and session.scalars(select(CaseNote)).all() == []
    assert number not in ani.get("/console/cases?q=siti").text
    page = ani.get(f"/console/c/{case_id}").text
    assert "sudah dihapus atas permintaan pelapor" in page and "Siti" not in page
