"""Received deliveries: stored by the web, applied by the worker (invariant 5).

The webhook request only verifies, refuses a bad body and writes the delivery here (``accept``, one
row, committed together with the other requests' of that moment), so it answers in milliseconds
whatever the store's size. The worker takes pending deliveries
in batches (``process``): in one transaction, oldest first, each delivery's snapshots are applied
(inside a savepoint of its own), then every order the batch touched is planned once, set-based.

Several workers take batches side by side on PostgreSQL (``FOR UPDATE SKIP LOCKED``). Two batches
can be about the same customer or order (an order and its update a moment later; a customer's second
order): the second worker's insert of a customer the first has inserted but not committed would wait
for the first batch's whole transaction. So each batch first takes a transaction-scoped advisory lock
per order, customer and email it writes (``_claim_keys``, one statement, never waiting); a delivery
whose key another batch holds is left pending for the next batch (``busy``), whoever takes it. Its
order of application changes nothing: an older snapshot after a newer one is ignored (invariant 3).

A delivery that can never be applied (its body is not in the platform's shape, or the database refuses
a value in it) is kept once as ``rejected`` with the reason, for the operator, and not retried. One that
arrived before what it is about ("order not seen yet") waits and is tried again, quietly. A failure of
the batch as a whole (the database went away) rolls it back; the rows stay pending and are tried one by
one next time, so one bad row can never hold up the others.
"""

from __future__ import annotations

import hashlib
import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select, text
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session

from app import clock, group_commit, ingest
from app.db import Database, among
from app.models import InboxEntry, InboxStatus, Store
from connectors.base import (
    Connector,
    Delivery,
    OrderRemoved,
    OrderSnapshot,
    PayloadError,
    ShipmentEventUpdate,
    ShipmentSnapshot,
    Snapshot,
)
from tracking import registry as tracking_registry

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 10
RETRY_BASE = timedelta(seconds=30)
RETRY_CAP = timedelta(hours=2)
BATCH = 200
PRUNE_CHUNK = 1000


def accept(db: Database, store_id: int, delivery: Delivery) -> int | None:
    """Store a verified delivery; its inbox id, or None if this delivery id was already stored. This is
    all a webhook request writes: one row, committed with the rows other requests of this process are
    storing at the same moment (``app.group_commit``), before the request answers."""
    now = clock.now()
    values = {
        "store_id": store_id,
        "topic": delivery.topic,
        "delivery_id": delivery.delivery_id,
        "body": delivery.body,
        "triggered_at": delivery.triggered_at,
        "status": InboxStatus.PENDING.value,
        "attempts": 0,
        "received_at": now,
        "next_attempt_at": now,
    }
    return group_commit.writer(db, InboxEntry.__table__, ("store_id", "delivery_id")).insert(values)


@dataclass(frozen=True)
class Processed:
    done: int = 0
    waiting: int = 0  # tried again later (what they are about has not arrived yet)
    rejected: int = 0
    busy: int = 0  # left pending: another worker's batch is writing the same order or customer

    def __add__(self, other: Processed) -> Processed:
        return Processed(
            self.done + other.done,
            self.waiting + other.waiting,
            self.rejected + other.rejected,
            self.busy + other.busy,
        )


def process(db: Database, connectors: dict[str, Connector], limit: int = BATCH) -> Processed:
    """Apply one batch of due deliveries; falls back to one at a time when the batch fails."""
    try:
        with db.session() as session:
            return _batch(session, connectors, _due(session, limit))
    except Exception:  # noqa: BLE001 - nothing may be lost: the rows stay pending
        log.exception("inbox batch failed; trying its deliveries one at a time")
    totals = Processed()
    with db.session() as session:
        ids = [entry.id for entry in _due(session, limit, lock=False)]
    for entry_id in ids:
        try:
            with db.session() as session:
                entries = session.scalars(
                    select(InboxEntry)
                    .where(InboxEntry.id == entry_id, InboxEntry.status == InboxStatus.PENDING)
                    .with_for_update(skip_locked=True)
                ).all()
                one = _batch(session, connectors, list(entries))
        except Exception as exc:  # noqa: BLE001 - it stays pending and is tried again later
            log.exception("inbox entry %s could not be applied now", entry_id)
            _later(db, entry_id, f"{type(exc).__name__}: {exc}")
            continue
        totals += one
    return totals


def drain(db: Database, connectors: dict[str, Connector], limit: int = BATCH) -> int:
    """Process until nothing is due; how many deliveries were applied (tests and the demo use it)."""
    done = 0
    while True:
        result = process(db, connectors, limit)
        done += result.done
        if result.done + result.rejected + result.waiting + result.busy < limit:
            return done
        if result.busy == limit:  # all of it is another worker's now: its batch will be done soon
            return done


