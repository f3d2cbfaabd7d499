"""The per-order timeline: what happened and why, in sentences a merchant reads."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from app import clock
from app.models import TimelineEntry


def note(
    session: Session, store_id: int, order_id: int, kind: str, detail: str, at: datetime | None = None
) -> None:
    session.add(
        TimelineEntry(store_id=store_id, order_id=order_id, kind=kind, detail=detail, at=at or clock.now())
    )
