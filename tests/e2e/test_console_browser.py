"""The staff console in headless Chromium against the served app: an urgent message in local chat,
Telegram or WhatsApp reaches the top of the queue by itself, staff claim it, answer it, and the
person receives the answer; then they close it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect

from bot.storage.models import EscalationStatus, StaffRole
from tests.conftest import make_settings
from tests.e2e.live import PASSWORD, LiveServer
from tests.fakes import shapes
from tests.fakes.bot import WEBHOOK_SECRET, channel_env, closed_nlu, tuned
from tests.fakes.server import FakeServer
from tests.fakes.telegram_api import FakeTelegram
from tests.fakes.twilio_api import FakeTwilio
from tests.support import wait_until

URGENT = "tolong saya dikurung majikan, tidak boleh keluar rumah"
REPLY = "Kami dari Kanwil Kemenkum Kalbar. Apakah Anda aman sekarang? Di kota mana Anda?"
PHONE_NUMBER = "+6281234567890"


class Person:
    """Someone writing to the bot on one channel, through that channel's real entry point."""

    def __init__(self, live: LiveServer, channel: str, fake: FakeServer | None) -> None:
        self.live = live
        self.channel = channel
        self.fake = fake

    def writes(self, text: str) -> None:
        if self.channel == "local":
            self.live.say("siti", text)
        elif self.channel == "telegram":
            body = json.dumps(shapes.message(text))
            response = httpx.post(f"{self.live.url}/webhooks/telegram", content=body, headers={
                "Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET})
            assert response.status_code == 200
        else:
            from tests.fakes.bot import PUBLIC_URL
            from tests.fakes.shapes import twilio_signature
            from tests.fakes.twilio_api import AUTH_TOKEN

            form = shapes.twilio_message(text, phone=PHONE_NUMBER)
            signature = twilio_signature(AUTH_TOKEN, f"{PUBLIC_URL}/webhooks/whatsapp", form)
            response = httpx.post(f"{self.live.url}/webhooks/whatsapp", data=form,
                                  headers={"X-Twilio-Signature": signature})
            assert response.status_code == 200

    def received(self) -> str:
        """Everything the person's phone (or terminal) has shown them so far."""
        if self.channel == "local":
            return self.live.out.getvalue()
        if self.channel == "telegram":
            assert isinstance(self.fake, FakeTelegram)
            return "\n".join(self.fake.texts(shapes.PERSON["id"]))
        assert isinstance(self.fake, FakeTwilio)
        return "\n".join(self.fake.bodies(f"whatsapp:{PHONE_NUMBER}"))

    def waits_for(self, text: str) -> None:
        wait_until(lambda: text in self.received(), timeout=20)


@pytest.fixture(params=["local", "telegram", "whatsapp"])
def served(request: pytest.FixtureRequest, tmp_path: Path, database_url: str) -> Iterator[Person]:
    channel = request.param
    fake: FakeServer | None = None
    env: dict[str, str] = {}
    if channel == "telegram":
        fake = FakeTelegram()
        env = channel_env(telegram=fake)
    elif channel == "whatsapp":
        fake = FakeTwilio()
        env = channel_env(twilio=fake)
    settings = tuned(make_settings(tmp_path, database_url, **closed_nlu(), **env))
    live = LiveServer.start(settings, before_app=[fake] if fake else [])
    try:
        yield Person(live, channel, fake)
    finally:
        live.stop()


def sign_in(page: Page, live: LiveServer, username: str) -> None:
    page.goto(f"{live.url}/console/")
    expect(page).to_have_url(f"{live.url}/console/login?next=/console/")  # anonymous: the login page
    page.get_by_label("Nama pengguna").fill(username)
    page.get_by_label("Kata sandi").fill(PASSWORD)
    page.get_by_role("button", name="Masuk").click()
    expect(page).to_have_url(f"{live.url}/console/")


def test_an_urgent_message_is_answered_from_the_console(served: Person, phone: Page) -> None:
    live = served.live
    live.add_staff("ani", StaffRole.AGENT)
    live.say("someone-else", "/petugas")  # a normal request has been waiting longer
    sign_in(phone, live, "ani")
    cards = phone.locator("#queue > li")
    expect(cards).to_have_count(1)
    phone.evaluate("window.notReloaded = true")

    served.writes(URGENT)
    # Within seconds, without a reload, the urgent one is on top.
    expect(cards).to_have_count(2, timeout=15_000)
    expect(cards.first).to_contain_text("MENDESAK")
    expect(cards.first).to_contain_text("Darurat: dikurung / disekap")
    expect(cards.first).to_contain_text("menunggu")
    expect(cards.nth(1)).to_contain_text("BIASA")
    assert phone.evaluate("window.notReloaded") is True
    served.waits_for("Polisi: 110")  # the bot answered the person at once with numbers to call

    cards.first.get_by_role("link", name="Buka").click()
    expect(phone.locator("#transcript")).to_contain_text(URGENT)
    phone.get_by_role("button", name="Ambil percakapan ini").click()
    expect(phone.get_by_role("status")).to_contain_text("Eskalasi ini sekarang Anda tangani.")
    served.waits_for("sudah membaca pesan Anda")

    phone.get_by_label("Pesan untuk orang ini").fill(REPLY)
    phone.get_by_role("button", name="Kirim balasan").click()
    expect(phone.get_by_role("status")).to_contain_text("Balasan masuk antrean kirim.")
    served.waits_for(f"👤 Petugas: {REPLY}")

    # The person answers; the open transcript shows it by itself.
    served.writes("saya di Kuching, di rumah majikan")
    expect(phone.locator("#transcript")).to_contain_text("saya di Kuching, di rumah majikan", timeout=15_000)

    phone.get_by_label("Tutup dengan hasil").select_option("assisted")
    phone.get_by_label("Catatan penutupan").fill("Aman, dijemput keluarga")
    phone.get_by_role("button", name="Tutup eskalasi").click()
    expect(phone.get_by_role("status")).to_contain_text("Eskalasi ditutup.")
    served.waits_for("Percakapan dengan petugas selesai")
    urgent = [e for e in live.escalations() if e.priority.value == "urgent"][0]
    assert (urgent.status, urgent.outcome) == (EscalationStatus.CLOSED, "assisted")

    phone.get_by_role("link", name="← Antrean").click()
    expect(cards).to_have_count(1)
    expect(cards.first).to_contain_text("BIASA")


@pytest.fixture
def live(tmp_path: Path, database_url: str) -> Iterator[LiveServer]:
    server = LiveServer.start(make_settings(tmp_path, database_url))
    try:
        yield server
    finally:
        server.stop()


def test_a_script_in_a_message_is_shown_as_text(live: LiveServer, phone: Page) -> None:
    hostile = 'tolong saya dikurung <script>alert("xss")</script><img src=x onerror="alert(1)"> majikan'
    dialogs: list[str] = []
    phone.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    live.add_staff("ani")
    live.say("siti", hostile)
    sign_in(phone, live, "ani")
    card = phone.locator("#queue > li").first
    card.get_by_role("link", name="Buka").click()
    transcript = phone.locator("#transcript")
    expect(transcript).to_contain_text(hostile)  # the literal characters, visible
    expect(transcript.locator("img")).to_have_count(0)
    expect(transcript.locator("script")).to_have_count(0)

    # The same text arriving later through the page's own refresh is just as harmless.
    live.say("siti", hostile.replace("xss", "xss-2"))
    expect(transcript).to_contain_text('alert("xss-2")', timeout=15_000)
    expect(transcript.locator("img")).to_have_count(0)
    phone.wait_for_timeout(500)
    assert dialogs == []


def test_access_control_in_the_browser(live: LiveServer, phone: Page) -> None:
    live.add_staff("ani", StaffRole.AGENT)
    phone.goto(f"{live.url}/console/audit")
    expect(phone.get_by_role("button", name="Masuk")).to_be_visible()  # anonymous: the login page
    phone.get_by_label("Nama pengguna").fill("ani")
    phone.get_by_label("Kata sandi").fill(PASSWORD)
    phone.get_by_role("button", name="Masuk").click()
    expect(phone).to_have_url(f"{live.url}/console/audit")
    expect(phone.get_by_role("heading", name="Akses ditolak")).to_be_visible()
    for path in ("/console/audit", "/console/export.csv", "/console/admin/staff"):
        response = phone.goto(f"{live.url}{path}")
        assert response is not None and response.status == 403, path
    expect(phone.get_by_role("link", name="Log audit")).to_have_count(0)  # not even offered


def test_wrong_passwords_lock_the_account(live: LiveServer, phone: Page) -> None:
    live.add_staff("ani")
    phone.goto(f"{live.url}/console/login")
    for _ in range(live.app.settings.hotline.max_failed_logins + 1):
        phone.get_by_label("Nama pengguna").fill("ani")
        phone.get_by_label("Kata sandi").fill("bukan-kata-sandinya")
        phone.get_by_role("button", name="Masuk").click()
        expect(phone.get_by_role("alert")).to_contain_text("Nama pengguna atau kata sandi salah")
    phone.get_by_label("Nama pengguna").fill("ani")
    phone.get_by_label("Kata sandi").fill(PASSWORD)
    phone.get_by_role("button", name="Masuk").click()
    expect(phone.get_by_role("alert")).to_contain_text("dikunci sementara")
    expect(phone).to_have_url(f"{live.url}/console/login")


