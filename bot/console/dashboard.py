"""The monitoring dashboard (Dasbor) for the task force: aggregates only, supervisors and admins only.

Charts (Chart.js, vendored under static/vendor/chartjs) and the same figures as tables, for a date
range; its monthly CSV and a printable page. Counts under 5 are shown as "<5" and not drawn; averages
and shares over fewer than 5 escalations are not shown. No names, numbers or message text.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from bot.answers.texts import TextsError
from bot.console.auth import SUPERVISOR, require
from bot.console.cases import parse_day
from bot.console.common import WIB, Console
from bot.hotline import case_fields, referrals, stats
from bot.hotline.labels import CASE_STATUS_LABELS, PRIORITY_LABELS
from bot.hotline.stats import SMALL, Stats, small
from bot.storage.models import CaseKind, CaseStatus, Priority

UNKNOWN = "Tidak diketahui"
LEVEL_LABELS = {"high": "Risiko tinggi", "medium": "Risiko sedang", "low": "Risiko rendah"}
RED_FLAG_LABELS = {
    "individual_recruiter": "Perekrut perorangan / calo",
    "social_media_recruiter": "Perekrut lewat media sosial",
    "upfront_fee": "Diminta bayar di muka",
    "personal_account": "Transfer ke rekening pribadi",
    "non_work_visa": "Visa bukan visa kerja",
    "scam_compound": "Ciri pusat penipuan daring",
    "scam_region": "Negara rawan penipuan daring",
    "bait_job": "Pekerjaan umpan",
    "mandarin_translator": "Penerjemah Mandarin",
    "middle_east_household": "PRT ke Timur Tengah",
    "no_contract": "Tanpa kontrak",
    "passport_held": "Paspor dipegang orang lain",
    "salary_too_high": "Gaji terlalu tinggi",
    "unofficial_route": "Jalur tidak resmi",
    "too_easy": "Syarat terlalu mudah",
    "all_costs_covered": "Semua biaya ditanggung",
    "debt": "Utang / potong gaji",
    "underage": "Di bawah umur",
    "marriage": "Kawin kontrak / pesanan",
}


def month_bounds(value: str | None, today: date) -> tuple[date, date]:
    """YYYY-MM (default: last month) as its first and last day."""
    try:
        year, month = (int(part) for part in (value or "").split("-"))
        first = date(year, month, 1)
    except ValueError:
        first = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
    last = (first.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    return first, last


def _series(title: str, table: dict[str, int], labels: dict[str, str], kind: str = "bar") -> dict[str, Any]:
    """One chart: counts under 5 are not drawn (null) and read "<5" in the table under it."""
    keys = list(table)
    return {
        "title": title, "type": kind,
        "labels": [labels.get(k, UNKNOWN if k == "unknown" else k) for k in keys],
        "values": [n if n >= SMALL else None for n in table.values()],
        "shown": [small(n) for n in table.values()],
    }


class DashboardPage:
    """/dashboard, /dashboard/month.csv and /dashboard/print: supervisors and admins only, audited."""

    def __init__(self, console: Console) -> None:
        self.console = console

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/dashboard", self.page),
            Route("/dashboard/month.csv", self.month_csv),
            Route("/dashboard/print", self.print_page),
        ]

    def _range(self, request: Request) -> tuple[date, date]:
        today = self.console.now().astimezone(WIB).date()
        first = parse_day(request.query_params.get("from")) or today - timedelta(days=89)
        last = parse_day(request.query_params.get("to")) or today
        return (last, first) if last < first else (first, last)

    async def _stats(self, request: Request, staff_id: int, first: date, last: date, action: str,
                     **detail: Any) -> Stats:
        console = self.console

        def work(session: Session) -> Stats:
            console.audit(session, request, action, staff_id, target_type=None, since=first.isoformat(),
                          until=last.isoformat(), **detail)
            return stats.compute(session, first, last, console.settings)

        return await console.db(work)

    def _view(self, figures: Stats) -> dict[str, Any]:
        """Charts and tables in Bahasa Indonesia, suppressed."""
        agencies = {key: a.name for key, a in self.console.settings.referrals.agencies.items()}
        topics = {}
        for intent in figures.topics:
            try:
                topics[intent] = self.console.texts.get(f"intent.{intent}", "id")
            except TextsError:
                topics[intent] = intent
        weeks = [w["week"] for w in figures.weekly]
        charts = {
            "weekly": {
                "title": "Pesan dan orang per minggu", "type": "line",
                "labels": [date.fromisoformat(w).strftime("%d-%m") for w in weeks],
                "datasets": [
                    {"label": "Pesan masuk", "values": [w["messages"] if w["messages"] >= SMALL else None
                                                        for w in figures.weekly]},
                    {"label": "Orang", "values": [w["people"] if w["people"] >= SMALL else None
                                                  for w in figures.weekly]},
                ],
            },
            "topics": _series("Topik terbanyak", figures.topics, topics),
            "escalations": _series("Eskalasi per prioritas", figures.escalations,
                                   {p.value: label for p, label in PRIORITY_LABELS.items()}),
            "cases": _series("Laporan per jenis", figures.cases,
                             {k.value: label for k, label in case_fields.KIND_LABELS.items()}),
            "regency": _series("Laporan per kabupaten/kota asal", figures.cases_by_regency,
                               case_fields.REGENCY_LABELS),
            "country": _series("Laporan per negara tujuan", figures.cases_by_country, case_fields.COUNTRY_LABELS),
            "modus": _series("Laporan per modus", figures.cases_by_modus, case_fields.MODUS_LABELS),
            "job_checks": _series("Cek tawaran kerja per tingkat risiko", figures.job_offer_checks, LEVEL_LABELS),
            "red_flags": _series("Tanda bahaya tersering", figures.red_flags, RED_FLAG_LABELS),
            "referrals": _series("Rujukan per instansi", figures.referrals, agencies),
            "referral_status": _series("Rujukan per status", figures.referrals_by_status,
                                       {s.value: label for s, label in referrals.STATUS_LABELS.items()}),
        }
        timing = []
        for priority in Priority:
            row = figures.claim_times.get(priority.value, {"claimed": 0, "avg_minutes_to_claim": None,
                                                           "claimed_within_sla": 0, "reply_overdue": 0})
            claimed = row["claimed"]
            enough = claimed >= SMALL
            timing.append({
                "label": PRIORITY_LABELS[priority], "total": small(figures.escalations.get(priority.value, 0)),
                "claimed": small(claimed),
                "avg": f"{row['avg_minutes_to_claim']:.1f} mnt" if enough and row["avg_minutes_to_claim"] is not None
                else "-",
                "sla": f"{100 * row['claimed_within_sla'] / claimed:.0f}%" if enough else "-",
                "overdue": small(row["reply_overdue"]),
            })
        return {
            "figures": figures, "charts": charts, "timing": timing,
            "charts_json": json.dumps(charts, ensure_ascii=False),
            "totals": {
                "people": small(figures.people), "messages": small(figures.messages),
                "cases": small(sum(figures.cases.values())), "referrals": small(sum(figures.referrals.values())),
            },
            "sla_minutes": self.console.settings.hotline.sla_unclaimed_minutes,
            "case_statuses": [(CASE_STATUS_LABELS[s], small(figures.cases_by_status.get(s.value, 0)))
                              for s in CaseStatus],
            "kinds": [k.value for k in CaseKind],
        }

    async def page(self, request: Request) -> Response:
        staff = await self.console.current(request)
        require(staff, SUPERVISOR)
        first, last = self._range(request)
        figures = await self._stats(request, staff.id, first, last, "dashboard_view")
        today = self.console.now().astimezone(WIB).date()
        return self.console.render(
            request, "dashboard.html", staff, **self._view(figures), date_from=first.isoformat(),
            date_to=last.isoformat(), last_month=month_bounds(None, today)[0].strftime("%Y-%m"),
        )

    async def print_page(self, request: Request) -> Response:
        staff = await self.console.current(request)
        require(staff, SUPERVISOR)
        first, last = self._range(request)
        figures = await self._stats(request, staff.id, first, last, "dashboard_view", printed=True)
        return self.console.render(request, "dashboard_print.html", staff, **self._view(figures),
                                   printed=self.console.now())

    async def month_csv(self, request: Request) -> Response:
        staff = await self.console.current(request)
        require(staff, SUPERVISOR)
        first, last = month_bounds(request.query_params.get("month"), self.console.now().astimezone(WIB).date())
        figures = await self._stats(request, staff.id, first, last, "stats_export", format="csv")
        return Response(
            stats.to_csv(figures, suppress=True), media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="rekap_{first:%Y_%m}.csv"',
                     "Cache-Control": "no-store"},
        )
