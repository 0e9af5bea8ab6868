"""Subscribers as whole dialogs: where they live and which topics, changing it, and opt-out words that
work in every state (idle, mid-flow, with staff) and withdraw queued campaign messages at once."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.chat.inbound import Inbound, Reply
from bot.chat.payload import Command, opt_out_word, typed_command
from bot.jobs.reminders import remind_abandoned
from bot.storage.db import transaction
from bot.storage.models import (
    Campaign,
    CampaignRecipient,
    Contact,
    Conversation,
    ConversationState,
    Escalation,
    EscalationStatus,
    OutboxItem,
    OutboxStatus,
)
from tests.conftest import make_settings
from tests.fakes.bot import closed_nlu
from tests.support import Dialog, texts


async def tap_payload(dialog: Dialog, payload: str, label: str) -> list[Reply]:
    """A button of an earlier message (a tip), pressed on Telegram."""
    inbound = Inbound(channel=dialog.channel, chat_id=dialog.chat_id, message_id=uuid.uuid4().hex,
                      kind="button", payload=payload, text=label)
    return (await dialog.send(inbound)).replies


@pytest.fixture
async def person(tmp_path: Path, database_url: str) -> AsyncIterator[Dialog]:
    """Someone who chose Bahasa Indonesia, talking to a bot whose NLU is down: buttons, commands,
    typed answers and opt-out words need none."""
    d = Dialog.open(make_settings(tmp_path, database_url, **closed_nlu()))
    await d.say("/start")
    await d.press("Bahasa Indonesia")
    try:
        yield d
    finally:
        await d.close()


def contact(dialog: Dialog) -> Contact:
    with dialog.app.sessions() as session:
        return session.scalars(select(Contact)).one()


def conversation(dialog: Dialog) -> Conversation:
    with dialog.app.sessions() as session:
        return session.scalars(select(Conversation)).one()


def labels(dialog: Dialog) -> list[str]:
    return [b.label for b in dialog.last[-1].buttons]


async def subscribe_in_sambas(dialog: Dialog) -> None:
    await dialog.say("/langganan")
    await dialog.press("Kab. Sambas")
    await dialog.press("Semua topik")
    assert contact(dialog).subscribed_at is not None


def queue_campaign_message(dialog: Dialog) -> tuple[int, int]:
    """A campaign's message waiting in the outbox for this person (as the campaign sender queues it)."""
    with transaction(dialog.app.sessions) as session:
        person = session.scalars(select(Contact)).one()
        campaign = Campaign(title="Waspada lowongan palsu", text_id="Hati-hati lowongan palsu.")
        session.add(campaign)
        session.flush()
        item = OutboxItem(contact_id=person.id, channel=person.channel, chat_id=person.external_id,
                          text=campaign.text_id, campaign_id=campaign.id)
        session.add(item)
        session.flush()
        recipient = CampaignRecipient(campaign_id=campaign.id, contact_id=person.id, outbox_id=item.id)
        session.add(recipient)
        session.flush()
        return item.id, recipient.id


def campaign_row(dialog: Dialog, item_id: int, recipient_id: int) -> tuple[OutboxItem | None, CampaignRecipient]:
    with dialog.app.sessions() as session:
        return session.get(OutboxItem, item_id), session.get_one(CampaignRecipient, recipient_id)


