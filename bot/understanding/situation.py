"""Who is writing and what they are living through, read from the words (no Rasa needed).

- `for_someone_else`: a relative or friend writes about the person in trouble ("anak sy di kamboja
  disekap"), so the reply tells a family what to do instead of asking the victim where they are.
- `money_demand`: someone asks for ransom, "tebusan" or a "denda" to release a person.
- `distress_only`: crying or pleading with no words ("😭😭🙏🙏").
- `work_problems`: a worker's own trouble at work: unpaid wages, passport held, contract changed,
  sick, wants to go home, undocumented, facing deportation.

May import only the standard library and the understanding package's pure helpers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.understanding import language, places
from bot.understanding.normalise import fold_message
from bot.understanding.places import Place

_REL = (
    r"(?:adik|adiknya|kakak|abang|ibu|mak|emak|mama|mamak|bapak|ayah|abah|anak|istri|bini|suami|teman|"
    r"kawan|sahabat|pacar|keponakan|ponakan|sepupu|saudara|saudari|tetangga|cucu|ipar|mertua|keluarga|"
    r"sister|brother|daughter|son|wife|husband|friend|mother|mom|mum|father|dad|cousin|niece|nephew|"
    r"aunt|uncle|girlfriend|boyfriend|family|child|kid)"
)
_RELATIVE = re.compile(
    rf"\b{_REL} (?:saya|aku|kami|kamek|kita|gue)\b|\b{_REL}ku\b|\b(?:my|our) {_REL}s?\b"
    r"|\b(?:anak|adik|kakak|suami|istri) (?:perempuan|laki laki|cowok|cewek) (?:saya|aku|kami|kamek)\b"
)
# The writer as the one harmed ("saya dikurung", "i am locked"): then the relative is only mentioned.
_WRITER_HARMED = re.compile(
    r"^(?:tolong )?(?:saya|aku|kamek|kami|i|we)(?: (?:sudah|lagi|sedang|masih|am|are|was|were|been))? "
    r"(?:di|ter|kena )[a-z]{3,}|\b(?:help|save|rescue) (?:me|us)\b|\btolong (?:saya|aku|kami|kamek)\b"
)

_MONEY = (
    r"(?:tebusan|tebus|denda|ransom|fine|penalty|uang|duit|bayar|membayar|transfer|tf|kirim uang|pay|send money|"
    r"\d+ ?(?:juta|jt|ribu|rb|dollars?|usd|ringgit|rm|baht))"
)
_RELEASE = (
    r"(?:dilepas|dilepaskan|dilepasin|lepas|lepaskan|bebas|dibebaskan|dipulangkan|pulang|balik|keluar|"
    r"release|released|free|freed|let (?:her|him|them|me|us) go|go home|come home)"
)
_MONEY_DEMAND = re.compile(
    r"\b(?:uang )?tebusan\b|\bransom\b|\bminta (?:uang )?tebus"
    rf"|\b(?:minta|meminta|menuntut|tuntut|suruh|disuruh|harus|wajib|mesti|demand\w*|ask\w*|want\w*) "
    rf"(?:\w+ ){{0,4}}?{_MONEY}\b(?: \w+){{0,8}}? (?:supaya|agar|biar|baru|kalau mau|kalau ingin|untuk|buat|"
    rf"sebelum|to|before|or|atau|if|kalau tidak) (?:\w+ ){{0,4}}?{_RELEASE}\b"
    rf"|\b{_RELEASE}\b(?: \w+){{0,5}}? (?:harus|wajib|mesti|disuruh|suruh|must|have to|if we|if i|kalau) "
    rf"(?:\w+ ){{0,2}}?(?:bayar|membayar|transfer|kirim|tebus|pay|send)\b"
    r"|\bdenda\b(?: \w+){0,6}? (?:supaya|agar|biar|baru|kalau mau|untuk) (?:\w+ ){0,3}?"
    r"(?:dilepas\w*|lepas|dibebaskan|bebas|dipulangkan|pulang|keluar|balik)\b"
)

_RANSOM = re.compile(r"\b(?:tebusan|ditebus|menebus|tebus|ransom)\b")

# Crying and pleading emoji, and the sounds of crying. Anything else with letters is a message.
_DISTRESS_SIGNS = re.compile(
    "^(?:[\U0001f62d\U0001f622\U0001f97a\U0001f64f\U0001f63f\U0001f614\U0001f61e\U0001f625\U0001f630"
    "\U0001f628\U0001f631\U0001f494\u2639\u2764\ufe0f\u200d\U0001f3fb-\U0001f3ff\\s.!?]|huhu+|hiks+|hu+|"
    "T_T|ToT|;_;)+$",
    re.IGNORECASE,
)
_CRY = re.compile("[\U0001f62d\U0001f622\U0001f97a\U0001f64f\U0001f63f\U0001f625\U0001f630\U0001f628\U0001f631\U0001f494]|huhu|hiks|T_T", re.I)

# (problem, pattern on fold_message output). Order: the first ones name the most pressing.
WORK_PROBLEMS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (name, re.compile(pattern))
    for name, pattern in (
        ("deportation", r"\b(?:deport\w*|dideportasi|ditangkap (?:polis|polisi|imigresen|imigrasi|police)|"
                        r"depot imigresen|rumah tahanan imigrasi|detention|detained|arrested|tahanan imigresen|"
                        r"kena tangkap|ditahan (?:polis|imigresen|imigrasi|police))\b"),
        ("passport", r"\b(?:paspor|dokumen|ic|permit)(?:nya| saya| aku| kamek| sy| my)? (?:\w+ ){0,2}?(?:ditahan|"
                     r"dipegang|disimpan|diambil|disita|tidak dikembalikan|kena tahan|(?:ada )?(?:di|sama|kat) (?:majikan|"
                     r"agen|bos|tauke|boss|employer|agent))\b|\b(?:majikan|agen|bos|tauke|employer|agent|boss) "
                     r"(?:\w+ ){0,2}?(?:tahan|menahan|pegang|memegang|simpan|menyimpan|ambil|sita|kept|keeps|"
                     r"took|holds?|has) (?:\w+ )?(?:paspor|passport|dokumen)\b|\b(?:kept|took|holding|confiscated|"
                     r"withheld) (?:my |our )?paspor\b"),
        ("wages", r"\b(?:gaji|upah|bayaran|wages?|salary|pay|paid)\b(?: \w+){0,5}? (?:tidak|belum|not|never|"
                  r"unpaid|no) (?:\w+ )?(?:dibayar|dibayarkan|dikasih|diberi|dapat|cair|bayar|masuk|paid|"
                  r"received|given)\b|\b(?:tidak|belum|not|never) (?:\w+ )?(?:dibayar|digaji|paid)\b|"
                  r"\bunpaid\b|\bgaji (?:\w+ )?(?:dipotong|ditahan|kurang|telat|tertunda|nunggak)\b|"
                  r"\b(?:no|without) (?:salary|pay|wages)\b|\btidak (?:ada )?gaji\b"),
        ("contract", r"\b(?:kontrak|perjanjian kerja|contract|job)\b(?: \w+){0,4}? (?:diubah|dirubah|berubah|"
                     r"diganti|beda|berbeda|lain|tidak sesuai|tidak sama|changed|different|not the same|"
                     r"not what)\b|\b(?:kerja|pekerjaan|job|work)(?: \w+){0,3}? (?:tidak sesuai|beda|berbeda|"
                     r"lain dari|not as promised|different from)\b"),
        ("sick", r"\b(?:sakit|demam|dirawat|rumah sakit|hospital|sick|ill|injured|luka|kecelakaan|accident|"
                 r"cedera|hamil|pregnant)\b"),
        ("undocumented", r"\b(?:tanpa|tidak ada|tidak punya|belum ada|no|without) (?:\w+ )?(?:paspor|permit|"
                         r"dokumen|visa|izin kerja|papers|passport)\b|\b(?:permit|visa|paspor|passport)(?: \w+)"
                         r"{0,2}? (?:mati|habis|expired|tamat|sudah habis)\b|\b(?:pati|ilegal|illegal|"
                         r"undocumented|overstay\w*|kaburan)\b"),
        ("go_home", r"\b(?<!tidak )(?:mau|ingin|pengen|nak|want to|wanna|need to) (?:\w+ )?(?:pulang|balik kampung|"
                    r"balik indonesia|balik ke indonesia|go home|return home|go back)\b"),
    )
)


@dataclass(frozen=True)
class Reading:
    """What the words alone say about the person and their situation."""

    language: language.LanguageGuess | None = None
    place: Place | None = None  # the first place the message names
    here: Place | None = None  # where the writer says they are now
    bare_place: Place | None = None  # the message is only a place (an answer to "where are you?")
    only_here: bool = False  # the message only says where the writer is ("sy di kuching skrg")
    for_someone_else: bool = False
    money_demand: bool = False
    distress_only: bool = False
    work_problems: tuple[str, ...] = ()

    def language_for(self, current: str | None) -> str | None:
        """The language to use from now on, if this message sets or clearly switches it; else None."""
        guess = self.language
        if guess is None or guess.language is None or guess.language == current:
            return None
        if current is None or guess.clear_switch:
            return guess.language
        return None


def read(text: str, country_entity: str | None = None) -> Reading:
    """Read a typed message (never a button label)."""
    if not text.strip():
        return Reading()
    if _DISTRESS_SIGNS.match(text.strip()) and _CRY.search(text):
        return Reading(distress_only=True)
    folded = fold_message(text)
    # A ransom is asked of the people outside; a "denda" may be asked of the worker themselves.
    relative = bool(_RELATIVE.search(folded) or _RANSOM.search(folded)) and not _WRITER_HARMED.search(folded)
    return Reading(
        language=language.guess(text),
        place=places.mentioned(text, country_entity),
        here=places.presence(text),
        bare_place=places.bare_place(text, country_entity),
        only_here=places.presence_only(text),
        for_someone_else=relative,
        money_demand=bool(_MONEY_DEMAND.search(folded)),
        work_problems=tuple(name for name, rx in WORK_PROBLEMS if rx.search(folded)),
    )
