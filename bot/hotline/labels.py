"""What staff read for the hotline's stored values: priorities, statuses, reasons, outcomes, roles, channels."""

from __future__ import annotations

from bot.storage.models import CaseStatus, EscalationStatus, Priority, StaffRole

# Close outcomes staff may choose (stored value -> what staff read). "ended_by_person" is set by the bot itself.
OUTCOMES = {
    "assisted": "Dibantu, selesai",
    "referred_police": "Dirujuk ke polisi",
    "referred_bp3mi": "Dirujuk ke BP3MI",
    "referred_legal_aid": "Dirujuk ke bantuan hukum (OBH / Posbankum)",
    "referred_other": "Dirujuk ke instansi lain",
    "no_response": "Tidak ada respons",
    "false_alarm": "Bukan keadaan darurat",
    "duplicate": "Duplikat",
}
OUTCOME_LABELS = {**OUTCOMES, "ended_by_person": "Diakhiri oleh pengguna"}
PRIORITY_LABELS = {Priority.URGENT: "MENDESAK", Priority.HIGH: "TINGGI", Priority.NORMAL: "BIASA"}
STATUS_LABELS = {
    EscalationStatus.OPEN: "Menunggu",
    EscalationStatus.CLAIMED: "Ditangani",
    EscalationStatus.CLOSED: "Ditutup",
}
REASON_LABELS = {
    "self_harm": "menyakiti diri",
    "sexual_violence": "kekerasan seksual",
    "confinement": "dikurung / disekap",
    "violence": "kekerasan fisik",
    "threat": "ancaman",
    "sold": "dijual",
    "passport_held_cannot_leave": "paspor ditahan, tidak bisa pergi",
    "danger_now": "dalam bahaya sekarang",
    "emergency": "darurat",
    "request_human": "minta bicara dengan petugas",
    "case": "laporan",
}
CHANNEL_LABELS = {"telegram": "Telegram", "whatsapp": "WhatsApp", "local": "Chat lokal"}
ROLE_LABELS = {StaffRole.AGENT: "Petugas", StaffRole.SUPERVISOR: "Supervisor", StaffRole.ADMIN: "Admin"}
CASE_STATUS_LABELS = {
    CaseStatus.NEW: "Baru", CaseStatus.IN_REVIEW: "Sedang ditinjau", CaseStatus.REFERRED: "Dirujuk",
    CaseStatus.CLOSED: "Selesai",
}


CASE_KIND_REASONS = {"missing_person": "keluarga tidak bisa dihubungi", "trafficking": "perekrut / TPPO"}


def reason_label(reason: str) -> str:
    kind, _, detail = reason.partition(":")
    if kind == "safety" and detail:
        return "Darurat: " + ", ".join(REASON_LABELS.get(r, r) for r in detail.split(","))
    if kind == "case" and detail:
        return "Laporan: " + CASE_KIND_REASONS.get(detail, detail)
    return REASON_LABELS.get(reason, reason).capitalize()
