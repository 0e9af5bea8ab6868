"""Who saw or did what to personal data (UU PDP 27/2022). Repository functions never commit."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.storage.models import AuditEntry, Staff

# Every action the console and the staff group record, with the Bahasa Indonesia label staff read.
ACTIONS = {
    "login": "Masuk",
    "login_failed": "Gagal masuk",
    "logout": "Keluar",
    "view": "Membuka percakapan",
    "claim": "Mengambil",
    "reply": "Membalas",
    "note": "Catatan internal",
    "reassign": "Mengalihkan",
    "handback": "Kembalikan ke bot",
    "close": "Menutup",
    "reopen": "Dibuka lagi (pengguna menulis lagi)",
    "case_status": "Ubah status laporan",
    "export": "Ekspor CSV",
    "view_audit": "Membuka log audit",
    "staff_create": "Membuat akun petugas",
    "staff_update": "Mengubah akun petugas",
    "case_view": "Membuka laporan",
    "case_list": "Mencari laporan",
    "case_edit": "Mengubah isi laporan",
    "case_note": "Catatan laporan",
    "case_assign": "Menugaskan laporan",
    "referral_create": "Merujuk ke instansi",
    "referral_update": "Mengubah rujukan",
    "letter_print": "Mencetak surat rujukan",
    "saved_reply": "Mengubah balasan tersimpan",
    "dashboard_view": "Membuka dasbor",
    "stats_export": "Mengunduh rekap",
    "campaign_create": "Membuat kampanye",
    "campaign_cancel": "Membatalkan kampanye",
}


def record(
    session: Session,
    action: str,
    *,
    staff_id: int | None,
    now: datetime,
    target_type: str | None = None,
    target_id: int | None = None,
    ip: str | None = None,
    **detail: Any,
) -> AuditEntry:
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    entry = AuditEntry(
        at=now, staff_id=staff_id, action=action, target_type=target_type, target_id=target_id,
        detail={k: v for k, v in detail.items() if v is not None}, ip=(ip or None) and ip[:64],
    )
    session.add(entry)
    return entry


@dataclass(frozen=True)
class AuditRow:
    id: int
    at: datetime
    username: str | None
    action: str
    label: str
    target: str
    ip: str | None
    detail: dict[str, Any]


def recent(
    session: Session, *, limit: int = 100, before_id: int | None = None, action: str | None = None
) -> list[AuditRow]:
    """Newest first; `before_id` pages back."""
    query = select(AuditEntry, Staff.username).outerjoin(Staff, Staff.id == AuditEntry.staff_id)
    if before_id is not None:
        query = query.where(AuditEntry.id < before_id)
    if action:
        query = query.where(AuditEntry.action == action)
    rows = session.execute(query.order_by(AuditEntry.id.desc()).limit(limit)).all()
    return [
        AuditRow(
            id=entry.id, at=entry.at, username=username, action=entry.action,
            label=ACTIONS.get(entry.action, entry.action),
            target=f"{entry.target_type} #{entry.target_id}" if entry.target_type else "",
            ip=entry.ip, detail=dict(entry.detail or {}),
        )
        for entry, username in rows
    ]

