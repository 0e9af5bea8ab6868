"""The job-offer reader and phone-sized results (issue 11, Seen 8 and 9), as dialogs through dispatch
with the real Rasa server, in both languages; WhatsApp's wording through its signed webhook."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.answers.check import check_interface_texts
from bot.answers.texts import Texts
from bot.app import UI_TEXTS
from bot.config import Settings
from bot.storage.models import Case
from tests.conftest import make_settings
from tests.fakes import shapes
from tests.fakes.bot import ServedBot, channel_env, closed_nlu, serve_bot, tuned
from tests.fakes.twilio_api import CREATE, FakeTwilio
from tests.support import Dialog, texts

NUMBERED_LINE = re.compile(r"^\s*\d{1,2}\s*[.)]\s", re.MULTILINE)
# No flow asks more than this (a loop answering questions stops here, so a broken flow fails, not hangs).
MAX_QUESTIONS = 12


async def speaks(dialog: Dialog, lang: str) -> None:
    await dialog.say("/start")
    await dialog.press("English" if lang == "en" else "Bahasa Indonesia")


def first_reply(replies: list) -> str:
    return replies[0].text


# ------------------------------------------------------------------------------ Seen 9: what the reader misses
MONEY_UP_FRONT = {
    "id": [
        "sy ditawari kerja di pabrik malaysia, tp hrs bayar 3 juta dulu baru bisa berangkat",
        "katanya kerja di kebun sawit sarawak, disuruh transfer Rp 3.000.000 ke agen sebelum berangkat",
    ],
    "en": ["I was offered a factory job in Malaysia but they asked me to pay 3 million first before I can leave"],
}


@pytest.mark.parametrize("lang", ["id", "en"])
async def test_money_asked_up_front_with_an_amount_is_read(dialog: Dialog, lang: str) -> None:
    await speaks(dialog, lang)
    for offer in MONEY_UP_FRONT[lang]:
        await dialog.say("/cek" if lang == "id" else "/check")
        read = first_reply(await dialog.say(offer))
        expected = "• Bayar di muka: Ya, diminta bayar" if lang == "id" else "• Money up front: Yes, I was asked to pay"
        assert expected in read, (offer, read)
        await dialog.say("batal" if lang == "id" else "cancel")


NO_PASSPORT = {
    "id": ["ndak perlu paspor", "paspor nanti dibuatkan", "gak usah bikin paspor katanya"],
    "en": ["they said I don't need a passport", "the passport will be made for you"],
}


async def _to_the_passport_question(dialog: Dialog, lang: str) -> None:
    await dialog.say("/cek" if lang == "id" else "/check")
    if lang == "id":
        for label in ("Perusahaan (PT)", "Tidak", "Visa kerja", "Malaysia / Brunei", "Sudah ada"):
            await dialog.press(label)
        assert "Apakah paspor Anda" in dialog.last[-1].text
    else:
        for label in ("A company (PT)", "No", "Work visa", "Malaysia / Brunei", "Yes, there is one"):
            await dialog.press(label)
        assert "Will someone else" in dialog.last[-1].text


@pytest.mark.parametrize("lang", ["id", "en"])
async def test_no_passport_or_a_passport_made_by_the_recruiter_is_a_red_flag(dialog: Dialog, lang: str) -> None:
    await speaks(dialog, lang)
    for answer in NO_PASSPORT[lang]:
        await _to_the_passport_question(dialog, lang)
        replies = await dialog.say(answer)  # typed where Ya / Tidak buttons are offered
        asked = texts(replies)
        assert ("Berapa gaji" in asked) if lang == "id" else ("What monthly salary" in asked), (answer, asked)
        await dialog.press("Biasa / wajar" if lang == "id" else "Usual / fair")
        result = texts(await dialog.press("Lewat pos lintas batas" if lang == "id" else "official crossing"))
        assert ("RISIKO TINGGI" in result) if lang == "id" else ("HIGH RISK" in result)
        flag = "tidak perlu paspor" if lang == "id" else "no passport is needed"
        assert flag in result and ("(UU 18/2017 Pasal 13, 79)" in result or "(Law 18/2017 Art. 13, 79)" in result)
    # The same words inside a pasted offer.
    await dialog.say("/cek" if lang == "id" else "/check")
    offer = {"id": "kerja kebun sawit di sarawak, gaji 4 juta, ndak perlu paspor, nanti dijemput di perbatasan",
             "en": "plantation work in sarawak, salary 4 million, you do not need a passport, we pick you up at the border"}
    read = first_reply(await dialog.say(offer[lang]))
    assert ("tidak perlu paspor" in read) if lang == "id" else ("no passport is needed" in read)


JOBS = {
    "id": [
        ("kerja di restoran di taiwan, gaji 25 juta, lewat PT Sinar Abadi", "• Pekerjaan: Restoran / rumah makan"),
        ("lowongan pelayan rumah makan di brunei, gaji 6 juta sebulan", "• Pekerjaan: Restoran / rumah makan"),
        ("ada tawaran kerja ABK kapal ikan di korea lewat PT Samudra Jaya", "• Pekerjaan: Kapal ikan (ABK)"),
        ("dicari penjaga toko di singapura, gaji 9 juta per bulan", "• Pekerjaan: Toko"),
        ("kerja hotel di dubai gaji 12 juta per bulan, visa kerja", "• Pekerjaan: Hotel"),
    ],
    "en": [
        ("a waiter job in a restaurant in Taiwan, salary 25 million a month", "• Job: Restaurant"),
        ("fishing boat crew in Korea through PT Samudra Jaya", "• Job: Fishing boat crew"),
    ],
}


@pytest.mark.parametrize("lang", ["id", "en"])
async def test_the_job_is_said_back_as_the_person_named_it(dialog: Dialog, lang: str) -> None:
    await speaks(dialog, lang)
    for offer, expected in JOBS[lang]:
        await dialog.say("/cek" if lang == "id" else "/check")
        read = first_reply(await dialog.say(offer))
        assert expected in read, (offer, read)
        assert "Pabrik, kebun, bangunan" not in read and "Factory, plantation, construction, other" not in read
        await dialog.say("batal" if lang == "id" else "cancel")


@pytest.mark.parametrize("lang", ["id", "en"])
async def test_a_report_right_after_a_check_does_not_ask_again(dialog: Dialog, lang: str) -> None:
    await speaks(dialog, lang)
    await dialog.say("/cek" if lang == "id" else "/check")
    offer = {
        "id": "Kerja restoran di Kuching lewat PT Maju Sejahtera, gaji RM 1.500, bayar 3 juta dulu, visa pelancong",
        "en": "Restaurant job in Kuching through PT Maju Sejahtera, salary RM 1,500, pay 3 million first, tourist visa",
    }[lang]
    await dialog.say(offer)
    for _ in range(MAX_QUESTIONS):
        if any("Laporkan" in b.label or "Report this" in b.label for b in dialog.last[-1].buttons):
            break
        await dialog.say("gak tau" if lang == "id" else "don't know")
    replies = await dialog.press("Laporkan perekrut ini" if lang == "id" else "Report this recruiter")
    intro = texts(replies)
    assert ("tidak saya tanyakan lagi" in intro) if lang == "id" else ("will not ask it again" in intro)
    asked = [texts(await dialog.press("Setuju" if lang == "id" else "I agree"))]
    for _ in range(MAX_QUESTIONS):
        if "Kirim laporan" in asked[-1] or "Send the report" in asked[-1]:
            break
        button = next((b.label for b in dialog.last[-1].buttons if b.label in ("Lewati", "Skip")), None)
        asked.append(texts(await (dialog.press(button) if button else dialog.say("Jl. Merdeka 1, Pontianak"))))
    questions = "\n".join(asked)
    # The company the check read is not asked for again; the offer is not asked to be told again.
    assert "Siapa nama perekrut" not in questions and "What is the name of the recruiter" not in questions
    assert "Ceritakan singkat apa yang terjadi" not in questions and "Briefly tell what happened" not in questions
    assert ("sudah saya catat dari cek tadi" in questions) if lang == "id" else ("I have the offer from the check" in questions)
    summary = asked[-1]
    assert "PT Maju Sejahtera" in summary
    assert ("Restoran / rumah makan" in summary) if lang == "id" else ("Restaurant" in summary)
    await dialog.press("Kirim laporan" if lang == "id" else "Send the report")
    with dialog.app.sessions() as session:
        case = session.scalars(select(Case)).one()
    assert case.details["recruiter"] == "PT Maju Sejahtera"
    assert "PT Maju Sejahtera" in case.details["from_check"]
    assert ("bayar 3 juta dulu" if lang == "id" else "pay 3 million first") in case.details["from_check"]


async def test_a_report_long_after_a_check_or_after_something_else_starts_fresh(dialog: Dialog) -> None:
    await speaks(dialog, "id")
    await dialog.say("/cek")
    await dialog.say("Kerja restoran di Kuching lewat PT Maju Sejahtera, bayar 3 juta dulu, visa pelancong")
    await dialog.say("batal")  # the check was not finished: nothing to carry
    await dialog.say("/lapor")
    replies = await dialog.press("Perekrut / penipuan")
    assert "tidak saya tanyakan lagi" not in texts(replies)


# ------------------------------------------------------------------------------ Seen 8: phone-sized text
@pytest.mark.parametrize("lang", ["id", "en"])
async def test_the_verdict_leads_with_three_flags_and_offers_the_rest(dialog: Dialog, lang: str) -> None:
    await speaks(dialog, lang)
    await dialog.say("/cek" if lang == "id" else "/check")
    offer = {
        "id": ("Loker Malaysia! Gaji RM 3500, tanpa pengalaman, biaya pendaftaran 2 juta transfer ke rekening saya. "
               "Berangkat pakai visa pelancong lewat jalan tikus, kontrak nanti di sana. Hubungi sponsor Pak Budi"),
        "en": ("Jobs in Malaysia! Salary RM 3500, no experience needed, registration fee 2 million to my account. "
               "Travel on a tourist visa through an unofficial path, no contract. Contact sponsor Pak Budi"),
    }[lang]
    replies = await dialog.say(offer)
    for _ in range(MAX_QUESTIONS):
        if any(b.label in ("Menu",) for b in dialog.last[-1].buttons):
            break  # the verdict's last message
        replies = await dialog.say("gak tau" if lang == "id" else "don't know")
    verdict = replies[0].text
    assert len(re.findall(r"^• ", verdict, re.MULTILINE)) == 3
    more_button = dialog.last[-1].buttons[0].label
    assert more_button.startswith(("Lihat", "See ")), more_button
    hidden = int(re.search(r"\d+", more_button).group())  # type: ignore[union-attr]
    assert hidden >= 3
    more = texts(await dialog.press(more_button))
    assert len(re.findall(r"^• ", more, re.MULTILINE)) == hidden
    everything = verdict + more
    for sign in ({"id": ["perorangan", "visa turis", "jalan tikus", "rekening pribadi", "terlalu mudah"],
                  "en": ["private person", "tourist", "unofficial path", "personal bank account", "too easy"]}[lang]):
        assert sign in everything, sign
    # The gravest come first: every flag shown at once weighs at least as much as any behind the button.
    for reply in (*replies, *dialog.last):
        assert not NUMBERED_LINE.search(reply.text), reply.text


def test_the_interface_texts_have_no_numbered_lists_and_no_press_words() -> None:
    shipped = Texts.load(UI_TEXTS, {})
    assert check_interface_texts(shipped.strings) == []
    broken = {"x": {"id": "Pilih:\n1. Ya\n2. Tidak", "en": "Press the button below"}}
    problems = check_interface_texts(broken)
    assert [p.item_id for p in problems] == ["x", "x"]
    assert "numbered list" in problems[0].message and "press or tap" in problems[1].message


# ------------------------------------------------------------------------------ Seen 8: WhatsApp's wording
@pytest.fixture
async def whatsapp(tmp_path: Path, database_url: str, fake_twilio: FakeTwilio) -> AsyncIterator[ServedBot]:
    settings: Settings = tuned(make_settings(tmp_path, database_url, **closed_nlu(), **channel_env(twilio=fake_twilio)))
    async with serve_bot(settings, twilio=fake_twilio) as served:
        yield served


@pytest.mark.parametrize(("choice", "typed"), [
    ("1", 'ketik 10 ("Bicara dengan petugas")'),
    ("2", 'type 10 ("Talk to staff")'),
])
async def test_on_whatsapp_choices_are_typed_numbers_never_pressed(
    whatsapp: ServedBot, fake_twilio: FakeTwilio, choice: str, typed: str
) -> None:
    await whatsapp.post_twilio(shapes.twilio_message("/start"))
    await fake_twilio.wait_for(CREATE, 1)
    await whatsapp.post_twilio(shapes.twilio_message(choice))
    calls = await fake_twilio.wait_for(CREATE, 2)
    body = calls[1].params["Body"]
    assert typed in body
    assert not re.search(r"(?i)\b(tekan|press)\b", body)
    assert body.count("\n10. ") == 1  # the number named is the one listed
    # Typing that number does what the text said.
    await whatsapp.post_twilio(shapes.twilio_message("10"))
    calls = await fake_twilio.wait_for(CREATE, 3)
    assert "petugas" in calls[2].params["Body"] or "staff" in calls[2].params["Body"]
