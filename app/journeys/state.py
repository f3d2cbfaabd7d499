"""Everything the planner may know about many orders, read in a handful of queries.

``load`` takes a batch of orders (a webhook's, a worker's batch of due messages, a whole store being
re-planned) and reads each kind of fact once for all of them: lines, products, parcels and their
events, the contacts' other orders, suppressions, consent, reviews and the messages already in the
outbox. A re-plan then costs the same whatever the size of the store, and a batch costs a few
queries, not twenty an order.

What is shared across orders is keyed by the order's own contact (its email, else its phone), never
by the customer account, so one person's choice never reaches another who shares it (invariant 6).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, TypeAlias

from sqlalchemy import BindParameter, Row, bindparam, select
from sqlalchemy.orm import Session

from app import clock, recommend
from app.db import among, among_bound, per_dialect
from app.journeys import config as journey_config
from app.journeys import planner, timing
from app.journeys.planner import (
    Context,
    CustomerState,
    LineState,
    OrderState,
    Past,
    Problem,
    Rebuy,
    ReviewGroup,
    ShipmentState,
)
from app.journeys.reasons import Reason
from app.journeys.steps import STEPS, Kind
from app.models import (
    Consent,
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
    Suppression,
)
from app.parcels import scans
from app.suppression import addresses
from connectors.base import OrderStatus, ShipmentStatus

REVIEW_DELAY_TAG = re.compile(r"^review-delay:(\d{1,3})([hdw])$")
UNITS = {"h": timedelta(hours=1), "d": timedelta(days=1), "w": timedelta(weeks=1)}
REMOVED = "deleted"  # the remote status of an order the store deleted (trashed)
COUNTED_AT_SEND = (MessageStatus.SENT, MessageStatus.SENDING)
COUNTED_PLANNING = (MessageStatus.SENT, MessageStatus.SENDING, MessageStatus.SCHEDULED)


def review_delay(tags: str) -> timedelta | None:
    """``review-delay:21d`` (or ``36h``, ``3w``) among a product's tags."""
    for tag in (part.strip().lower() for part in tags.split(",")):
        if match := REVIEW_DELAY_TAG.match(tag):
            return int(match.group(1)) * UNITS[match.group(2)]
    return None


@dataclass(frozen=True)
class Busy:
    """A non-transactional message of the contact (any order): the frequency cap keeps others away."""

    order_id: int | None
    status: str
    at: datetime


# ``load`` reads what it only looks at as plain rows of the columns it needs, not ORM instances
# (building those cost more than the reads themselves). An order is one of the batch (``Order``) or
# another order of its contacts (a row of ``_Queries.siblings``).
AnyRow: TypeAlias = Row[*tuple[Any, ...]]
OrderFacts: TypeAlias = Order | AnyRow


@dataclass
class Facts:
    """What ``load`` read, by order and by contact. Lines, parcels, scans and the contacts' other
    orders are rows of ``_Queries``' columns."""

    orders: dict[int, OrderFacts] = field(default_factory=dict)
    lines: dict[int, list[AnyRow]] = field(default_factory=lambda: defaultdict(list))
    tags: dict[str, str] = field(default_factory=dict)
    shipments: dict[int, list[AnyRow]] = field(default_factory=lambda: defaultdict(list))
    events: dict[int, list[AnyRow]] = field(default_factory=lambda: defaultdict(list))
    siblings: dict[str, list[OrderFacts]] = field(default_factory=lambda: defaultdict(list))
    suppressed: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    consent: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))  # address -> channels
    reviewed: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    # The contact's lowest rating at or under the store's low-rating threshold: (stars, product, when).
    low_rating: dict[str, tuple[int, str, datetime]] = field(default_factory=dict)
    history: dict[int, dict[str, Past]] = field(default_factory=lambda: defaultdict(dict))
    busy: dict[str, dict[str, Busy]] = field(default_factory=lambda: defaultdict(dict))
    redacted: set[int] = field(default_factory=set)
    intervals: dict[str, float] = field(default_factory=dict)  # re-bought products: days between buys
    rebought: dict[int, set[str]] = field(default_factory=dict)  # siblings' re-bought products, by order


