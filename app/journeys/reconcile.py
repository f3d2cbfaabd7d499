"""The planner's decisions -> outbox rows, for many orders at once; and the planner asked again just
before a batch of sends.

``refresh`` runs whenever orders (or their contacts' other orders) change: it plans new messages (the
unique ``(store_id, dedupe_key)`` makes concurrent refreshes harmless), moves or holds open ones,
cancels what the planner no longer wants, and plans again what it wants back (an order that was
cancelled and came back). Every status change goes through ``app.outbox``.
``recheck`` is what the dispatcher asks just before sending a batch.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import channel_settings, clock, outbox
from app.db import among
from app.journeys import config as journey_config
from app.journeys import state
from app.journeys.planner import Decision, Verdict, by_key
from app.journeys.reasons import Reason
from app.journeys.steps import STEPS
from app.models import Message, MessageStatus, Order, Store
from channels import registry as channel_registry

OPEN = outbox.OPEN
RELATED_ORDERS_DAYS = 60  # how far around a changed order its contact's other orders are re-planned


def refresh(session: Session, store: Store, orders: Sequence[Order]) -> int:
    """Bring the outbox rows of ``orders`` in line with what the planner wants now; how many messages
    it newly planned."""
    if not orders:
        return 0
    loaded = state.load(session, store, orders, recommendations_for=[order.id for order in orders])
    rows: dict[int, dict[str, Message]] = defaultdict(dict)
    for message in session.scalars(
        select(Message)
        .where(Message.store_id == store.id, among(session, Message.order_id, sorted({o.id for o in orders})))
        .order_by(Message.id)
        .with_for_update()
    ):
        rows[message.order_id or 0][message.dedupe_key] = message
    now = clock.now()
    new: list[outbox.New] = []
    # A contact's orders in time order, so each sees what the previous one planned (frequency cap).
    for order in sorted(orders, key=lambda o: (o.contact or "", o.placed_at, o.id)):
        new.extend(_apply(session, store, order, loaded.plan(order), rows[order.id], now))
    return len(outbox.plan_many(session, new))


def refresh_related(session: Session, store: Store, orders: Sequence[Order]) -> None:
    """Re-plan ``orders`` and their contacts' other recent orders: a new order can cancel an older
    order's come-back offer, merge review requests, or take a slot under the frequency cap."""
    refresh(session, store, related(session, store, orders))


def related(session: Session, store: Store, orders: Sequence[Order]) -> list[Order]:
    """``orders`` and every order of their contacts placed within ``RELATED_ORDERS_DAYS`` of one."""
    found = {order.id: order for order in orders}
    by_contact: dict[str, list[Order]] = defaultdict(list)
    for order in orders:
        if order.contact:
            by_contact[order.contact].append(order)
    if by_contact:
        window = timedelta(days=RELATED_ORDERS_DAYS)
        earliest = min(o.placed_at for o in orders) - window
        for other in session.scalars(
            select(Order).where(
                Order.store_id == store.id,
                among(session, Order.contact, sorted(by_contact)),
                Order.placed_at >= earliest,
            )
        ):
            near = by_contact[other.contact or ""]
            if any(abs(other.placed_at - changed.placed_at) <= window for changed in near):
                found.setdefault(other.id, other)
    return list(found.values())


def recheck(session: Session, store: Store, messages: Sequence[Message]) -> dict[int, Decision | Reason]:
    """For each message (by id): the planner's decision right now, or why it has none."""
    order_ids = sorted({m.order_id for m in messages if m.order_id is not None})
    orders = (
        {o.id: o for o in session.scalars(select(Order).where(among(session, Order.id, order_ids)))}
        if order_ids
        else {}
    )
    cross_sells = {m.order_id for m in messages if m.step == "cross_sell" and m.order_id is not None}
    loaded = state.load(session, store, list(orders.values()), at_send=True, recommendations_for=cross_sells)
    decided = {order_id: by_key(loaded.plan(order)) for order_id, order in orders.items()}
    answers: dict[int, Decision | Reason] = {}
    for message in messages:
        if message.order_id is None:
            answers[message.id] = Reason.of("no_order")
        elif message.order_id not in orders:
            answers[message.id] = Reason.of("no_order")
        else:
            answers[message.id] = decided[message.order_id].get(message.dedupe_key) or Reason.of("replaced")
    return answers


