"""What a customer has asked not to receive, changed from the one-click unsubscribe page; and the
addresses a merchant stops by hand (a complaint to the store, a bounce their own provider reported).

Kinds follow ``journeys.steps.Kind``: transactional messages (receipts, parcel news) need no consent and
cannot be refused; service (the check-in), review and marketing can. A choice is a suppression row per
kind for the customer's address, so it also holds for their future orders and for a guest checkout
with the same email. It takes effect at once: the customer's planned messages are re-planned now, and
every send re-checks anyway.
"""

from __future__ import annotations

from datetime import timedelta

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session

from app import clock, suppression
from app.db import insert_ignore
from app.journeys import schedule
from app.journeys.steps import Kind
from app.messages.localise import e164
from app.models import Customer, Message, MessageStatus, Order, Store, Suppression

CHOOSABLE = (Kind.SERVICE.value, Kind.REVIEW.value, Kind.MARKETING.value)
UNSUBSCRIBED = "unsubscribed"
OPEN = (MessageStatus.SCHEDULED, MessageStatus.HELD)


def stopped(session: Session, store: Store, customer: Customer) -> set[str]:
    """The kinds this customer chose to stop (on any of their addresses)."""
    return suppression.chosen(suppression.of(session, store, customer))


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


MERCHANT_REASONS = ("complaint", "hard_bounce")  # what a merchant records by hand, and may lift


def normalise(raw: str) -> str | None:
    """An email in lower case or a phone number in E.164 (with its +), as the list keys them; None
    when it is neither."""
    raw = raw.strip()
    if raw.startswith("+"):
        return e164(raw, None)
    try:
        # test_environment: also accepts the reserved .test domain, which is harmless on a stop list
        return validate_email(raw, check_deliverability=False, test_environment=True).normalized.lower()
    except EmailNotValidError:
        return None


def suppress(session: Session, store: Store, address: str, reason: str) -> int:
    """Stop everything to ``address`` (a complaint to the store, say); re-plans its customers and
    returns how many planned messages were cancelled."""
    if reason not in MERCHANT_REASONS:
        raise ValueError(f"a reason is one of {', '.join(MERCHANT_REASONS)}")
    insert_ignore(
        session, Suppression, {"store_id": store.id, "address": address, "kind": "all", "reason": reason}
    )
    session.flush()
    return sum(_replan(session, store, customer) for customer in _customers(session, store, address))


def lift(session: Session, store: Store, address: str) -> bool:
    """The merchant lifts a bounce or complaint (the customer fixed their mailbox, or wrote again).
    A customer's own unsubscribe choices are theirs, and stay."""
    removed = session.execute(
        delete(Suppression).where(
            Suppression.store_id == store.id,
            Suppression.address == address,
            Suppression.reason.in_(MERCHANT_REASONS),
        )
    ).rowcount
    session.flush()
    for customer in _customers(session, store, address):
        _replan_all(session, store, customer)
    return bool(removed)


def _customers(session: Session, store: Store, address: str) -> list[Customer]:
    return list(
        session.scalars(
            select(Customer).where(
                Customer.store_id == store.id, or_(Customer.email == address, Customer.phone == address)
            )
        )
    )


def _replan_all(session: Session, store: Store, customer: Customer) -> None:
    """Messages cancelled by a suppression come back: re-plan the customer's recent orders."""
    since = clock.now() - timedelta(days=schedule.RELATED_ORDERS_DAYS)
    orders = session.scalars(
        select(Order).where(
            Order.store_id == store.id, Order.customer_id == customer.id, Order.placed_at >= since
        )
    )
    for order in orders:
        schedule.refresh_order(session, store, order)


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
