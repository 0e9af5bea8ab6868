"""The urgent safety net, without Rasa: what must reach the hotline queue and what must not."""

from __future__ import annotations

import dataclasses

import pytest
import yaml

from bot.config import PROJECT_ROOT
from bot.understanding import safety
from bot.understanding.normalise import fold_message
from bot.understanding.safety import CATEGORIES, SafetyVerdict, check

# (message, a category that must be among the reasons)
URGENT: list[tuple[str, str]] = [
    # confinement
    ("tolong sy dikurung majikan gk boleh keluar", "confinement"),
    ("Saya disekap di rumah agen sudah 3 hari", "confinement"),
    ("adik saya dikurung majikan di Kuching", "confinement"),
    ("kamek dikurung kat rumah majikan, tak boleh keluar", "confinement"),
    ("majikan kunci saya di kamar tiap malam", "confinement"),
    ("sy dikunci dr luar, pintu digembok", "confinement"),
    ("I'm locked in my room and can't get out", "confinement"),
    ("my sister is locked up by her employer", "confinement"),
    ("they won't let me leave the house", "confinement"),
    ("I cannot leave the house, the boss keeps the key", "confinement"),
    ("DIKURUNG DI MESS TIDAK BOLEH KELUAR TOLONG", "confinement"),
    ("sy gk dksh keluar rmh sm bos udh 2 bln", "confinement"),
    ("kami terjebak di kamboja tdk bisa keluar dr gedung", "confinement"),
    ("dkrung mjikan tlg", "confinement"),
    ("di kurung di gudang sama tekong", "confinement"),
    ("tak dibenarkan keluar langsung, pintu berkunci", "confinement"),
    ("majikan tak bagi kamek balik kampung", "confinement"),
    ("mau pulang tapi tidak dikasih sama agen", "confinement"),
    ("istri saya disandera di penampungan", "confinement"),
    ("we are trapped in a compound in Myanmar", "confinement"),
    ("adikku diculik org yg janjiin kerja", "confinement"),
    ("kakak sy terkurung di ruko, hp nya disita", "confinement"),
    ("sy diikat di kamar", "confinement"),
    ("held against my will in a karaoke in Sibu", "confinement"),
    ("kitak tolong, kamek kena kurung dalam bilik", "confinement"),
    ("d1kurung m4jikan", "confinement"),
    ("dikurunggg 😭😭", "confinement"),
    ("bos ngunciin aku di kamar", "confinement"),
    ("ada cewek dikurung di ruko sebelah, gimana cara lapor?", "confinement"),
    ("gaji tidak dibayar 8 bulan dan dikurung", "confinement"),
    # violence
    ("saya dipukul majikan tiap hari", "violence"),
    ("sy sering dipukulin sm bos", "violence"),
    ("kamek kena pukul ngan majikan", "violence"),
    ("majikan suka menampar dan menendang saya", "violence"),
    ("adik saya disiksa majikannya di Malaysia", "violence"),
    ("My employer beats me every day", "violence"),
    ("he hit me again last night, I'm bleeding", "violence"),
    ("I was beaten by my agent", "violence"),
    ("DIPUKUL MAJIKAN BADAN LEBAM SEMUA", "violence"),
    ("dianiaya majikan, tangan disetrika", "violence"),
    ("tlg kk sy dtendang majikan smpe berdarah", "violence"),
    ("kena belasah dengan tauke", "violence"),
    ("saya disiram air panas sama nyonya", "violence"),
    ("suami majikan mukulin aku pake kayu", "violence"),
    ("my friend is being tortured by her boss", "violence"),
    ("badan sy memar semua di pukul pake rotan", "violence"),
    ("d1puk0l", "violence"),
    ("they slapped me and kicked me", "violence"),
    # threat
    ("saya diancam mau dibunuh kalau lapor", "threat"),
    ("agen ngancam bakal bunuh keluarga sy di kampung", "threat"),
    ("kamek diugut tauke", "threat"),
    ("He threatened to kill me if I run", "threat"),
    ("mereka bilang mau bunuh aku", "threat"),
    ("nyawa saya terancam, tolong", "threat"),
    ("sy diancem mau dilaporin polisi kalo kabur", "threat"),
    ("they said they will kill us", "threat"),
    ("ada yg nodong pisau ke sy", "threat"),
    # sold / trafficked
    ("saya mau dijual ke Malaysia", "sold"),
    ("adik sy dijual agen ke tempat karaoke", "sold"),
    ("they sold me to another employer", "sold"),
    ("my sister was sold to a man in China", "sold"),
    ("kamek kena jual ngan tekong", "sold"),
    ("tolong sy dengar agen mau jual sy ke bos lain", "sold"),
    ("anak saya dipaksa nikah sama orang yg bayar 20 juta", "sold"),
    ("I think I was trafficked, they took everything", "sold"),
    ("aku diperjualbelikan", "sold"),
    ("MAU DIJUAL TOLONG", "sold"),
    # sexual violence
    ("saya diperkosa majikan", "sexual_violence"),
    ("sy dilecehkan anak majikan tiap malam", "sexual_violence"),
    ("dipaksa melayani tamu di karaoke", "sexual_violence"),
    ("aku dipaksa jadi PSK di Sibu", "sexual_violence"),
    ("kamek kena rogol", "sexual_violence"),
    ("my boss raped me", "sexual_violence"),
    ("I am being sexually harassed by my employer", "sexual_violence"),
    ("they are forcing me into prostitution", "sexual_violence"),
    ("adik sy dicabuli majikan", "sexual_violence"),
    ("majikan suka raba2 badan sy", "sexual_violence"),
    ("diprkosa", "sexual_violence"),
    ("sexual harassment by employer, what should I do", "sexual_violence"),
    ("DIPAKSA TIDUR SAMA BOS", "sexual_violence"),
    # self-harm
    ("sy mau bunuh diri aja", "self_harm"),
    ("pengen mati rasanya", "self_harm"),
    ("kamek tak nak hidup agik", "self_harm"),
    ("I want to kill myself", "self_harm"),
    ("capek hidup, mending mati aja", "self_harm"),
    ("lebih baik saya mati", "self_harm"),
    ("i dont want to live anymore", "self_harm"),
    ("bunuh dri aja lah", "self_harm"),
    ("mau loncat dari lantai 10", "self_harm"),
    ("mau minum racun", "self_harm"),
    ("im going to end my life tonight", "self_harm"),
    ("suicide", "self_harm"),
    # passport taken and cannot leave / present distress
    ("paspor sy ditahan majikan, sy gk bisa pulang", "passport_held_cannot_leave"),
    ("paspot ditahan agen tdk boleh pulang", "passport_held_cannot_leave"),
    ("majikan ambil paspor saya, saya mau pulang tapi tidak bisa", "passport_held_cannot_leave"),
    ("my employer took my passport and I can't go home", "passport_held_cannot_leave"),
    ("passport kept by agent, cannot leave, please help", "passport_held_cannot_leave"),
    ("paspor kamek kat tauke, tak boleh balik", "passport_held_cannot_leave"),
    ("paspor sy ditahan, sy takut", "passport_held_cannot_leave"),
    ("dokumen sy disita agen, sy mau pulang ke Indonesia", "passport_held_cannot_leave"),
    ("majikan pegang paspor, tolong saya", "passport_held_cannot_leave"),
    # danger now
    ("tolong saya dalam bahaya", "danger_now"),
    ("help me please I'm in danger", "danger_now"),
    ("SOS", "danger_now"),
    ("🆘🆘", "danger_now"),
    ("S.O.S", "danger_now"),
    ("darurat!! tolong", "danger_now"),
    ("This is an emergency, please help", "danger_now"),
    ("sy gak dikasih makan udah 3 hari", "danger_now"),
    ("sy mau kabur dr majikan tolong bantu", "danger_now"),
    ("tolong selamatkan adik saya", "danger_now"),
    ("tolong tolong", "danger_now"),
    ("Tolong", "danger_now"),
    ("TOLONGGGG!!!", "danger_now"),
    ("t0l0ng s4ya", "danger_now"),
    ("please rescue me", "danger_now"),
    ("help me now", "danger_now"),
    ("we are not safe here", "danger_now"),
    ("kami dipaksa menipu orang di kamboja", "danger_now"),
    ("tak bagi makan, kamek lapar", "danger_now"),
    ("sy sembunyi di toilet, majikan cari sy", "danger_now"),
    ("keluarga diminta uang tebusan 50 juta buat adik sy", "danger_now"),
    ("tlg sy takut sekali", "danger_now"),
    ("i am starving, they do not feed me", "danger_now"),
    ("tolong, sy dibawa paksa ke seberang", "danger_now"),
    # found while probing with messages written after the rules
    ("majikan tidak mau kasih saya pulang, paspor dia simpan", "confinement"),
    ("ibu tidak kasih saya keluar", "confinement"),
    ("sy skrg di sarawak, bos tak bagi kluar, hp pun diambil", "confinement"),
    ("please help my daughter is being held by the agent", "confinement"),
    ("they keep us in a locked room", "confinement"),
    ("sy ditahan di rumah majikan, gk boleh kemana2", "confinement"),
    ("sy d kunci di kamar mandi", "confinement"),
    ("kmi 5 org d kurung di rumah kosong", "confinement"),
    ("kami 20 orang disuruh kerja scam, kalau tidak capai target disetrum", "violence"),
    ("tolong kami di kapal, tidak boleh turun, dipukul kapten", "violence"),
    ("dia ancam sebar foto sy kalau sy lapor", "threat"),
    ("jgn lapor polisi katanya nanti keluarga sy dihabisi", "threat"),
    ("di rumah majikan saya dijual ke orang lain", "sold"),
    ("my daughter was taken to Malaysia and sold", "sold"),
    ("sy disuruh kerja d rumah bordil", "sexual_violence"),
    ("sy dipaksa ngelayanin tamu", "sexual_violence"),
    ("she tried to kill herself", "self_harm"),
    ("kalau sy mati siapa yang urus anak sy", "self_harm"),
    ("sy mau pulang tapi tauke tak kasi, paspot pun die simpan", "passport_held_cannot_leave"),
    ("sidak ambik passport kamek, kamek nak balik tapi sik dapat", "passport_held_cannot_leave"),
    ("kamek takut, tolong kamek", "danger_now"),
    ("kamek nak lari tapi takut kena tangkap", "danger_now"),
    ("my husband's employer has not given him food for days", "danger_now"),
    ("saya kabur dari majikan, sekarang di jalan, tidak punya paspor", "danger_now"),
    # mixed registers
    ("Please tolong sy, majikan pukul sy", "violence"),
    ("help kak, aku dikurung", "confinement"),
    ("boss kamek pukol kamek, please help", "violence"),
]

