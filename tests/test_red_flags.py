"""Job-offer red flags: reading adverts and scoring answers (bot/red_flags.py). Pure functions."""

from __future__ import annotations

import pytest

from bot.recruitment import red_flags
from bot.recruitment.red_flags import HIGH, LOW, MEDIUM, assess, scan

SAFE = {
    "recruiter": "company", "fee": "no", "visa": "work", "destination": "other", "job": "other",
    "contract": "yes", "passport": "no", "salary": "normal",
}


def codes(answers: dict[str, str], **kw) -> list[str]:  # type: ignore[no-untyped-def]
    return [f.code for f in assess(answers, **kw).flags]


def test_an_offer_with_every_safe_answer_is_low_risk_and_says_so() -> None:
    result = assess(SAFE)
    assert result.level == LOW and result.flags == () and result.unknown == ()


@pytest.mark.parametrize(
    ("change", "flag", "level"),
    [
        ({"recruiter": "individual"}, "individual_recruiter", HIGH),
        ({"recruiter": "social_media"}, "social_media_recruiter", MEDIUM),
        ({"fee": "yes"}, "upfront_fee", MEDIUM),
        ({"visa": "tourist"}, "non_work_visa", HIGH),
        ({"visa": "visit"}, "non_work_visa", HIGH),
        ({"visa": "umrah"}, "non_work_visa", HIGH),
        ({"destination": "scam_region", "job": "other"}, "scam_region", MEDIUM),
        ({"destination": "scam_region", "job": "online"}, "scam_compound", HIGH),
        ({"job": "online"}, "bait_job", MEDIUM),
        ({"job": "mandarin"}, "mandarin_translator", MEDIUM),
        ({"destination": "middle_east", "job": "household"}, "middle_east_household", HIGH),
        ({"contract": "no"}, "no_contract", MEDIUM),
        ({"passport": "yes"}, "passport_held", MEDIUM),
        ({"salary": "high"}, "salary_too_high", MEDIUM),
        ({"destination": "malaysia_brunei", "route": "unofficial"}, "unofficial_route", HIGH),
    ],
)
def test_each_answer_raises_its_flag_with_the_expected_level(change: dict[str, str], flag: str, level: str) -> None:
    result = assess({**SAFE, **change})
    assert [f.code for f in result.flags] == [flag]
    assert result.level == level


def test_two_serious_flags_make_a_high_risk() -> None:
    result = assess({**SAFE, "fee": "yes", "passport": "yes"})
    assert result.level == HIGH and result.score == 4


def test_household_work_outside_the_middle_east_is_not_the_ban() -> None:
    assert codes({**SAFE, "destination": "malaysia_brunei", "job": "household"}) == []


def test_many_unknowns_are_at_least_medium_and_are_listed() -> None:
    result = assess({"recruiter": "company", "fee": "unknown", "visa": "unknown", "contract": "unknown"})
    assert result.flags == ()
    assert result.level == MEDIUM
    assert {"fee", "visa", "contract", "passport", "salary"} <= set(result.unknown)


def test_every_flag_has_both_languages_and_a_legal_basis_from_facts_1_to_6() -> None:
    for flag in red_flags.FLAGS.values():
        for lang in ("id", "en"):
            line = flag.line(lang)
            assert line.startswith("• ") and flag.basis[lang] in line and "\n" not in line
        assert flag.facts and all(part.strip() in {"§1", "§2", "§3", "§4", "§5", "§6"} for part in flag.facts.split(","))


def test_salary_threshold_depends_on_the_destination() -> None:
    # Rp 12 million a month: too high for Malaysia, ordinary for Korea or Japan ("other").
    assert "salary_too_high" in codes({**SAFE, "destination": "malaysia_brunei", "salary": "amount"}, salary_idr=12e6)
    assert "salary_too_high" not in codes({**SAFE, "destination": "other", "salary": "amount"}, salary_idr=12e6)


