"""One history per parcel from the platform and every tracking source: in event time, the newest
wins, the same scan from two sources is kept once, and the order things arrive in changes nothing."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from app import ingest
from app.models import Shipment, ShipmentEvent, Store
from app.parcels import scans
from connectors.base import ShipmentEventSnapshot, ShipmentEventUpdate, ShipmentSnapshot, ShipmentStatus
from tests.helpers import ingest_order, make_store, order_snapshot
from tracking.base import TrackEvent, TrackReport

T0 = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)
H = timedelta(hours=1)
NUMBER = "40795800592"


def platform(
    events: tuple[tuple[str, datetime], ...],
    status: str = "in_transit",
    *,
    updated_at: datetime = T0 + 100 * H,  # sent late: its own time is not when anything happened
    delivered_at: datetime | None = None,
    key: str = "p-{n}",
) -> ShipmentSnapshot:
    """Shopify-like: the fulfillment with the events it had when sent (its status lagging behind)."""
    return ShipmentSnapshot(
        external_id="S-1",
        order_external_id="1001",
        status=ShipmentStatus(status),
        updated_at=updated_at,
        carrier="Aramex",
        tracking_number=NUMBER,
        shipped_at=T0,
        delivered_at=delivered_at,
        events=tuple(
            ShipmentEventSnapshot(key.format(n=n, s=s, at=at.isoformat()), ShipmentStatus(s), at)
            for n, (s, at) in enumerate(events)
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


def outcome(aftercare, deliveries) -> tuple[Any, ...]:
    """A new store's parcel after ``deliveries`` in this order: the history its customer reads (each
    scan once), its status and when it was delivered."""
    store = make_store(aftercare)
    ingest_order(aftercare, store, order_snapshot("1001", placed_at=T0 - H))
    with aftercare.db.session() as session:
        row = session.get(Store, store.id)
        ingest.apply_many(session, row, [platform(())])  # the parcel exists before its news
        for delivery in deliveries:  # the history is ingest's; planning (not asked here) follows it
            ingest.apply_many(session, row, [delivery])
        shipment = session.scalars(select(Shipment).where(Shipment.store_id == store.id)).one()
        reports = session.scalars(select(ShipmentEvent).where(ShipmentEvent.shipment_id == shipment.id))
        history = tuple((event.status, event.happened_at) for event in scans.distinct(reports))
        return history, shipment.status, shipment.delivered_at


def test_the_history_and_status_are_the_same_whatever_order_the_sources_arrive_in(aftercare):
    """Orders of five deliveries (platform, three sources, a lone event) ends in one history:
    one "in transit" for the scan three sources reported, the later scans once each, the unknown
    one kept but not moving the parcel, and the parcel delivered at the carrier's time."""
    outcomes = set()
    for n, order in enumerate(itertools.permutations(DELIVERIES)):
        if n % 23 and n != 119:  # of the 120 orders, a spread (and the reverse) keeps the test quick
            continue
        outcomes.add(outcome(aftercare, order))
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
        ingest.apply_all(session, row, [platform((), updated_at=T0 + 200 * H)])
        shipment = session.scalars(select(Shipment).where(Shipment.store_id == store.id)).one()
        assert (shipment.status, shipment.delivered_at) == ("delivered", T0 + 34 * H)


def test_a_platforms_delivery_stands_when_an_older_carrier_scan_arrives_after_it(aftercare):
    """The platform says delivered (no scan of its own); the carrier's earlier "in transit" comes in
    later: still delivered, at the platform's time, as if they had arrived the other way round."""
    delivered = platform((), "delivered", delivered_at=T0 + 30 * H)
    scan = report("aramex", (("in_transit", T0 + 20 * H),))
    one, other = outcome(aftercare, [delivered, scan]), outcome(aftercare, [scan, delivered])
    assert one == other and one[1:] == ("delivered", T0 + 30 * H)


# What the property below draws: scans a few minutes apart (so reports of one scan by several sources,
# and chains of them, are common) or hours apart, of the statuses that move a parcel and unknown.
STATUSES = st.sampled_from(
    ("in_transit", "in_transit", "delivered", "out_for_delivery", "attempted_delivery", "unknown")
)
MOMENTS = st.one_of(
    st.integers(1, 6).map(lambda k: T0 + k * timedelta(minutes=4)),
    st.integers(1, 48).map(lambda k: T0 + k * H),
)


@st.composite
def deliveries(draw: st.DrawFn) -> list[Any]:
    """What may reach one parcel: tracking sources' reports (a source keys a scan the same way each
    time it reports it), the platform's snapshots (in transit, or delivered at a time, with or without
    scans of their own, each sent at its own time) and the platform's lone events; any of them twice."""
    found: list[Any] = []
    for n in range(draw(st.integers(1, 6))):
        kind = draw(st.sampled_from(("aftership", "aramex", "dhl", "platform", "event")))
        events = draw(st.lists(st.tuples(STATUSES, MOMENTS), min_size=kind != "platform", max_size=3))
        if kind == "event":
            status, at = events[0]
            snapshot = ShipmentEventSnapshot(f"p:{status}:{at.isoformat()}", ShipmentStatus(status), at)
            found.append(ShipmentEventUpdate("S-1", "1001", snapshot))
        elif kind == "platform":
            delivered = draw(st.none() | MOMENTS)
            status = "delivered" if delivered else "in_transit"
            sent = T0 + (200 + n) * H
            found.append(
                platform(tuple(events), status, updated_at=sent, delivered_at=delivered, key="p:{s}:{at}")
            )
        else:
            found.append(
                TrackReport(
                    kind,
                    NUMBER,
                    tuple(
                        TrackEvent(f"{kind}:{s}:{at.isoformat()}", ShipmentStatus(s), at) for s, at in events
                    ),
                )
            )
    return found + draw(st.lists(st.sampled_from(found), max_size=2))


@pytest.mark.any_database  # the arrival orders are the point; the other tests here run on both
@settings(
    max_examples=40,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_any_deliveries_in_any_order_end_in_the_same_history(aftercare, data):
    """For any mix of platform snapshots, lone events and sources' reports, with scans told by several
    sources minutes apart: two arrival orders give the same history, status and delivery time; the
    status is that of the newest scan, and no scan is shown twice for two sources."""
    drawn = data.draw(deliveries())
    shuffled = data.draw(st.permutations(drawn))
    first = outcome(aftercare, drawn)
    assert outcome(aftercare, shuffled) == first
    history, status, delivered_at = first
    moved = [("in_transit", T0)] + [(s, at) for s, at in history if s != "unknown"]  # shipped at T0
    newest = max(at for _, at in moved)
    assert status in {s for s, at in moved if at == newest}
    assert (delivered_at == newest) is (status == "delivered")