def prune(db: Database, keep: timedelta, chunk: int = PRUNE_CHUNK) -> int:
    """Delete applied deliveries received more than ``keep`` ago; how many went. Their orders hold
    what they said, and the raw body (names, addresses, what was bought) is not kept past its use.
    ``keep`` outlasts the platforms' retries (Shopify's run for up to 48 hours), so a late retry of
    an applied delivery still meets its row and is answered as a duplicate. Pending deliveries and
    those kept for a human (rejected, failed) stay. In chunks of short transactions, so the web's
    inserts never wait long behind it."""
    cutoff = clock.now() - keep
    gone = 0
    while True:
        with db.session() as session:
            ids = list(
                session.scalars(
                    select(InboxEntry.id)
                    .where(
                        InboxEntry.status == InboxStatus.PROCESSED,
                        InboxEntry.next_attempt_at < cutoff,  # the pending index's second column
                        InboxEntry.received_at < cutoff,
                    )
                    .limit(chunk)  # in no order: a sort would read every old row for each chunk
                )
            )
            if ids:
                session.execute(delete(InboxEntry).where(among(session, InboxEntry.id, ids)))
        gone += len(ids)
        if len(ids) < chunk:
            return gone


def pending(db: Database, store_id: int) -> int:
    """How many of the store's deliveries wait to be applied (the merchant's pages say so)."""
    with db.session() as session:
        return int(
            session.scalar(
                select(func.count()).where(
                    InboxEntry.store_id == store_id, InboxEntry.status == InboxStatus.PENDING
                )
            )
            or 0
        )


def pending_all(db: Database) -> int:
    """How many deliveries of any store wait to be applied."""
    with db.session() as session:
        return int(session.scalar(select(func.count()).where(InboxEntry.status == InboxStatus.PENDING)) or 0)


def _due(session: Session, limit: int, *, lock: bool = True) -> list[InboxEntry]:
    query = (
        select(InboxEntry)
        .where(InboxEntry.status == InboxStatus.PENDING, InboxEntry.next_attempt_at <= clock.now())
        .order_by(InboxEntry.id)
        .limit(limit)
    )
    if lock:
        query = query.with_for_update(skip_locked=True)
    return list(session.scalars(query))


def _batch(session: Session, connectors: dict[str, Connector], entries: list[InboxEntry]) -> Processed:
    """Apply ``entries``: each store's deliveries together when they all apply (the fast path, a few
    statements for the lot), else one at a time, each in a savepoint of its own, so one that waits or
    is rejected never holds up the others."""
    now = clock.now()
    stores: dict[int, Store] = {}
    translated: dict[int, list[tuple[InboxEntry, list[Snapshot]]]] = defaultdict(list)
    rejected = 0
    for entry in entries:
        store = stores.get(entry.store_id) or session.get(Store, entry.store_id)
        assert store is not None  # noqa: S101 - foreign key
        stores[store.id] = store
        entry.attempts += 1
        delivery = Delivery(entry.topic, entry.delivery_id, bytes(entry.body), entry.triggered_at)
        try:
            if entry.topic.startswith(tracking_registry.TOPIC):  # a tracking source's, not the store's
                snapshots: list[Any] = list(tracking_registry.translate(delivery.topic, delivery.body))
            else:
                snapshots = connectors[store.platform].translate(delivery)
            translated[store.id].append((entry, snapshots))
        except Exception as exc:  # noqa: BLE001 - its shape: it can never be applied
            rejected += _reject(entry, exc, now)
    busy = _leave_busy(session, translated)
    done = waiting = 0
    for store_id, batch in translated.items():
        store = stores[store_id]
        results = _together(session, store, batch)
        if results is None:
            results = []
            for entry, snapshots in batch:
                outcome = _alone(session, store, entry, snapshots, now)
                if isinstance(outcome, list):
                    results.extend(outcome)
                    done += 1
                elif outcome == "waiting":
                    waiting += 1
                else:
                    rejected += 1
        else:
            for entry, _ in batch:
                entry.status, entry.processed_at = InboxStatus.PROCESSED, now
            done += len(batch)
        ingest.replan(session, store, results)
        ingest.learn(session, store, results)
    return Processed(done, waiting, rejected, busy)