NOT_URGENT: list[str] = [
    # education and definitions
    "apa itu TPPO",
    "tanda2 penipuan kerja apa aja?",
    "hak korban perdagangan orang apa aja",
    "ciri2 pengantin pesanan apa aja",
    "modus TPPO di kalbar apa saja?",
    "apa itu kerja paksa",
    "apa itu pelecehan seksual?",
    "apakah pelecehan seksual termasuk TPPO?",
    "apa bedanya TKI legal dan ilegal?",
    "kawin kontrak itu legal gak",
    "film tentang perdagangan orang yg bagus apa?",
    "What are the signs of human trafficking?",
    "What rights do trafficking victims have?",
    # rights questions, including passport kept with no inability to leave
    "kalau paspor ditahan majikan itu boleh gak?",
    "apakah majikan boleh menahan paspor pekerja?",
    "can my employer keep my passport?",
    "my employer keeps my passport, is that legal?",
    "agen bilang paspor akan disimpan perusahaan selama kontrak, wajar gak?",
    "is it normal that the agent keeps my passport until I leave?",
    "boleh gak majikan simpan paspor saya? saya tidak mau kabur kok",
    "apakah tidak boleh pulang sebelum kontrak habis?",
    "apakah majikan boleh melarang pekerja keluar rumah?",
    "gaji saya dipotong terus tiap bulan, itu boleh?",
    "gaji sy belum dibayar 2 bulan, gmn cara nuntut?",
    "majikan tidak kasih libur, apa hak saya?",
    "kalau majikan tidak bayar gaji, saya harus lapor kemana?",
    "apakah tki boleh dipulangkan paksa?",
    "apakah pekerja rumah tangga boleh keluar rumah saat libur?",
    # hypotheticals about a generic worker, legal penalties
    "bagaimana kalau majikan memukul pekerja, lapor kemana?",
    "apa hukuman bagi majikan yang menyekap pekerja?",
    "pelaku TPPO diancam pidana berapa tahun?",
    "apa ancaman hukuman untuk perdagangan orang",
    "jika seseorang dijual ke luar negeri, pasal apa yang dikenakan?",
    "aku dengar ada TKW dipukul majikan di berita, gimana cara mencegahnya?",
    "saya mahasiswa, lagi bikin tugas tentang korban yang disekap, ada data?",
    "I heard workers get beaten in some factories, how to avoid bad employers?",
    "korban yg dipaksa kerja ilegal bakal dipenjara gk",
    # past harm, now safe: a restitution question
    "bisa minta restitusi kalau dulu pernah dipukul majikan, sekarang sudah di kampung?",
    "dulu sy pernah disekap agen di batam, skrg sudah pulang. bisa tuntut?",
    # procedure, documents, costs, visas, destinations
    "saya mau kerja di Malaysia",
    "gmn cara cek PT resmi",
    "visa turis boleh buat kerja?",
    "brp biaya penempatan ke taiwan?",
    "syarat jadi PMI apa aja",
    "umur 17 boleh kerja ke luar negeri gak",
    "apakah agen boleh minta uang pendaftaran 5 juta?",
    "cara daftar SIAPkerja",
    "berapa lama proses paspor?",
    "apa boleh kerja di malaysia pakai paspor pelancong",
    "kamek nak keje kat Kuching, macam mane caranya?",
    "ape syarat nak keje kat Sarawak",
    "berapa gaji minimum di Malaysia",
    "Saudi masih moratorium kah?",
    "kerja di kebun sawit sarawak gaji brp?",
    "info lowongan kerja kapal pesiar",
    "I want to work in Malaysia as a domestic worker",
    "what documents do I need?",
    "How much does the agency charge?",
    "Is a tourist visa ok for working in Malaysia?",
    "visa saya belum keluar, sudah 2 bulan",
    "gaji belum keluar, boleh gak saya keluar kerja?",
    "saya tidak bisa keluar dari pekerjaan sebelum kontrak habis?",
    "kapan bisa keluar dari penampungan? sudah 3 bulan nunggu berangkat",
    "bagaimana cara pulang kalau kontrak sudah habis",
    "tidak bisa pulang karena tiket mahal, ada bantuan?",
    "boleh gak saya bawa anak ke malaysia",
    # money, property, things being sold
    "rumah saya mau dijual buat biaya berangkat, boleh gak?",
    "tanah warisan dijual ke orang lain utk bayar calo",
    "apa saja yang dijual di pasar Entikong?",
    "agen jual tiket pesawat mahal sekali",
    # checking offers and agencies, fear of scams
    "ada tetangga ditawari kerja jadi admin di kamboja gaji 15 juta, aman gak?",
    "lowongan operator di thailand gaji besar, asli gak ya",
    "agen minta fotokopi KTP dan KK, aman gak?",
    "apakah P3MI bisa dicek online?",
    "PT Maju Jaya resmi gak?",
    "takut ditipu agen, gimana cara cek?",
    "sy takut tertipu lowongan di fb",
    # reporting a recruiter without danger, missing relatives, detention
    "cara lapor agen nakal gmn",
    "saya mau lapor calo yg rekrut anak2 di kampung pakai visa umrah",
    "How do I report a fake recruiter?",
    "adik saya tidak bisa dihubungi sejak 2 minggu",
    "laki kamek pegi Malaysia ikut tekong, sampai kinek tak balik-balik, tak boleh dihubungi",
    "my cousin has not replied for 3 weeks since she went to Johor",
    "suami saya kerja di kapal, sudah 1 bulan tidak ada kabar",
    "teman saya ditahan polisi malaysia karena tidak punya permit, bisa bantu hukum?",
    "adik saya dideportasi lewat Entikong, gimana cara jemput?",
    "my brother is in jail in Malaysia, can you help?",
    "paspor saya hilang di Kuching, gimana?",
    # legal aid, contacts, hotlines
    "mau konsultasi hukum gratis, kemana ya?",
    "posbakum di desa saya ada gak",
    "can I get free legal aid?",
    "dimana kantor BP3MI Pontianak",
    "kak ada nomor BP3MI Kalbar?",
    "nomor darurat KBRI Kuala Lumpur berapa?",
    "nomor polisi darurat brp",
    "emergency number in Malaysia?",
    "emergency contact untuk TKI di Sarawak?",
    "paspor darurat (SPLP) cara buatnya gimana?",
    "kalau dalam keadaan darurat harus hubungi siapa?",
    # alarming words in ordinary senses: time, broken phones, averages, accounts, injuries
    "pukul berapa kantor BP3MI buka?",
    "majikan suruh masuk pukul 5 pagi, lembur dibayar gak?",
    "hp saya mati, nanti saya hubungi lagi",
    "biaya dipukul rata 5 juta per orang, wajar?",
    "hp saya dikunci, lupa password",
    "akun facebook saya terkunci",
    "I hurt my back lifting boxes, can I claim insurance?",
    "kerja di KL gaji brp",
    "kalau saya mati di malaysia, jenazah dipulangkan gratis?",
    "⚠️🚨 hati-hati penipuan lowongan kerja di kamboja! sebarkan",
    "film Dikurung bagus gak",
    "berapa lama hukuman kurungan untuk calo ilegal?",
    # parents forbidding, leave denied, rules of training centres, hearsay, statistics
    "saya tidak izinkan dia pergi ke malaysia lewat calo",
    "orang tua saya melarang saya pergi ke malaysia",
    "bos sy tidak kasih pulang cuti tahun ini, padahal kontrak bilang boleh",
    "agen bilang selama pelatihan tidak boleh keluar asrama, normal?",
    "apakah PMI dilarang pulang sebelum 2 tahun?",
    "apakah boleh kerja di kapal ikan taiwan? katanya sering dipukul",
    "ada yang bilang kerja di kamboja nanti dijual ke perusahaan lain, benar gak?",
    "kenapa banyak TKI dikurung majikan di malaysia?",
    "Many workers are abused in Saudi, is it safe to go?",
    "TKI yang disiksa majikan dapat kompensasi gak?",
    "bagaimana melindungi diri dari majikan yang suka memukul",
    "what should a worker do if the employer holds the passport?",
    "my employer does not let me use my phone",
    "saya pengen pulang ke indonesia tapi takut dimarahi agen",
    "saya korban TPPO tahun lalu, apa saya bisa dapat restitusi?",
    "sy udah pulang dr kamboja, dulu disekap, skrg mau lapor polisi gmn caranya",
    "boleh sik kamek keje kat brunei guna pasport melancong?",
    "help me find a legal job in Malaysia",
    "please help, how do I check if an agency is licensed?",
    # the bot itself, small talk, menus
    "halo",
    "selamat pagi min",
    "terima kasih banyak kak",
    "makasih ya",
    "thanks a lot",
    "hi, what can this bot do?",
    "help",
    "/help",
    "help me",
    "tolong jelaskan syarat kerja ke Hongkong",
    "tlg sy mau tanya ttg biaya ke taiwan",
    "bisa ngobrol sama petugas?",
    "kamu bot ya?",
    "ganti bahasa inggris",
    "status laporan KB-2025-000123 gmn?",
    "stop kirim info",
    "mau berlangganan tips migrasi aman",
    "ok siap",
    "gak jadi",
    "sampai jumpa",
    # ordinary workplace friction that is not danger
    "bos sy baik, cuma gaji telat",
    "majikan marah2 terus, gimana ya",
    "antrian di PLBN Entikong panjang, terjebak macet 3 jam",
    "",
]


