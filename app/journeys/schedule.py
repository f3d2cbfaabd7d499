"""Database <-> planner: gather what the planner may know, and turn its decisions into outbox rows.

``refresh_order`` runs whenever an order (or its customer's other orders) changes: it inserts rows for
new decisions (the unique ``(store_id, dedupe_key)`` makes concurrent refreshes harmless), moves or
holds scheduled rows, and cancels the ones the planner no longer wants, recording why in the timeline.
``recheck`` is what the dispatcher asks just before a send; there the frequency cap counts only what
the customer really received, so a deferred message yields to sent mail, never to other plans.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import clock, recommend, suppression, timeline
from app.db import insert_ignore
from app.journeys import config as journey_config
from app.journeys import planner, timing
from app.journeys.planner import (
    Context,
    CustomerState,
    Decision,
    LineState,
    OrderState,
    Past,
    Problem,
    ReviewGroup,
    ShipmentState,
    Verdict,
)
from app.journeys.steps import STEPS, Kind
from app.models import (
    Customer,
    Message,
    MessageStatus,
    Order,
    OrderLine,
    Product,
    Review,
    Shipment,
    ShipmentEvent,
    Store,
    StoreStatus,
)
from connectors import registry
from connectors.base import OrderStatus, ShipmentStatus

REVIEW_DELAY_TAG = re.compile(r"^review-delay:(\d{1,3})([hdw])$")
UNITS = {"h": timedelta(hours=1), "d": timedelta(days=1), "w": timedelta(weeks=1)}
OPEN = (MessageStatus.SCHEDULED, MessageStatus.HELD)
RELATED_ORDERS_DAYS = 60  # how far back a customer's other orders are re-planned when one changes
SIBLINGS_NOW = 10  # how many of them are re-planned at once (see refresh_customer)


def review_delay(tags: str) -> timedelta | None:
    """``review-delay:21d`` (or ``36h``, ``3w``) among a product's tags."""
    for tag in (part.strip().lower() for part in tags.split(",")):
        if match := REVIEW_DELAY_TAG.match(tag):
            return int(match.group(1)) * UNITS[match.group(2)]
    return None


# --- gathering the state ---------------------------------------------------------------------------


def _shipments(session: Session, order: Order) -> tuple[ShipmentState, ...]:
    rows = session.scalars(
        select(Shipment)
        .where(Shipment.store_id == order.store_id, Shipment.order_id == order.id)
        .order_by(Shipment.id)
    ).all()
    states = []
    for shipment in rows:
        events = session.scalars(
            select(ShipmentEvent)
            .where(ShipmentEvent.shipment_id == shipment.id)
            .order_by(ShipmentEvent.happened_at)
        ).all()
        out_for_delivery = next(
            (e.happened_at for e in reversed(events) if e.status == ShipmentStatus.OUT_FOR_DELIVERY), None
        )
        problem = None
        if shipment.status in planner.PROBLEMS:
            latest = next((e for e in reversed(events) if e.status == shipment.status), None)
            at = latest.happened_at if latest else shipment.remote_updated_at
            problem = Problem(latest.external_id if latest else "status", ShipmentStatus(shipment.status), at)
        states.append(
            ShipmentState(
                shipment_id=shipment.id,
                status=ShipmentStatus(shipment.status),
                has_tracking=bool(shipment.tracking_number or shipment.tracking_url),
                shipped_at=shipment.shipped_at,
                out_for_delivery_at=out_for_delivery,
                delivered_at=shipment.delivered_at,
                problem=problem,
            )
        )
    return tuple(states)