class Loaded:
    """The facts read for a batch, turned into the planner's inputs one order at a time.

    Orders of one contact are planned in time order, and what one of them newly plans is seen by the
    next under the frequency cap (``planned``), as if each had been planned after the other."""

    def __init__(
        self,
        session: Session,
        store: Store,
        facts: Facts,
        groups: dict[int, list[int]],
        *,
        at_send: bool,
        recommend_now: set[int],
    ) -> None:
        self.session = session
        self.store = store
        self.facts = facts
        self.groups = groups
        self.at_send = at_send
        self.recommend_now = recommend_now
        self.config = journey_config.parse(store.journey)
        self.store_zone = timing.safe_zone(store.timezone)
        from app.journeys.reconcile import channels_for  # reconcile builds on this module

        # consent is per channel: the planner checks a marketing step's own channels against it
        self.channels = {
            name: tuple(channels_for(store, name))
            for name, step in STEPS.items()
            if step.kind is Kind.MARKETING
        }

    def state(self, order: Order) -> OrderState:
        facts = self.facts
        customer = _customer_state(order, facts, self.store_zone)
        shipments = _shipment_states(order.id, facts)
        group_ids = self.groups.get(order.id, [order.id])
        group = None
        if len(group_ids) > 1:
            group = ReviewGroup(
                lead_order_id=group_ids[-1],
                lead_number=facts.orders[group_ids[-1]].number,
                order_ids=tuple(group_ids),
                shipments=tuple(_shipment_states(member, facts) for member in group_ids),
                lines=tuple(line for member in group_ids for line in _line_states(member, order, facts)),
            )
        later = [
            other.placed_at
            for other in facts.siblings.get(order.contact or "", [])
            if other.placed_at > order.placed_at and OrderStatus(other.status) not in planner.STOPPED_ORDER
        ]
        asked = order.id in self.recommend_now and bool(customer.marketing_channels) and bool(shipments)
        return OrderState(
            order_id=order.id,
            number=order.number,
            status=OrderStatus(order.status),
            placed_at=order.placed_at,
            paid_at=order.paid_at,
            cash_on_delivery=order.cash_on_delivery,
            customer=customer,
            shipments=shipments,
            lines=_line_states(order.id, order, facts),
            check_in_answer=order.check_in_answer,
            ordered_again_at=min(later) if later else None,
            # Unasked, the answer must not skip anything: consent and delivery decide the cross-sell.
            has_recommendations=not asked or bool(recommend.for_order(self.session, order)),
            rebuy=_rebuy(order, facts),
            review_group=group,
            store_uninstalled=self.store.status == StoreStatus.UNINSTALLED,
            removed=order.remote_status == REMOVED,
        )

    def context(self, order: Order) -> Context:
        busy = {
            key: entry.at
            for key, entry in self.facts.busy.get(order.contact or "", {}).items()
            # this order's own plans are being decided again right now
            if not (entry.order_id == order.id and entry.status == MessageStatus.SCHEDULED)
        }
        history = self.facts.history.get(order.id, {})
        return Context(
            now=clock.now(), config=self.config, history=history, busy=busy, channels=self.channels
        )

    def plan(self, order: Order) -> list[planner.Decision]:
        """The planner's decisions for ``order``, remembered for the contact's next orders."""
        decisions = planner.plan(self.state(order), self.context(order))
        if order.contact and not self.at_send:
            busy = self.facts.busy[order.contact]
            for decision in decisions:
                if (
                    decision.verdict is planner.Verdict.SEND
                    and decision.kind is not Kind.TRANSACTIONAL
                    and decision.send_at is not None
                    and decision.dedupe_key not in busy
                ):
                    busy[decision.dedupe_key] = Busy(order.id, "planned", decision.send_at)
        return decisions


def load(
    session: Session,
    store: Store,
    orders: Sequence[Order],
    *,
    at_send: bool = False,
    recommendations_for: Iterable[int] = (),
) -> Loaded:
    """Read the planner's inputs for ``orders``. ``at_send`` counts only what the contact really
    received under the frequency cap (a deferred message yields to sent mail, never to other plans);
    ``recommendations_for`` names the orders whose cross-sell is being decided now, the only ones for
    which the store's recommendations are looked up."""
    config = journey_config.parse(store.journey)
    session.flush()  # the reads below go past the session (``_rows``), so nothing pending is missed
    facts = Facts(orders={order.id: order for order in orders})
    contacts = sorted({order.contact for order in orders if order.contact})
    _read_siblings(session, store, contacts, facts)
    groups = {order.id: _review_group_ids(order, facts, config.merge_review_days) for order in orders}
    wanted = set(facts.orders) | {member for ids in groups.values() for member in ids}
    _read_orders(session, store, wanted, facts)
    _read_contacts(session, store, orders, contacts, facts, at_send, config.reviews.low_rating)
    if config.step("buy_again").enabled:
        _read_rebuys(session, store, facts)
    return Loaded(session, store, facts, groups, at_send=at_send, recommend_now=set(recommendations_for))


