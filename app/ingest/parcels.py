"""Parcels and their carrier events: events only accumulate, and a parcel's status follows its latest
event, so an older event arriving late never moves a parcel back."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import timeline
from app.db import insert_ignore
from app.ingest.result import IngestResult, OrderNotYetKnown
from app.ingest.upsert import upsert_newer
from app.models import Order, Shipment, ShipmentEvent, Store
from connectors.base import ShipmentEventSnapshot, ShipmentEventUpdate, ShipmentSnapshot, ShipmentStatus


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
    for event in snap.events:  # events only accumulate; a stale snapshot can still add an old event
        changed = _add_event(session, store, order, shipment, event) or changed
    if not changed:
        return IngestResult("shipment", snap.external_id, changed=False, note="not newer than stored")
    session.flush()
    note = "created" if created else "updated"
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
    event = snap.event
    order = session.get(Order, shipment.order_id)
    assert order is not None  # noqa: S101 - foreign key
    if not _add_event(session, store, order, shipment, event):
        return IngestResult("shipment", snap.shipment_external_id, changed=False, note="event already known")
    latest = session.scalars(
        select(ShipmentEvent.happened_at)
        .where(ShipmentEvent.shipment_id == shipment.id)
        .order_by(ShipmentEvent.happened_at.desc())
        .limit(1)
    ).one()
    if event.happened_at >= latest:  # an older event arriving late does not move the parcel back
        shipment.status = event.status.value
        if event.status is ShipmentStatus.DELIVERED:
            shipment.delivered_at = event.happened_at
    session.flush()
    return IngestResult(
        "shipment", snap.shipment_external_id, changed=True, note="event added", order_id=order.id
    )


def _add_event(
    session: Session, store: Store, order: Order, shipment: Shipment, event: ShipmentEventSnapshot
) -> bool:
    """Record a carrier event once (and say so on the order's timeline); False if already known."""
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
        },
    )
    if added:
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