def _lines(session: Session, order: Order, customer: Customer | None) -> tuple[LineState, ...]:
    lines = session.scalars(
        select(OrderLine).where(OrderLine.order_id == order.id).order_by(OrderLine.id)
    ).all()
    product_ids = [line.product_external_id for line in lines if line.product_external_id]
    tags = dict(
        session.execute(
            select(Product.external_id, Product.tags).where(
                Product.store_id == order.store_id, Product.external_id.in_(product_ids)
            )
        ).all()
    )
    reviewed: set[str] = set()
    if customer is not None:
        reviewed = set(
            session.scalars(
                select(Review.product_external_id).where(
                    Review.store_id == order.store_id,
                    Review.customer_id == customer.id,
                    Review.product_external_id.in_(product_ids),
                )
            )
        )
    return tuple(
        LineState(
            product_id=line.product_external_id,
            title=line.title,
            quantity=line.quantity,
            refunded_quantity=line.refunded_quantity,
            review_delay=review_delay(tags.get(line.product_external_id or "", "") or ""),
            reviewed=(line.product_external_id or "") in reviewed,
        )
        for line in lines
    )


def _customer(session: Session, store: Store, order: Order, customer: Customer | None) -> CustomerState:
    if customer is None:
        return CustomerState(
            recipient=None, zone=timing.safe_zone(store.timezone), country=order.ship_country
        )
    found = suppression.of(session, store, customer)
    reachable = [address for address, kinds in found.items() if "all" not in kinds]
    return CustomerState(
        recipient=reachable[0] if reachable else None,
        suppressed="the customer's address is on the suppression list" if found and not reachable else None,
        zone=timing.zone_for(order.ship_country, customer.phone, timing.safe_zone(store.timezone)),
        country=order.ship_country,
        marketing_consent=customer.accepts_marketing,
        unsubscribed=frozenset(suppression.chosen(found)),
        marketing_paused=customer.marketing_paused,
        redacted=customer.redacted_at is not None,
    )


def _customer_orders(session: Session, order: Order) -> list[Order]:
    if order.customer_id is None:
        return [order]
    return list(
        session.scalars(
            select(Order)
            .where(Order.store_id == order.store_id, Order.customer_id == order.customer_id)
            .order_by(Order.placed_at, Order.id)
        )
    )


def _review_group(
    session: Session, order: Order, siblings: list[Order], customer: Customer | None, merge_days: int
) -> ReviewGroup | None:
    """Chain the customer's live orders placed within ``merge_days`` of each other; None if alone."""
    live = [o for o in siblings if o.status not in planner.STOPPED_ORDER]
    if order not in live or merge_days == 0:
        return None
    chains: list[list[Order]] = []
    for candidate in live:
        if chains and candidate.placed_at - chains[-1][-1].placed_at <= timedelta(days=merge_days):
            chains[-1].append(candidate)
        else:
            chains.append([candidate])
    chain = next(chain for chain in chains if order in chain)
    if len(chain) == 1:
        return None
    members = [(member, _shipments(session, member)) for member in chain]
    return ReviewGroup(
        lead_order_id=chain[-1].id,
        lead_number=chain[-1].number,
        order_ids=tuple(member.id for member in chain),
        shipments=tuple(shipments for _, shipments in members),
        lines=tuple(line for member, _ in members for line in _lines(session, member, customer)),
    )


def order_state(
    session: Session,
    store: Store,
    order: Order,
    config: journey_config.JourneyConfig,
    *,
    recommendations: bool = True,
) -> OrderState:
    """What the planner may know about ``order``. ``recommendations=False`` skips the co-purchase
    count (the costliest question here) when the caller is not deciding a cross-sell."""
    customer = session.get(Customer, order.customer_id) if order.customer_id else None
    siblings = _customer_orders(session, order)
    later = [
        o.placed_at
        for o in siblings
        if o.placed_at > order.placed_at and o.status not in planner.STOPPED_ORDER
    ]
    customer_state = _customer(session, store, order, customer)
    shipments = _shipments(session, order)
    # Co-purchase counting is the costliest question here: ask it only when a cross-sell could go.
    recommendable = recommendations and customer_state.marketing_consent and bool(shipments)
    return OrderState(
        order_id=order.id,
        number=order.number,
        status=OrderStatus(order.status),
        placed_at=order.placed_at,
        paid_at=order.paid_at,
        cash_on_delivery=order.cash_on_delivery,
        customer=customer_state,
        shipments=shipments,
        lines=_lines(session, order, customer),
        check_in_answer=order.check_in_answer,
        ordered_again_at=min(later) if later else None,
        # Unasked, the answer must not skip anything: consent and delivery decide the cross-sell then.
        has_recommendations=not recommendable or bool(recommend.for_order(session, order)),
        review_group=_review_group(session, order, siblings, customer, config.merge_review_days),
        store_uninstalled=store.status == StoreStatus.UNINSTALLED,
    )