# ------------------------------------------------------------------------------------ subscribing
async def test_subscribing_says_what_comes_then_asks_where_and_topics_storing_each_answer(person: Dialog) -> None:
    replies = await person.say("/langganan")
    first = replies[0].text
    assert "Anda akan menerima tips" in first and "sekali seminggu" in first and 'ketik "berhenti"' in first.lower()
    assert "Di mana Anda tinggal" in first
    # Subscribed at once, even if no question is answered.
    assert contact(person).subscribed_at is not None
    # The 14 kabupaten/kota, abroad and skip: no Back on the first question, no Cancel (skip does no harm).
    assert len(labels(person)) == 16
    assert labels(person)[0] == "Kab. Bengkayang" and labels(person)[-2:] == ["Luar negeri", "Lewati"]

    replies = await person.say("saya tinggal di sambas")
    assert contact(person).sub_regency == "sambas"  # stored as it comes
    assert "Info apa yang paling Anda perlukan" in replies[0].text
    assert labels(person) == ["Lowongan kerja & modus penipuan", "Prosedur, dokumen & biaya resmi",
                              "Hak pekerja & korban, bantuan hukum", "Aturan negara tujuan", "Semua topik", "Kembali"]

    replies = await person.press("Lowongan kerja")
    assert contact(person).sub_topics == ["jobs"]
    assert "Dipilih: Lowongan kerja & modus penipuan" in replies[0].text
    assert "Selesai" in labels(person)
    await person.tap("Hak pekerja")  # a Telegram button press
    assert contact(person).sub_topics == ["jobs", "rights"]
    replies = await person.press("Lowongan kerja")  # chosen again: taken off
    assert contact(person).sub_topics == ["rights"]
    await person.press("Prosedur")
    replies = await person.press("Selesai")

    done = replies[0].text
    assert "Tempat tinggal: Kab. Sambas" in done
    assert "Topik: Hak pekerja & korban, bantuan hukum, Prosedur, dokumen & biaya resmi" in done
    assert 'pilih "Ubah pilihan"' in done and 'ketik "berhenti"' in done
    assert labels(person) == ["Ubah pilihan", "Berhenti langganan", "Menu"]
    subscriber = contact(person)
    assert (subscriber.sub_regency, subscriber.sub_country, subscriber.sub_topics) == ("sambas", None,
                                                                                     ["rights", "procedure"])
    assert conversation(person).state is ConversationState.IDLE


async def test_abroad_asks_the_country_and_several_topics_can_be_typed_at_once(person: Dialog) -> None:
    await person.say("/langganan")
    replies = await person.press("Luar negeri")
    assert "Di negara mana" in replies[0].text
    assert labels(person)[:5] == ["Malaysia", "Brunei Darussalam", "Singapura", "Hong Kong", "Taiwan"]
    assert (contact(person).sub_regency, contact(person).sub_country) == ("abroad", None)

    await person.say("sy kerja di kuching")
    assert (contact(person).sub_regency, contact(person).sub_country) == ("abroad", "malaysia")
    replies = await person.say("1 3")  # on WhatsApp the topics are a numbered list
    assert contact(person).sub_topics == ["jobs", "rights"]
    assert "Tempat tinggal: Luar negeri (Malaysia)" in replies[0].text
    assert conversation(person).state is ConversationState.IDLE


async def test_a_country_typed_for_where_you_live_means_abroad_there(person: Dialog) -> None:
    await person.say("/langganan")
    replies = await person.say("Brunei")
    assert (contact(person).sub_regency, contact(person).sub_country) == ("abroad", "brunei")
    assert "Info apa yang paling Anda perlukan" in replies[0].text  # no country question
    replies = await person.say("kerja dan hak")
    assert contact(person).sub_topics == ["jobs", "rights"]
    assert "Luar negeri (Brunei)" in replies[0].text


async def test_everything_can_be_skipped(person: Dialog) -> None:
    await person.say("/langganan")
    await person.press("Lewati")
    replies = await person.press("Semua topik")
    assert "Tempat tinggal: tidak disebutkan" in replies[0].text and "Topik: Semua topik" in replies[0].text
    subscriber = contact(person)
    assert subscriber.subscribed_at is not None
    assert (subscriber.sub_regency, subscriber.sub_country, subscriber.sub_topics) == (None, None, [])


