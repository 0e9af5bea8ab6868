"""Reports filed the way families file them (through dispatch, on the local channel), for the case-desk tests.

No Rasa is needed: the report flows run on typed commands, numbered buttons and free text.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any

NUMBER = re.compile(r"KB-\d{4}-\d{6}")

# What a mother types to report her daughter (numbers pick the buttons the bot offered).
MISSING_DAUGHTER = (
    "/lapor",
    "1",  # Keluarga di luar negeri tidak bisa dihubungi
    "1",  # Setuju
    "Siti Aminah",
    "1",  # Anak
    "30 tahun",
    "Malaysia, Kuching",
    "sambas",  # regency, typed
    "3 minggu lalu",
    "PT Maju Jaya",
    "2",  # Tidak resmi
    "lewati",
    "0812-3456-7890",
    "lewati",  # photo
    "1",  # Kirim laporan
)
# An anonymous recruiter report.
ANONYMOUS_RECRUITER = (
    "/lapor",
    "2",  # Perekrut / penipuan / perdagangan orang
    "2",  # Setuju, tanpa nama
    "2",  # Penipuan lowongan kerja
    "Budi Calo",
    "0899-1111-2222",
    "Singkawang, Januari",
    "lewati",  # regency
    "Dijanjikan kerja di Kamboja, diminta 5 juta",
    "lewati",  # evidence
    "1",  # Kirim laporan
)


async def file_report(say: Callable[[str, str], Awaitable[Any]], chat_id: str,
                      steps: tuple[str, ...] = MISSING_DAUGHTER) -> str:
    """Type a whole report as `chat_id`; the case number the bot answered with."""
    replies: list[Any] = []
    for text in steps:
        result = await say(chat_id, text)
        replies = list(result.replies)
    found = NUMBER.search("\n".join(r.text for r in replies))
    assert found, f"no case number in the last answer: {[r.text for r in replies]}"
    return found.group(0)


def file_report_sync(say: Callable[[str, str], Any], chat_id: str, steps: tuple[str, ...] = MISSING_DAUGHTER) -> str:
    """`file_report` for a test thread without an event loop (the browser tests' live server)."""
    replies: list[Any] = []
    for text in steps:
        replies = list(say(chat_id, text).replies)
    found = NUMBER.search("\n".join(r.text for r in replies))
    assert found, f"no case number in the last answer: {[r.text for r in replies]}"
    return found.group(0)
