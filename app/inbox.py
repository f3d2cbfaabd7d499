"""Received webhooks: stored first, processed second, retried until processed (invariant 5).

A delivery is written here in its own transaction before anything else happens to it. Processing
runs in a second transaction; if it fails, that transaction rolls back, the row stays ``pending``
with a later ``next_attempt_at``, and the scheduler's inbox job tries again.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import select

from app import clock, ingest
from app.db import Database, insert_ignore
from app.models import InboxEntry, InboxStatus, Store
from connectors.base import Connector, Delivery

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 10
RETRY_BASE = timedelta(seconds=30)
RETRY_CAP = timedelta(hours=2)


def accept(db: Database, store_id: int, delivery: Delivery) -> int | None:
    """Store a verified delivery; its inbox id, or None if this delivery id was already stored."""
    with db.session() as session:
        inserted = insert_ignore(
            session,
            InboxEntry,
            {
                "store_id": store_id,
                "topic": delivery.topic,
                "delivery_id": delivery.delivery_id,
                "body": delivery.body,
                "triggered_at": delivery.triggered_at,
                "status": InboxStatus.PENDING.value,
                "attempts": 0,
            },
        )
        if not inserted:
            return None
        return session.scalars(
            select(InboxEntry.id).where(
                InboxEntry.store_id == store_id, InboxEntry.delivery_id == delivery.delivery_id
            )
        ).one()


def process(db: Database, connectors: dict[str, Connector], entry_id: int) -> bool:
    """Translate and ingest one stored delivery; True when it is done (now or before)."""
    try:
        with db.session() as session:
            entry = session.scalars(
                select(InboxEntry).where(InboxEntry.id == entry_id).with_for_update(skip_locked=True)
            ).first()
            if entry is None or entry.status != InboxStatus.PENDING:
                return entry is not None
            store = session.get(Store, entry.store_id)
            assert store is not None  # noqa: S101 - foreign key
            connector = connectors[store.platform]
            delivery = Delivery(entry.topic, entry.delivery_id, entry.body, entry.triggered_at)
            for snapshot in connector.translate(delivery):
                ingest.apply(session, store, snapshot)
            entry.status = InboxStatus.PROCESSED
            entry.processed_at = clock.now()
            entry.attempts += 1
            return True
    except Exception as exc:  # noqa: BLE001 - the row stays for a retry; nothing may be lost
        log.exception("inbox entry %s failed", entry_id)
        _record_failure(db, entry_id, exc)
        return False


def process_pending(db: Database, connectors: dict[str, Connector], limit: int = 200) -> int:
    """Retry deliveries whose time has come; returns how many were processed now."""
    with db.session() as session:
        due = session.scalars(
            select(InboxEntry.id)
            .where(InboxEntry.status == InboxStatus.PENDING, InboxEntry.next_attempt_at <= clock.now())
            .order_by(InboxEntry.id)
            .limit(limit)
        ).all()
    return sum(process(db, connectors, entry_id) for entry_id in due)


def _record_failure(db: Database, entry_id: int, exc: Exception) -> None:
    with db.session() as session:
        entry = session.get(InboxEntry, entry_id)
        if entry is None:
            return
        entry.attempts += 1
        entry.last_error = f"{type(exc).__name__}: {exc}"[:2000]
        delay = min(RETRY_CAP, RETRY_BASE * 2 ** (entry.attempts - 1))
        entry.next_attempt_at = clock.now() + delay
        if entry.attempts >= MAX_ATTEMPTS:
            entry.status = InboxStatus.FAILED
