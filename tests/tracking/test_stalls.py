"""A parcel unheard of for longer than its carrier usually goes quiet (learned from the store's own
delivered parcels) becomes a "no movement" problem: the customer is told, the merchant alerted, the
later steps hold; the next scan lifts it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sqlalchemy import select

from app import clock, ingest
from app.models import Message, Order, Shipment, ShipmentEvent, Store
from app.parcels import stalls
from connectors.base import ShipmentStatus
from tests.helpers import ingest_order, ingest_shipment, make_store, order_snapshot, shipment_snapshot
from tracking.base import TrackEvent, TrackReport

T0 = datetime(2026, 11, 10, 8, 0, tzinfo=UTC)
H = timedelta(hours=1)
D = timedelta(days=1)


def delivered_history(aftercare, store, carrier: str, count: int, gap: timedelta) -> None:
    """``count`` delivered parcels of ``carrier`` in the month before, scanned every ``gap``."""
    with aftercare.db.session() as session:
        for n in range(count):
            shipped = T0 - 30 * D + n * H
            order = Order(
                store_id=store.id,
                external_id=f"old-{carrier}-{n}",
                number=f"#old{n}",
                status="completed",
                remote_status="completed",
                currency="USD",
                total=Decimal("10"),
                placed_at=shipped - D,
                remote_updated_at=shipped,
                ship_country="SA",
            )
            session.add(order)
            session.flush()
            shipment = Shipment(
                store_id=store.id,
                order_id=order.id,
                external_id=f"old-{carrier}-{n}",
                carrier=carrier,
                tracking_number=f"T{carrier}{n}",
                status="delivered",
                shipped_at=shipped,
                delivered_at=shipped + 3 * gap,
                remote_updated_at=shipped + 3 * gap,
            )
            session.add(shipment)
            session.flush()
            for k, status in enumerate(("in_transit", "in_transit", "out_for_delivery", "delivered")):
                session.add(
                    ShipmentEvent(
                        store_id=store.id,
                        shipment_id=shipment.id,
                        external_id=f"e{k}",
                        status=status,
                        happened_at=shipped + k * gap,
                    )
                )


def run(aftercare, store, now: datetime) -> list:
    clock.freeze(now)
    with aftercare.db.session() as session:
        row = session.get(Store, store.id)
        found = stalls.find(session, row, now)
        ingest.replan(session, row, found)
        return found


def messages(aftercare) -> dict[str, str]:
    with aftercare.db.session() as session:
        return {m.step: m.status for m in session.scalars(select(Message).order_by(Message.id))}


def test_a_silent_parcel_is_reported_after_the_carriers_usual_silence_and_a_scan_lifts_it(aftercare):
    """Aramex parcels here are scanned every 40 hours, so 60 hours of silence is the limit: at 58
    nothing happens, at 62 the customer's delivery-problem message, the merchant's alert and the
    holds; a delivery scan from a tracking source then ends it and the later steps come back."""
    store = make_store(aftercare, reply_to="owner@tea.example")
    delivered_history(aftercare, store, "Aramex", 10, 40 * H)  # 30 gaps
    clock.freeze(T0)
    ingest_order(aftercare, store, order_snapshot("1001", placed_at=T0 - D))
    ingest_shipment(
        aftercare,
        store,
        shipment_snapshot("1001", shipped_at=T0, events=(("in_transit", T0),), tracking="40795800592"),
    )
    assert run(aftercare, store, T0 + 58 * H) == []
    found = run(aftercare, store, T0 + 62 * H)
    assert [result.note for result in found] == ["no movement"]
    sent = messages(aftercare)
    assert sent["delivery_problem"] == "scheduled" and sent["merchant_alert"] == "scheduled"
    assert sent["check_in"] == "held" and sent["review_request"] == "held"
    assert run(aftercare, store, T0 + 80 * H) == []  # told once, not every round
    with aftercare.db.session() as session:
        alert = session.scalars(select(Message).where(Message.step == "merchant_alert")).one()
        assert "40795800592" in alert.reason and "Aramex" in alert.reason
        row = session.get(Store, store.id)
        report = TrackReport(
            "aramex", "40795800592", (TrackEvent("k1", ShipmentStatus.DELIVERED, T0 + 81 * H),)
        )
        ingest.apply_all(session, row, [report])
    sent = messages(aftercare)
    assert sent["check_in"] == "scheduled" and sent["delivered"] == "scheduled"


def test_a_carrier_with_too_little_history_gets_four_days(aftercare):
    """No delivered DHL parcels yet: the default silence applies."""
    store = make_store(aftercare)
    clock.freeze(T0)
    ingest_order(aftercare, store, order_snapshot("1001", placed_at=T0 - D))
    ingest_shipment(aftercare, store, shipment_snapshot("1001", shipped_at=T0, tracking="1234567890"))
    assert run(aftercare, store, T0 + 4 * D - H) == []
    assert len(run(aftercare, store, T0 + 4 * D + H)) == 1
