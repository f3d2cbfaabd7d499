"""A tracking source's report, merged into the history of every parcel of the store with that number.

The same rules as the platform's own events (``app.ingest.parcels``): a scan is recorded once (by its
key, or as a twin of one another source already reported), its status moves the parcel only when it is
the newest in event time, and an unknown status is kept in the history without moving anything.
"""

from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from app.ingest.parcels import add_event, known_events, settle
from app.ingest.result import IngestResult
from app.models import Order, ParcelTrack, Shipment, Store
from connectors.base import ShipmentEventSnapshot
from tracking.base import TrackReport


def parcels_for(session: Session, store: Store, report: TrackReport) -> list[Shipment]:
    tracked = select(ParcelTrack.shipment_id).where(
        ParcelTrack.store_id == store.id,
        ParcelTrack.source == report.source,
        ParcelTrack.remote_id == report.remote_id,
    )
    clauses = [Shipment.tracking_number == report.tracking_number]
    if report.remote_id:
        clauses.append(Shipment.id.in_(tracked))
    return list(
        session.scalars(
            select(Shipment)
            .where(Shipment.store_id == store.id, or_(*clauses))
            .order_by(Shipment.id)
            .with_for_update()
        )
    )


def apply_report(session: Session, store: Store, report: TrackReport) -> IngestResult:
    """Merge ``report``; the result names the first order whose parcel changed (for re-planning)."""
    changed_order = None
    found = parcels_for(session, store, report)
    for shipment in found:
        order = session.get(Order, shipment.order_id)
        assert order is not None  # noqa: S101 - foreign key
        added = False
        known = known_events(session, shipment)
        for event in report.events:
            snapshot = ShipmentEventSnapshot(
                external_id=event.key,
                status=event.status,
                happened_at=event.happened_at,
                detail=event.detail or event.said or None,
            )
            added = (
                add_event(
                    session,
                    store,
                    order,
                    shipment,
                    snapshot,
                    source=report.source,
                    location=event.location,
                    known=known,
                )
                or added
            )
        track = session.scalars(select(ParcelTrack).where(ParcelTrack.shipment_id == shipment.id)).first()
        if track is not None:
            track.remote_id = track.remote_id or report.remote_id
            if report.estimated_delivery_at is not None:
                track.source_estimate = report.estimated_delivery_at
        if added:
            session.flush()
            settle(session, shipment)
            changed_order = changed_order or order.id
    if not found:
        return IngestResult(
            "tracking", report.tracking_number, changed=False, note="no parcel with this number"
        )
    note = "events added" if changed_order else "nothing new"
    return IngestResult(
        "tracking",
        report.tracking_number,
        changed=changed_order is not None,
        note=note,
        order_id=changed_order,
    )