def context(
    session: Session, store: Store, order: Order, config: journey_config.JourneyConfig, *, at_send: bool
) -> Context:
    own = session.scalars(
        select(Message).where(Message.store_id == store.id, Message.order_id == order.id)
    ).all()
    history = {m.dedupe_key: Past(m.status, m.send_at, m.sent_at) for m in own}
    busy: dict[str, datetime] = {}
    if order.customer_id is not None:
        counted = (
            (MessageStatus.SENT, MessageStatus.SENDING)
            if at_send
            else (MessageStatus.SENT, MessageStatus.SENDING, MessageStatus.SCHEDULED)
        )
        for message in session.scalars(
            select(Message).where(
                Message.store_id == store.id,
                Message.customer_id == order.customer_id,
                Message.kind != Kind.TRANSACTIONAL.value,
                Message.status.in_(counted),
            )
        ):
            if message.order_id == order.id and message.status == MessageStatus.SCHEDULED:
                continue  # this order's own plans are being decided again right now
            busy[message.dedupe_key] = message.sent_at or message.send_at
    return Context(now=clock.now(), config=config, history=history, busy=busy)


def decide(
    session: Session, store: Store, order: Order, *, at_send: bool = False, step: str | None = None
) -> list[Decision]:
    """The planner's decisions for the order; ``step`` names the one the caller cares about."""
    config = journey_config.parse(store.journey)
    state = order_state(session, store, order, config, recommendations=step in (None, "cross_sell"))
    return planner.plan(state, context(session, store, order, config, at_send=at_send))


# --- decisions -> rows -----------------------------------------------------------------------------


def refresh_order(session: Session, store: Store, order: Order) -> None:
    """Bring the order's outbox rows in line with what the planner wants now."""
    decisions = decide(session, store, order)
    existing = {
        message.dedupe_key: message
        for message in session.scalars(
            select(Message)
            .where(Message.store_id == store.id, Message.order_id == order.id)
            .with_for_update()
        )
    }
    for decision in decisions:
        message = existing.pop(decision.dedupe_key, None)
        if decision.verdict is Verdict.SEND and decision.send_at is not None:
            if message is None:
                _schedule(session, store, order, decision)
            elif message.status in OPEN and (
                message.send_at != decision.send_at or message.status == MessageStatus.HELD
            ):
                reschedule(session, message, decision.send_at, decision.reason)
        elif message is not None and message.status in OPEN:
            if decision.verdict is Verdict.SKIP:
                cancel(session, message, decision.reason)
            elif message.status != MessageStatus.HELD or message.reason != decision.reason:
                hold(session, message, decision.reason)
    for message in existing.values():  # rows the journey no longer mentions (a superseded problem report)
        if message.status in OPEN and message.step in STEPS:  # merchant alerts are not the planner's
            cancel(session, message, "a newer update replaced it")


def refresh_customer(session: Session, store: Store, order: Order) -> None:
    """Re-plan this order and the customer's other recent ones: a new order can cancel an older
    order's come-back offer, merge review requests, or take a slot under the frequency cap."""
    since = order.placed_at - timedelta(days=RELATED_ORDERS_DAYS)
    siblings = [s for s in _customer_orders(session, order) if s.id != order.id and s.placed_at >= since]
    # Each re-plan reads all of the customer's orders, so re-planning every sibling made a webhook cost
    # O(n^2) for a customer with n recent orders (a wholesale buyer: seconds, past Shopify's 5 s budget).
    # The nearest ones are re-planned now; the rest wait for the periodic re-plan, and every message
    # is decided again just before it is sent, so none goes out on a stale plan.
    nearest = sorted(siblings, key=lambda s: abs(s.placed_at - order.placed_at))[:SIBLINGS_NOW]
    for sibling in sorted([*nearest, order], key=lambda s: (s.placed_at, s.id)):  # in time order
        refresh_order(session, store, sibling)