@pytest.mark.parametrize(("text", "category"), URGENT)
def test_urgent_message_is_flagged_with_its_category(text: str, category: str) -> None:
    verdict = check(text)
    assert verdict.urgent, text
    assert category in verdict.reasons, (text, verdict)
    assert verdict.matched


@pytest.mark.parametrize("text", NOT_URGENT)
def test_general_message_is_not_urgent(text: str) -> None:
    verdict = check(text)
    assert verdict == SafetyVerdict(False, (), ()), (text, verdict)


def test_tables_cover_every_category_and_enough_cases() -> None:
    assert {category for _, category in URGENT} == set(CATEGORIES)
    assert len(URGENT) >= 80
    assert len(NOT_URGENT) >= 80


@pytest.mark.parametrize(
    "text",
    [
        "kalau pekerja dikurung majikan, hukumannya apa?",
        "apa itu pelecehan seksual",
        "kalau majikan memukul pekerja, pasal apa?",
    ],
)
def test_question_framings_with_a_generic_subject_stay_out_of_the_queue(text: str) -> None:
    assert not check(text).urgent


@pytest.mark.parametrize(
    ("text", "category"),
    [
        # A question framing never hides a named victim, a plea, self-harm or sexual violence.
        ("kalau saya dikurung majikan lapor kemana?", "confinement"),
        ("dikurung majikan lapor kemana", "confinement"),
        ("kalau dipukul majikan lapor kemana ya kak", "violence"),
        (
            "tolong saya, kalau paspor ditahan dan tidak bisa pulang harus gimana",
            "passport_held_cannot_leave",
        ),
        ("apakah boleh kalau saya mau bunuh diri", "self_harm"),
        ("kalau diperkosa majikan apa hukumannya", "sexual_violence"),
        ("dulu saya diperkosa agen, sekarang sudah di kampung", "sexual_violence"),
    ],
)
def test_question_framings_do_not_downgrade_what_they_must_not(text: str, category: str) -> None:
    verdict = check(text)
    assert verdict.urgent and category in verdict.reasons, (text, verdict)


