"""Choosing what to recommend after an order: a handful of indexed reads, no counting.

In order: the merchant's pins, the merchant's own curation for what this order holds (WooCommerce
cross-sells and upsells, Shopify's complementary products), then the model (the customer's whole
history, each product's nearest neighbours by cosine, recent purchases weighing more), then, for a
buy-again list, what the customer keeps re-buying, and last the store's recent best sellers. What
cannot be sold now is filtered at the very end, where it is fresh: out of stock or unpublished, excluded
by the merchant, already owned (for a cross-sell), refunded (never offered again).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import BindParameter, bindparam, select
from sqlalchemy.orm import Session

from app.db import among
from app.journeys.reasons import Reason
from app.models import (
    Order,
    OrderLine,
    Product,
    RecommendCuration,
    RecommendItem,
    RecommendPair,
    Store,
)
from app.recommend.model import LIVE, REMOVED

LIMIT = 3
SEEDS = 20  # the customer's products whose neighbours are read
HISTORY_HALF_LIFE = timedelta(days=30)  # a product bought a month before the latest order counts half
AGAIN_WEIGHT = 10.0  # tuned on bench.recommend: re-buying beats a neighbour when both apply
BEST_SELLERS = 60  # read past what is owned or out of stock
CURATED_KINDS = ("cross_sell", "upsell", "complementary")


class Mode(StrEnum):
    NEW = "new"  # only what the customer does not have (the cross-sell message)
    AGAIN = "again"  # only what the customer re-buys (the buy-again message)
    BLEND = "blend"  # both, ranked together


@dataclass(frozen=True)
class Pick:
    """A product to recommend and why (``reason``, worded for the merchant in their language)."""

    product: Product
    reason: Reason
    variant_id: str | None = None  # the variant the customer last bought (a reorder link names it)
    quantity: int = 1

    @property
    def external_id(self) -> str:
        return self.product.external_id


@dataclass
class History:
    """What the contact bought: times per product, the variant and quantity last bought, refunds, and
    the products of the order being answered."""

    times: dict[str, list[datetime]] = field(default_factory=lambda: defaultdict(list))
    last: dict[str, tuple[str | None, int, datetime]] = field(default_factory=dict)  # variant, quantity, when
    refunded: set[str] = field(default_factory=set)
    mine: list[str] = field(default_factory=list)
    latest: datetime | None = None


def _ids(name: str) -> BindParameter[Any]:
    return bindparam(name, expanding=True)


# Built once: a lookup runs on every plan and every send, and building a statement costs more than
# running it. ``IN`` lists are expanding parameters, one compiled form per length bucket.
_HISTORY = (
    select(
        Order.id,
        Order.placed_at,
        OrderLine.product_external_id,
        OrderLine.variant_external_id,
        OrderLine.quantity,
        OrderLine.refunded_quantity,
    )
    .join(OrderLine, OrderLine.order_id == Order.id)
    .where(
        Order.store_id == bindparam("store_id"),
        Order.status.in_(LIVE),
        Order.remote_status != REMOVED,
    )
)  # unordered: sorting a wholesaler's thousands of lines cost more than everything else
_HISTORY_OF_CONTACT = _HISTORY.where(Order.contact == bindparam("contact"))
_HISTORY_OF_ORDER = _HISTORY.where(Order.id == bindparam("order_id"))
_CURATION = select(
    RecommendCuration.kind,
    RecommendCuration.product_external_id,
    RecommendCuration.other_external_id,
    RecommendCuration.position,
).where(
    RecommendCuration.store_id == bindparam("store_id"),
    RecommendCuration.product_external_id.in_(_ids("ids")),
)
_NEIGHBOURS = (
    select(
        RecommendPair.product_external_id,
        RecommendPair.other_external_id,
        RecommendPair.score,
        RecommendPair.orders,
    )
    .join(
        RecommendItem,
        (RecommendItem.store_id == RecommendPair.store_id)
        & (RecommendItem.product_external_id == RecommendPair.product_external_id),
    )
    .where(
        RecommendPair.store_id == bindparam("store_id"),
        RecommendPair.product_external_id.in_(_ids("ids")),
        RecommendPair.score >= RecommendItem.cutoff,
    )
)
_REBUY = select(
    RecommendItem.product_external_id,
    RecommendItem.interval_days,
    RecommendItem.rebuyers,
    RecommendItem.buyers,
).where(
    RecommendItem.store_id == bindparam("store_id"),
    RecommendItem.product_external_id.in_(_ids("ids")),
    RecommendItem.interval_days.is_not(None),
)
_BEST_SELLERS = (
    select(RecommendItem.product_external_id, RecommendItem.recent_orders)
    .where(RecommendItem.store_id == bindparam("store_id"), RecommendItem.recent_orders > 0)
    .order_by(RecommendItem.recent_orders.desc(), RecommendItem.product_external_id)
    .limit(bindparam("limit"))
)
_SELLABLE = select(Product).where(
    Product.store_id == bindparam("store_id"),
    Product.external_id.in_(_ids("ids")),
    Product.in_stock.is_(True),
)


def history(session: Session, order: Order) -> History:
    """Every line of the contact's live orders (just this order's for an order with no contact). A
    line without a product id (a custom line, a fee) is simply not a product: it changes nothing."""
    if order.contact:
        rows = session.execute(_HISTORY_OF_CONTACT, {"store_id": order.store_id, "contact": order.contact})
    else:
        rows = session.execute(_HISTORY_OF_ORDER, {"store_id": order.store_id, "order_id": order.id})
    seen = History()
    for order_id, placed_at, product, variant, quantity, refunded in rows:
        if not product:
            continue
        if order_id == order.id:
            seen.mine.append(product)
        if refunded >= quantity:
            seen.refunded.add(product)
            continue
        seen.times[product].append(placed_at)
        held = seen.last.get(product)
        if held is None or placed_at >= held[2]:
            seen.last[product] = (variant, quantity - refunded, placed_at)
        if seen.latest is None or placed_at > seen.latest:
            seen.latest = placed_at
    if order.placed_at and (seen.latest is None or order.placed_at > seen.latest):
        seen.latest = order.placed_at
    return seen


def for_order(session: Session, order: Order, limit: int = LIMIT, mode: Mode = Mode.NEW) -> list[Pick]:
    """Up to ``limit`` products to recommend after ``order``, best first, each with its reason."""
    store_id = order.store_id
    seen = history(session, order)
    owned = set(seen.times) | seen.refunded
    latest = seen.latest or order.placed_at
    recency = {
        product: sum(0.5 ** ((latest - t) / HISTORY_HALF_LIFE) for t in times)
        for product, times in seen.times.items()
    }
    seeds = sorted(recency, key=lambda p: (-recency[p], p))[:SEEDS]

    # product -> (score, reason code, its parameters); the tiers' scores keep them in order, and a
    # Reason is made only for what is finally picked
    ranked: dict[str, tuple[float, str, tuple[tuple[str, Any], ...]]] = {}

    def offer(product: str, score: float, code: str, *params: tuple[str, Any]) -> None:
        held = ranked.get(product)
        if held is None or score > held[0]:
            ranked[product] = (score, code, params)

    excluded: set[str] = set()
    for kind, source, other, position in session.execute(
        _CURATION, {"store_id": store_id, "ids": sorted({"", *seen.mine})}
    ):
        if kind == "exclude":
            excluded.add(other)
        elif kind == "pin":
            offer(other, 3e9 - position, "rec_pinned")
        elif kind in CURATED_KINDS and source:
            offer(other, 2e9 - position, f"rec_{kind}", ("product", source))

    if mode is not Mode.AGAIN and seeds:
        scores: dict[str, float] = defaultdict(float)
        best: dict[str, tuple[float, str, int]] = {}
        for source, other, score, orders in session.execute(
            _NEIGHBOURS, {"store_id": store_id, "ids": seeds}
        ):
            part = score * recency[source]
            scores[other] += part
            if other not in best or part > best[other][0]:
                best[other] = (part, source, orders)
        for other, score in scores.items():
            _, source, orders = best[other]
            offer(other, 1e6 + score, "rec_together", ("product", source), ("orders", orders))

    if mode is not Mode.NEW and seen.times:
        for product, interval, rebuyers, buyers in session.execute(
            _REBUY, {"store_id": store_id, "ids": sorted(seen.times)}
        ):
            rate = (rebuyers + 1) / (buyers + 5)
            score = AGAIN_WEIGHT * len(seen.times[product]) * rate
            offer(product, 1e6 + score, "rec_rebought", ("days", round(interval or 0)))

    if mode is not Mode.AGAIN:
        wanted = BEST_SELLERS + (min(len(owned), BEST_SELLERS) if mode is Mode.NEW else 0)
        for product, recent in session.execute(_BEST_SELLERS, {"store_id": store_id, "limit": wanted}):
            offer(product, float(recent), "rec_best_seller", ("orders", recent))

    def allowed(product: str) -> bool:
        if product in excluded or product in seen.refunded:
            return False
        if mode is Mode.NEW:
            return product not in owned
        if mode is Mode.AGAIN:
            return product in seen.times
        return True

    candidates = sorted((p for p in ranked if allowed(p)), key=lambda p: (-ranked[p][0], p))
    return _sellable(session, store_id, candidates, ranked, seen, limit)


def _sellable(
    session: Session,
    store_id: int,
    candidates: list[str],
    ranked: dict[str, tuple[float, str, tuple[tuple[str, Any], ...]]],
    seen: History,
    limit: int,
) -> list[Pick]:
    """The first ``limit`` candidates the store can sell now, read in slices so a long list of
    out-of-stock products costs one more read, not one a product."""
    picks: list[Pick] = []
    start, width = 0, max(limit * 3, 10)
    while len(picks) < limit and start < len(candidates):
        chunk = candidates[start : start + width]
        products = {
            product.external_id: product
            for product in session.scalars(_SELLABLE, {"store_id": store_id, "ids": chunk})
        }
        for product_id in chunk:
            if product_id in products:
                variant, quantity, _ = seen.last.get(product_id, (None, 1, None))
                _, code, params = ranked[product_id]
                why = Reason.of(code, **dict(params))
                picks.append(Pick(products[product_id], why, variant, quantity))
                if len(picks) == limit:
                    break
        start += width
        width *= 4
    return picks


def rebuyable(session: Session, store_id: int, products: list[str]) -> dict[str, float]:
    """The buy-again interval in days of each of ``products`` that customers re-buy (absent: those
    bought once, or re-bought by too few to say)."""
    if not products:
        return {}
    return {
        product: float(days)
        for product, days in session.execute(
            select(RecommendItem.product_external_id, RecommendItem.interval_days).where(
                RecommendItem.store_id == store_id,
                among(session, RecommendItem.product_external_id, sorted(set(products))),
                RecommendItem.interval_days.is_not(None),
            )
        )
        if days is not None and days > 0
    }


def buy_again(session: Session, order: Order, *, later: set[str] | None = None) -> list[Pick]:
    """This order's products that customers re-buy and this contact has not bought again since, that
    the store can sell now; each with the variant and quantity bought, for a one-click reorder link.
    ``later`` (products of the contact's later orders) saves a read when the caller already has it."""
    kept = [
        line for line in order.lines if line.product_external_id and line.quantity > line.refunded_quantity
    ]
    intervals = rebuyable(session, order.store_id, [line.product_external_id or "" for line in kept])
    if later is None:
        seen = history(session, order)
        later = {p for p, times in seen.times.items() if any(t > order.placed_at for t in times)}
    wanted = [
        line
        for line in kept
        if line.product_external_id in intervals and line.product_external_id not in later
    ]
    if not wanted:
        return []
    excluded = set(
        session.scalars(
            select(RecommendCuration.other_external_id).where(
                RecommendCuration.store_id == order.store_id,
                RecommendCuration.kind == "exclude",
                RecommendCuration.product_external_id == "",
            )
        )
    )
    products = {
        product.external_id: product
        for product in session.scalars(
            select(Product).where(
                Product.store_id == order.store_id,
                among(
                    session, Product.external_id, sorted({line.product_external_id or "" for line in wanted})
                ),
                Product.in_stock.is_(True),
            )
        )
    }
    picks: dict[str, Pick] = {}
    for line in sorted(wanted, key=lambda line: intervals[line.product_external_id or ""]):
        product_id = line.product_external_id or ""
        if product_id in products and product_id not in excluded and product_id not in picks:
            why = Reason.of("rec_rebought", days=round(intervals[product_id]))
            quantity = line.quantity - line.refunded_quantity
            picks[product_id] = Pick(products[product_id], why, line.variant_external_id, quantity)
    return list(picks.values())


def reorder_url(store: Store, pick: Pick) -> str:
    """A link that puts the pick straight into a cart on the store, else the product's own page."""
    from connectors.base import ReorderLinks
    from connectors.registry import CONNECTORS

    connector = CONNECTORS.get(store.platform)
    link = None
    if connector is not None and issubclass(connector, ReorderLinks):
        link = connector.reorder_url(store.external_id, pick.external_id, pick.variant_id, pick.quantity)
    return link or pick.product.url or ""