def _read_siblings(session: Session, store: Store, contacts: list[str], facts: Facts) -> None:
    """Every order of the batch's contacts (a few columns' worth each): later orders cancel a come-back
    offer, orders close together share a review request, an unhappy check-in pauses marketing."""
    if not contacts:
        return
    found = _rows(session, _queries(session).siblings, {"store": store.id, "contacts": contacts})
    # In time order, sorted here: asked to sort them itself, SQLite walked every order of the store
    # by its (store, placed) index instead of the contacts' own, for every chunk of a whole-store plan.
    for order in sorted(found, key=lambda row: (row.placed_at, row.id)):
        facts.siblings[order.contact or ""].append(order)


def _review_group_ids(order: Order, facts: Facts, merge_days: int) -> list[int]:
    """The chain of the contact's live orders placed within ``merge_days`` of each other that holds
    ``order``, in time order; just the order when it stands alone."""
    siblings = facts.siblings.get(order.contact or "", [])
    live = [o for o in siblings if OrderStatus(o.status) not in planner.STOPPED_ORDER]
    if merge_days == 0 or order.id not in {o.id for o in live}:
        return [order.id]
    chains: list[list[OrderFacts]] = []
    for candidate in live:
        if chains and candidate.placed_at - chains[-1][-1].placed_at <= timedelta(days=merge_days):
            chains[-1].append(candidate)
        else:
            chains.append([candidate])
    chain = next(chain for chain in chains if any(member.id == order.id for member in chain))
    for member in chain:
        facts.orders.setdefault(member.id, member)
    return [member.id for member in chain]


def _read_orders(session: Session, store: Store, order_ids: set[int], facts: Facts) -> None:
    ids = sorted(order_ids)
    queries = _queries(session)
    for line in _rows(session, queries.lines, {"ids": ids}):
        facts.lines[line.order_id].append(line)
    products = {
        line.product_external_id
        for lines in facts.lines.values()
        for line in lines
        if line.product_external_id is not None
    }
    if products:
        facts.tags = dict(_rows(session, queries.tags, {"store": store.id, "products": sorted(products)}))
    for shipment in _rows(session, queries.shipments, {"store": store.id, "ids": ids}):
        facts.shipments[shipment.order_id].append(shipment)
    shipment_ids = [s.id for shipments in facts.shipments.values() for s in shipments]
    if shipment_ids:
        for event in _rows(session, queries.events, {"ids": shipment_ids}):
            facts.events[event.shipment_id].append(event)


def _read_contacts(
    session: Session,
    store: Store,
    orders: Sequence[Order],
    contacts: list[str],
    facts: Facts,
    at_send: bool,
    low_rating: int = 2,
) -> None:
    queries = _queries(session)
    everyone = sorted({address for order in orders for address in addresses(order)})
    if everyone:
        for address, kind in _rows(session, queries.suppressed, {"store": store.id, "addresses": everyone}):
            facts.suppressed[address].add(kind)
    if everyone:
        for address, channel in _rows(session, queries.consent, {"store": store.id, "addresses": everyone}):
            facts.consent[address].add(channel)
    if contacts:
        # Reviews are the person's, kept on their contact (the email, else the phone).
        for address, product, stars, title, at in _rows(
            session,
            select(
                Review.email,
                Review.product_external_id,
                Review.rating,
                Review.product_title,
                Review.updated_at,
            ).where(Review.store_id == store.id, among(session, Review.email, contacts)),
        ):
            facts.reviewed[address or ""].add(product)
            if stars <= low_rating and (
                address not in facts.low_rating or stars < facts.low_rating[address][0]
            ):
                facts.low_rating[address or ""] = (stars, title or product, at)
    customer_ids = sorted({order.customer_id for order in orders if order.customer_id})
    if customer_ids:
        facts.redacted = {row.id for row in _rows(session, queries.redacted, {"ids": customer_ids})}
    for message in _rows(session, queries.history, {"store": store.id, "ids": sorted(facts.orders)}):
        facts.history[message.order_id][message.dedupe_key] = Past(
            message.status, message.send_at, message.sent_at
        )
    if contacts:
        busy = queries.busy_at_send if at_send else queries.busy_planning
        for message in _rows(session, busy, {"store": store.id, "contacts": contacts}):
            facts.busy[message.contact][message.dedupe_key] = Busy(
                message.order_id, message.status, message.sent_at or message.send_at
            )


def _rows(session: Session, statement: Any, values: dict[str, Any] | None = None) -> list[AnyRow]:
    """Every row of a read, run on the session's connection and fetched at once: the ORM's result
    processing and row-by-row fetching cost more than these indexed reads themselves."""
    return list(session.connection().execute(statement, values).all())


