"""What a report holds, as staff read and edit it: its fields per kind, regencies, countries, modus.

The report flows store their answers in `Case.details`; `derive` copies what the case list and the
dashboard filter and count by (regency, destination country, modus, search text) into columns.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from bot.storage.models import Case, CaseKind

# The 12 regencies (kabupaten) and 2 cities (kota) of West Kalimantan; "other" is outside it or typed.
# words: what a typed answer may say (lower case), for the flow and for reading free text.
REGENCIES: dict[str, tuple[str, str]] = {
    "bengkayang": ("Kab. Bengkayang", r"bengkayang"),
    "kapuas_hulu": ("Kab. Kapuas Hulu", r"kapuas hulu|putussibau"),
    "kayong_utara": ("Kab. Kayong Utara", r"kayong"),
    "ketapang": ("Kab. Ketapang", r"ketapang"),
    "kubu_raya": ("Kab. Kubu Raya", r"kubu raya|sungai raya|rasau"),
    "landak": ("Kab. Landak", r"landak|ngabang"),
    "melawi": ("Kab. Melawi", r"melawi|nanga pinoh"),
    "mempawah": ("Kab. Mempawah", r"mempawah"),
    "sambas": ("Kab. Sambas", r"sambas|paloh|aruk"),
    "sanggau": ("Kab. Sanggau", r"sanggau|entikong"),
    "sekadau": ("Kab. Sekadau", r"sekadau"),
    "sintang": ("Kab. Sintang", r"sintang"),
    "pontianak": ("Kota Pontianak", r"kota pontianak|pontianak|ptk"),
    "singkawang": ("Kota Singkawang", r"singkawang"),
}
OTHER = "other"
REGENCY_LABELS = {**{key: label for key, (label, _) in REGENCIES.items()}, OTHER: "Lainnya / di luar Kalbar"}

# Destination countries, one canonical key each (CONTRACTS §2 naming), with the words that name them.
COUNTRIES: dict[str, tuple[str, str]] = {
    "malaysia": ("Malaysia", r"malaysia|kuching|sarawak|sabah|kuala lumpur|johor|penang|selangor|miri|sibu|"
                 r"bintulu|kota kinabalu|tawau|serian|lundu|semenanjung"),
    "brunei": ("Brunei Darussalam", r"brunei|bandar seri begawan"),
    "singapore": ("Singapura", r"singapura|singapore"),
    "saudi_arabia": ("Arab Saudi", r"saudi|riyadh|jeddah|jedah|mekah|makkah|madinah"),
    "united_arab_emirates": ("Uni Emirat Arab", r"emirat|\buae\b|dubai|abu dhabi|abudhabi"),
    "qatar": ("Qatar", r"qatar|doha"),
    "kuwait": ("Kuwait", r"kuwait"),
    "oman": ("Oman", r"\boman\b"),
    "turkey": ("Turki", r"turki|turkey|istanbul"),
    "taiwan": ("Taiwan", r"taiwan|taipei|taichung|kaohsiung"),
    "hong_kong": ("Hong Kong", r"hong ?kong"),
    "south_korea": ("Korea Selatan", r"korea|korsel|seoul|busan"),
    "japan": ("Jepang", r"jepang|japan|tokyo|osaka"),
    "china": ("Tiongkok", r"tiongkok|china|\bcina\b"),
    "cambodia": ("Kamboja", r"kamboja|cambodia|phnom penh|sihanoukville"),
    "myanmar": ("Myanmar", r"myanmar|burma|myawaddy"),
    "thailand": ("Thailand", r"thailand|bangkok"),
    "laos": ("Laos", r"\blaos\b"),
    "philippines": ("Filipina", r"filipina|philippines|manila"),
    "vietnam": ("Vietnam", r"vietnam"),
}
COUNTRY_LABELS = {**{key: label for key, (label, _) in COUNTRIES.items()}, OTHER: "Negara lain"}
_COUNTRY_RX = {key: re.compile(words) for key, (_, words) in COUNTRIES.items()}

KIND_LABELS = {CaseKind.MISSING_PERSON: "Keluarga tidak bisa dihubungi", CaseKind.TRAFFICKING: "Perekrut / TPPO"}
MODUS_LABELS = {
    "illegal_recruiter": "Perekrut / calo tanpa izin",
    "job_scam": "Penipuan lowongan kerja",
    "trafficking": "Perdagangan orang / kerja paksa",
    "marriage": "Kawin kontrak / pengantin pesanan",
    "other": "Lainnya",
    "departure_unofficial": "Berangkat tidak resmi",
    "departure_official": "Berangkat resmi",
    "departure_unknown": "Cara berangkat tidak diketahui",
}
DANGER_LABELS = {
    "minor": "di bawah 18 tahun",
    "self_harm": "menyakiti diri",
    "sexual_violence": "kekerasan seksual",
    "confinement": "dikurung / disekap",
    "violence": "kekerasan fisik",
    "threat": "ancaman",
    "sold": "dijual",
    "passport_held_cannot_leave": "paspor ditahan, tidak bisa pergi",
    "danger_now": "dalam bahaya sekarang",
}


@dataclass(frozen=True)
class Field:
    key: str
    label: str
    options: dict[str, str] | None = None  # stored value -> label; other typed values are kept as text
    long: bool = False
    reporter: bool = False  # about the reporter: never held for an anonymous report
    in_letter: bool = True  # may go into a referral letter (reporter fields only when shared)


REPORT_FIELDS: dict[CaseKind, tuple[Field, ...]] = {
    CaseKind.MISSING_PERSON: (
        Field("name", "Nama"),
        Field("relation", "Hubungan dengan pelapor", {
            "child": "Anak", "spouse": "Suami / istri", "parent": "Orang tua", "sibling": "Saudara kandung",
            "other": "Lainnya",
        }),
        Field("age", "Umur"),
        Field("place", "Negara dan tempat"),
        Field("last_contact", "Kabar terakhir"),
        Field("employer", "Majikan / perekrut"),
        Field("departure", "Cara berangkat", {
            "official": "Resmi", "unofficial": "Tidak resmi", "unknown": "Tidak tahu",
        }),
        Field("notes", "Keterangan lain", long=True),
        Field("reporter_phone", "Nomor HP pelapor", reporter=True),
    ),
    CaseKind.TRAFFICKING: (
        Field("what", "Jenis laporan (modus)", {k: v for k, v in MODUS_LABELS.items() if not k.startswith("departure")}),
        Field("recruiter", "Perekrut"),
        Field("recruiter_contact", "Kontak perekrut"),
        Field("place_date", "Tempat dan waktu"),
        Field("story", "Cerita", long=True),
        Field("reporter_name", "Nama pelapor", reporter=True),
        Field("reporter_phone", "Nomor HP pelapor", reporter=True),
    ),
}
# Both kinds: where they are from and where they went; edited as lists, stored in details and columns.
COMMON_FIELDS = (
    Field("regency", "Asal (kabupaten/kota)", REGENCY_LABELS),
    Field("country", "Negara tujuan", COUNTRY_LABELS),
)
_SEARCHED = ("name", "reporter_name", "recruiter", "employer", "recruiter_contact")


def fields_for(case: Case) -> tuple[Field, ...]:
    own = tuple(f for f in REPORT_FIELDS[case.kind] if not (case.anonymous and f.reporter))
    return own + COMMON_FIELDS


def shown(field: Field, value: Any) -> str:
    """A stored answer as staff read it."""
    if value is None or value == "":
        return "-"
    if isinstance(value, list):
        return f"{len(value)} lampiran"
    if field.options and str(value) in field.options:
        return field.options[str(value)]
    return str(value)


def regency_of(answer: Any) -> str | None:
    """The regency key of an answer: a key the buttons gave, a typed name, else "other"."""
    if not isinstance(answer, str) or not answer.strip():
        return None
    text = answer.strip().lower()
    if text in REGENCIES or text == OTHER:
        return text
    for key, (_, words) in REGENCIES.items():
        if re.search(words, text):
            return key
    return OTHER


def country_in(*texts: Any) -> str | None:
    """The first destination country named in the texts (place, story, notes), if any."""
    for text in texts:
        if not isinstance(text, str):
            continue
        lowered = text.lower()
        best: tuple[int, str] | None = None
        for key, rx in _COUNTRY_RX.items():
            m = rx.search(lowered)
            if m and (best is None or m.start() < best[0]):
                best = (m.start(), key)
        if best is not None:
            return best[1]
    return None


def derive(case: Case) -> None:
    """Fill the case's filter and search columns from its details (on creation and after each edit)."""
    details = case.details or {}
    case.regency = regency_of(details.get("regency"))
    explicit = details.get("country")
    if isinstance(explicit, str) and explicit in COUNTRY_LABELS:
        case.country = explicit
    else:
        case.country = country_in(details.get("place"), details.get("place_date"), details.get("story"),
                                  details.get("notes"))
    if case.kind is CaseKind.TRAFFICKING:
        what = details.get("what")
        case.modus = (what if what in MODUS_LABELS else OTHER) if isinstance(what, str) else None
    else:
        departure = details.get("departure")
        case.modus = f"departure_{departure}" if departure in ("official", "unofficial", "unknown") else None
    words = [case.number] + [str(details[k]) for k in (*_SEARCHED, "reporter_phone") if isinstance(details.get(k), str)]
    # Numbers are searched by their digits: "0812 3456" finds "0812-3456-7890".
    words += [digits for w in words[1:] if len(digits := re.sub(r"\D", "", w)) >= 6]
    case.search_text = " ".join(words).lower()[:2000]