def _apply(
    session: Session,
    store: Store,
    order: Order,
    decisions: list[Decision],
    rows: dict[str, Message],
    now: datetime,
) -> list[outbox.New]:
    """Move, hold, cancel or reopen the order's rows; the messages to create, for the caller to
    insert with the rest of the batch."""
    new = []
    for decision in decisions:
        message = rows.pop(decision.dedupe_key, None)
        if message is not None and message.status in OPEN and message.contact != order.contact:
            message.contact = order.contact  # the order's email was edited: the cap follows the person
        if decision.verdict is Verdict.SEND and decision.send_at is not None:
            if message is None:
                new.append(_new(store, order, decision))
            elif message.status in OPEN:
                if message.status == MessageStatus.HELD or _moved(message.send_at, decision.send_at, now):
                    outbox.reschedule(session, message, decision.send_at, decision.reason)
            elif outbox.reopenable(message):
                message.contact = order.contact
                outbox.reopen(session, message, decision.send_at, decision.reason)
        elif message is not None and message.status in OPEN:
            if decision.verdict is Verdict.SKIP:
                outbox.cancel(session, message, decision.reason)
            elif message.status != MessageStatus.HELD or message.why != decision.reason:
                outbox.hold(session, message, decision.reason)
        elif (
            message is not None
            and decision.verdict is Verdict.SKIP
            and outbox.reopenable(message)
            and message.reason_code != decision.reason.code
        ):
            outbox.explain_skip(session, message, decision.reason)  # e.g. a revived order's passed step
    for message in rows.values():  # rows the journey no longer mentions (a superseded problem report)
        if message.status in OPEN and message.step in STEPS:  # merchant alerts are not the planner's
            outbox.cancel(session, message, Reason.of("replaced"))
    return new


def _moved(current: datetime, wanted: datetime, now: datetime) -> bool:
    """A due message stays as it is: the planner says "now" at every re-plan, and each "now" differs."""
    if current <= now and wanted <= now:
        return False
    return current != wanted


def _new(store: Store, order: Order, decision: Decision) -> outbox.New:
    assert decision.send_at is not None  # noqa: S101 - only SEND decisions get here
    return outbox.New(
        store_id=store.id,
        order_id=order.id,
        customer_id=order.customer_id,
        shipment_id=decision.shipment_id,
        step=decision.step,
        kind=decision.kind.value,
        dedupe_key=decision.dedupe_key,
        channel=channel_for(store, decision.step),
        send_at=decision.send_at,
        reason=decision.reason,
        contact=order.contact,
        members=decision.members,
    )


def channels_for(store: Store, step: str) -> list[str]:
    """The channels this store can use for ``step``, in the step's order of preference, then email (the
    store's own server or the operator's relay): a merchant may prefer WhatsApp and have no Twilio
    account yet, or prefer the store's mailer (``store_note``), which only WooCommerce has. The
    dispatcher tries them in this order."""
    preferred = journey_config.parse(store.journey).step(step).channels
    configured = channel_settings.usable(store)
    ordered = dict.fromkeys((*preferred, channel_registry.EMAIL))
    return [name for name in ordered if name in configured] or [channel_registry.EMAIL]


def channel_for(store: Store, step: str) -> str:
    return channels_for(store, step)[0]


def orders_of(session: Session, store: Store, ids: Iterable[int]) -> list[Order]:
    wanted = sorted(set(ids))
    if not wanted:
        return []
    return list(
        session.scalars(select(Order).where(Order.store_id == store.id, among(session, Order.id, wanted)))
    )
