r"""The safety net's rules, as data: what makes a message an emergency, and what makes it a question.

The matcher (bot/understanding/safety.py) reads these; nothing here runs. Every pattern is a regular
expression over the normalised message (bot/understanding/normalise.py: lowercase, no accents, chat
shorthand spelled out, "gk" -> "tidak", "di kurung" -> "dikurung"), so each word is listed in one
spelling. `<NAME>` in a pattern stands for the word group NAME in FRAGMENTS. `\b` marks a word edge,
`(?:a|b)` is "a or b", `(?:\w+ )?` allows one word in between, `(?! ...)` means "not followed by".

Recall matters more than precision: a missed emergency can cost a life, a false alarm costs a staff
member a minute. Questions about rights ("kalau paspor ditahan majikan itu boleh gak?") are kept out
of the urgent queue by the framings at the end, which downgrade only the weaker categories.
May import only the standard library.
"""

from __future__ import annotations

from dataclasses import dataclass

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
STRONG: frozenset[str] = frozenset({"self_harm", "sexual_violence"})


# --------------------------------------------------------------------------------------------
# Word groups. Placeholders <NAME> in the patterns below are replaced by these alternations
# (a group may use another group, one level deep).
# --------------------------------------------------------------------------------------------

FRAGMENTS: dict[str, str] = {
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
    # whoever may be the one harmed: the speaker, a relative, a third person, a worker
    "VICTIM": (
        r"(?:<FIRST>|<REL>|dia|mereka|kamu|kau|anda|she|he|her|him|they|them|pekerja|tki|tkw|pmi|"
        r"cewek|cewe|perempuan|wanita|gadis|korban)"
    ),
}

# --------------------------------------------------------------------------------------------
# Rules: one category each. A message matching any rule is urgent, unless a framing below makes
# it a general question (never for the STRONG categories).
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    category: str
    pattern: str
    # The perpetrator is the grammatical subject and no victim is named ("majikan memukul"):
    # in a question framing this reads as a general question, not a report.
    active: bool = False
    # Text just before the match that voids it (what is being sold, whose number is asked).
    not_after: str | None = None


