"""What the words alone say (issue 11): the language, where the writer is, who is writing, distress."""

from __future__ import annotations

import pytest

from bot.understanding.places import Place, bare_place, presence
from bot.understanding.situation import read


@pytest.mark.parametrize(
    ("text", "place"),
    [
        ("sy di kuching sarawak skrg", Place("malaysia", "kuching")),
        ("kamek kerja kat sibu", Place("malaysia", "sibu")),
        ("posisi sy skrg di phnom penh", Place("cambodia", "phnom_penh")),
        ("I'm working in KL", Place("malaysia", "kuala_lumpur")),
        ("we are stuck in myawaddy", Place("myanmar", "myawaddy")),
        ("saya sudah pulang ke pontianak", Place("indonesia", "pontianak")),
        ("sekarang di bangkok", Place("thailand", "bangkok")),
    ],
)
def test_where_the_writer_says_they_are(text: str, place: Place) -> None:
    assert presence(text) == place


@pytest.mark.parametrize(
    "text",
    [
        "anak sy di kamboja disekap",  # the child is there, not the writer
        "sy mau kerja di malaysia",  # a wish
        "saya pernah kerja di kuching",  # the past
        "I want to work in Taiwan",
        "kerja PRT di dubai aman ga",
    ],
)
def test_a_place_only_mentioned_is_not_where_the_writer_is(text: str) -> None:
    assert presence(text) is None


@pytest.mark.parametrize(
    ("text", "place"),
    [("Kuching", Place("malaysia", "kuching")), ("malaysia, miri", Place("malaysia", "miri")), ("di sibu bang", Place("malaysia", "sibu"))],
)
def test_a_bare_place_answers_where_are_you(text: str, place: Place) -> None:
    assert bare_place(text) == place
    assert bare_place("saya mau tanya biaya ke malaysia") is None


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("how much does it cost to work in taiwan as a caregiver?", "en"),
        ("I want to die", "en"),
        ("sy kerja di kuching, gaji 4 bulan ndak dibayar, sy harus gmn", "id"),
        ("kamek kerja kat sibu, gaji sik dibayar", "id"),
        ("halo", None),
        ("ok thanks", None),
        ("tolong help me", None),
    ],
)
def test_language_of_a_message(text: str, language: str | None) -> None:
    guess = read(text).language
    assert guess is not None and guess.language == language


def test_a_short_or_mixed_message_never_switches_a_conversation() -> None:
    assert read("ok").language_for("en") is None
    assert read("yes please").language_for("id") is None
    assert read("berapa biaya kerja ke taiwan sebagai perawat lansia?").language_for("en") == "id"
    assert read("how much does it cost to work in taiwan?").language_for(None) == "en"


def test_who_is_writing_and_money_demands() -> None:
    family = read("anak sy di kamboja disekap, mereka minta tebusan 30 juta, sy hrs transfer gk?")
    assert family.for_someone_else and family.money_demand
    assert family.place == Place("cambodia") and family.here is None
    self_report = read("tolong saya dikurung majikan, anak saya di rumah")
    assert not self_report.for_someone_else
    assert not read("kena denda overstay brp?").money_demand
    # A ransom is asked of the people outside; a "denda" may be asked of the worker themselves.
    assert read("mereka minta tebusan 50 juta, sy harus gmn").for_someone_else
    worker = read("agen minta sy bayar denda 10 juta kalau mau pulang")
    assert worker.money_demand and not worker.for_someone_else


@pytest.mark.parametrize(
    ("text", "problems"),
    [
        ("sy kerja di kuching, paspor sy dipegang majikan, gaji 4 bulan ndak dibayar", ("passport", "wages")),
        ("my employer has not paid me for 3 months", ("wages",)),
        ("kontrak sy diubah agen, kerja nya beda", ("contract",)),
        ("permit sy sudah mati, takut ditangkap", ("undocumented",)),
        ("sy ditangkap polis, mau dideportasi", ("deportation",)),
    ],
)
def test_work_problems_named(text: str, problems: tuple[str, ...]) -> None:
    assert read(text).work_problems == problems


@pytest.mark.parametrize("text", ["😭😭🙏🙏", "😭", "🙏🏻🙏🏻", "huhuhu 😢"])
def test_crying_without_words(text: str) -> None:
    assert read(text).distress_only


@pytest.mark.parametrize("text", ["ok 🙏", "terima kasih 🙏", "👍", "..."])
def test_emoji_with_words_or_without_crying_is_not_distress(text: str) -> None:
    assert not read(text).distress_only
