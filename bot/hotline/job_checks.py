"""Job-offer check verdicts kept for the monitoring figures: when, the risk level, the red-flag codes.

Nothing else: no text the person wrote, no link to who asked. Repository functions never commit.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy.orm import Session

from bot.storage.models import JobOfferCheck


def record(session: Session, level: str, flags: Iterable[str], now: datetime) -> None:
    session.add(JobOfferCheck(at=now, level=level[:16], flags=sorted(set(flags))))
