"""One history per parcel from the platform and every tracking source: in event time, the newest
wins, the same scan from two sources is kept once, and the order things arrive in changes nothing."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from app import ingest
from app.models import Shipment, ShipmentEvent, Store
from connectors.base import ShipmentEventSnapshot, ShipmentEventUpdate, ShipmentSnapshot, ShipmentStatus
from tests.helpers import ingest_order, make_store, order_snapshot
from tracking.base import TrackEvent, TrackReport

T0 = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)
H = timedelta(hours=1)
NUMBER = "40795800592"


def platform(events: tuple[tuple[str, datetime], ...], status: str = "in_transit") -> ShipmentSnapshot:
    """Shopify-like: the fulfillment with the events it had when sent (its status lagging behind)."""
    return ShipmentSnapshot(
        external_id="S-1",
        order_external_id="1001",
        status=ShipmentStatus(status),
        updated_at=T0 + 100 * H,  # sent late: its own time is not when anything happened
        carrier="Aramex",
        tracking_number=NUMBER,
        shipped_at=T0,
        events=tuple(
            ShipmentEventSnapshot(f"p-{n}", ShipmentStatus(s), at) for n, (s, at) in enumerate(events)
        ),
    )


def report(source: str, events: tuple[tuple[str, datetime], ...]) -> TrackReport:
    return TrackReport(
        source=source,
        tracking_number=NUMBER,
        events=tuple(TrackEvent(f"{source}:{s}:{at.isoformat()}", ShipmentStatus(s), at) for s, at in events),
    )


DELIVERIES = [
    # the platform copies the carrier's "in transit" 4 minutes late: the same scan
    platform((("in_transit", T0 + 4 * timedelta(minutes=1)),)),
    report("aftership", (("in_transit", T0), ("out_for_delivery", T0 + 30 * H))),
    report("aramex", (("in_transit", T0 + 1 * timedelta(minutes=1)), ("delivered", T0 + 34 * H))),
    ShipmentEventUpdate(
        "S-1",
        "1001",
        ShipmentEventSnapshot("late-unknown", ShipmentStatus.UNKNOWN, T0 + 40 * H, "Status updated"),
    ),
    report("dhl", (("in_transit", T0 + 20 * H),)),  # an older scan arriving last moves nothing back
]


def test_the_history_and_status_are_the_same_whatever_order_the_sources_arrive_in(aftercare):
    """Orders of five deliveries (platform, three sources, a lone event) ends in one history:
    one "in transit" for the scan three sources reported, the later scans once each, the unknown
    one kept but not moving the parcel, and the parcel delivered at the carrier's time."""
    outcomes = set()
    for n, order in enumerate(itertools.permutations(DELIVERIES)):
        if n % 23 and n != 119:  # of the 120 orders, a spread (and the reverse) keeps the test quick
            continue
        store = make_store(aftercare)
        ingest_order(aftercare, store, order_snapshot("1001", placed_at=T0 - H))
        with aftercare.db.session() as session:
            row = session.get(Store, store.id)
            ingest.apply_many(session, row, [platform(())])  # the parcel exists before its news
            for delivery in order:  # the history is ingest's; planning (not asked here) follows it
                ingest.apply_many(session, row, [delivery])
            shipment = session.scalars(select(Shipment).where(Shipment.store_id == store.id)).one()
            history = tuple(
                (event.status, event.happened_at)
                for event in session.scalars(
                    select(ShipmentEvent)
                    .where(ShipmentEvent.shipment_id == shipment.id)
                    .order_by(ShipmentEvent.happened_at, ShipmentEvent.status)
                )
            )
            outcomes.add((history, shipment.status, shipment.delivered_at))
    assert len(outcomes) == 1
    history, status, delivered_at = outcomes.pop()
    assert history == (
        ("in_transit", T0),
        ("in_transit", T0 + 20 * H),
        ("out_for_delivery", T0 + 30 * H),
        ("delivered", T0 + 34 * H),
        ("unknown", T0 + 40 * H),
    )
    assert status == "delivered" and delivered_at == T0 + 34 * H


def test_a_platform_update_sent_later_does_not_undo_a_carriers_delivery(aftercare):
    """WooCommerce's plain Shipment Tracking says "in transit" on every order change; the carrier's
    delivery, newer in event time, stands."""
    store = make_store(aftercare)
    ingest_order(aftercare, store, order_snapshot("1001", placed_at=T0 - H))
    with aftercare.db.session() as session:
        row = session.get(Store, store.id)
        ingest.apply_all(session, row, [platform(())])
        ingest.apply_all(session, row, [report("aramex", (("delivered", T0 + 34 * H),))])
        later = ShipmentSnapshot(
            external_id="S-1",
            order_external_id="1001",
            status=ShipmentStatus.IN_TRANSIT,
            updated_at=T0 + 200 * H,
            carrier="Aramex",
            tracking_number=NUMBER,
            shipped_at=T0,
        )
        ingest.apply_all(session, row, [later])
        shipment = session.scalars(select(Shipment).where(Shipment.store_id == store.id)).one()
        assert (shipment.status, shipment.delivered_at) == ("delivered", T0 + 34 * H)
