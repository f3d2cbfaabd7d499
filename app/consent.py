"""What a customer has asked not to receive, changed from the one-click unsubscribe page.

Kinds follow ``journeys.steps.Kind``: transactional messages (receipts, parcel news) need no consent and
cannot be refused; service (the check-in), review and marketing can. A choice is a suppression row per
kind for the customer's address, so it also holds for their future orders and for a guest checkout
with the same email. It takes effect at once: the customer's planned messages are re-planned now, and
every send re-checks anyway.
"""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from app import suppression
from app.db import insert_ignore
from app.journeys import schedule
from app.journeys.steps import Kind
from app.models import Customer, Message, MessageStatus, Order, Store, Suppression

CHOOSABLE = (Kind.SERVICE.value, Kind.REVIEW.value, Kind.MARKETING.value)
UNSUBSCRIBED = "unsubscribed"
OPEN = (MessageStatus.SCHEDULED, MessageStatus.HELD)


def stopped(session: Session, store: Store, customer: Customer) -> set[str]:
    """The kinds this customer chose to stop (on any of their addresses)."""
    return set().union(*suppression.of(session, store, customer).values()) - {"all"}


def choose(session: Session, store: Store, customer: Customer, stop: set[str]) -> int:
    """Stop exactly the kinds in ``stop`` (resuming the others the customer had stopped); returns how
    many planned messages were cancelled as a result."""
    unknown = stop - set(CHOOSABLE)
    if unknown:
        raise ValueError(f"not a kind of message one can stop: {sorted(unknown)}")
    if not suppression.addresses(customer):
        return 0
    for address in suppression.addresses(customer):  # the choice holds however we reach them
        for kind in stop:
            insert_ignore(
                session,
                Suppression,
                {"store_id": store.id, "address": address, "kind": kind, "reason": UNSUBSCRIBED},
            )
    session.execute(
        delete(Suppression).where(
            Suppression.store_id == store.id,
            Suppression.address.in_(suppression.addresses(customer)),
            Suppression.reason == UNSUBSCRIBED,  # bounces and complaints are not the customer's to undo
            Suppression.kind.in_(set(CHOOSABLE) - stop),
        )
    )
    session.flush()
    return _replan(session, store, customer)


def _replan(session: Session, store: Store, customer: Customer) -> int:
    def open_count() -> int:
        return len(
            session.scalars(
                select(Message.id).where(
                    Message.store_id == store.id, Message.customer_id == customer.id, Message.status.in_(OPEN)
                )
            ).all()
        )

    before = open_count()
    orders = session.scalars(
        select(Order).where(
            Order.store_id == store.id,
            Order.id.in_(
                select(Message.order_id).where(
                    Message.store_id == store.id, Message.customer_id == customer.id, Message.status.in_(OPEN)
                )
            ),
        )
    ).all()
    for order in orders:
        schedule.refresh_order(session, store, order)
    return max(0, before - open_count())