@dataclass(frozen=True)
class _Queries:
    """The statements ``load`` runs, built once per dialect; their values are bound when run."""

    siblings: Any
    lines: Any
    tags: Any
    shipments: Any
    events: Any
    suppressed: Any
    consent: Any
    reviewed: Any
    redacted: Any
    history: Any
    busy_planning: Any
    busy_at_send: Any


def _built(dialect: str) -> _Queries:
    store: BindParameter[int] = bindparam("store")

    def among(column: Any, name: str) -> Any:
        return among_bound(dialect, column, name)

    def busy(counted: Iterable[str]) -> Any:
        return select(
            Message.contact,
            Message.order_id,
            Message.dedupe_key,
            Message.status,
            Message.send_at,
            Message.sent_at,
        ).where(
            Message.store_id == store,
            among(Message.contact, "contacts"),
            Message.kind != Kind.TRANSACTIONAL.value,
            Message.status.in_(sorted(counted)),
        )

    return _Queries(
        siblings=select(
            Order.id,
            Order.contact,
            Order.number,
            Order.status,
            Order.placed_at,
            Order.check_in_answer,
            Order.check_in_answered_at,
            Order.nps_score,
            Order.nps_answered_at,
        ).where(Order.store_id == store, among(Order.contact, "contacts")),
        lines=select(
            OrderLine.order_id,
            OrderLine.product_external_id,
            OrderLine.title,
            OrderLine.quantity,
            OrderLine.refunded_quantity,
        )
        .where(among(OrderLine.order_id, "ids"))
        .order_by(OrderLine.order_id, OrderLine.id),
        tags=select(Product.external_id, Product.tags).where(
            Product.store_id == store, among(Product.external_id, "products")
        ),
        shipments=select(
            Shipment.id,
            Shipment.order_id,
            Shipment.status,
            Shipment.tracking_number,
            Shipment.tracking_url,
            Shipment.shipped_at,
            Shipment.delivered_at,
            Shipment.remote_updated_at,
        )
        .where(Shipment.store_id == store, among(Shipment.order_id, "ids"))
        .order_by(Shipment.id),
        events=select(
            ShipmentEvent.id,
            ShipmentEvent.shipment_id,
            ShipmentEvent.external_id,
            ShipmentEvent.status,
            ShipmentEvent.happened_at,
            ShipmentEvent.source,
        )
        .where(among(ShipmentEvent.shipment_id, "ids"))
        .order_by(ShipmentEvent.happened_at, ShipmentEvent.id),
        suppressed=select(Suppression.address, Suppression.kind).where(
            Suppression.store_id == store, among(Suppression.address, "addresses")
        ),
        consent=select(Consent.address, Consent.channel).where(
            Consent.store_id == store, among(Consent.address, "addresses"), Consent.granted.is_(True)
        ),
        reviewed=select(Review.email, Review.product_external_id).where(
            Review.store_id == store, among(Review.email, "addresses")
        ),
        redacted=select(Customer.id).where(among(Customer.id, "ids"), Customer.redacted_at.is_not(None)),
        history=select(
            Message.order_id, Message.dedupe_key, Message.status, Message.send_at, Message.sent_at
        ).where(Message.store_id == store, among(Message.order_id, "ids")),
        busy_planning=busy(COUNTED_PLANNING),
        busy_at_send=busy(COUNTED_AT_SEND),
    )


_queries = per_dialect(_built)


def _read_rebuys(session: Session, store: Store, facts: Facts) -> None:
    """Which of the batch's products customers buy again (the model's intervals), and which of them
    the contacts' other orders hold: a reminder is off once the product was bought again."""
    products = {line.product_external_id for lines in facts.lines.values() for line in lines}
    products.discard(None)
    facts.intervals = recommend.rebuyable(session, store.id, sorted(p for p in products if p))
    siblings = sorted({o.id for orders in facts.siblings.values() for o in orders} - set(facts.orders))
    if not facts.intervals or not siblings:
        return
    for order_id, product in _rows(
        session,
        select(OrderLine.order_id, OrderLine.product_external_id).where(
            among(session, OrderLine.order_id, siblings),
            among(session, OrderLine.product_external_id, sorted(facts.intervals)),
        ),
    ):
        if product is not None:  # always: only lines of known products are selected
            facts.rebought.setdefault(order_id, set()).add(product)