def _leave_busy(session: Session, translated: dict[int, list[tuple[InboxEntry, list[Snapshot]]]]) -> int:
    """Take this batch's keys (PostgreSQL); drop from ``translated`` every delivery with a key another
    batch holds, untried, and say how many. Nothing on SQLite, where one transaction writes at a time."""
    if session.get_bind().dialect.name != "postgresql":
        return 0
    keys = {
        id(entry): _keys(store_id, snapshots)
        for store_id, batch in translated.items()
        for entry, snapshots in batch
    }
    taken = _claim_keys(session, set().union(*keys.values()) if keys else set())
    busy = 0
    for store_id, batch in list(translated.items()):
        kept = []
        for entry, snapshots in batch:
            if keys[id(entry)] <= taken:
                kept.append((entry, snapshots))
            else:
                entry.attempts -= 1  # not tried: it stays as it was, pending
                busy += 1
        if kept:
            translated[store_id] = kept
        else:
            del translated[store_id]
    return busy


def _claim_keys(session: Session, keys: set[int]) -> set[int]:
    """Of ``keys``, those this transaction now holds (advisory locks, released at its end): a key
    another transaction holds is not waited for."""
    if not keys:
        return set()
    refused = session.scalars(
        text("SELECT k FROM unnest(CAST(:keys AS bigint[])) AS k WHERE NOT pg_try_advisory_xact_lock(k)"),
        {"keys": sorted(keys)},
    )
    return keys - set(refused)


def _keys(store_id: int, snapshots: list[Snapshot]) -> set[int]:
    """What a delivery writes that another batch may be writing too: its orders, their customer
    accounts and emails, as 64-bit advisory lock keys (a collision only makes a delivery wait a batch)."""
    names: set[tuple[str, str]] = set()
    for snap in snapshots:
        if isinstance(snap, OrderSnapshot):
            names.add(("order", snap.external_id))
            if snap.customer is not None:
                names.add(("customer", snap.customer.external_id))
                if snap.customer.email:
                    names.add(("email", snap.customer.email.strip().lower()))
        elif isinstance(snap, ShipmentSnapshot | ShipmentEventUpdate):
            names.add(("order", snap.order_external_id))
        elif isinstance(snap, OrderRemoved):
            names.add(("order", snap.external_id))
    return {
        int.from_bytes(
            hashlib.blake2b(f"{store_id}\0{kind}\0{value}".encode(), digest_size=8).digest(),
            "big",
            signed=True,
        )
        for kind, value in names
    }


def _together(
    session: Session, store: Store, batch: list[tuple[InboxEntry, list[Snapshot]]]
) -> list[ingest.IngestResult] | None:
    """Every snapshot of the store's deliveries in one go; None (and nothing written) when one of them
    cannot be applied now, for the caller to find which, one at a time."""
    try:
        with session.begin_nested():
            return ingest.apply_many(
                session, store, [snapshot for _, snapshots in batch for snapshot in snapshots]
            )
    except OperationalError:
        raise  # the database itself: the whole batch is tried again
    except Exception:  # noqa: BLE001 - found and dealt with one delivery at a time
        return None


def _alone(
    session: Session, store: Store, entry: InboxEntry, snapshots: list[Snapshot], now: datetime
) -> list[ingest.IngestResult] | str:
    try:
        with session.begin_nested():
            applied = ingest.apply_many(session, store, snapshots)
    except ingest.OrderNotYetKnown as exc:
        log.info("inbox entry %s waits: %s", entry.id, exc)
        _retry_later(entry, str(exc))
        return "waiting"
    except OperationalError:
        raise
    except Exception as exc:  # noqa: BLE001 - a value the database refuses, or a case nobody foresaw
        _reject(entry, exc, now)
        return "rejected"
    entry.status, entry.processed_at = InboxStatus.PROCESSED, now
    return applied


def _reject(entry: InboxEntry, exc: Exception, now: datetime) -> int:
    """Kept once, with the reason, for the operator; never retried."""
    if isinstance(exc, PayloadError | DBAPIError):
        log.warning("inbox entry %s rejected: %s", entry.id, exc)
    else:
        log.exception("inbox entry %s rejected", entry.id)
    entry.status = InboxStatus.REJECTED
    entry.last_error = f"{type(exc).__name__}: {exc}"[:2000]
    entry.processed_at = now
    return 1


def _retry_later(entry: InboxEntry, error: str) -> None:
    entry.last_error = error[:2000]
    delay = min(RETRY_CAP, RETRY_BASE * 2 ** (entry.attempts - 1))
    entry.next_attempt_at = clock.now() + delay
    if entry.attempts >= MAX_ATTEMPTS:
        entry.status = InboxStatus.FAILED


def _later(db: Database, entry_id: int, error: str) -> None:
    with db.session() as session:
        entry = session.get(InboxEntry, entry_id)
        if entry is not None and entry.status == InboxStatus.PENDING:
            entry.attempts += 1
            _retry_later(entry, error)