def recheck(session: Session, store: Store, message: Message) -> Decision | str:
    """The planner's decision for this message right now, or why it has none."""
    if message.order_id is None:
        return "the message belongs to no order"
    order = session.get(Order, message.order_id)
    if order is None:
        return "the order no longer exists"
    decisions = decide(session, store, order, at_send=True, step=message.step)
    decision = planner.by_key(decisions).get(message.dedupe_key)
    return decision if decision is not None else "a newer update replaced it"


def cancel(session: Session, message: Message, reason: str) -> None:
    _set(session, message, MessageStatus.CANCELLED, reason, "cancelled", f"not sent, {reason}")


def fail(session: Session, message: Message, reason: str) -> None:
    """Give up on the message; ``reason`` is often a server's reply, so it is kept short."""
    reason = reason[:2000]
    _set(session, message, MessageStatus.FAILED, reason, "failed", f"failed, {reason}")


def hold(session: Session, message: Message, reason: str) -> None:
    _set(session, message, MessageStatus.HELD, reason, "held", reason)


def reschedule(session: Session, message: Message, send_at: datetime, reason: str) -> None:
    message.send_at = send_at
    _set(
        session,
        message,
        MessageStatus.SCHEDULED,
        reason,
        "scheduled",
        f"scheduled for {_fmt(send_at)} ({reason})",
    )


def _set(
    session: Session, message: Message, status: MessageStatus, reason: str, kind: str, words: str
) -> None:
    message.status = status
    message.reason = reason
    message.lease_until = None
    if message.order_id is not None:
        timeline.note(
            session, message.store_id, message.order_id, kind, f"{message.step.replace('_', ' ')}: {words}."
        )


def channels_for(store: Store, step: str) -> list[str]:
    """The channels this store can use for ``step``, in the step's order of preference, then the store's
    own channel: a merchant may prefer WhatsApp and have no Twilio account yet, or prefer the store's
    mailer (``store_note``), which only WooCommerce has. The dispatcher tries them in this order."""
    preferred = journey_config.parse(store.journey).step(step).channels
    ordered = list(dict.fromkeys((*preferred, store.channel)))
    return [name for name in ordered if _usable(store, name)] or [store.channel]


def channel_for(store: Store, step: str) -> str:
    return channels_for(store, step)[0]


def _usable(store: Store, channel: str) -> bool:
    if channel == "smtp":
        return bool(store.smtp_host and store.sender_email)
    if channel == "store_note":
        platform = registry.CONNECTORS.get(store.platform)
        return bool(store.credentials) and platform is not None and hasattr(platform, "send_customer_note")
    twilio = bool(store.twilio_account_sid and store.twilio_auth_token)
    if channel == "sms":
        return twilio and bool(store.sms_from)
    if channel == "whatsapp":
        return twilio and bool(store.whatsapp_from)
    if channel == "webhook":
        return bool(store.hook_url and store.hook_secret)
    return channel == "outbox"


def _schedule(session: Session, store: Store, order: Order, decision: Decision) -> None:
    assert decision.send_at is not None  # noqa: S101 - only SEND decisions get here
    inserted = insert_ignore(
        session,
        Message,
        {
            "store_id": store.id,
            "order_id": order.id,
            "customer_id": order.customer_id,
            "shipment_id": decision.shipment_id,
            "step": decision.step,
            "kind": decision.kind.value,
            "dedupe_key": decision.dedupe_key,
            "channel": channel_for(store, decision.step),
            "status": MessageStatus.SCHEDULED.value,
            "send_at": decision.send_at,
            "reason": decision.reason,
            "attempts": 0,
        },
    )
    if inserted:
        step = decision.step.replace("_", " ")
        timeline.note(
            session,
            store.id,
            order.id,
            "scheduled",
            f"{step}: scheduled for {_fmt(decision.send_at)} ({decision.reason}).",
        )


def _fmt(moment: datetime) -> str:
    return f"{moment.day} {moment:%b %Y, %H:%M} UTC"