def test_reasons_follow_the_fixed_order_and_matched_shows_the_fragments() -> None:
    verdict = check("sy dipukul dan dikurung majikan, mau bunuh diri")
    assert verdict.reasons == ("self_harm", "confinement", "violence")
    assert {"dipukul", "dikurung", "bunuh diri"} <= set(verdict.matched)


def test_verdict_is_immutable() -> None:
    verdict = check("tolong dikurung")
    with pytest.raises(dataclasses.FrozenInstanceError):
        verdict.urgent = False  # type: ignore[misc]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Tolonggg", "tolong"),
        ("tolongg", "tolong"),
        ("t0l0ng", "tolong"),
        ("HELPPP!!!", "help"),
        ("killll", "kill"),
        ("mingggu", "minggu"),
        ("Sy tdk bs kluar", "saya tidak bisa keluar"),
        ("gk ga gak nggak tak", "tidak tidak tidak tidak tidak"),
        ("dgn yg tlg tlong org kmr", "dengan yang tolong tolong orang kamar"),
        ("mjikan psprt paspot passport", "majikan paspor paspor paspor"),
        ("kamek sik boleh", "kamek tidak boleh"),
        ("Ápá kábár?", "apa kabar"),
        ("tanda2", "tanda tanda"),
        ("2minggu", "2 minggu"),
        ("Hello, World!!!", "hello world"),
        ("I can't leave, they won't let me", "i cannot leave they will not let me"),
        ("di kurung di rumah", "dikurung di rumah"),
        ("S.O.S", "sos"),
        ("🆘", "sos"),
        ("maaf saat ini", "maaf saat ini"),
        ("", ""),
    ],
)
def test_normalise(raw: str, expected: str) -> None:
    assert fold_message(raw) == expected


