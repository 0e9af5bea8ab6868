"""People in trouble (issue 11): help that fits where they are and who they are.

Whole dialogs through dispatch, on SQLite and PostgreSQL, with the real Rasa server.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from sqlalchemy import select

from bot.cli import main
from bot.config import PROJECT_ROOT, ConfigError, load_settings
from bot.storage.models import Contact, Conversation, ConversationState, Escalation, Message, Priority
from tests.support import Dialog, texts


def _contact(dialog: Dialog) -> Contact:
    with dialog.app.sessions() as session:
        return session.scalars(select(Contact)).one()


def _escalations(dialog: Dialog) -> list[Escalation]:
    with dialog.app.sessions() as session:
        return list(session.scalars(select(Escalation)))


def _last_intent(dialog: Dialog) -> str | None:
    with dialog.app.sessions() as session:
        return session.scalars(select(Message.intent).where(Message.intent.is_not(None)).order_by(Message.id.desc())).first()


# ---------------------------------------------------------------------------------- 1. where the person is
async def test_a_worker_in_sarawak_in_danger_gets_999_and_the_consulate_first(dialog: Dialog) -> None:
    text = texts(await dialog.say("sy di kuching sarawak skrg"))
    assert "saya catat Anda di Kuching, Malaysia" in text and "999" in text
    assert _escalations(dialog) == []  # saying where one is is not an emergency
    contact = _contact(dialog)
    assert (contact.place_country, contact.place_city) == ("malaysia", "kuching")
    assert contact.place_at is not None

    text = texts(await dialog.say("tolong saya dikurung majikan ga boleh keluar"))
    assert "Darurat di Malaysia (termasuk Sarawak): 999" in text
    assert "KJRI Kuching" in text and "belum tersedia" in text  # an unverified number is never guessed
    assert "Safe Travel" in text and "Kalau aman memakai HP Anda" in text
    assert "Polisi: 110" not in text  # 110 only works inside Indonesia
    assert _escalations(dialog)[0].priority is Priority.URGENT


async def test_in_english_a_worker_in_kota_kinabalu_gets_what_works_there(dialog: Dialog) -> None:
    await dialog.say("I am in Kota Kinabalu now, working on a palm oil estate")
    text = texts(await dialog.say("my boss locked me in the room and I cannot leave"))
    assert "Emergency in Malaysia (Sarawak included): 999" in text
    assert "Indonesian Consulate General in Kota Kinabalu" in text
    assert "If it is safe to use your phone" in text
    assert "Police: 110" not in text


async def test_the_consulate_number_asked_for_leads_with_the_place_asked_about(dialog: Dialog) -> None:
    replies = await dialog.say("ada no telp KJRI kuching")
    first = replies[0].text
    assert first.startswith("Yang berlaku di Kuching, Malaysia")
    assert "999" in first and "KJRI Kuching" in first
    # The general list still follows.
    assert "Nomor penting di Indonesia" in texts(replies)


async def test_erasing_my_data_forgets_where_i_am(dialog: Dialog) -> None:
    await dialog.say("kamek kerja kat sibu")
    assert _contact(dialog).place_city == "sibu"
    await dialog.say("/hapus")
    await dialog.press("Ya, hapus")
    contact = _contact(dialog)
    assert (contact.place_country, contact.place_city, contact.place_at) == (None, None, None)


async def test_a_place_mentioned_as_a_destination_is_not_where_the_person_is(dialog: Dialog) -> None:
    await dialog.say("sy mau kerja di malaysia, syaratnya apa")
    assert _contact(dialog).place_country is None
    text = texts(await dialog.say("tolong saya dikurung majikan tidak boleh keluar"))
    assert "Polisi: 110" in text


# ---------------------------------------------------------------------------------- 2. a worker's own problem
async def test_passport_held_and_unpaid_wages_in_kuching_get_rights_local_help_and_a_case(dialog: Dialog) -> None:
    replies = await dialog.say(
        "sy kerja di kuching, paspor sy dipegang majikan, gaji 4 bulan ndak dibayar, sy harus gmn"
    )
    assert _last_intent(dialog) == "report_work_problem"
    text = texts(replies)
    assert "memegang sendiri paspor" in text  # the passport right
    assert "upah sesuai standar negara tujuan" in text  # the wage right
    assert "Sumber: UU 18/2017" in text
    assert "Yang bisa Anda lakukan di Kuching, Malaysia" in text
    assert "999" in text and "KJRI Kuching" in text
    assert "Keluarga Anda" not in text and "Nama lengkapnya" not in text  # not the missing-relative form

    replies = await dialog.press("buka kasus")
    assert "Kasus Anda sudah masuk antrean petugas" in texts(replies)
    (escalation,) = _escalations(dialog)
    assert escalation.priority is Priority.HIGH
    assert escalation.reason == "work_problem:passport,wages"
    with dialog.app.sessions() as session:
        assert session.scalars(select(Conversation)).one().state is ConversationState.WITH_STAFF


async def test_unpaid_wages_asks_where_once_and_remembers_the_answer(dialog: Dialog) -> None:
    replies = await dialog.say("gaji sy ndak dibayar majikan 4 bulan")
    assert _last_intent(dialog) == "report_work_problem"
    text = texts(replies)
    assert "upah sesuai standar negara tujuan" in text
    assert "di negara atau kota mana Anda sekarang" in text
    assert "daftar hak" not in text.lower()

    replies = await dialog.say("sibu")
    text = texts(replies)
    assert "Yang bisa Anda lakukan di Sibu, Malaysia" in text and "KJRI Kuching" in text
    assert "Mau saya buka kasus" in text
    assert _contact(dialog).place_city == "sibu"

    replies = await dialog.press("Tidak sekarang")
    assert "Kalau berubah pikiran" in texts(replies)
    assert _escalations(dialog) == []


async def test_other_phrasings_of_a_work_problem_in_malay_and_english(dialog: Dialog) -> None:
    replies = await dialog.say("gaji kamek sik dibayar tauke dah 3 bulan, kamek kerja kat miri, camne tok")
    assert _last_intent(dialog) == "report_work_problem"
    assert "Miri, Malaysia" in texts(replies)
    await dialog.press("Tidak sekarang")

    other = Dialog.open(dialog.app.settings, chat_id="person-2")
    try:
        replies = await other.say("my employer has not paid my salary for three months, what should I do?")
        assert _last_intent(other) == "report_work_problem"
        text = texts(replies)
        assert "wages at the destination country's standard" in text
        assert "which country or city are you in now" in text
    finally:
        await other.close()


async def test_a_worker_already_home_is_sent_to_bp3mi(dialog: Dialog) -> None:
    await dialog.say("kontrak sy diubah agen, gajinya beda dr janji, sy harus gmn")
    assert _last_intent(dialog) == "report_work_problem"
    replies = await dialog.press("Sudah di Indonesia")
    text = texts(replies)
    assert "Anda sudah di Indonesia" in text and "BP3MI" in text


# ---------------------------------------------------------------------------------- 3. a family facing ransom
async def test_a_family_asked_for_ransom_is_told_not_to_pay_and_whom_to_tell(dialog: Dialog) -> None:
    text = texts(await dialog.say("anak sy di kamboja disekap, mereka minta tebusan 30 juta, sy hrs transfer gk?"))
    assert "jangan membayar tebusan" in text
    assert "jarang membebaskannya" in text and "meminta lagi" in text
    assert "polisi (110) dan ke Kanwil lebih dulu" in text
    assert "media sosial" in text
    assert "KBRI Phnom Penh" in text
    assert "beri tahu di mana Anda berada" not in text  # the victim's text is not for the family
    assert _escalations(dialog)[0].priority is Priority.URGENT


async def test_a_denda_for_a_relatives_release_is_urgent_and_answered_for_the_family(dialog: Dialog) -> None:
    text = texts(await dialog.say("adik sy ditahan agen di sibu, agen minta denda 15 juta baru boleh pulang"))
    assert "jangan membayar tebusan atau \"denda\"" in text
    assert "KJRI Kuching" in text
    assert _escalations(dialog)[0].priority is Priority.URGENT


async def test_in_english_a_family_asked_for_money_is_told_not_to_pay(dialog: Dialog) -> None:
    text = texts(await dialog.say("my daughter is held in Cambodia and they want 5000 dollars to release her, should I pay?"))
    assert "do not pay a ransom" in text
    assert "rarely frees them" in text and "social media" in text
    assert "Indonesian Embassy in Phnom Penh" in text
    assert _escalations(dialog)[0].priority is Priority.URGENT


# ---------------------------------------------------------------------------------- 5. language
async def test_an_english_question_is_answered_in_english_and_the_language_is_kept(dialog: Dialog) -> None:
    replies = await dialog.say("how much does it cost to work in taiwan as a caregiver?")
    assert "Placement costs are" in texts(replies) and "Continue" in replies[-1].buttons[0].label
    assert _contact(dialog).language == "en"
    # A short reply keeps the conversation's language.
    replies = await dialog.say("ok")
    assert _contact(dialog).language == "en"
    # A clear switch follows the person.
    replies = await dialog.say("berapa biaya kerja ke taiwan sebagai perawat lansia?")
    assert "Biaya penempatan adalah" in texts(replies)
    assert _contact(dialog).language == "id"


async def test_a_first_message_in_indonesian_keeps_the_conversation_in_indonesian(dialog: Dialog) -> None:
    replies = await dialog.say("brp biaya kerja ke hongkong jadi prt?")
    assert "Biaya penempatan adalah" in texts(replies)
    assert _contact(dialog).language == "id"


# ---------------------------------------------------------------------------------- 6. banned destinations
async def test_household_work_in_dubai_gets_the_ban_at_once(dialog: Dialog) -> None:
    text = texts(await dialog.say("kerja PRT di dubai aman ga"))
    assert "dilarang" in text.lower() and "260/2015" in text


async def test_every_banned_country_gets_the_ban(dialog: Dialog) -> None:
    for message, ban in (
        ("aturan kerja di mesir gimana", "DILARANG: sejak 1 Juli 2015"),
        ("kerja ke aljazair boleh gk", "DILARANG sejak 1 Juli 2015"),
        ("brp biaya kerja di qatar", "DILARANG sejak 1 Juli 2015"),
        ("can I work as a maid in jordan?", "BANNED"),
        ("what documents do I need to work in Oman?", "BANNED since 1 July 2015"),
    ):
        text = texts(await dialog.say(message))
        assert ban in text, (message, text)


# ---------------------------------------------------------------------------------- 7. distress and self-harm
async def test_crying_without_words_gets_a_warm_answer_and_a_person_offered(dialog: Dialog) -> None:
    replies = await dialog.say("😭😭🙏🙏")
    text = texts(replies)
    assert "Saya di sini" in text and "Apa yang ingin Anda ketahui" not in text
    assert "Polisi: 110" in text
    labels = [b.label for b in replies[-1].buttons]
    assert labels[:2] == ["Saya dalam bahaya sekarang", "Bicara dengan petugas"]
    replies = await dialog.press("Saya dalam bahaya sekarang")
    assert _escalations(dialog)[0].priority is Priority.URGENT


async def test_wanting_to_die_gets_its_own_reply_not_the_trafficking_one(dialog: Dialog) -> None:
    text = texts(await dialog.say("capek bgt rasanya pengen mati aja"))
    assert "Saya ikut sedih" in text and "satu orang yang Anda percaya" in text
    assert "beri tahu di mana Anda berada" not in text
    assert "Polisi: 110" in text
    (escalation,) = _escalations(dialog)
    assert escalation.priority is Priority.URGENT and escalation.reason == "safety:self_harm"


async def test_in_english_self_harm_is_answered_in_english_with_the_numbers_where_the_person_is(dialog: Dialog) -> None:
    await dialog.say("I am in Kuching now")
    text = texts(await dialog.say("I want to die"))
    assert "I am sorry you feel this heavy" in text
    assert "999" in text and "Police: 110" not in text
    assert _escalations(dialog)[0].priority is Priority.URGENT


# ---------------------------------------------------------------------------------- configuration
def test_content_check_lists_the_places_whose_numbers_are_unset(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["content", "check"]) == 0
    _, err = capsys.readouterr()
    assert "no number set yet for people in malaysia/kuching: kjri_kuching" in err
    assert "no number set yet for people in cambodia: kbri_phnom_penh" in err
    assert "mental_health_line" in err


def test_local_contacts_must_name_known_contacts(tmp_path: Path) -> None:
    config = yaml.safe_load((PROJECT_ROOT / "config.yml").read_text(encoding="utf-8"))
    config["local_contacts"]["malaysia"]["kuching"] = ["malaysia_emergency_999", "kjri_kucing"]
    path = tmp_path / "config.yml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    with pytest.raises(ConfigError, match="local_contacts.malaysia.kuching.*kjri_kucing"):
        load_settings(path, environ={})
    settings = load_settings(PROJECT_ROOT / "config.yml", environ={})
    assert settings.contacts_where("malaysia", "sibu") == ("malaysia_emergency_999", "kjri_kuching")
    assert settings.contacts_where("malaysia", "ipoh") == ("malaysia_emergency_999", "kbri_kuala_lumpur")
    assert settings.contacts_where("indonesia") == ()