def test_a_pasted_malaysia_advert_is_read_for_its_answers_and_text_flags() -> None:
    advert = (
        "Loker Malaysia! Gaji RM 3500, tanpa pengalaman, biaya pendaftaran 2 juta transfer ke rekening "
        "saya. Berangkat pakai visa pelancong lewat jalan tikus. Hubungi sponsor Pak Budi"
    )
    found = scan(advert)
    assert found.answers == {
        "recruiter": "individual", "visa": "tourist", "destination": "malaysia_brunei", "fee": "yes",
        "route": "unofficial", "salary": "amount",
    }
    assert found.salary_idr == pytest.approx(3500 * 3700)  # the fee of 2 juta is not the salary
    assert found.text_flags == {"too_easy", "personal_account"}
    result = assess(found.answers, found.text_flags, salary_idr=found.salary_idr)
    assert result.level == HIGH
    assert {"individual_recruiter", "non_work_visa", "unofficial_route", "upfront_fee"} <= {f.code for f in result.flags}


def test_a_scam_compound_offer_in_informal_indonesian() -> None:
    found = scan("kak ada tawaran kerja di kamboja jd operator IT gaji 15jt/bln, gk usah pengalaman, aman gk?")
    assert found.answers["destination"] == "scam_region"
    assert found.answers["job"] == "online"
    assert found.salary_idr == 15_000_000
    assert "too_easy" in found.text_flags
    assert assess(found.answers, found.text_flags, salary_idr=found.salary_idr).level == HIGH


def test_a_mandarin_translator_advert_with_underage_and_debt_signs() -> None:
    found = scan(
        "DICARI penerjemah bahasa Mandarin utk Taiwan, usia 16-25 thn, semua biaya ditanggung, "
        "paspor dipegang perusahaan, potong gaji 6 bulan"
    )
    assert found.answers["job"] == "mandarin" and found.answers["passport"] == "yes"
    # "All costs covered" followed by a wage deduction is the debt-bondage trick: one flag, not two.
    assert found.text_flags == {"underage", "covered_then_debt"}


def test_a_contract_marriage_offer_is_flagged() -> None:
    assert "marriage" in scan("dicarikan jodoh orang Taiwan, ada uang mahar 20 juta").text_flags


def test_an_ordinary_advert_raises_nothing_and_names_its_company() -> None:
    text = (
        "PT Sinar Jaya Abadi membuka lowongan operator produksi pabrik di Taiwan, visa kerja, "
        "gaji NTD 27.000/bulan"
    )
    found = scan(text)
    assert found.answers["job"] == "other" and found.answers["visa"] == "work"
    assert assess(found.answers, found.text_flags, salary_idr=found.salary_idr).flags == ()
    assert red_flags.company_name_in(text) == "PT Sinar Jaya Abadi"


def test_words_that_only_look_like_answers_are_not_read_as_them() -> None:
    # "biaya admin" is a fee, not an online-admin job; "kl" is chat for "kalau", not Kuala Lumpur;
    # an age of 18 and over is not underage; "tanpa biaya" is not a fee.
    found = scan("kl mau daftar ada biaya admin? usia 18-35, tanpa biaya penempatan")
    assert "job" not in found.answers and "destination" not in found.answers
    assert "underage" not in found.text_flags
    assert found.answers["fee"] == "no"


@pytest.mark.parametrize(
    ("typed", "idr"),
    [("8 juta", 8e6), ("RM1800", 1800 * 3700), ("$1,200 per month", 1200 * 16500), ("Rp 12.500.000", 12.5e6),
     ("1,5 jt", 1.5e6), ("gaji 1800", None)],
)
def test_salary_amounts_typed_as_an_answer(typed: str, idr: float | None) -> None:
    assert red_flags.salary_amount_idr(typed, need_keyword=False) == (pytest.approx(idr) if idr else None)


def test_the_nlu_country_entity_is_used_when_the_text_names_no_known_country() -> None:
    assert red_flags.destination_of("kerja di sana", "saudi_arabia") == "middle_east"
    assert red_flags.destination_of("kerja di sana", "cambodia") == "scam_region"
    assert red_flags.destination_of("kerja di sana", "new zealand") == "other"
    assert red_flags.destination_of("kerja di sana") is None


