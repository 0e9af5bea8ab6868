"""Urgent safety net: keyword rules that flag a message as an emergency without Rasa.

These rules run on every message, before and regardless of the NLU, so that someone who is
locked in, beaten, threatened, sold, sexually abused or thinking of suicide is escalated even
when the Rasa server is down or misreads informal Indonesian / Malay / English.

Recall matters more than precision here: a missed emergency can cost a life, a false alarm
costs a staff member a minute. Education and rights questions ("kalau paspor ditahan majikan
itu boleh gak?") are still kept out of the urgent queue by a small set of framings that
downgrade only the weaker categories, and only when nobody concrete is named as the victim.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

__all__ = ["CATEGORIES", "SafetyVerdict", "check", "normalise"]


@dataclass(frozen=True)
class SafetyVerdict:
    urgent: bool
    reasons: tuple[str, ...]
    matched: tuple[str, ...]


# Stable category names, in the order they are reported. Other modules and staff dashboards
# key on these strings.
CATEGORIES: tuple[str, ...] = (
    "self_harm",
    "sexual_violence",
    "confinement",
    "violence",
    "threat",
    "sold",
    "passport_held_cannot_leave",
    "danger_now",
)

# Never downgraded by a question or hypothetical framing: asking "is it rape if..." from a
# survivor, or "pengen mati" phrased as a question, still needs a human.
_STRONG: frozenset[str] = frozenset({"self_harm", "sexual_violence"})


# --------------------------------------------------------------------------------------------
# normalise()
# --------------------------------------------------------------------------------------------

# Chat shorthand -> one spelling, so rules list each word once. Keys are tokens after
# lowercasing, leetspeak and letter-stretch collapsing.
_ABBREVIATIONS: dict[str, str] = {
    # negation (Indonesian, Malay, Sarawak "sik", Malaysian texting "x")
    **dict.fromkeys(
        "tdk tk tak gk gak ga g gx ngga nggak nggk ngak enggak engga egak kagak ndak nda ndk "
        "indak sik x".split(),
        "tidak",
    ),
    # people
    **dict.fromkeys("sy sya saye".split(), "saya"),
    **dict.fromkeys("ak aq".split(), "aku"),
    **dict.fromkeys("kmi kmai".split(), "kami"),
    **dict.fromkeys("kmk kmek kamik".split(), "kamek"),
    **dict.fromkeys("gw gua".split(), "gue"),
    **dict.fromkeys("dy dya".split(), "dia"),
    **dict.fromkeys("km kmu".split(), "kamu"),
    # ("ade" is left alone: in Pontianak and Sarawak Malay it is "ada", not "adik")
    **dict.fromkeys("adk adek".split(), "adik"),
    **dict.fromkeys("org orng".split(), "orang"),
    **dict.fromkeys("mjikan mjkn majikn majkan mjk majian majiakn".split(), "majikan"),
    **dict.fromkeys("klg klrg kluarga".split(), "keluarga"),
    "tmn": "teman",
    "ank": "anak",
    "ambik": "ambil",
    "istri2": "istri",
    "isteri": "istri",
    # places and things
    **dict.fromkeys("kmr kmar".split(), "kamar"),
    **dict.fromkeys("rmh rumh".split(), "rumah"),
    **dict.fromkeys(
        "psprt paspot pasport passport pspor pasprt paspt pasfor pasfort passpot pasportt "
        "passpor paspord passports".split(),
        "paspor",
    ),
    # function words
    **dict.fromkeys("yg yng".split(), "yang"),
    **dict.fromkeys("dgn dg dng ngan".split(), "dengan"),
    **dict.fromkeys("tlg tlng tlong tolongin tolonglah tulung tulong".split(), "tolong"),
    **dict.fromkeys("bs bsa bisaa".split(), "bisa"),
    **dict.fromkeys("blh bleh".split(), "boleh"),
    **dict.fromkeys("dpt dapet".split(), "dapat"),
    **dict.fromkeys("utk untk".split(), "untuk"),
    **dict.fromkeys("krn krna karna".split(), "karena"),
    **dict.fromkeys("sdh udh udah dah".split(), "sudah"),
    **dict.fromkeys("blm belom".split(), "belum"),
    **dict.fromkeys("jg jga".split(), "juga"),
    **dict.fromkeys("lg lgi agik".split(), "lagi"),
    # ("kl" is left alone: it is Kuala Lumpur more often than "kalau")
    **dict.fromkeys("kalo klo klu kalu".split(), "kalau"),
    **dict.fromkeys("gmn gmna gimana gmana bgmn bgmana gimna camne".split(), "bagaimana"),
    **dict.fromkeys("knp napa nape".split(), "kenapa"),
    **dict.fromkeys("tp tpi".split(), "tapi"),
    **dict.fromkeys("aj aja".split(), "saja"),
    **dict.fromkeys("skrg skrng skg skrang".split(), "sekarang"),
    **dict.fromkeys("jd jdi".split(), "jadi"),
    **dict.fromkeys("mo mw mok".split(), "mau"),
    **dict.fromkeys("pgn pngen pengin pingin kepengen".split(), "pengen"),
    **dict.fromkeys("dr dri".split(), "dari"),
    **dict.fromkeys("sm ama".split(), "sama"),
    **dict.fromkeys("trs trus".split(), "terus"),
    **dict.fromkeys("msh masi".split(), "masih"),
    **dict.fromkeys("ape".split(), "apa"),
    **dict.fromkeys("kene kna".split(), "kena"),
    "nk": "nak",
    "tny": "tanya",
    "brp": "berapa",
    "bnyk": "banyak",
    "hrs": "harus",
    "sblm": "sebelum",
    "kpn": "kapan",
    # verbs that matter to the rules
    **dict.fromkeys("kluar klr kuar kluwar kelua".split(), "keluar"),
    **dict.fromkeys("plg plng pulng".split(), "pulang"),
    **dict.fromkeys("dksh dkasih dikasi dikash dkasi".split(), "dikasih"),
    **dict.fromkeys("mkn mkan".split(), "makan"),
    **dict.fromkeys("bnuh bunoh".split(), "bunuh"),
    "bunuhdiri": "bunuh diri",
    # English contractions (apostrophes are dropped before this table) and texting
    **dict.fromkeys("cant cannot".split(), "cannot"),
    **dict.fromkeys("dont".split(), "do not"),
    "doesnt": "does not",
    "didnt": "did not",
    "wont": "will not",
    "wouldnt": "would not",
    "couldnt": "could not",
    "isnt": "is not",
    "arent": "are not",
    "wasnt": "was not",
    "im": "i am",
    "ive": "i have",
    "theyre": "they are",
    "shes": "she is",
    "u": "you",
    "ur": "your",
    **dict.fromkeys("pls plz plis pliss plss pleas".split(), "please"),
    "hlp": "help",
}

# Known spellings. A stretched or double-typed token ("killll", "tolongg", "mingggu") that is
# not one of them is mapped back to the one whose letters, every run squeezed to one, match.
_LEXICON: frozenset[str] = frozenset(
    set(" ".join(_ABBREVIATIONS.values()).split())
    | set(
        "tolong minggu tinggal panggil tunggu tanggal tanggung juga saat maaf kill will sell "
        "still all call help please harass harassed harassment assault assaulted need room "
        "door food free see too sorry hurry allowed killed killing trafficked passport "
        "dikurung disekap dipukul disiksa diancam dijual diperkosa bunuh mati keluar pulang "
        "majikan paspor bahaya takut kabur darurat locked trapped beaten raped suicide "
        "danger kamek tidak boleh bisa saya aku dia adik kakak".split()
    )
)

# Passive prefix typed apart from its root ("di kurung", "di pukul"). Only verb roots are
# listed: "di rumah", "di kamar" are places and must stay two words.
_PASSIVE_ROOTS: frozenset[str] = frozenset(
    "kurung kurong sekap kunci konci pukul pukuli pukulin pukol tampar tendang sepak siksa "
    "seksa aniaya hajar dera belasah jambak cekik cambuk sebat setrum sundut ancam ancem "
    "ugut teror jual jualin perkosa rogol cabuli lecehkan raba paksa culik sandera bunuh "
    "tahan ambil sita pegang simpan rampas kasih kasi beri bagi izinkan ijinkan larang "
    "bayar hubungi suruh jadikan pekerjakan".split()
)

_LEET = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "8": "b"})
_APOSTROPHES = re.compile(r"['\u2019\u2018`´]")
_NOT_WORD = re.compile(r"[^a-z0-9]+")
_STRETCH = re.compile(r"([a-z])\1{2,}")
_DOUBLE = re.compile(r"([a-z])\1")
_REDUPLICATED = re.compile(r"^([a-z]{2,})2$")  # "tanda2" = "tanda-tanda"
_NUMBER_THEN_WORD = re.compile(r"^(\d+)([a-z]{3,})$")  # "2minggu"
_LEET_INSIDE = re.compile(r"[a-z][0-9]+[a-z]")
_SOS_EMOJI = re.compile("\U0001f198")  # the SOS button; warning signs also head forwarded scam alerts


def _squeeze(word: str) -> str:
    return _DOUBLE.sub(r"\1", _STRETCH.sub(r"\1", word))


_SQUEEZED_LEXICON: dict[str, str] = {_squeeze(w): w for w in sorted(_LEXICON)}


def _strip_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _normalise_token(token: str) -> list[str]:
    if m := _REDUPLICATED.match(token):
        return [*_normalise_token(m.group(1))] * 2
    if m := _NUMBER_THEN_WORD.match(token):
        return [m.group(1), *_normalise_token(m.group(2))]
    if _LEET_INSIDE.search(token):
        token = token.translate(_LEET)
    stretched = _STRETCH.sub(r"\1", token)
    if stretched in _ABBREVIATIONS:
        return _ABBREVIATIONS[stretched].split()
    if stretched in _LEXICON:
        return [stretched]
    if stretched != token or _DOUBLE.search(stretched):
        squeezed = _squeeze(stretched)
        if len(squeezed) >= 2 and squeezed in _ABBREVIATIONS:
            return _ABBREVIATIONS[squeezed].split()
        if squeezed in _SQUEEZED_LEXICON:
            return [_SQUEEZED_LEXICON[squeezed]]
    return [stretched]


def _join_passive_prefix(tokens: list[str]) -> list[str]:
    joined: list[str] = []
    for token in tokens:
        root = re.sub(r"(?:in|kan|i|nya)$", "", token)
        if joined and joined[-1] in ("di", "d") and (token in _PASSIVE_ROOTS or root in _PASSIVE_ROOTS):
            joined[-1] = "di" + token
        else:
            joined.append(token)
    return joined


def normalise(text: str) -> str:
    """Fold a chat message to the lowercase, unaccented, unabbreviated form the rules read."""
    text = _strip_accents(text.casefold())
    text = _SOS_EMOJI.sub(" sos ", text)
    text = _APOSTROPHES.sub("", text)
    text = _NOT_WORD.sub(" ", text)
    tokens: list[str] = []
    for raw in text.split():
        tokens.extend(_normalise_token(raw))
    out = " ".join(_join_passive_prefix(tokens))
    return re.sub(r"\bs o s\b", "sos", out)  # "S.O.S", "S O S"


# --------------------------------------------------------------------------------------------
# Rule vocabulary. Placeholders <NAME> in rule patterns are replaced by these alternations.
# --------------------------------------------------------------------------------------------

_FRAGMENTS: dict[str, str] = {
    # speaker or speaker's group; "kita" is left out: in questions it is the generic "one"
    "FIRST": r"(?:saya|aku|ku|kami|kamek|gue|i|me|my|we|us|our)",
    "REL": (
        r"(?:adik|adiknya|kakak|kakaknya|abang|ibu|mak|emak|mama|mamak|bapak|ayah|abah|anak|"
        r"anaknya|istri|bini|suami|teman|kawan|sahabat|pacar|keponakan|ponakan|sepupu|"
        r"saudara|saudari|tetangga|jiran|cucu|ipar|mertua|keluarga|sister|brother|daughter|"
        r"son|wife|husband|friend|mother|mom|mum|father|dad|cousin|niece|nephew|aunt|uncle|"
        r"girlfriend|boyfriend|family)"
    ),
    "AGENT": (
        r"(?:majikan|majikannya|bos|boss|tauke|toke|agen|agent|calo|sponsor|tekong|mucikari|"
        r"germo|employer|madam|mandor|penjaga|suami|suaminya|dia|mereka|sidak|diorang|dorang|"
        r"orang itu|they|he|she)"
    ),
    "LEAVE": r"(?:keluar|pergi|pulang|balik|lari|kabur|ke luar|ke ?mana ke ?mana|ke ?mana mana)",
    # leaving a job, the country or going home on leave is not escaping a room
    "NOT_A_CAGE": (
        r"(?! (?:negeri|negara|dari (?:pekerjaan|kerja|grup|group|perusahaan|pt|aplikasi|"
        r"akun)|kerja|cuti))"
    ),
    "LEAVE_EN": (
        r"(?:leave|go out|get out|go outside|go home|escape|run away|return home|step out|"
        r"go back home)"
    ),
    # "tidak boleh keluar": someone is kept in
    "NEG_ALLOWED": (
        r"(?:(?:tidak|belum) (?:boleh|dibolehkan|diperbolehkan|dikasih|diberi|dibagi|"
        r"diizinkan|diijinkan|dibenarkan|dibiarkan)|dilarang)"
    ),
    # "tidak kasih keluar": someone keeps them in; the speaker may be that someone (a parent)
    "NEG_ALLOW": (
        r"(?:tidak (?:mau )?(?:kasih|bagi|izinkan|ijinkan|mengizinkan|benarkan|membenarkan|"
        r"membiarkan|biarkan|beri|memberi|lepas|lepaskan)|melarang|larang)"
    ),
    "NEG_ALLOW_EN": (
        r"(?:not allowed to|not permitted to|(?:do|does|did|will|would) not let (?:me|us|her|"
        r"him|them)|never let (?:me|us|her|him)|refuses? to let (?:me|us|her|him)|not letting "
        r"(?:me|us|her|him)|forbids? (?:me|us|her|him) to|(?:do|does|did|will) not allow "
        r"(?:me|us|her|him) to)"
    ),
    "UNABLE_EN": r"(?:cannot|can not|could not|unable to|not able to|no way to)",
    # the commodity before "dijual": "rumah saya mau dijual" is a house sale, not trafficking
    "GOODS": (
        r"(?:rumah|tanah|lahan|sawah|kebun|ladang|motor|mobil|hp|handphone|laptop|tv|emas|"
        r"perhiasan|kalung|cincin|barang|produk|makanan|kue|baju|sapi|kambing|ayam|ikan|"
        r"ternak|rokok|obat|data|akun|nomor|pulsa|tiket|visa|paspor|saham|toko|warung|aset|"
        r"properti|apartemen|jualan|dagangan|paket|voucher|kartu)"
    ),
}
_FRAGMENTS["VICTIM"] = (
    r"(?:<FIRST>|<REL>|dia|mereka|kamu|kau|anda|she|he|her|him|they|them|pekerja|tki|tkw|pmi|"
    r"cewek|cewe|perempuan|wanita|gadis|korban)"
)


def _expand(pattern: str) -> str:
    for _ in range(3):  # fragments may nest one level
        for name, fragment in _FRAGMENTS.items():
            pattern = pattern.replace(f"<{name}>", fragment)
    return pattern


def _rx(pattern: str) -> re.Pattern[str]:
    return re.compile(_expand(pattern))


@dataclass(frozen=True)
class _Rule:
    category: str
    pattern: re.Pattern[str]
    # The perpetrator is the grammatical subject and no victim is named ("majikan memukul"):
    # in a question framing this reads as a general question, not a report.
    active: bool = False
    # Text just before the match that voids it (what is being sold, whose number is asked).
    not_after: re.Pattern[str] | None = None


def _rule(category: str, pattern: str, *, active: bool = False, not_after: str | None = None) -> _Rule:
    before = _rx(not_after + r" $") if not_after else None
    return _Rule(category, _rx(pattern), active, before)


_RULES: tuple[_Rule, ...] = (
    # ---- self-harm: wanting to die, ending one's life (never downgraded)
    _rule("self_harm", r"\bbunuh (?:diri|dari)\b"),
    _rule(
        "self_harm",
        r"\b(?:mau|ingin|pengen|nak|rasa|rasanya|kepikiran|terpikir|mending|lebih baik|"
        r"baik|biar|biarlah|kepingin) (?:saya |aku |kamek )?mati\b"
        r"(?! (?:lampu|listrik|hp|baterai|batre|mesin|motor|mobil|gaya|ketawa|kutu|suri))",
    ),
    _rule("self_harm", r"\bmati (?:saja|lah)\b"),
    # "kalau sy mati siapa yang urus anak sy"; "kalau saya mati di malaysia" asks about insurance
    _rule("self_harm", r"\bkalau <FIRST> (?:sudah )?mati\b(?! di)"),
    _rule(
        "self_harm",
        r"\btidak (?:mau|ingin|nak|pengen|sanggup|kuat|tahan|sudi) (?:\w+ )?hidup\b",
    ),
    _rule(
        "self_harm",
        r"\b(?:capek|cape|capai|lelah|penat|muak|bosan|benci|malas|putus asa dengan) hidup\b",
    ),
    _rule("self_harm", r"\b(?:akhiri|mengakhiri|akhirkan|menamatkan|tamatkan) (?:\w+ )?(?:hidup|nyawa)\b"),
    _rule(
        "self_harm",
        r"\b(?:gantung diri|minum racun|minum obat nyamuk|potong nadi|iris nadi|sayat "
        r"(?:tangan|nadi)|(?:menyakiti|sakiti|lukai|melukai) diri)\b",
    ),
    _rule(
        "self_harm",
        r"\b(?:mau|ingin|pengen|nak) (?:lompat|melompat|loncat|terjun)\b|\b(?:lompat|loncat|"
        r"terjun) dari "
        r"(?:\w+ ){0,2}(?:lantai|gedung|jendela|balkon|atap|apartemen|jembatan)\b",
    ),
    _rule(
        "self_harm",
        r"\b(?:kill(?:ing)? (?:myself|herself|himself|themselves)|suicid\w*|end(?:ing)? (?:my|her|his|their|it) (?:life|all)|end it all|take my "
        r"(?:own )?life|(?:wants?|wanna|going|gonna) (?:to )?die|(?:do not|never) want to live|"
        r"no reason to live|(?:hurt|cut|harm)(?:ing)? myself|better off dead)\b",
    ),
    # ---- sexual violence: rape, abuse, forced prostitution (never downgraded)
    _rule("sexual_violence", r"\b(?:di|d|mem|kena )p[ei]?rkosa?h?\b|\bperkosa <VICTIM>\b"),
    _rule("sexual_violence", r"\b<AGENT> (?:\w+ ){0,2}?(?:perkosa|memperkosa|rogol|merogol)\b"),
    _rule("sexual_violence", r"\b(?:di|kena |me)?rogol\b|\b(?:di|me)?rudapaksa\b"),
    _rule("sexual_violence", r"\b(?:di|d)cabul(?:i|in)?\b|\bmencabuli\b|\bkena cabul\b"),
    _rule(
        "sexual_violence",
        r"\bdi(?:gagahi|setubuhi|gauli|gerayangi|grepe|grepein|raba)\b|\bdipegang pegang\b|"
        r"\bdicium (?:paksa|majikan|bos)\b|\bdiintip (?:\w+ )?mandi\b|\b(?:pegang pegang|"
        r"meraba|raba raba|grepe) (?:<VICTIM>|badan|dada|paha|pantat)\b",
    ),
    _rule(
        "sexual_violence",
        r"\b(?:di|d)lecehkan\b|\bdilecehin\b|\bkena leceh\w*|\bmelecehkan <VICTIM>\b|"
        r"\b(?:mengalami|alami|kena|korban|jadi korban|dapat) pelecehan\b|"
        r"\bpelecehan (?:seksual )?(?:oleh|dari|sama|dengan|by)\b",
    ),
    _rule(
        "sexual_violence",
        r"\b(?:<FIRST>|<REL>|dia) (?:\w+ ){0,2}korban (?:perkosaan|pemerkosaan|pelecehan|"
        r"pencabulan|kekerasan seksual)\b",
    ),
    _rule(
        "sexual_violence",
        r"\b(?:dipaksa|disuruh|dijadikan|dijadiin|dijual) (?:untuk |jadi |menjadi |sebagai )?"
        r"(?:psk|pelacur|lonte|wts|pekerja seks|budak seks|lc|pemandu lagu|melacur|"
        r"menjual diri|jual diri|tidur dengan|tidur sama|ml|seks|sex|gituan|begituan|"
        r"berhubungan|nemenin tamu|menemani tamu|temani tamu|temenin tamu)\b",
    ),
    _rule(
        "sexual_violence",
        r"\bdipaksa (?:untuk )?(?:melayani|layan|layani|layanin|melayan|ngelayanin|ngelayani)\b"
        r"|\bdisuruh (?:melayani|layani|layanin|ngelayanin|ngelayani) (?:tamu|om|lelaki|pria)\b",
    ),
    _rule(
        "sexual_violence",
        r"\b(?:dipaksa|disuruh|dijual|dibawa|dipekerjakan|dikirim) (?:\w+ ){0,3}?(?:rumah bordil|"
        r"bordil|lokalisasi|tempat prostitusi|tempat pelacuran)\b",
    ),
    _rule(
        "sexual_violence",
        r"\bmasuk (?:kamar|bilik) (?:<FIRST>|<REL>) (?:\w+ ){0,3}?(?:memaksa|maksa|paksa|raba|"
        r"meraba|pegang|memegang|cium|mencium)\b",
    ),
    _rule(
        "sexual_violence",
        r"\bhamil (?:karena|oleh|sama|dari) (?:dipaksa|diperkosa|majikan|bos|anak majikan|agen)\b",
    ),
    _rule(
        "sexual_violence",
        r"\braped\b|\b(?:rape|rapes|raping) (?:me|her|us|him)\b|\b(?:tried|try|want|wants|"
        r"going) to rape\b|\bsexually (?:abused|assaulted|harassed|harrassed|exploited)\b|"
        r"\bsexual (?:harassment|harrasment|harasment|abuse|assault) (?:by|from)\b|"
        r"\b(?:experiencing|experienced|suffering|victim of|facing|getting|got) sexual "
        r"(?:harassment|harrasment|abuse|assault)\b|\bharass(?:ed|es|ing)? (?:me|us|her)\b|"
        r"\bmolest(?:ed|s|ing)?\b|\bgrop(?:e|ed|es|ing)\b|\btouch(?:es|ed|ing)? (?:me|her|us)"
        r" (?:inappropriately|everywhere|at night|private\w*)\b|\btouching me\b|\bforced "
        r"(?:me |her |us )?(?:to|into) (?:have sex|sex|sleep with|prostitution|be a "
        r"prostitute|serve (?:men|customers|clients|guests)|sell (?:my|her)self)\b|"
        r"\bmade (?:me|her) sleep with\b|\bforc(?:e|es|ed|ing) (?:me |her |us )?into "
        r"(?:prostitution|sex)\b",
    ),
    # ---- confinement: locked in, held, not allowed out
    _rule("confinement", r"\b(?:di|d|ter|kena )ku?r[ou]ng(?:i|in|kan|nya)?\b"),
    _rule(
        "confinement",
        r"\b(?:ditahan|kena tahan) (?:di|dalam|kat) (?:rumah|kamar|bilik|mess|gudang|"
        r"penampungan|ruko|apartemen|hotel|asrama|kapal|gedung)\b",
    ),
    _rule("confinement", r"\b(?:di|d|ter|kena )se?k[ae]p(?:in|nya)?\b"),
    _rule(
        "confinement",
        r"\b(?:di|ter)(?:kerangkeng|pasung|sandera|culik)\w*|\bkena culik\b|\bdigembok\b",
    ),
    _rule(
        "confinement",
        r"\b(?:mengurung|ngurung|ngurungin|menyekap|nyekap|menyandera|menculik|nyulik|kurung|"
        r"sekap|kunci|mengunci|ngunci|ngonci)(?:in|kan)? <VICTIM>\b",
    ),
    _rule(
        "confinement",
        r"\b<AGENT> (?:\w+ ){0,3}?(?:mengurung|ngurung|menyekap|nyekap|menyandera|menculik)\b",
        active=True,
    ),
    _rule("confinement", r"\b(?:di|d|ter|kena )k[ou]nci(?:in|kan)? (?:\w+ )?(?:di|dalam|dari luar|kat)\b"),
    _rule(
        "confinement",
        r"\b(?:kamar|pintu|rumah|ruangan|bilik|gudang|mess|asrama|room|door) (?:\w+ ){0,3}?"
        r"(?:dikunci|terkunci|dikunciin)\b",
    ),
    _rule(
        "confinement",
        r"\b<NEG_ALLOWED> (?:<VICTIM> )?(?:untuk |buat )?<LEAVE>\b<NOT_A_CAGE>",
    ),
    _rule(
        "confinement",
        r"\b<NEG_ALLOW> (?:<VICTIM> )?(?:untuk |buat )?<LEAVE>\b<NOT_A_CAGE>",
        # "saya tidak izinkan dia pergi", "orang tua saya melarang saya pergi": a parent
        # ("ibu" is left out: domestic workers call the employer's wife "ibu")
        not_after=r"(?:(?:^|\b(?:dan|tapi|jadi|karena|makanya|kalau) )(?:saya|aku|kami|kamek|i|"
        r"we)|\b(?:orang tua|ortu)(?: saya| aku| kamek)?)(?: (?:juga|sudah|sendiri|memang))?",
    ),
    _rule(
        "confinement",
        r"\b<LEAVE> (?:\w+ ){0,3}?(?:tidak|belum) (?:dikasih|diberi|dibagi|diizinkan|"
        r"diijinkan|dibenarkan|dibolehkan|boleh|diperbolehkan|dilepas|dilepaskan|kasih|kasi|"
        r"bagi|izinkan|benarkan|lepas)\b"
        # Malay "tak boleh dihubungi" means unreachable, a missing-person report
        r"(?! (?:dihubungi|hubungi|ditelepon|ditelpon|dikontak|dicall|dichat))",
    ),
    _rule(
        "confinement",
        r"\btidak (?:bisa|dapat|mampu) (?:keluar|kabur|lari)\b(?! (?:negeri|negara|dari "
        r"(?:pekerjaan|kerja|grup|group|perusahaan|pt|aplikasi|akun|kontrak)|kerja))",
        not_after=r"\b(?:gaji|visa|paspor|hasil|izin|surat|dokumen|uang|sertifikat|ktp|kartu|"
        r"data|nomor|tiket|jadwal|suara|air)\b(?: \w+){0,2}",
    ),
    _rule(
        "confinement",
        r"\b(?:di|d)(?:ikat|rantai|borgol)\b|\btied up\b|\bchained\b|\bhandcuffed\b",
    ),
    _rule("confinement", r"\bterjebak\b(?! (?:macet|hujan|banjir|utang|hutang|pinjol))"),
    _rule(
        "confinement",
        r"\b(?:locked|lock|locks|locking) (?:me |us |her |him |them |my \w+ )?(?:in|up|inside)"
        r"\b(?! (?:a |the |my )?contract)|\b(?:am|is|are|was|were|been|being|got|keep|keeps|"
        r"kept) (?:\w+ )?locked\b",
    ),
    _rule(
        "confinement",
        r"\btrapped\b|\bheld (?:captive|hostage|prisoner|against (?:my|her|his|our|their) "
        r"will)\b|\bkept (?:me |us |her |him )?(?:captive|prisoner|hostage|locked|inside)\b|"
        r"\bhostage\b|\bkidnap\w*|\babduct\w*|\b(?:is|are|am|was|were|being|been) held "
        r"(?:by|in|at|inside)\b|\blocked (?:room|house|building|compound|place)\b|\bkeeps? "
        r"(?:me|us|her|him) (?:in|inside)\b|\block(?:s|ed)? (?:the|our|my) (?:door|room|gate)\b",
    ),
    _rule(
        "confinement",
        r"\b(?:<NEG_ALLOW_EN>|<UNABLE_EN>) (?:\w+ )?<LEAVE_EN>\b(?! (?:my |the |this )?"
        r"(?:job|work|company|contract|country|agency))",
    ),
    # ---- violence: beaten, tortured, injured
    _rule(
        "violence",
        r"\b(?:di|d|kena )(?:p[ou]?k[ou]?l|tampar|tempeleng|gampar|tendang|sepak|terajang|"
        r"tinju|tonjok|hajar|gebuk|injak|jambak|cekik|cambuk|sebat|rotan|si?ksa|seksa|"
        r"aniaya|dera|belasah|bantai|lempang|sundut|setrum|tusuk|tikam|bacok|lukai|sakiti|"
        r"keroyok|hantam|pijak)(?:i|in|kan|nya)?\b(?! rata)",  # "dipukul rata": averaged
    ),
    _rule(
        "violence",
        r"\b(?:disiram|kena siram) (?:\w+ )?(?:air panas|air mendidih|minyak|air keras|bensin)\b"
        r"|\b(?:di|kena )?set[e]?rika (?:tangan|badan|punggung|kaki|muka|kulit)\b",
    ),
    _rule(
        "violence",
        r"\b(?:memukul(?:i)?|mukul(?:in)?|menampar|nampar|menendang|nendang|menyepak|meninju|"
        r"nonjok|menonjok|menghajar|ngehajar|menyiksa|nyiksa|menganiaya|mendera|mencekik|"
        r"nyekik|menjambak|njambak|menginjak|nginjek|menyundut|menyetrum|nyetrum|menusuk|"
        r"menikam|membacok|melukai|menyakiti|nyakitin|membelasah|melempang|pukul|pukol|tampar|"
        r"tendang|sepak|siksa|hajar|belasah|lempang|terajang) <VICTIM>\b",
    ),
    _rule(
        "violence",
        r"\b<AGENT> (?:\w+ ){0,3}?(?:memukul(?:i)?|mukul(?:in)?|menampar|nampar|menendang|"
        r"nendang|menyepak|meninju|nonjok|menonjok|menghajar|menyiksa|nyiksa|menganiaya|"
        r"mendera|mencekik|menjambak|menginjak|menyundut|menyetrum|menusuk|menikam|membacok|"
        r"pukul|pukol|tampar|tendang|sepak|siksa|hajar|belasah|lempang|terajang)\b(?! \d)",
        active=True,
    ),
    _rule(
        "violence",
        r"\b(?:badan|muka|wajah|tangan|kaki|kepala|punggung|tubuh|pipi|mata|body|face) "
        r"(?:\w+ ){0,2}?(?:lebam|memar|berdarah|bengkak|bruised|bleeding|swollen)\b",
    ),
    _rule(
        "violence",
        r"\b(?:mengalami|alami|kena|jadi korban|korban|dapat) (?:kekerasan|kdrt)\b|\bkdrt\b",
        active=True,
    ),
    _rule(
        "violence",
        r"\b(?:beat|beats|beating|beaten|hit|hits|hitting|kick|kicks|kicked|kicking|slap|"
        r"slaps|slapped|slapping|punch|punches|punched|punching|abuse|abuses|abused|abusing|"
        r"torture|tortures|tortured|torturing|hurt|hurts|hurting|burn|burns|burned|burnt|"
        r"choke|chokes|choked|choking|whip|whips|whipped|attack|attacks|attacked|strangled|"
        # "hurt my back" is an injury at work; "hurt my sister" is violence
        r"stab|stabbed) (?:me|us|her|him|them|my <REL>|our <REL>)\b",
    ),
    _rule(
        "violence",
        r"\b(?:was|were|got|get|gets|been|being|am|is|are) (?:\w+ )?(?:beaten|hit|kicked|"
        r"slapped|punched|abused|tortured|burned|burnt|attacked|stabbed|whipped|assaulted)\b|"
        r"\bbeaten up\b|\bphysically abus\w*",
    ),
    # ---- threat: threatened, to be killed
    _rule(
        "threat",
        r"\b(?:di|d|kena )(?:a?nca?m|ancem|ugut|teror|intimidasi)(?:in|i|nya)?\b(?! (?:dengan )?"
        r"(?:pidana|hukuman|penjara|denda|kurungan|sanksi|pecat|dipecat|phk|potong|dipotong|"
        r"deportasi|dideportasi|dipulangkan|blacklist))",
    ),
    _rule(
        "threat",
        r"\bterancam\b(?! (?:hukuman|pidana|penjara|denda|dipecat|phk|gagal|batal|punah|"
        r"deportasi|dideportasi|dipulangkan|kehilangan|diputus|tidak))",
    ),
    _rule(
        "threat",
        r"\b(?:mengancam|ngancam|ngancem|ancam|ugut|mengugut|meneror|neror)(?:in)? "
        r"(?:<VICTIM>|mau|akan|nak|bunuh|membunuh)\b",
    ),
    _rule(
        "threat",
        r"\b<AGENT> (?:\w+ ){0,2}?(?:mengancam|ngancam|ngancem|ancam|ugut|mengugut)\b"
        r"(?! (?:pecat|phk|potong|denda))",
        active=True,
    ),
    _rule("threat", r"\b(?:di|d)bun[ou]h\b|\bdihabisi\b"),
    _rule("threat", r"\b(?:ditodong|menodong|nodong|todong)\b|\bat knifepoint\b|\bat gunpoint\b"),
    _rule(
        "threat",
        r"\b(?:mau|akan|nak|hendak|ingin|ancam|mengancam|bilang|kata|bakal|coba|mencoba|"
        r"pengen)? ?(?:bun[ou]h|membun[ou]h|habisi|menghabisi) (?:<VICTIM>)\b",
    ),
    _rule(
        "threat",
        r"\bthreat(?:en|ens|ened|ening)\b|\bdeath threats?\b|\b(?:will|would|gonna|going to|"
        r"want to|wants to|wanna|tried to|try to|said (?:he|she|they) will) (?:\w+ )?(?:kill|"
        r"murder|hurt|harm|beat) (?:me|us|her|him|my|our|them|you)\b|\bkill (?:me|us)\b",
    ),
    # ---- sold / trafficked now
    _rule(
        "sold",
        r"\b(?:(?:mau|akan|nak|hendak|sudah|telah|pernah|bakal|ingin|sedang|lagi) )?"
        r"(?:dijual|djual|dijualin|dijualbelikan|diperjualbelikan|diperdagangkan)\b",
        # "di rumah majikan saya dijual": after a preposition the noun is a place, not goods
        not_after=r"(?:\b(?<!di )(?<!ke )(?<!dari )(?<!kat )(?<!dalam )<GOODS>\b(?: \w+){0,2}|"
        r"\bapa (?:saja )?yang)",
    ),
    _rule("sold", r"\bkena jual\b|\bdibeli (?:oleh |sama )?<AGENT>\b"),
    _rule(
        "sold",
        r"\b(?:menjual|jual|jualin|ngejual|memperdagangkan|menjualbelikan) (?:<FIRST>|<REL>|"
        r"dia|mereka)\b",
    ),
    _rule(
        "sold",
        r"\b(?:sold|sell|sells|selling|traded|trading) (?:me|us|her|him|them|my <REL>|our "
        r"<REL>)\b|\b(?:<FIRST>|she|he|they|<REL>) (?:was|were|got|has been|have been|had "
        r"been|is being|are being|am being|is|am|are|will be|going to be|gonna be|get) "
        r"(?:\w+ )?(?:sold|trafficked)\b|\b(?:and|then) (?:was |were |got )?(?:sold|trafficked)\b",
    ),
    _rule(
        "sold",
        r"\b(?:dipaksa|mau dipaksa) (?:untuk )?(?:kawin|nikah|menikah|dinikahkan)\b|"
        r"\b(?:dinikahkan|dikawinkan) (?:secara )?paksa\b|\bforced (?:me |her "
        r")?(?:to marry|into marriage)\b",
    ),
    # ---- danger now: in danger, SOS, no food, forced labour, wants to escape
    _rule(
        "danger_now",
        r"\bdalam bahaya\b|\bin danger\b|\b(?:nyawa|jiwa|keselamatan) (?:\w+ ){0,2}?"
        r"(?:terancam|dalam bahaya)\b",
    ),
    _rule("danger_now", r"\bsos\b|\bs o s\b"),
    _rule(
        "danger_now",
        r"\b(?:darurat|emergency|emergensi)\b(?! (?:nomor|nomer|no|number|kontak|contact|"
        r"hotline|telepon|telp|call|line|paspor|dokumen|document|surat|spl|splp|travel|dana|"
        r"fund|exit|kit|room|department|service|services|apa|what))",
        active=True,
        not_after=r"\b(?:nomor|nomer|no|kontak|telepon|telp|hotline|dana|paspor|surat|layanan|"
        r"number|contact|hubungi|dokumen|jika|kalau|bila|apabila|if|in case of|"
        r"keadaan|situasi|kondisi)(?: \w+)?",
    ),
    _rule(
        "danger_now",
        r"\b(?:tolong tolong|help help|tolong help|help tolong)\b|\bselamatkan <VICTIM>\b|"
        r"\btolong (?:\w+ )?(?:selamatkan|keluarkan|bebaskan)\b|\b(?:save|rescue) (?:me|us|"
        r"her|him|my <REL>)\b|\bget (?:me|us) out\b|\bbantu (?:saya|kami|aku|kamek) "
        r"(?:keluar|kabur|lari)\b|\bkeluarkan (?:<FIRST>|<REL>|dia) (?:\w+ )?dari\b",
    ),
    _rule(
        "danger_now",
        r"\b(?:tidak|belum) (?:\w+ )?(?:dikasih|diberi|dibagi|dapat|kasih|beri|bagi|memberi|"
        r"diizinkan) (?:\w+ )?(?:makan|minum|makanan|minuman)\b|\b(?:\d+|dua|tiga|empat|"
        r"beberapa|berhari) (?:hari|hr) (?:\w+ )?(?:tidak|belum) makan\b|\b<FIRST> "
        r"(?:\w+ )?kelaparan\b",
    ),
    _rule(
        "danger_now",
        r"\b(?:not|never|no) (?:\w+ )?(?:given|fed|feed|give) (?:\w+ )?(?:food|anything to "
        r"eat|me|us)\b|\bnot fed\b|\b(?:am|are|were) starving\b|\b(?:have|has|had|got) no "
        r"food\b",
    ),
    _rule(
        "danger_now",
        r"\bdipaksa (?:untuk )?(?:kerja|bekerja|menipu|nipu|scam|main judi|judi)\b|\bforced "
        r"(?:me |us |her )?to (?:work|scam)\b|\bdipekerjakan (?:secara )?paksa\b",
    ),
    _rule(
        "danger_now",
        r"\b(?<!tidak )(?:mau|ingin|pengen|nak|want to|wanna|need to|trying to|try to|plan to|"
        r"berencana|rencana|coba|mencoba) (?:\w+ )?(?:kabur|lari|escape|run away)\b"
        # running from one's parents to go and work is a different story
        r"(?! (?:pagi|sore|dari (?:rumah )?(?:orang tua|ortu|sekolah|kampung)))|\bkabur dari (?:rumah )?"
        r"(?:majikan|agen|bos|penampungan|tempat kerja|mess|asrama|kapal|perusahaan)\b|"
        r"\b(?:ran|run|escaped|running) away from (?:my |the )?(?:employer|agent|boss|house)\b",
    ),
    _rule(
        "danger_now",
        r"\b(?:<FIRST>|<REL>|dia|kami) (?:\w+ ){0,2}?(?:sembunyi|bersembunyi|ngumpet|hiding)\b|"
        r"\btakut (?:keluar|pulang ke rumah majikan|balik ke majikan)\b|\b(?:lelaki |laki )?"
        r"masuk (?:kamar|bilik) (?:<FIRST>|<REL>) (?:\w+ )?(?:malam|tengah malam)\b|\bdibawa (?:secara )?"
        r"paksa\b|\b(?:dibawa|bawa <VICTIM>) ke tempat yang tidak (?:saya |kami )?(?:tahu|"
        r"tau|kenal)\b|\btaken (?:me |us )?by force\b",
    ),
    _rule(
        "danger_now",
        r"\b<FIRST> (?:\w+ ){0,2}?(?:tidak|not|belum) (?:merasa |feel )?(?:aman|safe)\b|"
        r"\b(?:tidak aman|not safe) (?:di sini|disini|here|sekarang|now)\b",
    ),
    _rule(
        "danger_now",
        r"\b(?:uang )?tebusan\b|\bransom\b|\bminta (?:uang )?tebus\w*",
        active=True,
    ),
)

# A whole message that is only a cry for help. "help", "help me", "/help" ask for the menu in
# English, so English needs an urgency word; "tolong" alone is a cry.
_CRY_ONLY = _rx(
    r"^(?:(?:cepat |please )?(?:tolong|selamatkan|sos)(?: (?:saya|aku|kami|kamek|please|tolong|"
    r"cepat|segera|sekarang|lah|kak|min|pak|bu))*|(?:please )?(?:help|save|rescue)(?: me| us)?"
    r"(?: please)? (?:now|asap|quick|quickly|urgent|hurry))$"
)

# ---- passport held: only urgent together with being unable to leave or present distress.
# "Can my employer keep my passport?" is a rights question, not an emergency.
_PASSPORT_HELD = _rx(
    r"\b(?:paspor|dokumen|ktp|ic)(?:nya| <FIRST>| <REL>| dia)? (?:\w+ ){0,2}?(?:ditahan|"
    r"(?:pun |juga )?(?:<AGENT>|die) (?:simpan|tahan|pegang|ambil|sita)|"
    r"diambil|disita|dipegang|disimpan|dirampas|dibawa|dikuasai|tidak dikembalikan|tidak "
    r"dibalikin|tidak dikasih|kena tahan|kena ambil|kena sita|ada (?:di|sama|pada|kat|dengan)"
    r" <AGENT>|(?:di|sama|kat) <AGENT>|(?:was |is |has been |being )?(?:taken|kept|held|"
    r"confiscated|withheld|seized))\b"
    r"|\b<AGENT> (?:\w+ ){0,2}?(?:tahan|menahan|nahan|ambil|mengambil|ngambil|sita|menyita|"
    r"pegang|memegang|simpan|menyimpan|rampas|merampas|took|take|takes|keep|keeps|kept|hold|"
    r"holds|holding|confiscated|seized|withholds?|withheld|has|have) (?:<FIRST> |<REL> )?"
    r"(?:paspor|dokumen)\b"
    r"|\b(?:took|taken|kept|keeps|holding|confiscated|seized|withheld|withholding|not return|"
    r"never returned|refuses? to return) (?:my |our |her |his )?paspor\b"
)
_CANNOT_LEAVE = _rx(
    # "tidak mau kabur" (does not want to run) is the opposite
    r"\b(?:tidak|belum|cannot|can not|not|unable to|never) (?:(?!mau|ingin|pengen|nak|want)"
    r"\w+ ){0,2}?(?:<LEAVE>|"
    r"<LEAVE_EN>)\b|\b(?:terjebak|stuck|trapped|terkurung)\b"
)
_WANTS_OUT = _rx(
    r"\b(?<!tidak )(?:mau|ingin|pengen|nak|want to|wanna|need to) (?:\w+ )?(?:pulang|balik|keluar|kabur|"
    r"lari|go home|leave|escape|return home)\b"
)
_DISTRESS = _rx(
    r"\b(?:takut|ketakutan|stres|stress|depresi|nangis|menangis|tertekan|putus asa|scared|"
    r"afraid|terrified|desperate)\b(?! (?:ditipu|tertipu|kena tipu|salah|gagal|ditolak|"
    r"ilegal|illegal|scam|dibohongi|telat|terlambat))"
)

# A concrete call for help aimed at the speaker. "tolong saya mau tanya" and "help me find a
# job" are requests for information.
_EXPLICIT_HELP = _rx(
    r"\b(?:tolong|help|bantu|selamatkan|save|rescue) (?:lah )?(?:saya|aku|kami|kamek|me|us)"
    r"\b(?! (?:mau |ingin |untuk |nak |to )?(?:tanya|bertanya|nanya|menanyakan|cek|check|"
    r"jelaskan|explain|find|cari|carikan|understand|paham|info|informasi|with|dengan|daftar|"
    r"register|apply|know|tahu))|\b(?:tolong tolong|help help)\b|\bsos\b"
)

# ---- framings that make a weak match a general question rather than a report.
# A rule or definition question ("apakah ... boleh", "apa itu", "pasal") is general even
# without a subject; a hypothetical or a how-to-report question is general only when it names
# a generic subject ("kalau pekerja dikurung"), since victims ask "dikurung, lapor kemana?".
_RULE_QUESTION = _rx(
    r"\b(?:hukum\w*|pidana|penjara|dipenjara|dituntut|sanksi|pasal|undang undang|uu|legal|"
    r"melanggar|dihukum|hak|rights?|law|laws|penalty|punish\w*|denda|diperbolehkan|"
    r"dibolehkan|bolehkah|wajar|termasuk|allowed|kompensasi|ganti rugi|restitusi|santunan|"
    r"asuransi|klaim|melindungi|perlindungan|tips|protect|hindari|menghindari|avoid)\b|"
    r"\bapakah (?:\w+ ){0,3}boleh\b|\b(?:apakah )?aman (?:tidak|kah)\b|\bis it safe\b|"
    r"\bbahaya (?:tidak|kah)\b|"
    r"\bboleh (?:tidak|kah)\b|\bitu boleh\b|\bis (?:it|that|this) (?:legal|allowed|ok|okay|"
    r"normal)\b"
    r"|\b(?:apa itu|apa yang dimaksud|arti|definisi|contoh|ciri|tanda|modus|what is|what are"
    r"|meaning|definition|signs?|examples?|pencegahan|mencegah|sosialisasi|penyuluhan|"
    r"edukasi|materi|seminar|artikel|berita|news|film|video|tugas|skripsi|penelitian|"
    r"research)\b"
    # hearsay and "why are so many...": talk about others in general
    r"|\b(?:katanya|kata orang|ada yang bilang|dengar dengar|konon|rumornya|they say|people say)\b"
    r"|\b(?:kenapa|mengapa|why) (?:\w+ )?(?:banyak|sering|many|so many)\b|\bbanyak (?:tki|tkw|pmi|"
    r"pekerja|orang|wni|perempuan|wanita)\b"
    r"|\bapakah (?:\w+ ){0,3}(?:dilarang|harus|wajib)\b|\b(?:normal|aturan|peraturan|"
    r"resmi|rules?|regulations?)\b"
)
_HYPOTHETICAL = _rx(
    r"\b(?:kalau|jika|jikalau|apabila|bila|seandainya|andaikan|andai|misalnya|misal|"
    r"umpamanya|semisal|if|suppose|supposing|in case|what happens when)\b"
    r"|\b(?:cara|bagaimana|how to|how do i|how can i) (?:cara )?(?:lapor|melapor|melaporkan|"
    r"report|mencegah|menghindari|prevent|avoid)\b|\blapor (?:ke )?mana\b|\bke ?mana "
    r"(?:harus )?lapor\b"
)
# Someone other than a concrete victim is the subject: "pekerja", "someone", generic "kita".
_GENERIC_SUBJECT = _rx(
    r"\b(?:pekerja|buruh|karyawan|tki|tkw|pmi|art|pembantu|seseorang|orang|korban|warga|wni|"
    r"perempuan|wanita|kita|kamu|anda|worker|workers|employee|employees|maid|maids|victim|"
    r"victims|migrant|migrants|someone|somebody|anyone|person|people|staff|you)\b"
)
# The asker's own "saya" in "saya mau tanya" does not make them the victim.
_ASKER_PREAMBLE = _rx(
    r"\b(?:saya|aku|kamek|i) (?:\w+ )?(?:mau|ingin|pengen|nak|numpang|izin|ijin|boleh|cuma|"
    r"hanya|want to|would like to|wanna) (?:\w+ )?(?:tanya|bertanya|nanya|menanyakan|tahu|"
    r"ask|know)\b|\b(?:mau|nak|numpang|izin|ijin) (?:tanya|bertanya|nanya)\b|\b(?:can|may) "
    r"i ask\b|\bi have a question\b|\b(?:saya|aku|i) (?:pernah )?(?:dengar|baca|lihat|nonton|"
    r"heard|read|saw|watched)\b|\bmenurut saya\b|\b(?:saya|aku|i am|im) (?:seorang |a )?"
    r"(?:mahasiswa|mahasiswi|guru|dosen|wartawan|peneliti|siswa|pelajar|student|teacher|"
    r"journalist|researcher)\b"
)
_PERSONAL = _rx(
    r"\b<FIRST>\b|\b<REL>(?:ku|nya)\b|\b(?:sekarang|sedang|masih|tadi|barusan|hari ini|malam "
    r"ini|tiap hari|setiap hari|now|right now|currently|still|tonight|today|every day|"
    r"everyday)\b|\b(?:di sini|disini|sebelah|here|next door|neighbou?r)\b|\bada (?:\w+ )"
    r"{0,2}yang (?:di|ter|kena)\w+"
)
# Past harm, now safe: "dulu dipukul majikan, sekarang sudah di kampung" is a rights question.
_PAST = _rx(r"\b(?:dulu|dahulu|pernah|waktu itu|tahun lalu|sebelumnya|used to|back then|last year)\b")
_SAFE_NOW = _rx(
    r"\b(?:sudah|telah) (?!(?:tidak|belum|mau|ingin|nak|pengen)\b)(?:\w+ )?(?:pulang|kembali|"
    r"balik|di rumah|di indonesia|di kampung|selamat|bebas|aman|keluar dari sana|"
    r"dipulangkan|dideportasi)\b|\b(?:sekarang|kini) (?:sudah |saya |kami |dia )*(?:aman|"
    r"selamat|di indonesia|di rumah|di kampung|bebas)\b|\b(?:already|now) (?:back )?(?:home|"
    r"safe)\b|\bsafe now\b"
)
_PRESENT = _rx(r"\b(?:masih|sedang|tadi|barusan|hari ini|malam ini|right now|currently|still|tonight)\b")
_SENTENCE_END = re.compile(r"[.!?;\n\u3002]+")


# --------------------------------------------------------------------------------------------
# check()
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Hit:
    category: str
    fragment: str
    clause: str  # the normalised sentence it was found in
    active: bool


def _clauses(text: str) -> list[tuple[int, str]]:
    """Normalise each sentence separately; return (start offset in the joined text, clause)."""
    out: list[tuple[int, str]] = []
    offset = 0
    for sentence in _SENTENCE_END.split(text):
        clause = normalise(sentence)
        if clause:
            out.append((offset, clause))
            offset += len(clause) + 1
    return out


def _clause_at(clauses: list[tuple[int, str]], position: int) -> tuple[int, str]:
    current = clauses[0]
    for start, clause in clauses:
        if start > position:
            break
        current = (start, clause)
    return current


# How far back a rule looks for the words that void it; also keeps long messages linear.
_LOOKBACK = 120


def _rule_hits(joined: str, clauses: list[tuple[int, str]]) -> list[_Hit]:
    hits: list[_Hit] = []
    for rule in _RULES:
        for m in rule.pattern.finditer(joined):
            start, clause = _clause_at(clauses, m.start())
            before = joined[max(start, m.start() - _LOOKBACK) : m.start()]
            if rule.not_after and rule.not_after.search(before):
                continue
            hits.append(_Hit(rule.category, m.group(0).strip(), clause, rule.active))
    return hits


def _combination_hits(joined: str) -> list[_Hit]:
    hits: list[_Hit] = []
    if m := _CRY_ONLY.match(joined):
        hits.append(_Hit("danger_now", m.group(0), joined, active=False))
    held = _PASSPORT_HELD.search(joined)
    if held:
        why = (
            _CANNOT_LEAVE.search(joined)
            or _WANTS_OUT.search(joined)
            or _DISTRESS.search(joined)
            or _EXPLICIT_HELP.search(joined)
        )
        if why:
            hits.append(_Hit("passport_held_cannot_leave", held.group(0), joined, False))
            hits.append(_Hit("passport_held_cannot_leave", why.group(0), joined, False))
    fear = _DISTRESS.search(joined)
    plea = _EXPLICIT_HELP.search(joined)
    if fear and plea:
        hits.append(_Hit("danger_now", fear.group(0), joined, False))
        hits.append(_Hit("danger_now", plea.group(0), joined, False))
    return hits


def _is_downgraded(hit: _Hit, *, personal: bool, safe_again: bool) -> bool:
    """A weak hit inside a general question or a past-and-safe story is not an emergency."""
    if hit.category in _STRONG:
        return False
    if safe_again:
        return True
    if personal:
        return False
    if _RULE_QUESTION.search(hit.clause):
        return True
    if not _HYPOTHETICAL.search(hit.clause):
        return False
    # Dropped-subject passives ("dikurung majikan, lapor kemana?") are the speaker's own.
    implicit_victim = not hit.active and not _GENERIC_SUBJECT.search(hit.clause)
    return not implicit_victim


def check(text: str) -> SafetyVerdict:
    """Decide whether a message describes someone in danger now."""
    clauses = _clauses(text)
    if not clauses:
        return SafetyVerdict(False, (), ())
    joined = " ".join(clause for _, clause in clauses)
    hits = _rule_hits(joined, clauses) + _combination_hits(joined)
    if not hits:
        return SafetyVerdict(False, (), ())

    explicit_help = bool(_EXPLICIT_HELP.search(joined))
    personal = explicit_help or bool(_PERSONAL.search(_ASKER_PREAMBLE.sub(" ", joined)))
    safe_again = (
        not explicit_help
        and bool(_PAST.search(joined) and _SAFE_NOW.search(joined))
        and not _PRESENT.search(joined)
    )
    kept = [h for h in hits if not _is_downgraded(h, personal=personal, safe_again=safe_again)]
    if not kept:
        return SafetyVerdict(False, (), ())
    found = {h.category for h in kept}
    reasons = tuple(c for c in CATEGORIES if c in found)
    matched = tuple(dict.fromkeys(h.fragment for h in kept))
    return SafetyVerdict(True, reasons, matched)
