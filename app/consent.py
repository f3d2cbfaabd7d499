"""What a customer has asked not to receive, changed from the one-click unsubscribe page; and the
addresses a merchant stops by hand (a complaint to the store, a bounce their own provider reported).

Kinds follow ``journeys.steps.Kind``: transactional messages (receipts, parcel news) need no consent and
cannot be refused; service (the check-in), review and marketing can. A choice is a suppression row per
kind for the address the person's order is known by (its email, else its phone), so it also holds
for their future orders and for a guest checkout with the same email, and never for someone else who
shares their customer account or typed in the same phone number. It takes effect at once: their
planned messages are re-planned now, and every send re-checks anyway.
"""

from __future__ import annotations

from datetime import timedelta

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session

from app import clock, evidence, suppression
from app.db import affected, insert_ignore
from app.journeys import reconcile
from app.journeys.steps import Kind
from app.messages.localise import e164
from app.models import Message, MessageStatus, Order, Store, Suppression

CHOOSABLE = (Kind.SERVICE.value, Kind.REVIEW.value, Kind.MARKETING.value)
UNSUBSCRIBED = "unsubscribed"
OPEN = (MessageStatus.SCHEDULED, MessageStatus.HELD)


def stopped(session: Session, store: Store, addresses: list[str]) -> set[str]:
    """The kinds the person at ``addresses`` chose to stop (on any of them)."""
    return suppression.chosen(suppression.of(session, store, addresses))


def choose(session: Session, store: Store, addresses: list[str], stop: set[str], words: str = "") -> int:
    """Stop exactly the kinds in ``stop`` for ``addresses`` (the address a person's order is known by),
    resuming the others they had stopped; returns how many planned messages were cancelled as a
    result. Stopping marketing also withdraws marketing consent on every channel of those addresses,
    with ``words`` (what the page said) as the proof, and tells the store where it keeps consent."""
    unknown = stop - set(CHOOSABLE)
    if unknown:
        raise ValueError(f"not a kind of message one can stop: {sorted(unknown)}")
    if not addresses:
        return 0
    if Kind.MARKETING.value in stop:
        held = evidence.granted(session, store, addresses)
        already = suppression.chosen(suppression.of(session, store, addresses))
        if Kind.MARKETING.value not in already or held:
            now = clock.now()
            evidence.record(
                session,
                store,
                [
                    evidence.Evidence(
                        address, channel, False, evidence.UNSUBSCRIBE, now, words, write_back=True
                    )
                    for address in addresses
                    for channel in evidence.channels_of(address)
                ],
            )
    for address in addresses:  # the choice holds however we reach them
        for kind in stop:
            insert_ignore(
                session,
                Suppression,
                {"store_id": store.id, "address": address, "kind": kind, "reason": UNSUBSCRIBED},
            )
    session.execute(
        delete(Suppression).where(
            Suppression.store_id == store.id,
            Suppression.address.in_(addresses),
            Suppression.reason == UNSUBSCRIBED,  # bounces and complaints are not the customer's to undo
            Suppression.kind.in_(set(CHOOSABLE) - stop),
        )
    )
    session.flush()
    return _replan(session, store, addresses)


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
    """Stop everything to ``address`` (a complaint to the store, say); re-plans what was planned for
    it and returns how many planned messages were cancelled."""
    if reason not in MERCHANT_REASONS:
        raise ValueError(f"a reason is one of {', '.join(MERCHANT_REASONS)}")
    insert_ignore(
        session, Suppression, {"store_id": store.id, "address": address, "kind": "all", "reason": reason}
    )
    session.flush()
    return _replan(session, store, [address])


def lift(session: Session, store: Store, address: str) -> bool:
    """The merchant lifts a bounce or complaint (the customer fixed their mailbox, or wrote again).
    A customer's own unsubscribe choices are theirs, and stay. Messages the suppression cancelled
    come back: the address's recent orders are planned again."""
    removed = affected(
        session.execute(
            delete(Suppression).where(
                Suppression.store_id == store.id,
                Suppression.address == address,
                Suppression.reason.in_(MERCHANT_REASONS),
            )
        )
    )
    session.flush()
    since = clock.now() - timedelta(days=reconcile.RELATED_ORDERS_DAYS)
    reconcile.refresh(session, store, _orders_to(session, store, [address], since))
    return bool(removed)


def _orders_to(session: Session, store: Store, addresses: list[str], since: object = None) -> list[Order]:
    """Orders whose own contact is one of ``addresses`` (placed since ``since``, if given)."""
    query = select(Order).where(
        Order.store_id == store.id, or_(Order.email.in_(addresses), Order.phone.in_(addresses))
    )
    if since is not None:
        query = query.where(Order.placed_at >= since)
    return list(session.scalars(query))


def _replan(session: Session, store: Store, addresses: list[str]) -> int:
    """Re-plan the orders with open messages to ``addresses``; how many open messages that cancelled."""
    orders = [
        order
        for order in _orders_to(session, store, addresses)
        if session.scalar(
            select(Message.id)
            .where(Message.store_id == store.id, Message.order_id == order.id, Message.status.in_(OPEN))
            .limit(1)
        )
        is not None
    ]
    ids = [order.id for order in orders]

    def open_count() -> int:
        if not ids:
            return 0
        return len(
            session.scalars(
                select(Message.id).where(
                    Message.store_id == store.id, Message.order_id.in_(ids), Message.status.in_(OPEN)
                )
            ).all()
        )

    before = open_count()
    reconcile.refresh(session, store, orders)
    return max(0, before - open_count())
