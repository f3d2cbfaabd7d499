"""Parcels nobody has heard of for longer than their carrier usually goes quiet become a "no movement"
problem: a ``no_movement`` scan is added to the parcel's history (so the planner tells the customer
the truth, as for a carrier-reported delay, and holds the later steps), and the merchant is alerted.
The next real scan, from any source, moves the parcel on and the holds lift.

How long is too long is learned from the store's own delivered parcels of that carrier: the longest
silence nine parcels in ten went through (the 90th percentile of the gaps between their scans), with
half as much again for margin, never under two days; a carrier with too few parcels yet gets four.
It is learned once a day per store (cached): it moves slowly, and the worker asks every few minutes.
"""

from __future__ import annotations

import statistics
import threading
from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app import outbox
from app.db import among
from app.ingest.parcels import add_event, settle
from app.ingest.result import IngestResult
from app.journeys.reasons import Reason
from app.models import Order, ParcelTrack, Shipment, ShipmentEvent, Store
from app.parcels import scans
from connectors.base import ShipmentEventSnapshot, ShipmentStatus
from tracking import detect

HISTORY = timedelta(days=120)
ENOUGH = 20  # gaps before a carrier's own silence is trusted
DEFAULT = timedelta(days=4)
FLOOR = timedelta(days=2)
MARGIN = 1.5
QUIET = frozenset(
    {
        ShipmentStatus.DELIVERED.value,
        ShipmentStatus.FAILURE.value,
        ShipmentStatus.NO_MOVEMENT.value,
        ShipmentStatus.READY_FOR_PICKUP.value,  # waiting for the customer, not the carrier
    }
)
NOT_SCANS = (ShipmentStatus.NO_MOVEMENT.value, ShipmentStatus.UNKNOWN.value)
_LEARNED: dict[tuple[int, int, date], dict[str | None, timedelta]] = {}
_LOCK = threading.Lock()


def usual_silence(session: Session, store: Store, today: date) -> dict[str | None, timedelta]:
    """Per carrier code (None: carrier unknown), how long a parcel may go unheard of."""
    key = (id(session.get_bind()), store.id, today)
    with _LOCK:
        if key in _LEARNED:
            return _LEARNED[key]
    since = datetime.combine(today, time.min, tzinfo=UTC)
    start = since - HISTORY
    rows = session.execute(
        select(
            ShipmentEvent.shipment_id,
            ShipmentEvent.external_id,
            ShipmentEvent.status,
            ShipmentEvent.happened_at,
            ShipmentEvent.source,
            Shipment.carrier,
            Shipment.tracking_number,
            Shipment.shipped_at,
        )
        .join(Shipment, Shipment.id == ShipmentEvent.shipment_id)
        .where(
            ShipmentEvent.store_id == store.id,
            Shipment.delivered_at.is_not(None),
            Shipment.delivered_at < since,
            Shipment.delivered_at >= start,
            ShipmentEvent.status.not_in(NOT_SCANS),
        )
    ).all()
    reports: dict[int, list] = defaultdict(list)
    carriers: dict[int, str | None] = {}
    shipped_at: dict[int, datetime | None] = {}
    for row in rows:
        reports[row.shipment_id].append(row)
        carriers[row.shipment_id] = detect.carrier(row.carrier, row.tracking_number)
        shipped_at[row.shipment_id] = row.shipped_at
    gaps: dict[str | None, list[float]] = defaultdict(list)
    for shipment_id, found in reports.items():
        times = [scan.happened_at for scan in scans.distinct(found)]  # a twin is no silence
        shipped = shipped_at[shipment_id]
        if shipped is not None and shipped < times[0]:
            times.insert(0, shipped)
        for before, after in zip(times, times[1:], strict=False):
            gaps[carriers[shipment_id]].append((after - before).total_seconds())
    learned: dict[str | None, timedelta] = {}
    for carrier, seconds in gaps.items():
        if len(seconds) >= ENOUGH:
            p90 = statistics.quantiles(seconds, n=10, method="inclusive")[8]
            learned[carrier] = max(FLOOR, timedelta(seconds=p90 * MARGIN))
    with _LOCK:
        for old in [k for k in _LEARNED if k[1] == store.id and k[2] != today]:
            _LEARNED.pop(old, None)
        _LEARNED[key] = learned
    return learned


def allowed(learned: dict[str | None, timedelta], carrier: str | None) -> timedelta:
    return learned.get(carrier, DEFAULT)


def find(session: Session, store: Store, now: datetime) -> list[IngestResult]:
    """Mark every parcel silent too long; the results name the orders to re-plan."""
    learned = usual_silence(session, store, now.date())
    rows = session.execute(
        select(
            Shipment.id,
            Shipment.shipped_at,
            Shipment.carrier,
            Shipment.tracking_number,
            ParcelTrack.carrier,
        )
        .outerjoin(ParcelTrack, ParcelTrack.shipment_id == Shipment.id)
        .where(
            Shipment.store_id == store.id,
            Shipment.tracking_number.is_not(None),
            Shipment.delivered_at.is_(None),
            Shipment.shipped_at.is_not(None),
            Shipment.shipped_at >= now - timedelta(days=60),
            Shipment.status.not_in(QUIET),
        )
    ).all()
    if not rows:
        return []
    # The last real scan of just these parcels (the store's whole history would cost every round).
    last = dict(
        session.execute(
            select(ShipmentEvent.shipment_id, func.max(ShipmentEvent.happened_at))
            .where(
                ShipmentEvent.store_id == store.id,
                among(session, ShipmentEvent.shipment_id, [row[0] for row in rows]),
                ShipmentEvent.status.not_in(NOT_SCANS),
            )
            .group_by(ShipmentEvent.shipment_id)
        ).all()
    )
    results = []
    for shipment_id, shipped_at, name, number, code in rows:
        heard = max(filter(None, (last.get(shipment_id), shipped_at)))
        carrier = code or detect.carrier(name, number)
        if now - heard <= allowed(learned, carrier):
            continue
        shipment = session.get(Shipment, shipment_id)
        assert shipment is not None  # noqa: S101 - just read
        results.append(_mark(session, store, shipment, heard, now, carrier))
    return results


def _mark(
    session: Session, store: Store, shipment: Shipment, heard: datetime, now: datetime, carrier: str | None
) -> IngestResult:
    order = session.get(Order, shipment.order_id)
    assert order is not None  # noqa: S101 - foreign key
    event = ShipmentEventSnapshot(
        external_id=f"no_movement:{heard.isoformat()}",
        status=ShipmentStatus.NO_MOVEMENT,
        happened_at=now,
        detail=None,
    )
    add_event(session, store, order, shipment, event, source="aftercare")
    session.flush()
    settle(session, shipment)
    label = shipment.tracking_number or shipment.external_id
    outbox.alert_merchant(
        session,
        order,
        f"shipment:{shipment.id}:merchant_alert:no_movement:{heard.isoformat()}",
        Reason.of(
            "no_movement_alert",
            number=order.number,
            label=label,
            carrier=detect.label(carrier, shipment.carrier),
            at=heard,
        ),
        at=now,
    )
    return IngestResult("shipment", shipment.external_id, changed=True, note="no movement", order_id=order.id)
