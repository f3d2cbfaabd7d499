"""Ingest is idempotent and order-insensitive (invariant 3), and keeps the outbox in step."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from app import clock, timeline
from app.models import Customer, Message, Order, OrderLine, TimelineEntry
from connectors.base import OrderStatus
from tests.helpers import T0, count, ingest_order, make_store, order_snapshot


def _order(aftercare, store):
    with aftercare.db.session() as session:
        return session.scalars(select(Order).where(Order.store_id == store.id)).one()


def _messages(aftercare, store, step="thank_you"):
    with aftercare.db.session() as session:
        return session.scalars(
            select(Message).where(Message.store_id == store.id, Message.step == step)
        ).all()


def test_same_snapshot_twice_changes_nothing(aftercare):
    clock.freeze(T0)
    store = make_store(aftercare)
    first = ingest_order(aftercare, store, order_snapshot())
    planned = count(aftercare, Message)
    second = ingest_order(aftercare, store, order_snapshot())
    assert first.changed and not second.changed
    assert (
        count(aftercare, Order) == 1 and count(aftercare, OrderLine) == 2 and count(aftercare, Customer) == 1
    )
    assert planned == 2  # the thank-you now, the come-back offer in 30 days
    assert count(aftercare, Message) == planned
    assert count(aftercare, TimelineEntry) == count(aftercare, TimelineEntry, kind="received") + planned


def test_older_snapshot_after_newer_changes_nothing(aftercare):
    """A late retry of the 'paid' payload does not undo a cancellation that arrived first."""
    clock.freeze(T0)
    store = make_store(aftercare)
    cancelled = order_snapshot(status=OrderStatus.CANCELLED, updated_at=T0 + timedelta(minutes=10))
    paid = order_snapshot(status=OrderStatus.PAID, updated_at=T0 + timedelta(minutes=1), items=3)
    ingest_order(aftercare, store, cancelled)
    result = ingest_order(aftercare, store, paid)
    assert not result.changed
    order = _order(aftercare, store)
    assert order.status == "cancelled"
    assert count(aftercare, OrderLine) == 2  # the older snapshot's three lines were not applied
    assert _messages(aftercare, store) == []  # no thank-you for a cancelled order


def test_newer_snapshot_updates_and_cancels_the_scheduled_thank_you(aftercare):
    clock.freeze(T0)
    store = make_store(aftercare)
    ingest_order(aftercare, store, order_snapshot(status=OrderStatus.PAID))
    [message] = _messages(aftercare, store)
    assert message.status == "scheduled"
    ingest_order(
        aftercare, store, order_snapshot(status=OrderStatus.CANCELLED, updated_at=T0 + timedelta(hours=1))
    )
    [message] = _messages(aftercare, store)
    assert message.status == "cancelled"
    assert message.reason == "the order was cancelled"
    with aftercare.db.session() as session:
        details = [
            timeline.describe(entry)
            for entry in session.scalars(select(TimelineEntry).order_by(TimelineEntry.id))
        ]
    assert "Status changed from paid to cancelled." in details
    assert any("not sent, the order was cancelled" in detail for detail in details)


def test_cash_on_delivery_order_gets_thank_you_at_creation(aftercare):
    clock.freeze(T0)
    store = make_store(aftercare)
    ingest_order(aftercare, store, order_snapshot(status=OrderStatus.PENDING, cash_on_delivery=True))
    [message] = _messages(aftercare, store)
    assert message.send_at == T0
    assert "cash on delivery" in message.reason


def test_unpaid_card_order_waits_then_is_thanked_when_paid(aftercare):
    clock.freeze(T0)
    store = make_store(aftercare)
    ingest_order(aftercare, store, order_snapshot(status=OrderStatus.PENDING))
    assert _messages(aftercare, store) == []
    clock.freeze(T0 + timedelta(minutes=30))
    ingest_order(
        aftercare,
        store,
        order_snapshot(status=OrderStatus.PAID, placed_at=T0, updated_at=T0 + timedelta(minutes=30)),
    )
    [message] = _messages(aftercare, store)
    assert message.step == "thank_you"


def test_orders_of_two_stores_with_the_same_id_stay_apart(aftercare):
    """External ids are per store: store B's order 1001 is not store A's."""
    clock.freeze(T0)
    store_a, store_b = make_store(aftercare, name="A"), make_store(aftercare, name="B")
    ingest_order(aftercare, store_a, order_snapshot("1001", first_name="Amal"))
    ingest_order(aftercare, store_b, order_snapshot("1001", first_name="Babak"))
    assert count(aftercare, Order) == 2
    assert _order(aftercare, store_a).ship_name == "Amal Haddad"
    assert _order(aftercare, store_b).ship_name == "Babak Haddad"


def test_redacted_customer_is_not_refilled(aftercare):
    clock.freeze(T0)
    store = make_store(aftercare)
    ingest_order(aftercare, store, order_snapshot("1"))
    with aftercare.db.session() as session:
        customer = session.scalars(select(Customer)).one()
        customer.email, customer.first_name, customer.redacted_at = None, None, T0
    ingest_order(aftercare, store, order_snapshot("1", updated_at=T0 + timedelta(minutes=1)))
    with aftercare.db.session() as session:
        customer = session.scalars(select(Customer)).one()
    assert customer.email is None and customer.first_name is None
