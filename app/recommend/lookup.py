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

from sqlalchemy import select
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
    """What the contact bought: times per product, the variant and quantity last bought, refunds."""

    times: dict[str, list[datetime]] = field(default_factory=lambda: defaultdict(list))
    last: dict[str, tuple[str | None, int]] = field(default_factory=dict)
    refunded: set[str] = field(default_factory=set)
    latest: datetime | None = None


def history(session: Session, order: Order) -> History:
    """Every line of the contact's live orders (just this order's for an order with no contact). A
    line without a product id (a custom line, a fee) is simply not a product: it changes nothing."""
    query = (
        select(
            Order.placed_at,
            OrderLine.product_external_id,
            OrderLine.variant_external_id,
            OrderLine.quantity,
            OrderLine.refunded_quantity,
        )
        .join(OrderLine, OrderLine.order_id == Order.id)
        .where(Order.store_id == order.store_id, Order.status.in_(LIVE), Order.remote_status != REMOVED)
        .order_by(Order.placed_at, OrderLine.id)
    )
    query = (
        query.where(Order.contact == order.contact) if order.contact else query.where(Order.id == order.id)
    )
    seen = History()
    for placed_at, product, variant, quantity, refunded in session.execute(query):
        if not product:
            continue
        if refunded >= quantity:
            seen.refunded.add(product)
            continue
        seen.times[product].append(placed_at)
        seen.last[product] = (variant, quantity - refunded)
        seen.latest = placed_at if seen.latest is None else max(seen.latest, placed_at)
    if order.placed_at and (seen.latest is None or order.placed_at > seen.latest):
        seen.latest = order.placed_at
    return seen


def for_order(session: Session, order: Order, limit: int = LIMIT, mode: Mode = Mode.NEW) -> list[Pick]:
    """Up to ``limit`` products to recommend after ``order``, best first, each with its reason."""
    store_id = order.store_id
    seen = history(session, order)
    owned = set(seen.times) | seen.refunded
    mine = [line.product_external_id for line in order.lines if line.product_external_id]
    latest = seen.latest or order.placed_at
    recency = {
        product: sum(0.5 ** ((latest - t) / HISTORY_HALF_LIFE) for t in times)
        for product, times in seen.times.items()
    }
    seeds = sorted(recency, key=lambda p: (-recency[p], p))[:SEEDS]

    ranked: dict[str, tuple[float, Reason]] = {}  # product -> (score, why); higher tiers score higher

    def offer(product: str, score: float, why: Reason) -> None:
        held = ranked.get(product)
        if held is None or score > held[0]:
            ranked[product] = (score, why)

    excluded: set[str] = set()
    for kind, source, other, position in session.execute(
        select(
            RecommendCuration.kind,
            RecommendCuration.product_external_id,
            RecommendCuration.other_external_id,
            RecommendCuration.position,
        ).where(
            RecommendCuration.store_id == store_id,
            among(session, RecommendCuration.product_external_id, sorted({"", *mine})),
        )
    ):
        if kind == "exclude":
            excluded.add(other)
        elif kind == "pin":
            offer(other, 3e9 - position, Reason.of("rec_pinned"))
        elif kind in CURATED_KINDS and source:
            offer(other, 2e9 - position, Reason.of(f"rec_{kind}", product=source))

    if mode is not Mode.AGAIN and seeds:
        scores: dict[str, float] = defaultdict(float)
        best: dict[str, tuple[float, str, int]] = {}
        for source, other, score, orders in session.execute(
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
                RecommendPair.store_id == store_id,
                among(session, RecommendPair.product_external_id, seeds),
                RecommendPair.score >= RecommendItem.cutoff,
            )
        ):
            part = score * recency[source]
            scores[other] += part
            if other not in best or part > best[other][0]:
                best[other] = (part, source, orders)
        for other, score in scores.items():
            _, source, orders = best[other]
            offer(other, 1e6 + score, Reason.of("rec_together", product=source, orders=orders))

    if mode is not Mode.NEW and seen.times:
        for product, interval, rebuyers, buyers in session.execute(
            select(
                RecommendItem.product_external_id,
                RecommendItem.interval_days,
                RecommendItem.rebuyers,
                RecommendItem.buyers,
            ).where(
                RecommendItem.store_id == store_id,
                among(session, RecommendItem.product_external_id, sorted(seen.times)),
                RecommendItem.interval_days.is_not(None),
            )
        ):
            rate = (rebuyers + 1) / (buyers + 5)
            score = AGAIN_WEIGHT * len(seen.times[product]) * rate
            offer(product, 1e6 + score, Reason.of("rec_rebought", days=round(interval or 0)))

    if mode is not Mode.AGAIN:
        for product, recent in session.execute(
            select(RecommendItem.product_external_id, RecommendItem.recent_orders)
            .where(RecommendItem.store_id == store_id, RecommendItem.recent_orders > 0)
            .order_by(RecommendItem.recent_orders.desc(), RecommendItem.product_external_id)
            .limit(BEST_SELLERS + len(owned) if mode is Mode.NEW else BEST_SELLERS)
        ):
            offer(product, float(recent), Reason.of("rec_best_seller", orders=recent))

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
    ranked: dict[str, tuple[float, Reason]],
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
            for product in session.scalars(
                select(Product).where(
                    Product.store_id == store_id,
                    among(session, Product.external_id, chunk),
                    Product.in_stock.is_(True),
                )
            )
        }
        for product_id in chunk:
            if product_id in products:
                variant, quantity = seen.last.get(product_id, (None, 1))
                picks.append(Pick(products[product_id], ranked[product_id][1], variant, quantity))
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
    from connectors.registry import CONNECTORS

    make = getattr(CONNECTORS.get(store.platform), "reorder_url", None)
    link = make(store.external_id, pick.external_id, pick.variant_id, pick.quantity) if make else None
    return link or pick.product.url or ""
