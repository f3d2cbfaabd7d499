"""An order that has been delivered and whose review request has gone out, as tests of reviews need."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from app import Services, clock
from app.models import Message, Order, Store
from scheduler.jobs import make_dispatcher
from tests.helpers import T0, ingest_order, ingest_shipment, order_snapshot, shipment_snapshot

DELIVERED = T0 + timedelta(days=2)


def delivered_order(aftercare: Services, store: Store, external_id: str = "1001", **snapshot: Any) -> int:
    """An order placed at T0 and delivered two days later; its id."""
    clock.freeze(T0)
    ingest_order(aftercare, store, order_snapshot(external_id, **snapshot))
    ingest_shipment(
        aftercare,
        store,
        shipment_snapshot(
            external_id,
            "delivered",
            shipped_at=T0 + timedelta(hours=5),
            at=DELIVERED,
            events=(("in_transit", T0 + timedelta(hours=5)), ("delivered", DELIVERED)),
        ),
    )
    with aftercare.db.session() as session:
        return session.scalars(
            select(Order.id).where(Order.store_id == store.id, Order.external_id == external_id)
        ).one()


def message(aftercare: Services, order_id: int, step: str) -> Message | None:
    with aftercare.db.session() as session:
        found = session.scalars(
            select(Message).where(Message.order_id == order_id, Message.step == step)
        ).first()
        if found is not None:
            session.expunge(found)
        return found


def send_due(aftercare: Services, order_id: int, step: str) -> Counter:
    """Move the clock to when ``step`` of the order is due and run the worker's dispatch."""
    due = message(aftercare, order_id, step)
    assert due is not None, f"{step} is not planned"
    clock.freeze(due.send_at + timedelta(minutes=1))
    return make_dispatcher(aftercare, "worker-1").run_until_idle()
