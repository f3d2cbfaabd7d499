"""Parcels and their carrier events: events only accumulate, from the platform and from tracking
sources alike, and a parcel's status follows its latest event in event time (``settle``), so an
older event arriving late never moves a parcel back, whichever source it came from."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import timeline
from app.db import insert_ignore
from app.ingest.result import CREATED, IngestResult, OrderNotYetKnown
from app.ingest.upsert import upsert_newer
from app.models import Order, Shipment, ShipmentEvent, Store
from app.parcels.scans import SAME_SCAN, distinct
from connectors.base import ShipmentEventSnapshot, ShipmentEventUpdate, ShipmentSnapshot, ShipmentStatus

# At one moment, the further along wins (a "delivered" and an "in transit" stamped alike).
RANK = {
    status: rank
    for rank, status in enumerate(
        (
            ShipmentStatus.LABEL_CREATED,
            ShipmentStatus.IN_TRANSIT,
            ShipmentStatus.DELAYED,
            ShipmentStatus.NO_MOVEMENT,
            ShipmentStatus.READY_FOR_PICKUP,
            ShipmentStatus.OUT_FOR_DELIVERY,
            ShipmentStatus.ATTEMPTED_DELIVERY,
            ShipmentStatus.FAILURE,
            ShipmentStatus.DELIVERED,
        )
    )
}


def apply_shipment(session: Session, store: Store, snap: ShipmentSnapshot) -> IngestResult:
    order = session.scalars(
        select(Order).where(Order.store_id == store.id, Order.external_id == snap.order_external_id)
    ).first()
    if order is None:
        raise OrderNotYetKnown(
            f"shipment {snap.external_id} names order {snap.order_external_id}, not seen yet"
        )
    fields: dict[str, Any] = {
        "order_id": order.id,
        "carrier": snap.carrier,
        "tracking_number": snap.tracking_number,
        "tracking_url": snap.tracking_url,
        "status": snap.status.value,
        "shipped_at": snap.shipped_at,
        "delivered_at": snap.delivered_at,
        "remote_updated_at": snap.updated_at,
    }
    shipment, created, before = upsert_newer(session, Shipment, store, snap.external_id, fields)
    changed = created or before is not None
    known: Known = {} if created else known_events(session, shipment)
    for event in snap.events:  # events only accumulate; a stale snapshot can still add an old event
        changed = add_event(session, store, order, shipment, event, known=known) or changed
    if snap.status is ShipmentStatus.DELIVERED and snap.delivered_at is not None:
        # The platform's word that it was delivered then is kept as a scan of its own, so it stands
        # until a newer scan says otherwise whichever arrives first: an older carrier scan coming
        # later does not undo it. Told apart from the platform's own scans, so that its delivery
        # scan (or a carrier's) is this one's twin.
        claimed = ShipmentEventSnapshot(
            f"platform:delivered:{snap.delivered_at.isoformat()}", ShipmentStatus.DELIVERED, snap.delivered_at
        )
        changed = add_event(session, store, order, shipment, claimed, source=CLAIM, known=known) or changed
    if not changed:
        return IngestResult("shipment", snap.external_id, changed=False, note="not newer than stored")
    session.flush()
    settle(session, shipment, claim=(snap.status, snap.delivered_at or snap.shipped_at or snap.updated_at))
    note = CREATED if created else "updated"
    return IngestResult("shipment", snap.external_id, changed=True, note=note, order_id=order.id)


def apply_shipment_event(session: Session, store: Store, snap: ShipmentEventUpdate) -> IngestResult:
    """A carrier event on its own: added to its parcel, whose status follows its latest event."""
    shipment = session.scalars(
        select(Shipment)
        .where(Shipment.store_id == store.id, Shipment.external_id == snap.shipment_external_id)
        .with_for_update()
    ).first()
    if shipment is None:
        raise OrderNotYetKnown(f"event for parcel {snap.shipment_external_id}, not seen yet")
    order = session.get(Order, shipment.order_id)
    assert order is not None  # noqa: S101 - foreign key
    if not add_event(session, store, order, shipment, snap.event):
        return IngestResult("shipment", snap.shipment_external_id, changed=False, note="event already known")
    session.flush()
    settle(session, shipment)
    return IngestResult(
        "shipment", snap.shipment_external_id, changed=True, note="event added", order_id=order.id
    )


CLAIM = "platform_claim"  # the source of a status the platform claims without a scan of its own
Known = dict[str, tuple[str, datetime, str | None]]  # a parcel's scans: id -> (status, at, source)


def known_events(session: Session, shipment: Shipment) -> Known:
    """The scans a parcel already has, read once for a whole batch of new ones."""
    return {
        external_id: (status, at, source)
        for external_id, status, at, source in session.execute(
            select(
                ShipmentEvent.external_id,
                ShipmentEvent.status,
                ShipmentEvent.happened_at,
                ShipmentEvent.source,
            ).where(ShipmentEvent.shipment_id == shipment.id)
        )
    }


def add_event(
    session: Session,
    store: Store,
    order: Order,
    shipment: Shipment,
    event: ShipmentEventSnapshot,
    *,
    source: str | None = None,
    location: str | None = None,
    known: Known | None = None,
) -> bool:
    """Record a scan once (and say so on the order's timeline); False if already known by its own id
    or (for the timeline) as the same scan another source already reported. Every report is kept:
    which of two reports of one scan is shown is decided when the history is read (``distinct``), so
    the history does not depend on the order the reports arrived in. ``known`` (``known_events``)
    saves reading the parcel's scans again for each of a batch; it is kept up to date."""
    if known is None:
        known = known_events(session, shipment)
    if event.external_id in known:
        return False  # a re-delivery: nothing to look at
    twin = event.status is not ShipmentStatus.UNKNOWN and any(
        status == event.status.value and told != source and abs(at - event.happened_at) <= SAME_SCAN
        for status, at, told in known.values()
    )
    added = _insert(session, store, shipment, event, source, location, known)
    if added and not twin:
        label = shipment.tracking_number or shipment.external_id
        timeline.note(
            session,
            store.id,
            order.id,
            "shipment",
            at=event.happened_at,
            label=label,
            status=event.status.value,
        )
    return added


def _insert(
    session: Session,
    store: Store,
    shipment: Shipment,
    event: ShipmentEventSnapshot,
    source: str | None,
    location: str | None,
    known: Known,
) -> bool:
    added = insert_ignore(
        session,
        ShipmentEvent,
        {
            "store_id": store.id,
            "shipment_id": shipment.id,
            "external_id": event.external_id,
            "status": event.status.value,
            "happened_at": event.happened_at,
            "detail": event.detail,
            "source": source,
            "location": (location or None) and location[:255],
        },
    )
    if added:
        known[event.external_id] = (event.status.value, event.happened_at, source)
    return added


def settle(
    session: Session, shipment: Shipment, claim: tuple[ShipmentStatus, datetime | None] | None = None
) -> None:
    """The parcel's status and delivery time from its latest known event in event time (unknown
    ones never move it), or from what the platform claims when that is newer: the platform's status
    counts at the moment it says it happened (delivered at, shipped at), not when it was sent."""
    scans = session.execute(
        select(
            ShipmentEvent.external_id, ShipmentEvent.status, ShipmentEvent.happened_at, ShipmentEvent.source
        ).where(
            ShipmentEvent.shipment_id == shipment.id,
            ShipmentEvent.status != ShipmentStatus.UNKNOWN.value,
        )
    ).all()
    candidates = [(ShipmentStatus(scan.status), scan.happened_at) for scan in distinct(scans)]
    if claim is not None and claim[1] is not None:
        candidates.append((claim[0], claim[1]))
    if not candidates:
        return
    newest = max(at for _, at in candidates)
    status = max((s for s, at in candidates if at == newest), key=lambda s: RANK.get(s, -1))
    shipment.status = status.value
    if status is ShipmentStatus.DELIVERED:
        shipment.delivered_at = newest
    elif shipment.delivered_at is not None and shipment.delivered_at < newest:
        shipment.delivered_at = None  # a newer scan says it is not delivered after all (newer wins)
    session.flush()