# Money demanded to release someone (issue 11): ransom, "tebusan" and "denda" are urgent; a fine asked
# about in general is not.
@pytest.mark.parametrize(
    "text",
    [
        "anak sy di kamboja disekap, mereka minta tebusan 30 juta, sy hrs transfer gk?",
        "adik saya ditahan agen, agen minta denda 15 juta baru boleh pulang",
        "mereka minta uang 20jt supaya suami saya dilepas",
        "agen minta sy bayar denda 10 juta kalau mau pulang",
        "istri kamek kena tahan, sidak minta denda 5 ribu ringgit baru dilepas",
        "they want 5000 dollars to release my daughter",
        "they will only release my son if we pay a fine",
        "my sister is held and the agent demands a penalty before they let her go",
        "kalau mau adik saya dipulangkan, kami disuruh bayar denda 25 juta",
    ],
)
def test_money_demanded_for_a_release_is_urgent(text: str) -> None:
    verdict = check(text)
    assert verdict.urgent and "danger_now" in verdict.reasons, (text, verdict)


@pytest.mark.parametrize(
    "text",
    [
        "kena denda overstay brp?",
        "denda imigrasi malaysia brp",
        "berapa denda kalau putus kontrak?",
        "apa denda buat perusahaan yang kirim pekerja ilegal?",
        "how much is the fine for overstaying in malaysia?",
        "saya minta uang ke keluarga supaya bisa pulang",
    ],
)
def test_fines_asked_about_in_general_are_not_urgent(text: str) -> None:
    assert not check(text).urgent, text


def _corpus() -> list[str]:
    """Every message the tables here hold, and every training example of the NLU model."""
    texts = [text for text, _ in URGENT] + list(NOT_URGENT)
    for path in sorted((PROJECT_ROOT / "nlu" / "data").glob("*.yml")):
        for block in yaml.safe_load(path.read_text()).get("nlu", []):
            examples = block.get("examples") or ""
            texts += [line[2:].strip() for line in examples.splitlines() if line.startswith("- ")]
    return texts


def test_the_one_scan_over_all_rules_finds_what_the_rules_one_by_one_find() -> None:
    """check() skips the rules when their joined pattern matches nowhere: never a message they would flag."""
    corpus = _corpus()
    assert len(corpus) > 1000
    flagged = 0
    for text in corpus:
        clauses = safety._clauses(text)
        if not clauses:
            continue
        joined = " ".join(clause for _, clause in clauses)
        one_by_one = safety._rule_hits(joined, clauses, prefilter=False)
        assert safety._rule_hits(joined, clauses) == one_by_one, text
        flagged += bool(one_by_one)
    assert flagged > 100  # the corpus does exercise the rules