async def test_cancelling_the_questions_keeps_the_subscription_and_what_was_answered(person: Dialog) -> None:
    await person.say("/langganan")
    await person.press("Kab. Sintang")
    replies = await person.say("batal")
    assert "Anda tetap berlangganan" in replies[0].text and "Kab. Sintang" in replies[0].text
    assert contact(person).subscribed_at is not None and contact(person).sub_regency == "sintang"
    assert conversation(person).state is ConversationState.IDLE


async def test_left_questions_are_not_reminded_but_closed_and_the_subscription_stays(person: Dialog) -> None:
    await person.say("/langganan")
    await person.press("Kab. Landak")
    seen = conversation(person).last_activity_at
    app, settings = person.app, person.app.settings
    result = remind_abandoned(app.sessions, settings, app.services.texts, seen + timedelta(minutes=61))
    assert (result.reminded, result.closed) == (0, 0)
    result = remind_abandoned(app.sessions, settings, app.services.texts, seen + timedelta(minutes=1441))
    assert result.closed == 1
    assert conversation(person).state is ConversationState.IDLE
    assert (contact(person).subscribed_at is not None, contact(person).sub_regency) == (True, "landak")


async def test_a_subscriber_asking_again_sees_the_choices_and_can_change_or_stop(person: Dialog) -> None:
    await subscribe_in_sambas(person)
    replies = await person.say("/langganan")
    assert "Anda sudah berlangganan" in replies[0].text and "Kab. Sambas" in replies[0].text
    assert labels(person) == ["Ubah pilihan", "Berhenti langganan", "Menu"]

    replies = await person.press("Ubah pilihan")
    assert "Pilihan Anda sekarang" in replies[0].text and "Di mana Anda tinggal" in replies[0].text
    await person.press("Kota Pontianak")
    await person.press("Aturan negara")
    replies = await person.press("Selesai")
    assert "Kota Pontianak" in replies[0].text
    subscriber = contact(person)
    assert (subscriber.sub_regency, subscriber.sub_topics) == ("pontianak", ["countries"])

    confirmation = person.last
    replies = await person.press("Berhenti langganan")
    assert "tidak akan menerima tips lagi" in replies[0].text
    assert contact(person).subscribed_at is None
    # The old message's "Ubah pilihan" does not subscribe again.
    person.last = confirmation
    replies = await person.tap("Ubah pilihan")
    assert "tidak sedang berlangganan" in replies[0].text
    assert contact(person).subscribed_at is None


# ------------------------------------------------------------------------------------ opting out
@pytest.mark.parametrize("word", [
    "berhenti", "STOP!", "  Unsubscribe. ", "/berhenti", "/stop", "/unsubscribe@TemanMigranBot",
    "berhenti langganan", "Stop langganan", "berhenti tips",
])
def test_opt_out_words_are_the_whole_message(word: str) -> None:
    assert (typed_command(word) or opt_out_word(word)) == Command("unsubscribe")


@pytest.mark.parametrize("text", [
    "tolong stop mereka memukul saya", "berhenti kerja di malaysia", "stop dulu ya, saya mau tanya", "stopwatch",
])
def test_stop_inside_a_sentence_is_not_an_opt_out(text: str) -> None:
    assert opt_out_word(text) is None


async def test_opting_out_when_idle_withdraws_a_queued_campaign_message(person: Dialog) -> None:
    await subscribe_in_sambas(person)
    item_id, recipient_id = queue_campaign_message(person)
    replies = await person.say("Berhenti.")
    assert "tidak akan menerima tips lagi" in replies[0].text
    assert contact(person).subscribed_at is None
    item, recipient = campaign_row(person, item_id, recipient_id)
    assert item is not None and item.status is OutboxStatus.CANCELLED
    assert recipient.skipped == "opted_out"
    # Nothing to stop any more: said kindly.
    replies = await person.say("stop")
    assert "tidak sedang berlangganan" in replies[0].text


