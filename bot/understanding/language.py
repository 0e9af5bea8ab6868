"""Which language a message is written in: Indonesian / Malay ("id") or English ("en").

A count of common words on each side, nothing learnt: enough to answer "how much does it cost to work
in taiwan as a caregiver?" in English and "sy kerja di kuching" in Indonesian, and to say nothing
(None) about "halo", "ok" or "tolong help" so that a short or mixed message never flips a
conversation. Greetings and "help" are left out: people write them in every language.
May import only the standard library and the normaliser.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.understanding.normalise import plain_words

# Words that are common in one language and rare in the other (as typed in chats, abbreviations too).
# Shared or ambiguous tokens ("no", "ok", "di" in English text, "help", names of places) are left out.
ENGLISH = frozenset(
    "the a an is are am was were be been being i im i'm me my mine you your yours he she it its we us our "
    "they them their this that these those what which who whom whose when where why how do does did done "
    "doing have has had can could will would should shall may might must not dont don't doesnt didnt "
    "cant cannot wont isnt arent wasnt to of in on at for from with about into over under after before "
    "and or but if so than then there here very much many more most some any all every each other "
    "want wants need needs know tell ask say said go going get got make work working job jobs pay paid "
    "unpaid salary wages money cost costs fee fees employer boss agent agency company passport visa "
    "contract home sick please thanks thank die kill sister brother daughter son "
    "wife husband mother father friend family abroad country legal safe dangerous police report "
    "caregiver maid worker workers".split()
)
INDONESIAN = frozenset(
    "saya sy aku aq ak kamu anda kami kita dia mereka kamek kitak sidak kau gue gw ini itu yang yg di ke "
    "dari dr dan atau tapi tp karena krn jadi jd kalau kalo klo kl untuk utk dengan dgn sama sm juga jg "
    "sudah sdh udah udh dah belum blm tidak tdk gak ga gk ndak nda tak sik bukan jangan ada apa ape "
    "bagaimana gimana gmn macam mane berapa brp kenapa knp kapan kpn mana siapa mau mo mw ingin pengen "
    "nak bisa bs boleh harus hrs perlu tolong tlg bantu minta kerja bekerja kerje gaji majikan agen "
    "paspor biaya bayar uang duit pulang balik keluar kabur anak adik kakak abang ibu bapak suami istri "
    "keluarga teman kawan negara luar lagi lg masih msh sekarang skrg nanti tahu tau apakah dong sih deh "
    "ya iya nya lah kah pun min kak bang pak bu mas mbak tanya nanya cara syarat resmi aman bahaya "
    "dipegang ditahan dibayar disekap dikurung tebusan denda transfer hari bulan tahun juta ribu "
    "banget bgt aja saja rasanya capek cape mati hidup".split()
)


@dataclass(frozen=True)
class LanguageGuess:
    language: str | None  # "id", "en", or None when the message does not say
    english: int
    indonesian: int

    @property
    def clear_switch(self) -> bool:
        """Strong enough to change a conversation that already has a language."""
        winner, loser = max(self.english, self.indonesian), min(self.english, self.indonesian)
        return self.language is not None and winner >= 3 and loser == 0


def guess(text: str) -> LanguageGuess:
    """Count the words of each language; name one only when it clearly dominates."""
    words = plain_words(text.replace("'", "")).split()
    english = sum(1 for w in words if w in ENGLISH)
    indonesian = sum(1 for w in words if w in INDONESIAN)
    language: str | None = None
    if len(words) >= 3:
        if english >= 2 and english >= 3 * indonesian and english > indonesian:
            language = "en"
        elif indonesian >= 2 and indonesian >= 3 * english and indonesian > english:
            language = "id"
    return LanguageGuess(language, english, indonesian)