# --- the legal review's corrections (issue 12) -----------------------------------------------------


def test_all_costs_covered_alone_is_what_the_law_promises_and_raises_nothing() -> None:
    # Housekeepers are one of the 10 zero-cost occupations (Perban BP2MI 9/2020).
    found = scan("Lowongan PRT Hongkong lewat PT resmi, visa kerja, semua biaya ditanggung")
    assert found.text_flags == set()
    found = scan("Lowongan PRT Hongkong, semua biaya ditanggung, nanti potong gaji 7 bulan")
    assert found.text_flags == {"covered_then_debt"}
    line = red_flags.FLAGS["covered_then_debt"].line("id")
    assert "semua biaya ditanggung" in line and "utang" in line and "UU 21/2007 Pasal 1 angka 1, Pasal 27" in line


def test_a_passport_held_for_visa_processing_is_not_the_passport_flag() -> None:
    assert "passport" not in scan("PT resmi, paspor diserahkan ke kantor untuk proses visa kerja").answers
    assert scan("paspor dipegang majikan selama kontrak").answers["passport"] == "yes"
    line = red_flags.FLAGS["passport_held"].line("id")
    assert "selama bekerja" in line and "mengurus visa" in line and "UU 18/2017 Pasal 6 ayat (1)" in line


def test_the_salary_threshold_depends_on_the_job_as_well_as_the_destination() -> None:
    # Rp 15 million a month: lawful for a nurse in the Middle East, not for a housekeeper there.
    nurse = {**SAFE, "destination": "middle_east", "job": "other", "salary": "amount"}
    housekeeper = {**nurse, "job": "household"}
    assert "salary_too_high" not in codes(nurse, salary_idr=15e6)
    assert "salary_too_high" in codes(housekeeper, salary_idr=15e6)
    assert "salary_too_high" in codes(nurse, salary_idr=45e6)  # beyond any rule of thumb
    # A rule written per destination (an older config.yml) still applies to every job there.
    old_style = red_flags.SalaryRules({"malaysia_brunei": 10e6}, red_flags.DEFAULT_SALARY_RULES.rates_to_idr)
    assert old_style.limit("malaysia_brunei", "other") == 10e6 and old_style.limit("other", "other") is None
    assert "bukan aturan" in red_flags.FLAGS["salary_too_high"].text["id"]


def test_the_task_force_is_named_as_it_is_and_the_bait_jobs_come_from_the_scam_cases() -> None:
    for flag in red_flags.FLAGS.values():
        for lang in ("id", "en"):
            assert "satgas" not in flag.line(lang).lower()
    assert "GT-PP TPPO" in red_flags.FLAGS["mandarin_translator"].line("id")
    bait = red_flags.FLAGS["bait_job"]
    assert "penipuan online" in bait.basis["id"] and "GT-PP" not in bait.basis["id"]


def test_zero_cost_jobs_are_fishing_crew_not_every_ship_crew() -> None:
    fee = red_flags.FLAGS["upfront_fee"]
    assert "ABK kapal perikanan" in fee.text["id"] and "fishing-vessel crew" in fee.text["en"]


def test_the_individual_recruiter_flag_states_a_maximum_not_a_sentence() -> None:
    assert "diancam pidana penjara paling lama 10 tahun" in red_flags.FLAGS["individual_recruiter"].text["id"]


def test_the_ban_is_said_at_once_only_when_destination_and_household_work_are_both_known() -> None:
    assert red_flags.at_once({"destination": "middle_east"}) == ()
    assert red_flags.at_once({"job": "household"}) == ()
    assert red_flags.at_once({"destination": "malaysia_brunei", "job": "household"}) == ()
    assert [f.code for f in red_flags.at_once({"destination": "middle_east", "job": "household"})] == [
        "middle_east_household"
    ]