RULES: tuple[Rule, ...] = (
    # ---- self-harm: wanting to die, ending one's life (never downgraded)
    Rule("self_harm", r"\bbunuh (?:diri|dari)\b"),
    Rule(
        "self_harm",
        r"\b(?:mau|ingin|pengen|nak|rasa|rasanya|kepikiran|terpikir|mending|lebih baik|"
        r"baik|biar|biarlah|kepingin) (?:saya |aku |kamek )?mati\b"
        r"(?! (?:lampu|listrik|hp|baterai|batre|mesin|motor|mobil|gaya|ketawa|kutu|suri))",
    ),
    Rule("self_harm", r"\bmati (?:saja|lah)\b"),
    # "kalau sy mati siapa yang urus anak sy"; "kalau saya mati di malaysia" asks about insurance
    Rule("self_harm", r"\bkalau <FIRST> (?:sudah )?mati\b(?! di)"),
    Rule(
        "self_harm",
        r"\btidak (?:mau|ingin|nak|pengen|sanggup|kuat|tahan|sudi) (?:\w+ )?hidup\b",
    ),
    Rule(
        "self_harm",
        r"\b(?:capek|cape|capai|lelah|penat|muak|bosan|benci|malas|putus asa dengan) hidup\b",
    ),
    Rule("self_harm", r"\b(?:akhiri|mengakhiri|akhirkan|menamatkan|tamatkan) (?:\w+ )?(?:hidup|nyawa)\b"),
    Rule(
        "self_harm",
        r"\b(?:gantung diri|minum racun|minum obat nyamuk|potong nadi|iris nadi|sayat "
        r"(?:tangan|nadi)|(?:menyakiti|sakiti|lukai|melukai) diri)\b",
    ),
    Rule(
        "self_harm",
        r"\b(?:mau|ingin|pengen|nak) (?:lompat|melompat|loncat|terjun)\b|\b(?:lompat|loncat|"
        r"terjun) dari "
        r"(?:\w+ ){0,2}(?:lantai|gedung|jendela|balkon|atap|apartemen|jembatan)\b",
    ),
    Rule(
        "self_harm",
        r"\b(?:kill(?:ing)? (?:myself|herself|himself|themselves)|suicid\w*|end(?:ing)? (?:my|her|his|their|it) (?:life|all)|end it all|take my "
        r"(?:own )?life|(?:wants?|wanna|going|gonna) (?:to )?die|(?:do not|never) want to live|"
        r"no reason to live|(?:hurt|cut|harm)(?:ing)? myself|better off dead)\b",
    ),
    # ---- sexual violence: rape, abuse, forced prostitution (never downgraded)
    Rule("sexual_violence", r"\b(?:di|d|mem|kena )p[ei]?rkosa?h?\b|\bperkosa <VICTIM>\b"),
    Rule("sexual_violence", r"\b<AGENT> (?:\w+ ){0,2}?(?:perkosa|memperkosa|rogol|merogol)\b"),
    Rule("sexual_violence", r"\b(?:di|kena |me)?rogol\b|\b(?:di|me)?rudapaksa\b"),
    Rule("sexual_violence", r"\b(?:di|d)cabul(?:i|in)?\b|\bmencabuli\b|\bkena cabul\b"),
    Rule(
        "sexual_violence",
        r"\bdi(?:gagahi|setubuhi|gauli|gerayangi|grepe|grepein|raba)\b|\bdipegang pegang\b|"
        r"\bdicium (?:paksa|majikan|bos)\b|\bdiintip (?:\w+ )?mandi\b|\b(?:pegang pegang|"
        r"meraba|raba raba|grepe) (?:<VICTIM>|badan|dada|paha|pantat)\b",
    ),
    Rule(
        "sexual_violence",
        r"\b(?:di|d)lecehkan\b|\bdilecehin\b|\bkena leceh\w*|\bmelecehkan <VICTIM>\b|"
        r"\b(?:mengalami|alami|kena|korban|jadi korban|dapat) pelecehan\b|"
        r"\bpelecehan (?:seksual )?(?:oleh|dari|sama|dengan|by)\b",
    ),
    Rule(
        "sexual_violence",
        r"\b(?:<FIRST>|<REL>|dia) (?:\w+ ){0,2}korban (?:perkosaan|pemerkosaan|pelecehan|"
        r"pencabulan|kekerasan seksual)\b",
    ),
    Rule(
        "sexual_violence",
        r"\b(?:dipaksa|disuruh|dijadikan|dijadiin|dijual) (?:untuk |jadi |menjadi |sebagai )?"
        r"(?:psk|pelacur|lonte|wts|pekerja seks|budak seks|lc|pemandu lagu|melacur|"
        r"menjual diri|jual diri|tidur dengan|tidur sama|ml|seks|sex|gituan|begituan|"
        r"berhubungan|nemenin tamu|menemani tamu|temani tamu|temenin tamu)\b",
    ),
    Rule(
        "sexual_violence",
        r"\bdipaksa (?:untuk )?(?:melayani|layan|layani|layanin|melayan|ngelayanin|ngelayani)\b"
        r"|\bdisuruh (?:melayani|layani|layanin|ngelayanin|ngelayani) (?:tamu|om|lelaki|pria)\b",
    ),
    Rule(
        "sexual_violence",
        r"\b(?:dipaksa|disuruh|dijual|dibawa|dipekerjakan|dikirim) (?:\w+ ){0,3}?(?:rumah bordil|"
        r"bordil|lokalisasi|tempat prostitusi|tempat pelacuran)\b",
    ),
    Rule(
        "sexual_violence",
        r"\bmasuk (?:kamar|bilik) (?:<FIRST>|<REL>) (?:\w+ ){0,3}?(?:memaksa|maksa|paksa|raba|"
        r"meraba|pegang|memegang|cium|mencium)\b",
    ),
    Rule(
        "sexual_violence",
        r"\bhamil (?:karena|oleh|sama|dari) (?:dipaksa|diperkosa|majikan|bos|anak majikan|agen)\b",
    ),
    Rule(
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
    Rule("confinement", r"\b(?:di|d|ter|kena )ku?r[ou]ng(?:i|in|kan|nya)?\b"),
    Rule(
        "confinement",
        r"\b(?:ditahan|kena tahan) (?:di|dalam|kat) (?:rumah|kamar|bilik|mess|gudang|"
        r"penampungan|ruko|apartemen|hotel|asrama|kapal|gedung)\b",
    ),
    Rule("confinement", r"\b(?:di|d|ter|kena )se?k[ae]p(?:in|nya)?\b"),
    Rule(
        "confinement",
        r"\b(?:di|ter)(?:kerangkeng|pasung|sandera|culik)\w*|\bkena culik\b|\bdigembok\b",
    ),
    Rule(
        "confinement",
        r"\b(?:mengurung|ngurung|ngurungin|menyekap|nyekap|menyandera|menculik|nyulik|kurung|"
        r"sekap|kunci|mengunci|ngunci|ngonci)(?:in|kan)? <VICTIM>\b",
    ),
    Rule(
        "confinement",
        r"\b<AGENT> (?:\w+ ){0,3}?(?:mengurung|ngurung|menyekap|nyekap|menyandera|menculik)\b",
        active=True,
    ),
    Rule("confinement", r"\b(?:di|d|ter|kena )k[ou]nci(?:in|kan)? (?:\w+ )?(?:di|dalam|dari luar|kat)\b"),
    Rule(
        "confinement",
        r"\b(?:kamar|pintu|rumah|ruangan|bilik|gudang|mess|asrama|room|door) (?:\w+ ){0,3}?"
        r"(?:dikunci|terkunci|dikunciin)\b",
    ),
    Rule(
        "confinement",
        r"\b<NEG_ALLOWED> (?:<VICTIM> )?(?:untuk |buat )?<LEAVE>\b<NOT_A_CAGE>",
    ),
    Rule(
        "confinement",
        r"\b<NEG_ALLOW> (?:<VICTIM> )?(?:untuk |buat )?<LEAVE>\b<NOT_A_CAGE>",
        # "saya tidak izinkan dia pergi", "orang tua saya melarang saya pergi": a parent
        # ("ibu" is left out: domestic workers call the employer's wife "ibu")
        not_after=r"(?:(?:^|\b(?:dan|tapi|jadi|karena|makanya|kalau) )(?:saya|aku|kami|kamek|i|"
        r"we)|\b(?:orang tua|ortu)(?: saya| aku| kamek)?)(?: (?:juga|sudah|sendiri|memang))?",
    ),
    Rule(
        "confinement",
        r"\b<LEAVE> (?:\w+ ){0,3}?(?:tidak|belum) (?:dikasih|diberi|dibagi|diizinkan|"
        r"diijinkan|dibenarkan|dibolehkan|boleh|diperbolehkan|dilepas|dilepaskan|kasih|kasi|"
        r"bagi|izinkan|benarkan|lepas)\b"
        # Malay "tak boleh dihubungi" means unreachable, a missing-person report
        r"(?! (?:dihubungi|hubungi|ditelepon|ditelpon|dikontak|dicall|dichat))",
    ),
    Rule(
        "confinement",
        r"\btidak (?:bisa|dapat|mampu) (?:keluar|kabur|lari)\b(?! (?:negeri|negara|dari "
        r"(?:pekerjaan|kerja|grup|group|perusahaan|pt|aplikasi|akun|kontrak)|kerja))",
        not_after=r"\b(?:gaji|visa|paspor|hasil|izin|surat|dokumen|uang|sertifikat|ktp|kartu|"
        r"data|nomor|tiket|jadwal|suara|air)\b(?: \w+){0,2}",
    ),
    Rule(
        "confinement",
        r"\b(?:di|d)(?:ikat|rantai|borgol)\b|\btied up\b|\bchained\b|\bhandcuffed\b",
    ),
    Rule("confinement", r"\bterjebak\b(?! (?:macet|hujan|banjir|utang|hutang|pinjol))"),
    Rule(
        "confinement",
        r"\b(?:locked|lock|locks|locking) (?:me |us |her |him |them |my \w+ )?(?:in|up|inside)"
        r"\b(?! (?:a |the |my )?contract)|\b(?:am|is|are|was|were|been|being|got|keep|keeps|"
        r"kept) (?:\w+ )?locked\b",
    ),
    Rule(
        "confinement",
        r"\btrapped\b|\bheld (?:captive|hostage|prisoner|against (?:my|her|his|our|their) "
        r"will)\b|\bkept (?:me |us |her |him )?(?:captive|prisoner|hostage|locked|inside)\b|"
        r"\bhostage\b|\bkidnap\w*|\babduct\w*|\b(?:is|are|am|was|were|being|been) held "
        r"(?:by|in|at|inside)\b|\blocked (?:room|house|building|compound|place)\b|\bkeeps? "
        r"(?:me|us|her|him) (?:in|inside)\b|\block(?:s|ed)? (?:the|our|my) (?:door|room|gate)\b",
    ),
    Rule(
        "confinement",
        r"\b(?:<NEG_ALLOW_EN>|<UNABLE_EN>) (?:\w+ )?<LEAVE_EN>\b(?! (?:my |the |this )?"
        r"(?:job|work|company|contract|country|agency))",
    ),
    # ---- violence: beaten, tortured, injured
    Rule(
        "violence",
        r"\b(?:di|d|kena )(?:p[ou]?k[ou]?l|tampar|tempeleng|gampar|tendang|sepak|terajang|"
        r"tinju|tonjok|hajar|gebuk|injak|jambak|cekik|cambuk|sebat|rotan|si?ksa|seksa|"
        r"aniaya|dera|belasah|bantai|lempang|sundut|setrum|tusuk|tikam|bacok|lukai|sakiti|"
        r"keroyok|hantam|pijak)(?:i|in|kan|nya)?\b(?! rata)",  # "dipukul rata": averaged
    ),
    Rule(
        "violence",
        r"\b(?:disiram|kena siram) (?:\w+ )?(?:air panas|air mendidih|minyak|air keras|bensin)\b"
        r"|\b(?:di|kena )?set[e]?rika (?:tangan|badan|punggung|kaki|muka|kulit)\b",
    ),
    Rule(
        "violence",
        r"\b(?:memukul(?:i)?|mukul(?:in)?|menampar|nampar|menendang|nendang|menyepak|meninju|"
        r"nonjok|menonjok|menghajar|ngehajar|menyiksa|nyiksa|menganiaya|mendera|mencekik|"
        r"nyekik|menjambak|njambak|menginjak|nginjek|menyundut|menyetrum|nyetrum|menusuk|"
        r"menikam|membacok|melukai|menyakiti|nyakitin|membelasah|melempang|pukul|pukol|tampar|"
        r"tendang|sepak|siksa|hajar|belasah|lempang|terajang) <VICTIM>\b",
    ),
    Rule(
        "violence",
        r"\b<AGENT> (?:\w+ ){0,3}?(?:memukul(?:i)?|mukul(?:in)?|menampar|nampar|menendang|"
        r"nendang|menyepak|meninju|nonjok|menonjok|menghajar|menyiksa|nyiksa|menganiaya|"
        r"mendera|mencekik|menjambak|menginjak|menyundut|menyetrum|menusuk|menikam|membacok|"
        r"pukul|pukol|tampar|tendang|sepak|siksa|hajar|belasah|lempang|terajang)\b(?! \d)",
        active=True,
    ),
    Rule(
        "violence",
        r"\b(?:badan|muka|wajah|tangan|kaki|kepala|punggung|tubuh|pipi|mata|body|face) "
        r"(?:\w+ ){0,2}?(?:lebam|memar|berdarah|bengkak|bruised|bleeding|swollen)\b",
    ),
    Rule(
        "violence",
        r"\b(?:mengalami|alami|kena|jadi korban|korban|dapat) (?:kekerasan|kdrt)\b|\bkdrt\b",
        active=True,
    ),
    Rule(
        "violence",
        r"\b(?:beat|beats|beating|beaten|hit|hits|hitting|kick|kicks|kicked|kicking|slap|"
        r"slaps|slapped|slapping|punch|punches|punched|punching|abuse|abuses|abused|abusing|"
        r"torture|tortures|tortured|torturing|hurt|hurts|hurting|burn|burns|burned|burnt|"
        r"choke|chokes|choked|choking|whip|whips|whipped|attack|attacks|attacked|strangled|"
        # "hurt my back" is an injury at work; "hurt my sister" is violence
        r"stab|stabbed) (?:me|us|her|him|them|my <REL>|our <REL>)\b",
    ),
    Rule(
        "violence",
        r"\b(?:was|were|got|get|gets|been|being|am|is|are) (?:\w+ )?(?:beaten|hit|kicked|"
        r"slapped|punched|abused|tortured|burned|burnt|attacked|stabbed|whipped|assaulted)\b|"
        r"\bbeaten up\b|\bphysically abus\w*",
    ),
    # ---- threat: threatened, to be killed
    Rule(
        "threat",
        r"\b(?:di|d|kena )(?:a?nca?m|ancem|ugut|teror|intimidasi)(?:in|i|nya)?\b(?! (?:dengan )?"
        r"(?:pidana|hukuman|penjara|denda|kurungan|sanksi|pecat|dipecat|phk|potong|dipotong|"
        r"deportasi|dideportasi|dipulangkan|blacklist))",
    ),
    Rule(
        "threat",
        r"\bterancam\b(?! (?:hukuman|pidana|penjara|denda|dipecat|phk|gagal|batal|punah|"
        r"deportasi|dideportasi|dipulangkan|kehilangan|diputus|tidak))",
    ),
    Rule(
        "threat",
        r"\b(?:mengancam|ngancam|ngancem|ancam|ugut|mengugut|meneror|neror)(?:in)? "
        r"(?:<VICTIM>|mau|akan|nak|bunuh|membunuh)\b",
    ),
    Rule(
        "threat",
        r"\b<AGENT> (?:\w+ ){0,2}?(?:mengancam|ngancam|ngancem|ancam|ugut|mengugut)\b"
        r"(?! (?:pecat|phk|potong|denda))",
        active=True,
    ),
    Rule("threat", r"\b(?:di|d)bun[ou]h\b|\bdihabisi\b"),
    Rule("threat", r"\b(?:ditodong|menodong|nodong|todong)\b|\bat knifepoint\b|\bat gunpoint\b"),
    Rule(
        "threat",
        r"\b(?:mau|akan|nak|hendak|ingin|ancam|mengancam|bilang|kata|bakal|coba|mencoba|"
        r"pengen)? ?(?:bun[ou]h|membun[ou]h|habisi|menghabisi) (?:<VICTIM>)\b",
    ),
    Rule(
        "threat",
        r"\bthreat(?:en|ens|ened|ening)\b|\bdeath threats?\b|\b(?:will|would|gonna|going to|"
        r"want to|wants to|wanna|tried to|try to|said (?:he|she|they) will) (?:\w+ )?(?:kill|"
        r"murder|hurt|harm|beat) (?:me|us|her|him|my|our|them|you)\b|\bkill (?:me|us)\b",
    ),
    # ---- sold / trafficked now
    Rule(
        "sold",
        r"\b(?:(?:mau|akan|nak|hendak|sudah|telah|pernah|bakal|ingin|sedang|lagi) )?"
        r"(?:dijual|djual|dijualin|dijualbelikan|diperjualbelikan|diperdagangkan)\b",
        # "di rumah majikan saya dijual": after a preposition the noun is a place, not goods
        not_after=r"(?:\b(?<!di )(?<!ke )(?<!dari )(?<!kat )(?<!dalam )<GOODS>\b(?: \w+){0,2}|"
        r"\bapa (?:saja )?yang)",
    ),
    Rule("sold", r"\bkena jual\b|\bdibeli (?:oleh |sama )?<AGENT>\b"),
    Rule(
        "sold",
        r"\b(?:menjual|jual|jualin|ngejual|memperdagangkan|menjualbelikan) (?:<FIRST>|<REL>|"
        r"dia|mereka)\b",
    ),
    Rule(
        "sold",
        r"\b(?:sold|sell|sells|selling|traded|trading) (?:me|us|her|him|them|my <REL>|our "
        r"<REL>)\b|\b(?:<FIRST>|she|he|they|<REL>) (?:was|were|got|has been|have been|had "
        r"been|is being|are being|am being|is|am|are|will be|going to be|gonna be|get) "
        r"(?:\w+ )?(?:sold|trafficked)\b|\b(?:and|then) (?:was |were |got )?(?:sold|trafficked)\b",
    ),
    Rule(
        "sold",
        r"\b(?:dipaksa|mau dipaksa) (?:untuk )?(?:kawin|nikah|menikah|dinikahkan)\b|"
        r"\b(?:dinikahkan|dikawinkan) (?:secara )?paksa\b|\bforced (?:me |her "
        r")?(?:to marry|into marriage)\b",
    ),
    # ---- danger now: in danger, SOS, no food, forced labour, wants to escape
    Rule(
        "danger_now",
        r"\bdalam bahaya\b|\bin danger\b|\b(?:nyawa|jiwa|keselamatan) (?:\w+ ){0,2}?"
        r"(?:terancam|dalam bahaya)\b",
    ),
    Rule("danger_now", r"\bsos\b|\bs o s\b"),
    Rule(
        "danger_now",
        r"\b(?:darurat|emergency|emergensi)\b(?! (?:nomor|nomer|no|number|kontak|contact|"
        r"hotline|telepon|telp|call|line|paspor|dokumen|document|surat|spl|splp|travel|dana|"
        r"fund|exit|kit|room|department|service|services|apa|what))",
        active=True,
        not_after=r"\b(?:nomor|nomer|no|kontak|telepon|telp|hotline|dana|paspor|surat|layanan|"
        r"number|contact|hubungi|dokumen|jika|kalau|bila|apabila|if|in case of|"
        r"keadaan|situasi|kondisi)(?: \w+)?",
    ),
    Rule(
        "danger_now",
        r"\b(?:tolong tolong|help help|tolong help|help tolong)\b|\bselamatkan <VICTIM>\b|"
        r"\btolong (?:\w+ )?(?:selamatkan|keluarkan|bebaskan)\b|\b(?:save|rescue) (?:me|us|"
        r"her|him|my <REL>)\b|\bget (?:me|us) out\b|\bbantu (?:saya|kami|aku|kamek) "
        r"(?:keluar|kabur|lari)\b|\bkeluarkan (?:<FIRST>|<REL>|dia) (?:\w+ )?dari\b",
    ),
    Rule(
        "danger_now",
        r"\b(?:tidak|belum) (?:\w+ )?(?:dikasih|diberi|dibagi|dapat|kasih|beri|bagi|memberi|"
        r"diizinkan) (?:\w+ )?(?:makan|minum|makanan|minuman)\b|\b(?:\d+|dua|tiga|empat|"
        r"beberapa|berhari) (?:hari|hr) (?:\w+ )?(?:tidak|belum) makan\b|\b<FIRST> "
        r"(?:\w+ )?kelaparan\b",
    ),
    Rule(
        "danger_now",
        r"\b(?:not|never|no) (?:\w+ )?(?:given|fed|feed|give) (?:\w+ )?(?:food|anything to "
        r"eat|me|us)\b|\bnot fed\b|\b(?:am|are|were) starving\b|\b(?:have|has|had|got) no "
        r"food\b",
    ),
    Rule(
        "danger_now",
        r"\bdipaksa (?:untuk )?(?:kerja|bekerja|menipu|nipu|scam|main judi|judi)\b|\bforced "
        r"(?:me |us |her )?to (?:work|scam)\b|\bdipekerjakan (?:secara )?paksa\b",
    ),
    Rule(
        "danger_now",
        r"\b(?<!tidak )(?:mau|ingin|pengen|nak|want to|wanna|need to|trying to|try to|plan to|"
        r"berencana|rencana|coba|mencoba) (?:\w+ )?(?:kabur|lari|escape|run away)\b"
        # running from one's parents to go and work is a different story
        r"(?! (?:pagi|sore|dari (?:rumah )?(?:orang tua|ortu|sekolah|kampung)))|\bkabur dari (?:rumah )?"
        r"(?:majikan|agen|bos|penampungan|tempat kerja|mess|asrama|kapal|perusahaan)\b|"
        r"\b(?:ran|run|escaped|running) away from (?:my |the )?(?:employer|agent|boss|house)\b",
    ),
    Rule(
        "danger_now",
        r"\b(?:<FIRST>|<REL>|dia|kami) (?:\w+ ){0,2}?(?:sembunyi|bersembunyi|ngumpet|hiding)\b|"
        r"\btakut (?:keluar|pulang ke rumah majikan|balik ke majikan)\b|\b(?:lelaki |laki )?"
        r"masuk (?:kamar|bilik) (?:<FIRST>|<REL>) (?:\w+ )?(?:malam|tengah malam)\b|\bdibawa (?:secara )?"
        r"paksa\b|\b(?:dibawa|bawa <VICTIM>) ke tempat yang tidak (?:saya |kami )?(?:tahu|"
        r"tau|kenal)\b|\btaken (?:me |us )?by force\b",
    ),
    Rule(
        "danger_now",
        r"\b<FIRST> (?:\w+ ){0,2}?(?:tidak|not|belum) (?:merasa |feel )?(?:aman|safe)\b|"
        r"\b(?:tidak aman|not safe) (?:di sini|disini|here|sekarang|now)\b",
    ),
    Rule(
        "danger_now",
        r"\b(?:uang )?tebusan\b|\bransom\b|\bminta (?:uang )?tebus\w*",
        active=True,
    ),
    # Money demanded to release someone: a "denda" (fine) or a sum, "baru boleh pulang" / "supaya
    # dilepas". A fine asked about in general ("denda overstay berapa?") names no release.
    Rule(
        "danger_now",
        r"\bdenda\b(?: \w+){0,6}? (?:supaya|agar|biar|baru|kalau mau|kalau ingin|untuk|buat|sebelum) "
        r"(?:\w+ ){0,3}?(?:dilepas|dilepaskan|dilepasin|lepas|dibebaskan|bebas|dipulangkan|pulang|keluar|"
        r"balik)\b"
        r"|\b(?:dilepas|dilepaskan|dibebaskan|bebas|dipulangkan|pulang|keluar|lepas)\b(?: \w+){0,5}? "
        r"(?:harus|wajib|mesti|disuruh|suruh) (?:\w+ ){0,2}?(?:bayar|membayar|transfer|kirim|tebus) "
        r"(?:\w+ ){0,2}?denda\b"
        r"|\b(?:minta|meminta|menuntut|tuntut|suruh|disuruh) (?:\w+ ){0,2}?(?:uang|duit|transfer|"
        r"\d+ ?(?:juta|jt|ribu|rb|dollars?|usd|ringgit|rm))\b(?: \w+){0,6}? (?:supaya|agar|biar|baru|"
        r"kalau mau) (?:\w+ ){0,3}?(?:dilepas|dilepaskan|dilepasin|dibebaskan|bebas|lepas)\b"
        r"|\b(?:pay|paid|send|transfer)\b(?: \w+){0,4}? (?:a )?(?:fine|penalty|money|\d+ ?(?:dollars?|usd|"
        r"ringgit|rm))\b(?: \w+){0,6}? (?:to |or |before )?(?:release|free|let (?:her|him|them|me|us) go)\b"
        r"|\b(?:release|free|let (?:her|him|them|me|us) go)\b(?: \w+){0,5}? (?:if|unless|once|after|"
        r"when) (?:we|i|you|they|the family) (?:\w+ )?pay\b"
        r"|\b(?:want|wants|demand|demands|demanding|asking|ask|asks)\b(?: \w+){0,2}? (?:money|fine|penalty|"
        r"\d+ ?(?:dollars?|usd|ringgit|rm|million|juta))\b(?: \w+){0,3}? (?:to|before|or) (?:\w+ )?(?:release|"
        r"free|let (?:her|him|them) go)\b",
        active=True,
    ),
)

# A whole message that is only a cry for help. "help", "help me", "/help" ask for the menu in

# --------------------------------------------------------------------------------------------
# Whole-message patterns: cries for help, combinations, and the framings that downgrade.
# --------------------------------------------------------------------------------------------

# English, so English needs an urgency word; "tolong" alone is a cry.
CRY_ONLY = (
    r"^(?:(?:cepat |please )?(?:tolong|selamatkan|sos)(?: (?:saya|aku|kami|kamek|please|tolong|"
    r"cepat|segera|sekarang|lah|kak|min|pak|bu))*|(?:please )?(?:help|save|rescue)(?: me| us)?"
    r"(?: please)? (?:now|asap|quick|quickly|urgent|hurry))$"
)

# ---- passport held: only urgent together with being unable to leave or present distress.
# "Can my employer keep my passport?" is a rights question, not an emergency.
PASSPORT_HELD = (
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
CANNOT_LEAVE = (
    # "tidak mau kabur" (does not want to run) is the opposite
    r"\b(?:tidak|belum|cannot|can not|not|unable to|never) (?:(?!mau|ingin|pengen|nak|want)"
    r"\w+ ){0,2}?(?:<LEAVE>|"
    r"<LEAVE_EN>)\b|\b(?:terjebak|stuck|trapped|terkurung)\b"
)
WANTS_OUT = (
    r"\b(?<!tidak )(?:mau|ingin|pengen|nak|want to|wanna|need to) (?:\w+ )?(?:pulang|balik|keluar|kabur|"
    r"lari|go home|leave|escape|return home)\b"
)
DISTRESS = (
    r"\b(?:takut|ketakutan|stres|stress|depresi|nangis|menangis|tertekan|putus asa|scared|"
    r"afraid|terrified|desperate)\b(?! (?:ditipu|tertipu|kena tipu|salah|gagal|ditolak|"
    r"ilegal|illegal|scam|dibohongi|telat|terlambat))"
)

# A concrete call for help aimed at the speaker. "tolong saya mau tanya" and "help me find a
# job" are requests for information.
EXPLICIT_HELP = (
    r"\b(?:tolong|help|bantu|selamatkan|save|rescue) (?:lah )?(?:saya|aku|kami|kamek|me|us)"
    r"\b(?! (?:mau |ingin |untuk |nak |to )?(?:tanya|bertanya|nanya|menanyakan|cek|check|"
    r"jelaskan|explain|find|cari|carikan|understand|paham|info|informasi|with|dengan|daftar|"
    r"register|apply|know|tahu))|\b(?:tolong tolong|help help)\b|\bsos\b"
)

# ---- framings that make a weak match a general question rather than a report.
# A rule or definition question ("apakah ... boleh", "apa itu", "pasal") is general even
# without a subject; a hypothetical or a how-to-report question is general only when it names
# a generic subject ("kalau pekerja dikurung"), since victims ask "dikurung, lapor kemana?".
RULE_QUESTION = (
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
HYPOTHETICAL = (
    r"\b(?:kalau|jika|jikalau|apabila|bila|seandainya|andaikan|andai|misalnya|misal|"
    r"umpamanya|semisal|if|suppose|supposing|in case|what happens when)\b"
    r"|\b(?:cara|bagaimana|how to|how do i|how can i) (?:cara )?(?:lapor|melapor|melaporkan|"
    r"report|mencegah|menghindari|prevent|avoid)\b|\blapor (?:ke )?mana\b|\bke ?mana "
    r"(?:harus )?lapor\b"
)
# Someone other than a concrete victim is the subject: "pekerja", "someone", generic "kita".
GENERIC_SUBJECT = (
    r"\b(?:pekerja|buruh|karyawan|tki|tkw|pmi|art|pembantu|seseorang|orang|korban|warga|wni|"
    r"perempuan|wanita|kita|kamu|anda|worker|workers|employee|employees|maid|maids|victim|"
    r"victims|migrant|migrants|someone|somebody|anyone|person|people|staff|you)\b"
)
# The asker's own "saya" in "saya mau tanya" does not make them the victim.
ASKER_PREAMBLE = (
    r"\b(?:saya|aku|kamek|i) (?:\w+ )?(?:mau|ingin|pengen|nak|numpang|izin|ijin|boleh|cuma|"
    r"hanya|want to|would like to|wanna) (?:\w+ )?(?:tanya|bertanya|nanya|menanyakan|tahu|"
    r"ask|know)\b|\b(?:mau|nak|numpang|izin|ijin) (?:tanya|bertanya|nanya)\b|\b(?:can|may) "
    r"i ask\b|\bi have a question\b|\b(?:saya|aku|i) (?:pernah )?(?:dengar|baca|lihat|nonton|"
    r"heard|read|saw|watched)\b|\bmenurut saya\b|\b(?:saya|aku|i am|im) (?:seorang |a )?"
    r"(?:mahasiswa|mahasiswi|guru|dosen|wartawan|peneliti|siswa|pelajar|student|teacher|"
    r"journalist|researcher)\b"
)
PERSONAL = (
    r"\b<FIRST>\b|\b<REL>(?:ku|nya)\b|\b(?:sekarang|sedang|masih|tadi|barusan|hari ini|malam "
    r"ini|tiap hari|setiap hari|now|right now|currently|still|tonight|today|every day|"
    r"everyday)\b|\b(?:di sini|disini|sebelah|here|next door|neighbou?r)\b|\bada (?:\w+ )"
    r"{0,2}yang (?:di|ter|kena)\w+"
)
# Past harm, now safe: "dulu dipukul majikan, sekarang sudah di kampung" is a rights question.
PAST = r"\b(?:dulu|dahulu|pernah|waktu itu|tahun lalu|sebelumnya|used to|back then|last year)\b"
SAFE_NOW = (
    r"\b(?:sudah|telah) (?!(?:tidak|belum|mau|ingin|nak|pengen)\b)(?:\w+ )?(?:pulang|kembali|"
    r"balik|di rumah|di indonesia|di kampung|selamat|bebas|aman|keluar dari sana|"
    r"dipulangkan|dideportasi)\b|\b(?:sekarang|kini) (?:sudah |saya |kami |dia )*(?:aman|"
    r"selamat|di indonesia|di rumah|di kampung|bebas)\b|\b(?:already|now) (?:back )?(?:home|"
    r"safe)\b|\bsafe now\b"
)
PRESENT = r"\b(?:masih|sedang|tadi|barusan|hari ini|malam ini|right now|currently|still|tonight)\b"
