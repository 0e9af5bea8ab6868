"""Red flags of a job offer: read a pasted advert, score the answers of the job-offer check.

Every flag carries a one-line explanation and its basis (law and article, or the public source)
in Bahasa Indonesia and English; `facts` names the section of the legal team's fact sheet the
statement was checked against. The salary thresholds and exchange rates are heuristics from
config.yml (`job_offer`), not law.

Answers (what the job-offer flow asks, and what `scan` may read from a text):
  recruiter   company | individual | social_media | unknown
  fee         yes | no | unknown          money asked up front
  visa        work | tourist | visit | umrah | unknown
  destination malaysia_brunei | scam_region | middle_east | other | unknown
              (middle_east: the 21 countries of Kepmenaker 260/2015, see BAN_COUNTRIES)
  job         household | online | mandarin | other | unknown
  contract    yes | no | unknown          a written contract seen before leaving
  passport    yes | no | unknown          passport kept by someone else while working
  salary      high | normal | unknown | amount   (amount: see `salary_idr`)
  route       official | unofficial | unknown
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from bot.understanding.normalise import fold_message_with

QUESTIONS = ("recruiter", "fee", "visa", "destination", "job", "contract", "passport", "salary", "route")
# Levels, lowest first. Shown to people as rendah / sedang / tinggi (low / medium / high).
LOW, MEDIUM, HIGH = "low", "medium", "high"
# A total weight at or above HIGH_SCORE is high risk; at least 1 is medium.
HIGH_SCORE = 3
# This many unanswered questions make an offer with no flag at least medium: too much is unknown.
UNKNOWN_FOR_MEDIUM = 3

# Kepmenaker 260/2015 (in force since 1 July 2015): no placement with individual (household)
# employers in these 21 Middle East and North African countries. Canonical country values.
BAN_COUNTRIES = frozenset({
    "algeria", "saudi_arabia", "bahrain", "iraq", "iran", "kuwait", "lebanon", "libya", "morocco",
    "mauritania", "egypt", "oman", "pakistan", "palestine", "qatar", "south_sudan", "syria", "tunisia",
    "united_arab_emirates", "yemen", "jordan",
})
# Every country value the bot knows (one canonical snake_case English name per country, as the NLU's
# `country` entity gives it after bot.understanding.rasa normalises it), and its destination group.
# Content items may name only these in `entities.country` (python -m bot content check).
COUNTRY_GROUPS: Mapping[str, str] = {
    "malaysia": "malaysia_brunei", "brunei": "malaysia_brunei",
    "cambodia": "scam_region", "myanmar": "scam_region", "thailand": "scam_region", "laos": "scam_region",
    "philippines": "scam_region",
    **{country: "middle_east" for country in BAN_COUNTRIES},
    **{country: "other" for country in (
        "singapore", "taiwan", "hong_kong", "south_korea", "japan", "china", "vietnam", "turkey", "poland",
        "australia", "new_zealand", "germany",
    )},
}


@dataclass(frozen=True)
class RedFlag:
    code: str
    weight: int  # 3: on its own a sign of illegal placement or trafficking; 2: serious; 1: a warning
    text: Mapping[str, str]  # one line, id and en
    basis: Mapping[str, str]  # the law and article, or the public source, id and en
    facts: str  # the section(s) of the legal team's fact sheet (§1-§6) the statement was checked against

    def line(self, lang: str) -> str:
        lang = lang if lang in self.text else "id"
        return f"• {self.text[lang]} ({self.basis[lang]})"


def _flag(code: str, weight: int, facts: str, id_text: str, en_text: str, id_basis: str, en_basis: str) -> RedFlag:
    return RedFlag(code, weight, {"id": id_text, "en": en_text}, {"id": id_basis, "en": en_basis}, facts)


FLAGS: dict[str, RedFlag] = {
    f.code: f
    for f in (
        _flag(
            "individual_recruiter", 3, "§1, §5",
            "Perekrutnya perorangan: orang perseorangan dilarang menempatkan pekerja migran, diancam pidana penjara paling lama 10 tahun",
            "The recruiter is a private person: individuals may not place migrant workers; it carries a prison sentence of up to 10 years",
            "UU 18/2017 Pasal 69, 81", "Law 18/2017 Art. 69, 81",
        ),
        _flag(
            "social_media_recruiter", 2, "§1, §5",
            "Perekrutnya hanya akun media sosial, bukan perusahaan penempatan berizin (P3MI dengan SIP3MI)",
            "The recruiter is only a social-media account, not a licensed placement company (a P3MI holding an SIP3MI)",
            "UU 18/2017 Pasal 49, 51", "Law 18/2017 Art. 49, 51",
        ),
        _flag(
            "upfront_fee", 2, "§1, §2, §5",
            "Diminta bayar di muka: pekerja migran tidak boleh dibebani biaya penempatan; untuk 10 jabatan (mis. PRT, pengasuh, ABK kapal perikanan) tiket, visa dan pelatihan juga tidak boleh dibebankan",
            "Money asked up front: migrant workers may not be charged placement costs; for 10 occupations (e.g. housekeeper, caregiver, fishing-vessel crew) tickets, visa and training may not be charged either",
            "UU 18/2017 Pasal 30; Perban BP2MI 9/2020", "Law 18/2017 Art. 30; BP2MI Reg. 9/2020",
        ),
        _flag(
            "personal_account", 2, "§5",
            "Pembayaran diminta ke rekening pribadi, bukan ke perusahaan: ciri tawaran palsu",
            "Payment is asked into a personal bank account, not the company's: a sign of a fake offer",
            "ciri tawaran kerja palsu", "known signs of fake job offers",
        ),
        _flag(
            "non_work_visa", 3, "§1, §5",
            "Berangkat dengan visa turis, kunjungan atau umrah, bukan visa kerja: visa kerja wajib untuk bekerja di luar negeri",
            "Travelling on a tourist, visit or umrah visa instead of a work visa: a work visa is required to work abroad",
            "UU 18/2017 Pasal 13", "Law 18/2017 Art. 13",
        ),
        _flag(
            "scam_compound", 3, "§3, §5",
            "Kerja online (operator, customer service, admin) di Kamboja, Myanmar, Thailand, Laos atau Filipina: umpan sindikat penipuan online; ribuan WNI ditangani, sekitar 40% korban perdagangan orang",
            "Online work (operator, customer service, admin) in Cambodia, Myanmar, Thailand, Laos or the Philippines: bait of online-scam compounds; thousands of Indonesians handled, about 40% trafficking victims",
            "UU 21/2007 Pasal 4; data penanganan WNI 2020-2024", "Law 21/2007 Art. 4; cases handled 2020-2024",
        ),
        _flag(
            "scam_region", 2, "§5",
            "Tujuan Kamboja, Myanmar, Thailand, Laos atau Filipina: negara tempat ribuan WNI dijebak di sindikat penipuan online",
            "Destination Cambodia, Myanmar, Thailand, Laos or the Philippines: countries where thousands of Indonesians were trapped in online-scam compounds",
            "data penanganan WNI 2020-2024", "cases of Indonesians handled 2020-2024",
        ),
        # The bait jobs come from the scam-compound cases, not from the task force's list.
        _flag(
            "bait_job", 1, "§5",
            "Lowongan operator IT, customer service, admin atau telemarketing ke luar negeri: pekerjaan yang sering dipakai sebagai umpan sindikat penipuan online",
            "IT operator, customer service, admin or telemarketing jobs abroad: jobs often used as bait by online-scam compounds",
            "data WNI korban sindikat penipuan online 2020-2024", "cases of Indonesians in online-scam compounds, 2020-2024",
        ),
        _flag(
            "mandarin_translator", 2, "§5",
            "Lowongan penerjemah bahasa Mandarin: salah satu modus perdagangan orang yang disebut GT-PP TPPO Provinsi Kalimantan Barat",
            "Mandarin translator jobs: one of the trafficking tricks named by the West Kalimantan anti-trafficking task force (GT-PP TPPO)",
            "GT-PP TPPO Kalbar, peluncuran 26 November 2025", "GT-PP TPPO West Kalimantan, launch of 26 November 2025",
        ),
        _flag(
            "middle_east_household", 3, "§6",
            "Pekerja rumah tangga ke Timur Tengah atau Afrika Utara: penempatan pada pengguna perseorangan (majikan rumah tangga) di 21 negara kawasan itu dilarang sejak 2015 (pastikan di BP3MI)",
            "Household work in the Middle East or North Africa: placement with individual (household) employers in 21 countries of the region has been banned since 2015 (confirm at BP3MI)",
            "Kepmenaker 260/2015", "Manpower Minister Decree 260/2015",
        ),
        # "Ndak perlu paspor", "paspor nanti dibuatkan": leaving without one's own passport, or with one
        # a recruiter "makes", is a sign of illegal placement whatever else the offer says.
        _flag(
            "no_passport", 3, "§1, §5",
            "Katanya tidak perlu paspor, atau paspor \"nanti dibuatkan\" perekrut: paspor atas nama dan data Anda sendiri wajib ada sebelum berangkat; memalsukan data dalam dokumen adalah pidana",
            "You are told no passport is needed, or that the recruiter will \"make\" one for you: a passport in your own name and with your true details is required before you leave; false data in documents is a crime",
            "UU 18/2017 Pasal 13, 79", "Law 18/2017 Art. 13, 79",
        ),
        _flag(
            "no_contract", 2, "§1, §5",
            "Tidak ada perjanjian kerja tertulis sebelum berangkat: perjanjian kerja dan perjanjian penempatan wajib ada",
            "No written contract before leaving: the employment contract and the placement agreement are required",
            "UU 18/2017 Pasal 13", "Law 18/2017 Art. 13",
        ),
        # Only while working: a licensed P3MI may hold the passport during visa processing.
        _flag(
            "passport_held", 2, "§1, §5",
            "Paspor dipegang orang lain selama bekerja: pekerja migran berhak memegang sendiri dokumen perjalanannya selama bekerja (perusahaan berizin hanya boleh memegangnya sementara untuk mengurus visa)",
            "The passport is kept by someone else while you work: migrant workers have the right to keep their own travel documents while working (a licensed company may hold it only briefly to process the visa)",
            "UU 18/2017 Pasal 6 ayat (1)", "Law 18/2017 Art. 6(1)",
        ),
        _flag(
            "salary_too_high", 1, "§5",
            "Gaji yang dijanjikan terlalu tinggi dibanding tawaran biasa untuk pekerjaan dan negara itu (patokan tim bantuan hukum, bukan aturan): gaji tinggi sering jadi umpan; cocokkan dengan job order di BP3MI",
            "The promised salary is too high compared with usual offers for that job and country (the legal-aid team's rule of thumb, not law): a high salary is often bait; compare it with the job order at BP3MI",
            "tanda bahaya tawaran palsu", "red flags of fake offers",
        ),
        _flag(
            "unofficial_route", 3, "§1, §5",
            "Berangkat lewat jalan tikus, bukan pos lintas batas resmi (PLBN Entikong, Aruk, Badau): pekerja migran wajib punya paspor dan visa kerja",
            "Leaving through an unofficial path instead of an official crossing (PLBN Entikong, Aruk, Badau): a migrant worker must have a passport and a work visa",
            "UU 18/2017 Pasal 13", "Law 18/2017 Art. 13",
        ),
        _flag(
            "too_easy", 1, "§5",
            "Syaratnya terlalu mudah (tanpa pengalaman, tanpa ijazah, langsung berangkat): ciri tawaran palsu; syarat resmi antara lain umur 18, sehat, kompeten, dokumen lengkap",
            "The requirements are too easy (no experience, no diploma, leave at once): a sign of a fake offer; the legal requirements include age 18, health, competence and complete documents",
            "UU 18/2017 Pasal 5", "Law 18/2017 Art. 5",
        ),
        # "All costs covered" alone is what the law promises the 10 zero-cost occupations; the
        # trick is the promise followed by a "debt" or a wage deduction.
        _flag(
            "covered_then_debt", 2, "§2, §3, §5",
            "Dijanjikan \"semua biaya ditanggung\", tetapi nanti dibayar lewat \"utang\" atau potong gaji: jeratan utang adalah cara perdagangan orang, dan utang untuk mengeksploitasi korban tidak bisa ditagih",
            "\"All costs covered\" is promised, but repaid later as a \"debt\" or a wage deduction: debt bondage is a means of trafficking, and a debt used to exploit a victim cannot be collected",
            "UU 21/2007 Pasal 1 angka 1, Pasal 27; Perban BP2MI 9/2020", "Law 21/2007 Art. 1(1), Art. 27; BP2MI Reg. 9/2020",
        ),
        _flag(
            "debt", 2, "§3, §5",
            "Ada \"utang\" yang harus dibayar dari gaji setelah tiba: jeratan utang adalah salah satu cara perdagangan orang, dan utang untuk mengeksploitasi korban tidak bisa ditagih",
            "A \"debt\" to repay from wages after arrival: debt bondage is one of the means of trafficking, and a debt used to exploit a victim cannot be collected",
            "UU 21/2007 Pasal 1 angka 1, Pasal 27", "Law 21/2007 Art. 1(1), Art. 27",
        ),
        _flag(
            "underage", 3, "§1, §3",
            "Menerima pelamar di bawah 18 tahun: umur minimal pekerja migran 18 tahun; menempatkan anak diancam pidana, dan anak yang umurnya dipalsukan perekrut adalah korban, bukan pelaku",
            "Accepts applicants under 18: the minimum age of a migrant worker is 18; placing a child is a crime, and a child whose age a recruiter forged is a victim, not an offender",
            "UU 18/2017 Pasal 5, 80; UU 21/2007 Pasal 18, 19", "Law 18/2017 Art. 5, 80; Law 21/2007 Art. 18, 19",
        ),
        _flag(
            "marriage", 3, "§3, §5",
            "Tawaran kawin kontrak atau dinikahkan dengan orang asing lewat perantara: modus perdagangan orang di Kalbar; persetujuan korban tidak menghapus pidananya",
            "An offer of a contract marriage or a marriage to a foreigner through a broker: a trafficking trick in West Kalimantan; the victim's consent does not remove the crime",
            "UU 21/2007 Pasal 2, 26", "Law 21/2007 Art. 2, 26",
        ),
    )
}

# Order in which flags are listed: the gravest first.
_ORDER = {code: i for i, code in enumerate(FLAGS)}
# Flags the person is told the moment their answers show them, before the other questions: the
# Middle East household ban makes the offer unlawful whatever the rest of it says.
AT_ONCE = ("middle_east_household",)


@dataclass(frozen=True)
class SalaryRules:
    """config.yml job_offer: monthly amounts (rupiah) that count as too high, and rough exchange rates.

    Keys of `too_high_idr`: "<destination>.<job>" for one job, "<destination>" for every job there,
    "any" when neither is set. Formal jobs in the Middle East (nurse, hotel, company driver) lawfully
    pay more than household work, so the Middle East has a household amount only.
    """

    too_high_idr: Mapping[str, float]
    rates_to_idr: Mapping[str, float]

    def limit(self, destination: str | None, job: str | None) -> float | None:
        """The amount at or above which a salary is too high for this job and destination, if any."""
        destination = destination or "unknown"
        keys = ([f"{destination}.{job}"] if job and job != "unknown" else []) + [destination, "any"]
        for key in keys:
            if self.too_high_idr.get(key):
                return float(self.too_high_idr[key])
        return None


DEFAULT_SALARY_RULES = SalaryRules(
    too_high_idr={
        "malaysia_brunei": 10_000_000, "scam_region": 10_000_000, "middle_east.household": 10_000_000,
        "other": 40_000_000, "unknown": 20_000_000, "any": 40_000_000,
    },
    rates_to_idr={
        "myr": 3_700, "usd": 16_500, "sgd": 12_700, "bnd": 12_700, "sar": 4_400, "aed": 4_500,
        "qar": 4_500, "twd": 520, "hkd": 2_100, "krw": 12, "jpy": 110,
    },
)


@dataclass(frozen=True)
class Assessment:
    level: str  # low | medium | high
    flags: tuple[RedFlag, ...]
    unknown: tuple[str, ...]  # questions answered "don't know" or not asked
    score: int

    def lines(self, lang: str) -> list[str]:
        return [f.line(lang) for f in self.flags]


@dataclass
class Scan:
    """What a pasted text says: answers it settles, and flags only a text can show."""

    answers: dict[str, str] = field(default_factory=dict)
    text_flags: set[str] = field(default_factory=set)
    salary_idr: float | None = None

    @property
    def found_anything(self) -> bool:
        return bool(self.answers or self.text_flags)


# ------------------------------------------------------------------------------------ vocabulary
# Patterns run on fold(): normalise.fold_message() (lowercase, unaccented, chat abbreviations expanded,
# "gk" -> "tidak", punctuation turned into spaces) plus a few job-advert abbreviations.
_ADVERT_ABBREVIATIONS = {
    "tnp": "tanpa", "dgn": "dengan", "utk": "untuk", "krj": "kerja", "kerjo": "kerja", "bln": "bulan",
    "brgkt": "berangkat", "lgsg": "langsung", "lsg": "langsung", "lgs": "langsung", "pglmn": "pengalaman",
    "pengalamn": "pengalaman", "psp": "paspor", "pasport": "paspor", "passport": "paspor", "tkt": "tiket",
    "ditanggun": "ditanggung", "kontark": "kontrak", "gj": "gaji", "gajih": "gaji",
}


def fold(text: str) -> str:
    """The form the patterns read (see bot.understanding.normalise)."""
    return fold_message_with(text, _ADVERT_ABBREVIATIONS)


def _rx(pattern: str) -> re.Pattern[str]:
    return re.compile(r"(?<![a-z0-9])(?:" + pattern + r")(?![a-z0-9])")


_GROUP_RX: dict[str, re.Pattern[str]] = {
    group: _rx(words)
    for group, words in (
        ("malaysia_brunei", (
            r"malaysia|msia|m sia|malaysi|malesia|sarawak|serawak|sabah|kuching|miri|sibu|bintulu|johor|"
            r"kuala lumpur|semenanjung|brunei|bandar seri begawan|tawau|kota kinabalu|penang"
        )),
        ("scam_region", (
            r"kamboja|cambodia|phnom penh|sihanoukville|myanmar|burma|myawaddy|thailand|thailan|thai|bangkok|"
            r"mae sot|laos|filipina|pilipina|philippines|philippine|manila"
        )),
        # The 21 countries of Kepmenaker 260/2015 (BAN_COUNTRIES), with their capitals and the
        # cities adverts name. "Sudan" alone is not one of them: only South Sudan is.
        ("middle_east", (
            r"timur tengah|middle east|afrika utara|north africa|arab saudi|saudi|saudi arabia|ksa|riyadh|"
            r"jeddah|jedah|mekah|makkah|mekkah|madinah|uni emirat arab|emirat arab|uea|uae|emirat|emirates|"
            r"dubai|abu dhabi|sharjah|qatar|katar|doha|kuwait|oman|muscat|bahrain|yordania|jordan|amman|"
            r"lebanon|libanon|beirut|irak|iraq|baghdad|erbil|iran|teheran|tehran|suriah|syria|siria|"
            r"damaskus|damascus|yaman|yemen|palestina|palestine|gaza|mesir|egypt|kairo|cairo|libya|libia|"
            r"tripoli|maroko|morocco|marokko|aljazair|al jazair|algeria|aljir|tunisia|tunis|mauritania|"
            r"pakistan|karachi|lahore|islamabad|sudan selatan|south sudan|arab"
        )),
        ("other", (
            r"taiwan|hong kong|hongkong|korea|korsel|south korea|jepang|japan|singapura|singapore|"
            r"spore|china|cina|tiongkok|vietnam|australia|selandia baru|new zealand|jerman|germany|"
            r"polandia|poland|turki|turkey|eropa|europe|inggris|amerika|kanada|canada|rumania|romania"
        )),
    )
}
# First match wins: a named sponsor or calo is an individual even when a PT is mentioned.
_RECRUITER = (
    ("individual", _rx(
        r"calo|sponsor|tekong|perorangan|perseorangan|orang pribadi|kenalan|tetangga|teman saya|"
        r"kawan saya|saudara saya|om saya|paman saya|bibi saya|private person|a friend|individual|agen perorangan"
    )),
    ("company", _rx(r"pt|p t|cv|p3mi|pptkis|perusahaan (?:penempatan|resmi|penyalur)|agensi resmi|licensed (?:company|agency)")),
    ("social_media", _rx(
        r"facebook|fb|tiktok|tik tok|instagram|ig|telegram|grup wa|grup whatsapp|group wa|media sosial|"
        r"medsos|sosmed|social media|akun (?:fb|facebook|tiktok|ig|instagram)|iklan online|postingan"
    )),
)
_FEE_NO = _rx(
    r"tanpa (?:biaya|dipungut biaya|potongan)|tidak (?:ada )?(?:dipungut )?biaya|bebas biaya|zero cost|"
    r"no fee|free of charge|tidak (?:perlu |usah )?bayar|tidak diminta (?:uang|bayar|biaya)"
)
_FEE_YES = _rx(
    r"biaya (?:pendaftaran|daftar|admin|administrasi|proses|pengurusan|berkas|formulir|jaminan|medical|"
    r"pelatihan|keberangkatan|visa|tiket|paspor)|uang (?:pendaftaran|daftar|jaminan|muka|proses|"
    r"administrasi|pelicin)|bayar (?:dulu|di muka|dimuka|didepan|di depan|duluan)|dp|down payment|"
    r"transfer (?:dulu|ke)|registration fee|processing fee|deposit|pay (?:first|upfront|up front)|"
    r"diminta (?:uang|bayar)|biaya \d+|"
    # "bayar 3 juta dulu", "hrs bayar 3jt", "transfer rp 3 000 000": an amount to pay is money up front.
    r"bayar (?:\S+ ){1,3}(?:dulu|duluan|di muka|dimuka|di depan|didepan)|"
    r"(?:bayar|setor|transfer|kirim uang|pay) (?:sebesar |senilai |uang )?(?:rp |idr |rm )?\d[\d ]*(?:juta|jt|ribu|rb|k)?(?![a-z])|"
    r"\d+ ?(?:juta|jt) (?:dulu|di muka|dimuka|duluan)"
)
_PERSONAL_ACCOUNT = _rx(
    r"rekening (?:pribadi|saya|atas nama|a n|an)|rek (?:pribadi|bca|bri|bni|mandiri)|"
    r"(?:bca|bri|bni|mandiri|dana|ovo|gopay) (?:a n|an|atas nama)|personal (?:bank )?account|my account"
)
_VISA = (
    ("umrah", _rx(r"umrah|umroh|haji|hajj|ziarah")),
    ("visit", _rx(r"visa (?:kunjungan|visit|lawatan)|visit visa|visa kunjung|social visit")),
    ("tourist", _rx(
        r"visa (?:turis|wisata|pelancong|pelancongan|tourist|liburan|holiday)|tourist visa|bebas visa|"
        r"visa free|paspor pelancong|pas lawatan|cop (?:pelancong|turis)|"
        r"masuk (?:sebagai )?(?:turis|pelancong|wisatawan)|turis|pelancong"
    )),
    ("work", _rx(r"visa kerja|working visa|work visa|calling visa|permit kerja|work permit|visa kerja resmi")),
)
_JOB = (
    ("household", _rx(
        r"pembantu|prt|art|asisten rumah tangga|pekerja rumah tangga|penata laksana rumah tangga|rumah tangga|"
        r"housemaid|maid|domestic (?:worker|helper)|babysitter|baby sitter|pengasuh|nanny|sopir keluarga|"
        r"driver keluarga|perawat lansia|caregiver|jaga (?:anak|orang tua|lansia)|household"
    )),
    ("mandarin", _rx(
        r"(?:penerjemah|translator|interpreter|juru bahasa|penterjemah) (?:bahasa )?(?:mandarin|china|cina|chinese)|"
        r"(?:mandarin|chinese) (?:translator|interpreter)"
    )),
    ("online", _rx(
        r"operator(?! (?:produksi|mesin|pabrik|forklift|alat berat|crane|kilang))(?: it| komputer| online)?|"
        r"it operator|customer service|customer servis|cs online|cs|admin online|admin media sosial|"
        r"admin sosmed|telemarketing|telemarketer|marketing online|data entry|typing job|kerja online|"
        r"online job|crypto|kripto|game online|judi online|scammer"
    )),
    ("other", _rx(
        r"pabrik|kilang|kebun|ladang|sawit|perkebunan|konstruksi|bangunan|restoran|restaurant|resto|rumah makan|"
        r"warung makan|kedai|cafe|kafe|pelayan|waiter|waitress|cuci piring|hotel|resort|toko|minimarket|"
        r"supermarket|kasir|shop|store|perawat|nurse|factory|plantation|construction|proyek|kapal|abk|nelayan|"
        r"welder|cleaning service|operator produksi|operator mesin|operator pabrik|tukang|buruh|gudang|"
        r"fishing (?:boat|vessel)|fisherman|boat crew|ship crew|"
        r"warehouse|supir|sopir|driver|koki|cook"
    )),
)
# Kinds of job people mention, each in the "other" group of _JOB (household, online and Mandarin jobs
# have their own groups). Labels: content/ui.yml jo_job_kind.<kind>. First match wins.
JOB_KINDS = (
    ("fishing_vessel", _rx(r"kapal ikan|kapal nelayan|kapal penangkap ikan|abk|anak buah kapal|nelayan|fishing (?:boat|vessel)|fisherman|boat crew|ship crew")),
    ("restaurant", _rx(
        r"restoran|restaurant|resto|rumah makan|warung makan|kedai makan|kedai kopi|cafe|kafe|pelayan|waiter|waitress|"
        r"cuci piring|tukang masak|koki|cook|dapur"
    )),
    ("hotel", _rx(r"hotel|resort|penginapan|housekeeping|room boy|room attendant")),
    ("shop", _rx(r"toko|kedai|minimarket|supermarket|mall|kasir|cashier|shop|store|penjaga toko|jaga toko")),
    ("plantation", _rx(r"sawit|kebun|perkebunan|ladang|plantation|estate|ladang sawit|kelapa sawit|karet")),
    ("factory", _rx(r"pabrik|kilang|factory|operator produksi|operator mesin|operator pabrik|manufaktur")),
    ("construction", _rx(r"bangunan|konstruksi|construction|proyek|kuli bangunan|tukang bangunan|tukang batu|welder|las")),
    ("care", _rx(r"perawat|nurse|panti jompo|rumah sakit|hospital")),
    ("driver", _rx(r"supir|sopir|driver")),
    ("cleaning", _rx(r"cleaning service|cleaner|kebersihan|tukang sapu")),
    ("warehouse", _rx(r"gudang|warehouse|logistik")),
)
_CONTRACT_NO = _rx(
    r"tanpa (?:kontrak|perjanjian)|tidak ada (?:kontrak|perjanjian)|(?:kontrak|perjanjian(?: kerja)?) "
    r"(?:nanti|setelah|sesudah|di sana|disana|ditandatangani di ?sana|menyusul|belum ada|tidak ada)|no contract"
)
_PASSPORT_HELD = _rx(
    r"paspor (?:(?:akan |harus |wajib |nanti )?(?:di ?pegang|dipegang|di ?tahan|ditahan|di ?simpan|disimpan|"
    r"di ?serahkan|diserahkan|di ?titip|dititip|dititipkan|dikumpulkan|disita|diambil))|"
    r"(?:serahkan|kumpulkan|titipkan|titip|tahan|pegang|simpan) paspor|"
    r"paspor (?:kami|bos|agen|majikan|perusahaan) (?:yang )?(?:pegang|simpan|tahan)|"
    r"paspor (?:akan |will be |is )?(?:kept|held|collected)|keep (?:your|the) paspor"
)
# A licensed P3MI may hold the passport while it processes the visa (the right to keep it holds while
# working, UU 18/2017 Pasal 6(1)): a text that says so does not answer the passport question.
_PASSPORT_FOR_VISA = _rx(
    r"(?:untuk|utk|buat|selama) (?:proses |pengurusan |urus |mengurus |pembuatan )?(?:visa|calling visa)|"
    r"(?:for|during) (?:the )?visa(?: processing| application)?"
)
_NO_PASSPORT = _rx(
    r"(?:tidak|tak) (?:perlu|usah|pakai|butuh|wajib|harus|payah) (?:pakai |punya |bikin |buat |urus |mengurus )?paspor|"
    r"tanpa paspor|paspor (?:nanti |akan |bisa |biar )?(?:kami |agen |bos |sponsor |perusahaan )?"
    r"(?:di ?buatkan|dibuatkan|buatkan|di ?bikinkan|dibikinkan|bikinkan|di ?uruskan|diuruskan|uruskan)|"
    r"paspor (?:menyusul|belakangan|nanti saja|nyusul)|"
    r"(?:no|without (?:a )?) ?(?:need (?:for )?(?:a )?)?paspor(?: needed| required)?|"
    r"(?:don t|dont|do not) need (?:a )?paspor|paspor (?:will be )?(?:made|arranged) (?:for you|by)"
)
_ROUTE_NO = _rx(
    r"jalur tikus|jalan tikus|lewat hutan|jalan belakang|jalur belakang|jalan pintas|"
    r"tanpa (?:paspor|cap|lewat imigrasi|dokumen)|tidak (?:lewat|melalui) (?:imigrasi|pos|plbn)|"
    r"(?:lewat|melalui) jalur tidak resmi|masuk (?:secara )?ilegal|illegal route|smuggl\w*|"
    r"unofficial (?:path|route|crossing|way)|illegal (?:path|crossing|border crossing)|through the (?:jungle|forest)"
)
_ROUTE_YES = _rx(
    r"plbn|pos lintas batas(?: negara)?(?: resmi)?|lewat imigrasi|bandara|airport|pesawat|naik pesawat|"
    r"jalur resmi|lewat resmi|official crossing"
)
_TOO_EASY = _rx(
    r"tanpa (?:pengalaman|ijazah|syarat|skill|keahlian|tes|test|interview|wawancara|bahasa|modal)|"
    r"tidak (?:perlu|butuh|usah) (?:pengalaman|ijazah|keahlian|bahasa|tes)|"
    r"langsung (?:berangkat|kerja|terbang)|proses (?:cepat|kilat|seminggu|3 hari)|berangkat (?:cepat|segera)|"
    r"no experience|no (?:skills?|diploma) (?:needed|required)|syarat mudah|mudah sekali"
)
_ALL_COSTS = _rx(
    r"semua (?:biaya )?(?:di ?tanggung|ditanggung|gratis)|(?:biaya|tiket) (?:di ?tanggung|ditanggung|gratis)|"
    r"(?:all|every) costs? (?:covered|paid)|free (?:ticket|flight|accommodation)|tiket gratis|"
    r"gratis (?:tiket|semua)|makan (?:dan )?(?:tempat tinggal|mess) gratis"
)
_DEBT = _rx(
    r"potong gaji|dipotong (?:dari )?gaji|potongan gaji|hutang|utang|dibayar (?:setelah|sesudah) (?:kerja|gajian)|"
    r"bayar (?:setelah|sesudah|nanti) (?:kerja|gajian|di sana|disana)|ganti biaya|salary deduction|repay|debt"
)
_MARRIAGE = _rx(
    r"kawin kontrak|nikah kontrak|pengantin pesanan|dicarikan (?:jodoh|suami|istri)|"
    r"jodoh (?:orang )?(?:taiwan|china|cina|tiongkok|asing)|"
    r"(?:nikah|menikah|kawin) (?:dengan )?(?:orang |pria |lelaki |laki laki )?(?:taiwan|china|cina|tiongkok|asing)|"
    r"uang (?:mahar|lamaran)|mahar|mail order bride|contract marriage"
)
_AGE = (
    re.compile(r"(?<![a-z0-9])(?:usia|umur|age|berumur)\s*(?:min(?:imal|imum)?\s*|dari\s*|mulai\s*)?(\d{1,2})(?!\d)"),
    re.compile(r"(?<![a-z0-9])min(?:imal|imum)?\s*(\d{1,2})\s*(?:tahun|thn|th|years?)(?![a-z0-9])"),
)
_SALARY_WORD = re.compile(
    r"(?<![a-z])(?:gaji|gapok|salary|upah|pendapatan|penghasilan|income|wage|bayaran|dibayar|digaji|earn\w*|gj)(?![a-z])"
)
# Money words that are not the salary: an amount after these (without a salary word in between) is a fee.
_FEE_WORD = re.compile(r"(?<![a-z])(?:biaya|bayar|fee|dp|uang|transfer|deposit|ongkos|modal|tiket)(?![a-z])")
_MONTH_WORD = re.compile(r"^\s*(?:/\s*|per\s*|se)(?:bulan|bln|month|bulanan)|^\s*a month|^\s*monthly")
_AMOUNT = re.compile(
    r"(?P<cur1>rp\.?|idr|rm|myr|ringgit|usd|us\$|\$|sgd|s\$|bnd|sar|riyal|aed|dirham|qar|ntd|nt\$|twd|"
    r"hkd|hk\$|krw|won|jpy|yen|¥)?\s*"
    r"(?P<num>\d{1,3}(?:[.,]\d{3})+|\d+(?:[.,]\d{1,2})?)\s*"
    r"(?P<mult>juta|jt|million|ribu|rb|k)?(?![a-z])\s*"
    r"(?P<cur2>rupiah|ringgit|rm|myr|dollar|dolar|usd|sgd|riyal|sar|dirham|aed|ntd|twd|hkd|won|yen)?"
)
_CURRENCY = {
    "rp": "idr", "rp.": "idr", "idr": "idr", "rupiah": "idr", "rm": "myr", "myr": "myr", "ringgit": "myr",
    "usd": "usd", "us$": "usd", "$": "usd", "dollar": "usd", "dolar": "usd", "sgd": "sgd", "s$": "sgd",
    "bnd": "bnd", "sar": "sar", "riyal": "sar", "aed": "aed", "dirham": "aed", "qar": "qar",
    "ntd": "twd", "nt$": "twd", "twd": "twd", "hkd": "hkd", "hk$": "hkd", "krw": "krw", "won": "krw",
    "jpy": "jpy", "yen": "jpy", "¥": "jpy",
}
_COMPANY_NAME = re.compile(
    r"(?<![A-Za-z])(PT|CV|P\.T\.?)\.?\s+([A-Z0-9][\w&'-]*(?:\s+(?:[A-Z0-9][\w&'.-]*|&|dan|and)){0,6})"
)


def destination_of(text: str, country_entity: str | None = None) -> str | None:
    """The destination group a text or an NLU `country` entity names, if any."""
    folded = fold(text)
    # The first country named wins; adverts usually name one.
    best: tuple[int, str] | None = None
    for group, rx in _GROUP_RX.items():
        m = rx.search(folded)
        if m and (best is None or m.start() < best[0]):
            best = (m.start(), group)
    if best is not None:
        return best[1]
    if country_entity:
        # The bot gives the NLU's value in snake_case ("saudi_arabia"); a raw Rasa value may have spaces.
        return COUNTRY_GROUPS.get(re.sub(r"[\s\-]+", "_", country_entity.strip().lower()), "other")
    return None


def _first(options: tuple[tuple[str, re.Pattern[str]], ...], text: str) -> str | None:
    folded = fold(text)
    for value, rx in options:
        if rx.search(folded):
            return value
    return None


def recruiter_of(text: str) -> str | None:
    return _first(_RECRUITER, text)


def visa_of(text: str) -> str | None:
    return _first(_VISA, text)


def job_of(text: str) -> str | None:
    return _first(_JOB, text)


def job_kind_of(text: str) -> str | None:
    """The job as people name it (restaurant, fishing boat...), for saying back what was understood.

    The verdict uses `job_of`'s groups; a kind only names the job truthfully ("Restoran", not "Pabrik").
    """
    return _first(JOB_KINDS, text)


def company_name_in(text: str) -> str | None:
    """'PT Maju Jaya' as written in an advert (capitalised words after PT / CV), if any."""
    m = _COMPANY_NAME.search(text)
    if not m:
        return None
    return f"{m.group(1).replace('.', '').upper()} {m.group(2).strip()}"


def salary_amount_idr(text: str, rules: SalaryRules = DEFAULT_SALARY_RULES, *, need_keyword: bool = True) -> float | None:
    """A monthly salary named in `text`, in rupiah ("gaji RM 3.500", "15 juta/bulan", "USD 1,000").

    With need_keyword (reading an advert), only an amount after a salary word (with no fee word in
    between) or followed by "per bulan" counts, so a registration fee is not read as the salary.
    Without it (the answer to "how much is the salary?"), the first amount counts.
    """
    lowered = text.lower()
    for m in _AMOUNT.finditer(lowered):
        cur = (m.group("cur1") or m.group("cur2") or "").strip()
        mult = (m.group("mult") or "").lower()
        if need_keyword:
            before = lowered[max(0, m.start() - 40):m.start()]
            words = list(_SALARY_WORD.finditer(before))
            salary_before = bool(words) and not _FEE_WORD.search(before[words[-1].end():])
            monthly_after = bool(_MONTH_WORD.search(lowered[m.end():m.end() + 16]))
            if not (salary_before or monthly_after):
                continue
        value = _number(m.group("num"))
        if value is None:
            continue
        if mult in ("juta", "jt", "million"):
            value *= 1_000_000
        elif mult in ("ribu", "rb", "k"):
            value *= 1_000
        currency = _CURRENCY.get(cur)
        if currency is None:
            # No currency: rupiah when it is large or in "juta"; a small bare number is ambiguous.
            if value < 100_000:
                continue
            currency = "idr"
        rate = 1.0 if currency == "idr" else rules.rates_to_idr.get(currency)
        if rate is None:
            continue
        return value * rate
    return None


def _number(raw: str) -> float | None:
    if re.fullmatch(r"\d{1,3}(?:[.,]\d{3})+", raw):
        return float(re.sub(r"[.,]", "", raw))
    try:
        return float(raw.replace(",", "."))
    except ValueError:
        return None


def scan(text: str, rules: SalaryRules = DEFAULT_SALARY_RULES, country_entity: str | None = None) -> Scan:
    """Read a pasted advert or offer: the answers it settles and the flags only text can show."""
    result = Scan()
    if not text.strip():
        return result
    folded = fold(text)
    found = {
        "recruiter": recruiter_of(text),
        "visa": visa_of(text),
        "destination": destination_of(text, country_entity),
        "job": job_of(text),
    }
    result.answers.update({k: v for k, v in found.items() if v})
    if _FEE_NO.search(folded):
        result.answers["fee"] = "no"
    elif _FEE_YES.search(folded):
        result.answers["fee"] = "yes"
    if _CONTRACT_NO.search(folded):
        result.answers["contract"] = "no"
    if _PASSPORT_HELD.search(folded) and not _PASSPORT_FOR_VISA.search(folded):
        result.answers["passport"] = "yes"
    if _ROUTE_NO.search(folded):
        result.answers["route"] = "unofficial"
    elif _ROUTE_YES.search(folded):
        result.answers["route"] = "official"
    salary = salary_amount_idr(text, rules)
    if salary is not None:
        result.answers["salary"] = "amount"
        result.salary_idr = salary
    for code, rx in (
        ("personal_account", _PERSONAL_ACCOUNT), ("too_easy", _TOO_EASY), ("debt", _DEBT), ("marriage", _MARRIAGE),
        ("no_passport", _NO_PASSPORT),
    ):
        if rx.search(folded):
            result.text_flags.add(code)
    if "debt" in result.text_flags and _ALL_COSTS.search(folded):
        result.text_flags.discard("debt")
        result.text_flags.add("covered_then_debt")
    if any(int(m.group(1)) < 18 for rx in _AGE for m in rx.finditer(folded)):
        result.text_flags.add("underage")
    return result


def assess(
    answers: Mapping[str, str],
    text_flags: set[str] | frozenset[str] = frozenset(),
    *,
    salary_idr: float | None = None,
    rules: SalaryRules = DEFAULT_SALARY_RULES,
) -> Assessment:
    """Score the answers: the flags raised, the questions still unknown, and a risk level."""
    codes: set[str] = set(text_flags)
    a = {k: v for k, v in answers.items() if v}
    if a.get("recruiter") == "individual":
        codes.add("individual_recruiter")
    elif a.get("recruiter") == "social_media":
        codes.add("social_media_recruiter")
    if a.get("fee") == "yes":
        codes.add("upfront_fee")
    if a.get("visa") in ("tourist", "visit", "umrah"):
        codes.add("non_work_visa")
    destination, job = a.get("destination"), a.get("job")
    if destination == "scam_region":
        codes.add("scam_compound" if job in ("online", "mandarin") else "scam_region")
    if job == "online" and destination != "scam_region":
        codes.add("bait_job")
    if job == "mandarin":
        codes.add("mandarin_translator")
    if destination == "middle_east" and job == "household":
        codes.add("middle_east_household")
    if a.get("contract") == "no":
        codes.add("no_contract")
    if a.get("passport") == "yes":
        codes.add("passport_held")
    if a.get("salary") == "high":
        codes.add("salary_too_high")
    elif a.get("salary") == "amount" and salary_idr is not None:
        limit = rules.limit(destination, job)
        if limit is not None and salary_idr >= limit:
            codes.add("salary_too_high")
    if a.get("route") == "unofficial":
        codes.add("unofficial_route")
    if a.get("fee") == "no":
        codes.discard("upfront_fee")
    flags = tuple(sorted((FLAGS[c] for c in codes if c in FLAGS), key=lambda f: (-f.weight, _ORDER[f.code])))
    score = sum(f.weight for f in flags)
    unknown = tuple(q for q in QUESTIONS if a.get(q, "unknown") == "unknown" and _asked_matters(q, a))
    if score >= HIGH_SCORE:
        level = HIGH
    elif score >= 1 or len(unknown) >= UNKNOWN_FOR_MEDIUM:
        level = MEDIUM
    else:
        level = LOW
    return Assessment(level, flags, unknown, score)


def at_once(answers: Mapping[str, str]) -> tuple[RedFlag, ...]:
    """The flags of AT_ONCE that these answers raise, to be told before any other question."""
    raised = {f.code for f in assess(answers).flags}
    return tuple(FLAGS[code] for code in AT_ONCE if code in raised)


def _asked_matters(question: str, answers: Mapping[str, str]) -> bool:
    """The job matters for every destination but is asked only where it changes the verdict."""
    if question == "job":
        return answers.get("destination") in ("scam_region", "middle_east", "other") or "job" in answers
    if question == "route":
        return answers.get("destination") in ("malaysia_brunei", "unknown", None) or "route" in answers
    return True
