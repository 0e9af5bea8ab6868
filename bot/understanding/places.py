"""Where a person is: the places a message names, and the phrases that say the writer is there now.

Urgent replies and contact answers lead with what works where the person is (999 and the consulate in
Sarawak; 110 only works inside Indonesia), so the bot learns the place from what people write: "sy di
kuching skrg", "kamek kerja kat sibu", "I'm in KL", or a bare "Kuching" given as an answer when asked.
A place someone only mentions ("mau kerja di taiwan", "anak sy di kamboja") is not where the writer is.

Country values are the canonical snake_case names the NLU's `country` entity gives
(bot/understanding/rasa.py); city values are the keys of CITIES. May import only the standard library
and the normaliser.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.understanding.normalise import fold_message

INDONESIA = "indonesia"


@dataclass(frozen=True)
class Place:
    country: str
    city: str | None = None  # a key of CITIES (a city or, for Sarawak and Sabah, a state)

    @property
    def abroad(self) -> bool:
        return self.country != INDONESIA


# city key -> (country, spellings on fold_message output). A state is listed where it has its own
# Indonesian mission (Sarawak: KJRI Kuching; Sabah: KJRI Kota Kinabalu).
CITIES: dict[str, tuple[str, str]] = {
    # Malaysia
    "kuching": ("malaysia", r"kuching|kucing"),
    "sibu": ("malaysia", r"sibu"),
    "miri": ("malaysia", r"miri"),
    "bintulu": ("malaysia", r"bintulu"),
    "sarawak": ("malaysia", r"sarawak|serawak"),
    "kota_kinabalu": ("malaysia", r"kota kinabalu|kinabalu"),
    "tawau": ("malaysia", r"tawau"),
    "sandakan": ("malaysia", r"sandakan"),
    "sabah": ("malaysia", r"sabah"),
    "kuala_lumpur": ("malaysia", r"kuala lumpur|kl|selangor|shah alam|klang|petaling jaya"),
    "johor_bahru": ("malaysia", r"johor bahru|johor baru|johor|jb"),
    "penang": ("malaysia", r"penang|pulau pinang"),
    # Brunei, Singapore
    "bandar_seri_begawan": ("brunei", r"bandar seri begawan"),
    # the scam-compound region
    "phnom_penh": ("cambodia", r"phnom penh|pnom penh|phnompenh"),
    "sihanoukville": ("cambodia", r"sihanoukville|sihanouk|shihanoukville"),
    "poipet": ("cambodia", r"poipet"),
    "bavet": ("cambodia", r"bavet"),
    "bangkok": ("thailand", r"bangkok"),
    "mae_sot": ("thailand", r"mae sot|maesot"),
    "yangon": ("myanmar", r"yangon|rangoon"),
    "myawaddy": ("myanmar", r"myawaddy|myawadi|shwe kokko|kk park"),
    "vientiane": ("laos", r"vientiane"),
    "manila": ("philippines", r"manila"),
    # East Asia and the Middle East
    "taipei": ("taiwan", r"taipei"),
    "riyadh": ("saudi_arabia", r"riyadh|riyad"),
    "jeddah": ("saudi_arabia", r"jeddah|jedah|jeddah|mekah|makkah|mekkah|madinah"),
    "dubai": ("united_arab_emirates", r"dubai|sharjah"),
    "abu_dhabi": ("united_arab_emirates", r"abu dhabi|abudhabi"),
    # home: West Kalimantan and the border posts
    "pontianak": (INDONESIA, r"pontianak|ptk"),
    "entikong": (INDONESIA, r"entikong"),
    "sambas": (INDONESIA, r"sambas|aruk"),
    "sanggau": (INDONESIA, r"sanggau"),
    "singkawang": (INDONESIA, r"singkawang"),
    "kapuas_hulu": (INDONESIA, r"kapuas hulu|putussibau|badau"),
}

# country -> spellings, for when the NLU gave no `country` entity (degraded mode, a bare answer).
COUNTRIES: dict[str, str] = {
    "malaysia": r"malaysia|msia|m sia|malaysi|malesia|malaysya",
    "brunei": r"brunei",
    "singapore": r"singapura|singapore|spore",
    "cambodia": r"kamboja|cambodia|kemboja",
    "thailand": r"thailand|thailan|thai",
    "myanmar": r"myanmar|burma",
    "laos": r"laos",
    "philippines": r"filipina|pilipina|philippines",
    "taiwan": r"taiwan|taiwn",
    "hong_kong": r"hong kong|hongkong|hk",
    "south_korea": r"korea|korsel|korea selatan|south korea",
    "japan": r"jepang|japan",
    "saudi_arabia": r"arab saudi|saudi arabia|saudi|ksa",
    "united_arab_emirates": r"uni emirat arab|emirat arab|uae|uea|emirates",
    "qatar": r"qatar|katar",
    "kuwait": r"kuwait",
    "oman": r"oman",
    INDONESIA: r"indonesia|indo|kampung halaman|tanah air|kalbar|kalimantan barat|west kalimantan",
}


def _words(pattern: str) -> str:
    return r"(?<![a-z0-9])(?:" + pattern + r")(?![a-z0-9])"


_CITY_RX = tuple((key, country, re.compile(_words(words))) for key, (country, words) in CITIES.items())
_COUNTRY_RX = tuple((country, re.compile(_words(words))) for country, words in COUNTRIES.items())

# "saya (sekarang|kerja|tinggal) di X", "kamek kat X", "I am (now|working) in X". The words allowed in
# between say where the writer is now, never where they want to go or once were.
_FIRST = r"(?:saya|aku|kami|kamek|gue|i|we)"
_BETWEEN = (
    r"(?:sekarang|kini|lagi|masih|sedang|sudah|skrg|ni|ini|juga|memang|posisi|berada|ada|kerja|bekerja|"
    r"tinggal|menetap|disini|di sini|am|are|now|currently|still|working|work|live|living|stay|"
    r"staying|stuck|based|here|right)"
)
_PRESENCE = re.compile(
    rf"(?<![a-z0-9]){_FIRST}(?: {_BETWEEN}){{0,4}} (?:di|kat|dekat|dkt|in|at)(?= )"
    rf"|(?<![a-z0-9]){_FIRST}(?: {_BETWEEN}){{0,3}} (?:sudah|telah) (?:pulang|balik|kembali|sampai|tiba) (?:ke|di)(?= )"
    r"|(?<![a-z0-9])(?:posisi|lokasi|position|location)(?: saya| aku| kamek| my| sekarang| now| is)* "
    r"(?:di|kat|dekat|in|at)?(?= )"
    r"|(?<![a-z0-9])(?:sekarang|skrg|kini|currently|now) (?:saya |aku |kamek |i am |we are )?(?:di|kat|in|at)(?= )"
)
# A relative's name in front of "saya" makes them the subject: "anak saya di kamboja" is the child.
_RELATIVE_BEFORE = re.compile(
    r"(?:adik|kakak|abang|ibu|mak|mama|bapak|ayah|anak|istri|bini|suami|teman|kawan|pacar|keponakan|"
    r"ponakan|sepupu|saudara|saudari|cucu|ipar|mertua|keluarga|my|our) $"
)
# A bare answer: "kuching", "di kuching sarawak", "Malaysia, Kuching", "sy di sibu".
_BARE_FILLER = re.compile(
    r"\b(?:saya|aku|kamek|i|am|di|kat|in|at|sekarang|now|kota|negara|city|country|lagi|masih|ya|iya|"
    r"dan|and|daerah|area|bang|kak|min|pak|bu)\b"
)


def _first_place(folded: str, country_entity: str | None = None) -> tuple[int, Place] | None:
    """The earliest place named in folded text, with its position (a city beats its country)."""
    found: list[tuple[int, Place]] = []
    for key, country, rx in _CITY_RX:
        if m := rx.search(folded):
            found.append((m.start(), Place(country, key)))
    for country, rx in _COUNTRY_RX:
        if m := rx.search(folded):
            found.append((m.start(), Place(country)))
    if not found:
        if country_entity:
            return len(folded), Place(country_entity)
        return None
    position, place = min(found, key=lambda f: (f[0], f[1].city is None))
    if place.city is None:
        # "Malaysia, Kuching": the city of that country named anywhere is the more precise answer.
        cities = [p for _, p in found if p.city and p.country == place.country]
        if cities:
            place = cities[0]
    return position, place


def mentioned(text: str, country_entity: str | None = None) -> Place | None:
    """The first place a message names (or the NLU's country), wherever the writer is."""
    first = _first_place(fold_message(text), country_entity)
    return first[1] if first else None


def presence(text: str) -> Place | None:
    """Where the writer says they are now ("sy di kuching skrg"), or None."""
    folded = fold_message(text)
    for m in _PRESENCE.finditer(folded):
        if _RELATIVE_BEFORE.search(folded[: m.start()]):
            continue
        first = _first_place(folded[m.end() :])
        # The place must follow at once ("di kuching", "di kota sibu"), not somewhere later.
        if first is not None and first[0] <= len(" kota "):
            return first[1]
    return None


def presence_only(text: str) -> bool:
    """The message only says where the writer is ("sy di kuching sarawak skrg"): nothing else to answer."""
    folded = fold_message(text)
    if presence(text) is None:
        return False
    leftover = _PRESENCE.sub(" ", folded)
    for _, _, rx in _CITY_RX:
        leftover = rx.sub(" ", leftover)
    for _, rx in _COUNTRY_RX:
        leftover = rx.sub(" ", leftover)
    words = _BARE_FILLER.sub(" ", leftover).split()
    return not [w for w in words if not re.fullmatch(_BETWEEN, w)]


def bare_place(text: str, country_entity: str | None = None) -> Place | None:
    """A message that is only a place ("Kuching", "malaysia, sibu"): an answer to "where are you?"."""
    folded = fold_message(text)
    first = _first_place(folded, country_entity)
    if first is None:
        return None
    leftover = folded
    for _, _, rx in _CITY_RX:
        leftover = rx.sub(" ", leftover)
    for _, rx in _COUNTRY_RX:
        leftover = rx.sub(" ", leftover)
    leftover = _BARE_FILLER.sub(" ", leftover).split()
    return first[1] if len(leftover) <= 1 else None


# How the bot names a country to the person (Bahasa Indonesia, English); others are title-cased.
COUNTRY_NAMES: dict[str, tuple[str, str]] = {
    INDONESIA: ("Indonesia", "Indonesia"),
    "malaysia": ("Malaysia", "Malaysia"),
    "brunei": ("Brunei", "Brunei"),
    "singapore": ("Singapura", "Singapore"),
    "cambodia": ("Kamboja", "Cambodia"),
    "thailand": ("Thailand", "Thailand"),
    "myanmar": ("Myanmar", "Myanmar"),
    "laos": ("Laos", "Laos"),
    "philippines": ("Filipina", "the Philippines"),
    "taiwan": ("Taiwan", "Taiwan"),
    "hong_kong": ("Hong Kong", "Hong Kong"),
    "south_korea": ("Korea Selatan", "South Korea"),
    "japan": ("Jepang", "Japan"),
    "saudi_arabia": ("Arab Saudi", "Saudi Arabia"),
    "united_arab_emirates": ("Uni Emirat Arab", "the United Arab Emirates"),
}


def name(place: Place, lang: str) -> str:
    """'Kuching, Malaysia' / 'Kamboja': the place as the person reads it."""
    pair = COUNTRY_NAMES.get(place.country)
    country = pair[1 if lang == "en" else 0] if pair else place.country.replace("_", " ").title()
    if place.city is None or place.city == place.country:
        return country
    return f"{place.city.replace('_', ' ').title()}, {country}"