async def test_opting_out_mid_report_leaves_the_report_and_says_both(person: Dialog) -> None:
    await subscribe_in_sambas(person)
    await person.say("/lapor")
    replies = await person.press("Perekrut")
    assert conversation(person).state is ConversationState.IN_FLOW
    replies = await person.say("berhenti")
    said = texts(replies)
    assert "tidak akan menerima tips lagi" in said and "Pertanyaan tadi juga saya hentikan" in said
    assert contact(person).subscribed_at is None
    assert conversation(person).state is ConversationState.IDLE


async def test_for_someone_not_subscribed_stop_mid_flow_still_just_cancels_it(person: Dialog) -> None:
    await person.say("/lapor")
    await person.press("Perekrut")
    replies = await person.say("stop")
    assert "dibatalkan" in replies[0].text and "berlangganan" not in replies[0].text
    assert conversation(person).state is ConversationState.IDLE


async def test_opting_out_mid_subscription_questions(person: Dialog) -> None:
    await person.say("/langganan")
    replies = await person.say("stop langganan")
    assert "tidak akan menerima tips lagi" in replies[0].text and "Pertanyaan tadi" not in replies[0].text
    assert contact(person).subscribed_at is None
    assert conversation(person).state is ConversationState.IDLE


async def test_opting_out_while_staff_hold_the_chat_keeps_the_staff_talk(person: Dialog) -> None:
    await subscribe_in_sambas(person)
    await person.say("/petugas")
    assert conversation(person).state is ConversationState.WITH_STAFF
    item_id, recipient_id = queue_campaign_message(person)
    replies = await person.say("unsubscribe")
    assert "langganan tips dan info Anda sudah dihentikan" in replies[0].text
    assert "petugas tetap berlanjut" in replies[0].text and not replies[0].buttons
    assert contact(person).subscribed_at is None
    assert conversation(person).state is ConversationState.WITH_STAFF
    assert campaign_row(person, item_id, recipient_id)[0].status is OutboxStatus.CANCELLED  # type: ignore[union-attr]
    with person.app.sessions() as session:
        assert session.scalars(select(Escalation)).one().status is not EscalationStatus.CLOSED
    # An older tip's "Berhenti tips" button acts too, and offers no menu while staff hold the chat.
    replies = await tap_payload(person, "intent:unsubscribe_updates", "Berhenti tips")
    assert "tidak sedang berlangganan" in replies[0].text and not replies[0].buttons
    # Someone not subscribed who writes "stop" to staff: it is a message for the staff.
    replies = await person.say("stop")
    assert "berlangganan" not in texts(replies)
    assert conversation(person).state is ConversationState.WITH_STAFF


async def test_erasing_the_data_ends_the_subscription_and_its_choices(person: Dialog) -> None:
    await person.say("/langganan")
    await person.press("Luar negeri")
    await person.press("Malaysia")
    await person.press("Lowongan kerja")
    item_id, recipient_id = queue_campaign_message(person)
    await person.say("/hapus")
    await person.press("Ya, hapus")
    subscriber = contact(person)
    assert subscriber.subscribed_at is None
    assert (subscriber.sub_regency, subscriber.sub_country, subscriber.sub_topics) == (None, None, [])
    item, recipient = campaign_row(person, item_id, recipient_id)
    assert item is None  # the unsent row held the chat id
    assert recipient.skipped == "opted_out"


# ------------------------------------------------------------------------------------ with the real NLU
async def test_stop_in_an_urgent_sentence_is_urgent_not_an_opt_out(dialog: Dialog) -> None:
    await dialog.say("/start")
    await dialog.press("Bahasa Indonesia")
    await subscribe_in_sambas(dialog)
    replies = await dialog.say("tolong stop mereka memukul saya")
    with dialog.app.sessions() as session:
        escalation = session.scalars(select(Escalation)).one()
        assert escalation.priority.value == "urgent"
    assert "tidak akan menerima tips" not in texts(replies)
    assert contact(dialog).subscribed_at is not None
