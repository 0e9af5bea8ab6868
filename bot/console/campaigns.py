"""Campaigns (Kampanye): compose a reviewed message to chosen subscribers, preview it per channel,
schedule or send it, watch its progress and cancel it. Supervisors and admins only; audited.

The campaign itself (storing, cancelling, counting, sending) is bot/campaigns; this page reads the
form, shows exactly what people will get (sending.compose, and WhatsApp's numbered text from
bot/answers/layout, the function the WhatsApp sender uses) and calls in.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from bot.answers.layout import numbered_text
from bot.campaigns import audience, campaigns, sending, subscribers
from bot.campaigns.audience import SegmentError
from bot.campaigns.campaigns import CampaignError, Counts
from bot.console.auth import SUPERVISOR, checked_form, flash, require
from bot.console.common import WIB, Console, wib
from bot.storage.models import Campaign, CampaignStatus, Staff

STATUS_LABELS = {
    CampaignStatus.SCHEDULED: "Terjadwal",
    CampaignStatus.SENDING: "Mengirim",
    CampaignStatus.DONE: "Selesai",
    CampaignStatus.CANCELLED: "Dibatalkan",
}
ORIGIN_LABELS = {"console": "Konsol", "cli": "Baris perintah", "tips": "Tips mingguan"}
SKIP_LABELS = {
    campaigns.WINDOW: "di luar jendela 24 jam WhatsApp",
    subscribers.OPTED_OUT: "berhenti langganan",
    campaigns.CANCELLED: "dibatalkan",
}
LANGUAGE_LABELS = {"id": "Bahasa Indonesia", "en": "English"}
CHANNEL_LABELS = {"telegram": "Telegram", "whatsapp": "WhatsApp", "local": "Chat lokal"}
# A time a little in the past still means "now" (the form took a moment to submit).
PAST_GRACE = timedelta(minutes=5)
TEMPLATE_VARS_MAX = 20


@dataclass
class Compose:
    """The compose form as entered, what it means, and what is wrong with it."""

    values: dict[str, str]
    segment: dict[str, str] = field(default_factory=dict)
    segment_known: bool = True
    send_at: datetime | None = None
    template_vars: dict[str, str] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)

    def draft(self, staff_id: int) -> campaigns.Draft:
        v = self.values
        return campaigns.Draft(
            title=v["title"], text_id=v["text_id"], text_en=v["text_en"] or None, segment=self.segment,
            send_at=self.send_at, content_item=v["content_item"] or None, wa_template_sid=v["wa_template_sid"] or None,
            wa_template_vars=self.template_vars, origin="console", created_by=staff_id,
        )


FIELDS = ("title", "content_item", "text_id", "text_en", "regency", "language", "channel", "topic", "when",
          "send_at", "wa_template_sid", "wa_template_vars")


def read_form(form: Mapping[str, Any], now: datetime) -> Compose:
    """The entered values (kept for the page), and every problem in one sentence each, in Indonesian."""
    values = {name: str(form.get(name) or "").strip() for name in FIELDS}
    values["when"] = values["when"] if values["when"] in ("now", "at") else "now"
    compose = Compose(values)
    errors = compose.errors
    if not values["text_id"]:
        errors.append("Pesan dalam Bahasa Indonesia wajib diisi.")
    if max(len(values["text_id"]), len(values["text_en"])) > campaigns.MAX_TEXT:
        errors.append(f"Pesan paling banyak {campaigns.MAX_TEXT} karakter per bahasa.")
    segment = {key: values[key] for key in audience.SEGMENT_KEYS if values[key]}
    try:
        audience.check_segment(segment)
        compose.segment = segment
    except SegmentError:
        compose.segment_known = False
        errors.append("Pilihan audiens tidak dikenal; pilih dari daftar.")
    if values["when"] == "at":
        try:
            at = datetime.fromisoformat(values["send_at"]).replace(tzinfo=WIB).astimezone(UTC)
        except ValueError:
            errors.append("Isi tanggal dan jam kirim (WIB), atau pilih Kirim sekarang.")
        else:
            if at < now - PAST_GRACE:
                errors.append("Waktu kirim sudah lewat; pilih waktu yang akan datang, atau Kirim sekarang.")
            compose.send_at = max(at, now)
    sid = values["wa_template_sid"]
    if sid and not (sid.startswith("HX") and len(sid) == 34 and sid.isalnum()):
        errors.append("Content SID template WhatsApp tidak valid: diawali HX, lalu 32 huruf/angka (34 karakter).")
    for line in values["wa_template_vars"].splitlines():
        key, sep, value = line.partition("=")
        if not line.strip():
            continue
        if not sep or not key.strip():
            errors.append(f"Variabel template “{line.strip()[:40]}”: tulis satu per baris sebagai kunci=nilai, mis. 1=Sambas.")
            break
        compose.template_vars[key.strip()] = value.strip()
    if compose.template_vars and not sid:
        errors.append("Variabel template diisi tetapi Content SID template kosong.")
    if len(compose.template_vars) > TEMPLATE_VARS_MAX:
        errors.append(f"Paling banyak {TEMPLATE_VARS_MAX} variabel template.")
    return compose


def progress(figures: Counts) -> dict[str, int]:
    """How far a campaign is: recipients finished (sent, failed, skipped) of all it reaches."""
    finished = figures.sent + figures.failed + figures.skipped
    total = figures.audience if figures.audience is not None else finished + figures.queued
    return {"value": min(finished, total), "max": max(total, 1), "percent": round(100 * finished / total) if total else 0}


class CampaignsPage:
    """/campaigns, /campaigns/new (GET, POST), /campaigns/{id}, /campaigns/{id}/cancel and
    /api/campaigns/{id} (the detail page's refresh): supervisors and admins only."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.library = console.app.services.library

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/campaigns", self.list_page, methods=["GET"]),
            Route("/campaigns/new", self.compose_page, methods=["GET"]),
            Route("/campaigns/new", self.compose_post, methods=["POST"]),
            Route("/campaigns/{id:int}", self.detail_page, methods=["GET"]),
            Route("/campaigns/{id:int}/cancel", self.cancel, methods=["POST"]),
            Route("/api/campaigns/{id:int}", self.json, methods=["GET"]),
        ]

    async def _supervisor(self, request: Request) -> Staff:
        staff = await self.console.current(request)
        require(staff, SUPERVISOR)
        return staff

    # ------------------------------------------------------------ list
    async def list_page(self, request: Request) -> Response:
        staff = await self._supervisor(request)

        def work(session: Session) -> list[dict[str, Any]]:
            return [self._row(session, c) for c in campaigns.recent(session)]

        rows = await self.console.db(work)
        return self.console.render(request, "campaigns.html", staff, rows=rows)

    def _row(self, session: Session, campaign: Campaign) -> dict[str, Any]:
        figures = campaigns.counts(session, campaign)
        creator = session.get(Staff, campaign.created_by) if campaign.created_by else None
        return {
            "c": campaign, "counts": figures, "progress": progress(figures),
            "status_label": STATUS_LABELS[campaign.status],
            "origin_label": ORIGIN_LABELS.get(campaign.origin, campaign.origin),
            "creator": creator.username if creator else None,
            "audience_label": audience.describe(campaign.segment),
            "active": campaign.status in (CampaignStatus.SCHEDULED, CampaignStatus.SENDING),
        }

    # ------------------------------------------------------------ compose
    async def compose_page(self, request: Request) -> Response:
        staff = await self._supervisor(request)
        empty = Compose({name: "" for name in FIELDS} | {"when": "now"})
        return await self._compose(request, staff, empty, preview=False)

    async def compose_post(self, request: Request) -> Response:
        console = self.console
        staff = await self._supervisor(request)
        form = await checked_form(request)
        action = str(form.get("action") or "preview")
        compose = read_form(form, console.now())
        item = self.library.get(compose.values["content_item"]) if compose.values["content_item"] else None
        if compose.values["content_item"] and item is None:
            compose.errors.append("Isi pustaka itu tidak dikenal; pilih dari daftar.")
        if action == "fill" and item is not None:
            compose.values["text_id"] = self.library.render(item, "id", 0).text
            compose.values["text_en"] = self.library.render(item, "en", 0).text
            compose.values["title"] = compose.values["title"] or item.title.get("id", item.id)[:120]
            compose = read_form(compose.values, console.now())
            return await self._compose(request, staff, compose, preview=True)
        if action != "send" or compose.errors:
            return await self._compose(request, staff, compose, preview=action == "preview",
                                       status_code=400 if action == "send" else 200)

        def work(session: Session) -> tuple[int, int]:
            campaign = campaigns.create(session, compose.draft(staff.id), console.now())
            reach = audience.count(session, campaign.segment, console.settings.default_language)
            console.audit(session, request, "campaign_create", staff.id, campaign.id, target_type="campaign",
                          segment=dict(campaign.segment), audience=reach, send_at=campaign.send_at.isoformat(),
                          content_item=campaign.content_item, template=campaign.wa_template_sid)
            return campaign.id, reach

        try:
            campaign_id, reach = await console.db(work)
        except (CampaignError, SegmentError) as exc:
            compose.errors.append(f"Kampanye tidak bisa dibuat: {exc}")
            return await self._compose(request, staff, compose, preview=True, status_code=400)
        when = "sekarang" if compose.send_at is None else wib(compose.send_at)
        flash(request, f"Kampanye #{campaign_id} dijadwalkan ({when}) untuk {reach} orang.", "ok")
        return RedirectResponse(f"/console/campaigns/{campaign_id}", 303)

    async def _compose(self, request: Request, staff: Staff, compose: Compose, *, preview: bool,
                       status_code: int = 200) -> Response:
        console = self.console
        reach: dict[str, int] = {}
        if preview and compose.segment_known:
            def work(session: Session) -> dict[str, int]:
                default = console.settings.default_language
                found = {"total": audience.count(session, compose.segment, default)}
                if "channel" not in compose.segment:
                    for channel in ("telegram", "whatsapp"):
                        found[channel] = audience.count(session, {**compose.segment, "channel": channel}, default)
                return found

            reach = await console.db(work)
        items = sorted(self.library.items, key=lambda i: i.title.get("id", i.id))
        return console.render(
            request, "campaign_new.html", staff, status_code=status_code, v=compose.values, errors=compose.errors,
            previews=self._previews(compose) if preview and compose.values["text_id"] else [],
            reach=reach, segment_label=audience.describe(compose.segment),
            items=[(i.id, i.title.get("id", i.id)) for i in items],
            regencies=[(key, audience.region_label(key)) for key in audience.REGION_KEYS],
            languages=LANGUAGE_LABELS, channels={k: CHANNEL_LABELS[k] for k in audience.CHANNELS},
            topics=audience.TOPICS, template_vars=compose.template_vars,
            min_time=console.now().astimezone(WIB).strftime("%Y-%m-%dT%H:%M"),
        )

    def _previews(self, compose: Compose) -> list[dict[str, Any]]:
        """Per language: the Telegram message (text and buttons) and the WhatsApp messages, exactly as sent."""
        v = compose.values
        campaign = Campaign(  # never added to a session: compose only reads it
            title=v["title"], text_id=v["text_id"], text_en=v["text_en"] or None, content_item=v["content_item"] or None,
            segment=compose.segment,
        )
        texts = self.console.texts
        languages = ("id", "en") if v["text_en"] and "language" not in compose.segment else (
            compose.segment.get("language", "id"),)
        previews = []
        for lang in languages:
            reply = sending.compose(campaign, lang, texts=texts, library=self.library)
            buttons = [(b.label, b.payload) for b in reply.buttons]
            previews.append({
                "lang": lang, "label": LANGUAGE_LABELS[lang], "text": reply.text, "buttons": [b[0] for b in buttons],
                "whatsapp": numbered_text(reply.text, buttons, texts, lang),
            })
        return previews

    # ------------------------------------------------------------ detail
    async def detail_page(self, request: Request) -> Response:
        staff = await self._supervisor(request)
        campaign_id = int(request.path_params["id"])

        def work(session: Session) -> dict[str, Any] | None:
            campaign = session.get(Campaign, campaign_id)
            return self._row(session, campaign) if campaign else None

        row = await self.console.db(work)
        if row is None:
            raise HTTPException(404, "Kampanye tidak ditemukan.")
        return self.console.render(request, "campaign.html", staff, skip_labels=SKIP_LABELS, **row)

    async def json(self, request: Request) -> Response:
        await self._supervisor(request)
        campaign_id = int(request.path_params["id"])

        def work(session: Session) -> dict[str, Any] | None:
            campaign = session.get(Campaign, campaign_id)
            if campaign is None:
                return None
            figures = campaigns.counts(session, campaign)
            return {"status": campaign.status.value, "status_label": STATUS_LABELS[campaign.status],
                    "counts": figures.as_json(), "progress": progress(figures)}

        data = await self.console.db(work)
        if data is None:
            raise HTTPException(404, "Kampanye tidak ditemukan.")
        return JSONResponse(data, headers={"Cache-Control": "no-store"})

    async def cancel(self, request: Request) -> Response:
        console = self.console
        staff = await self._supervisor(request)
        await checked_form(request)
        campaign_id = int(request.path_params["id"])

        def work(session: Session) -> tuple[str, str]:
            campaign = session.get(Campaign, campaign_id)
            if campaign is None:
                raise HTTPException(404, "Kampanye tidak ditemukan.")
            try:
                withdrawn = campaigns.cancel(session, campaign, console.now())
            except CampaignError:
                return "Kampanye ini sudah selesai atau sudah dibatalkan.", "warn"
            console.audit(session, request, "campaign_cancel", staff.id, campaign.id, target_type="campaign",
                          withdrawn=withdrawn)
            return f"Kampanye #{campaign.id} dibatalkan; {withdrawn} pesan yang belum terkirim ditarik.", "ok"

        flash(request, *await console.db(work))
        return RedirectResponse(f"/console/campaigns/{campaign_id}", 303)