def _rebuy(order: Order, facts: Facts) -> Rebuy | None:
    kept = {
        line.product_external_id
        for line in facts.lines.get(order.id, [])
        if line.product_external_id in facts.intervals and line.quantity > line.refunded_quantity
    }
    if not kept:
        return None
    products = tuple(sorted(kept, key=lambda p: (facts.intervals[p], p)))
    again = [
        other.placed_at
        for other in facts.siblings.get(order.contact or "", [])
        if other.placed_at > order.placed_at
        and OrderStatus(other.status) not in planner.STOPPED_ORDER
        and (
            facts.rebought.get(other.id, set())
            | {line.product_external_id for line in facts.lines.get(other.id, [])}
        )
        & kept
    ]
    return Rebuy(facts.intervals[products[0]], products, min(again) if again else None)


def _customer_state(order: Order, facts: Facts, store_zone: str) -> CustomerState:
    zone = timing.zone_for(order.ship_country, order.phone, store_zone, order.ship_region)
    found = {address: facts.suppressed.get(address, set()) for address in addresses(order)}
    reachable = [address for address, kinds in found.items() if "all" not in kinds]
    # Choices are the person's, kept on their contact: a phone two buyers on one account both typed
    # in must not carry one's "no more reviews" to the other.
    chosen = facts.suppressed.get(order.contact or "", set()) - {"all"}
    redacted = order.customer_id in facts.redacted
    return CustomerState(
        recipient=reachable[0] if reachable else None,
        suppressed=bool(found) and not reachable,
        zone=zone,
        country=order.ship_country,
        marketing_consent="email" in facts.consent.get((order.email or "").lower(), ()),
        consented=frozenset(
            {"email"} & facts.consent.get((order.email or "").lower(), set())
            | {"sms", "whatsapp"} & facts.consent.get(order.phone or "", set())
        ),
        unsubscribed=frozenset(chosen),
        marketing_paused=_unhappy(order, facts),
        redacted=redacted,
    )


def _unhappy(order: Order, facts: Facts) -> Reason | None:
    """An unhappy check-in answer, a low rating or an NPS answer of 6 or less (a detractor) on any of
    the contact's orders pauses marketing to them."""
    answered = [
        other
        for other in facts.siblings.get(order.contact or "", [order])
        if other.check_in_answer == "unhappy" and other.check_in_answered_at is not None
    ]
    if not answered:
        low = facts.low_rating.get(order.contact or "")
        if low is not None:
            return Reason.of("low_rating", stars=low[0], product=low[1], at=low[2])
        detractor = [
            other
            for other in facts.siblings.get(order.contact or "", [order])
            if other.nps_score is not None and other.nps_score <= 6 and other.nps_answered_at is not None
        ]
        if detractor:
            latest = max(detractor, key=lambda other: other.nps_answered_at or other.placed_at)
            return Reason.of(
                "nps_detractor", score=latest.nps_score, number=latest.number, at=latest.nps_answered_at
            )
        return None
    latest = max(answered, key=lambda other: other.check_in_answered_at or other.placed_at)
    return Reason.of("unhappy_check_in", number=latest.number, at=latest.check_in_answered_at)


def _shipment_states(order_id: int, facts: Facts) -> tuple[ShipmentState, ...]:
    states = []
    for shipment in facts.shipments.get(order_id, []):
        reports = facts.events.get(shipment.id, [])
        events = scans.distinct(reports)  # each scan once, whichever source told it first
        out_for_delivery = next(
            (e.happened_at for e in reversed(events) if e.status == ShipmentStatus.OUT_FOR_DELIVERY), None
        )
        problem = None
        if shipment.status in planner.PROBLEMS:
            latest = next((e for e in reversed(events) if e.status == shipment.status), None)
            at = latest.happened_at if latest else shipment.remote_updated_at
            # The message about it is keyed by the first report of that scan to arrive, so a twin
            # from another source arriving later never makes it a second problem.
            first = min(scans.twins(reports, latest), key=lambda e: e.id) if latest else None
            problem = Problem(first.external_id if first else "status", ShipmentStatus(shipment.status), at)
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


def _line_states(order_id: int, reader: Order, facts: Facts) -> tuple[LineState, ...]:
    """An order's lines as ``reader``'s contact sees them (what that person already reviewed)."""
    reviewed = facts.reviewed.get(reader.contact or "", set())
    return tuple(
        LineState(
            product_id=line.product_external_id,
            title=line.title,
            quantity=line.quantity,
            refunded_quantity=line.refunded_quantity,
            review_delay=review_delay(facts.tags.get(line.product_external_id or "", "") or ""),
            reviewed=(line.product_external_id or "") in reviewed,
        )
        for line in facts.lines.get(order_id, [])
    )
