"""Choosing what to recommend after an order: a handful of indexed reads, no counting.

In order: the merchant's pins, the merchant's own curation for what this order holds (WooCommerce
cross-sells and upsells, Shopify's complementary products), then the contact's list ranked by the model
(``lists``: neighbours of their whole history, recent purchases weighing more; what they re-buy, for a
buy-again or blended list; the store's recent best sellers last). What cannot be sold now is filtered at
the very end, where it is fresh: out of stock or unpublished, excluded by the merchant, already owned
(for a cross-sell), refunded (never offered again).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from app.db import among
from app.journeys.reasons import Reason
from app.models import Order, OrderLine, Product, RecommendCuration, RecommendItem, Store
from app.recommend import lists, ranking
from app.recommend.ranking import AGAIN, BEST, LIVE, REASON, REMOVED, SIMILAR, TIER, TOGETHER, Candidate

LIMIT = 3
CURATED_KINDS = ("cross_sell", "upsell", "complementary")


class Mode(StrEnum):
    NEW = "new"  # only what the customer does not have (the cross-sell message)
    AGAIN = "again"  # only what the customer re-buys (the buy-again message)
    BLEND = "blend"  # both: what they re-buy first, then new products


WANTED = {
    Mode.NEW: (TOGETHER, SIMILAR, BEST),
    Mode.AGAIN: (AGAIN,),
    Mode.BLEND: (AGAIN, TOGETHER, SIMILAR, BEST),
}


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


# Built once: a lookup runs on every plan and every send, and building a statement costs more than
# running it. ``IN`` lists are expanding parameters, one compiled form per length bucket.
_MINE = select(OrderLine.product_external_id).where(
    OrderLine.order_id == bindparam("order_id"), OrderLine.product_external_id.is_not(None)
)
_CURATION = select(
    RecommendCuration.kind,
    RecommendCuration.product_external_id,
    RecommendCuration.other_external_id,
    RecommendCuration.position,
).where(
    RecommendCuration.store_id == bindparam("store_id"),
    RecommendCuration.product_external_id.in_(bindparam("ids", expanding=True)),
)
_BOUGHT = (
    select(OrderLine.product_external_id, OrderLine.quantity, OrderLine.refunded_quantity)
    .join(Order, Order.id == OrderLine.order_id)
    .where(
        Order.store_id == bindparam("store_id"),
        Order.contact == bindparam("contact"),
        Order.status.in_(LIVE),
        Order.remote_status != REMOVED,
        OrderLine.product_external_id.in_(bindparam("ids", expanding=True)),
    )
)
_SELLABLE = select(Product).where(
    Product.store_id == bindparam("store_id"),
    Product.external_id.in_(bindparam("ids", expanding=True)),
    Product.in_stock.is_(True),
)

# (score, reason code, its parameters, variant, quantity); the tiers' scores keep them in order, and a
# Reason is made only for what is finally picked
Ranked = dict[str, tuple[float, str, dict[str, Any], str | None, int]]


def for_order(session: Session, order: Order, limit: int = LIMIT, mode: Mode = Mode.NEW) -> list[Pick]:
    """Up to ``limit`` products to recommend after ``order``, best first, each with its reason.

    Four indexed reads: the order's products, the merchant's curation for them, the contact's ranked
    list, and which of the candidates the store can sell now. A contact with no list yet (a guest, a
    store not built yet) or whose list runs out is ranked from their history instead."""
    store_id = order.store_id
    connection = ranking.core(session)
    mine = sorted({p for p in connection.scalars(_MINE, {"order_id": order.id}) if p is not None})
    ranked: Ranked = {}

    def offer(
        product: str, score: float, code: str, params: dict[str, Any], bought: tuple[str | None, int]
    ) -> None:
        held = ranked.get(product)
        if held is None or score > held[0]:
            ranked[product] = (score, code, params, *bought)

    excluded: set[str] = set()
    for kind, source, other, position in connection.execute(
        _CURATION, {"store_id": store_id, "ids": ["", *mine]}
    ):
        if kind == "exclude":
            excluded.add(other)
        elif kind == "pin":
            offer(other, 3e9 - position, "rec_pinned", {}, (None, 1))
        elif kind in CURATED_KINDS and source:
            offer(other, 2e9 - position, f"rec_{kind}", {"product": source}, (None, 1))

    listed = lists.read(session, store_id, lists.key(order.contact, order.id))
    owned = set(mine)
    if listed:
        owned |= {candidate.product for candidate, _, _ in listed if candidate.kind == AGAIN}
        refunded: set[str] = set()
        curated = sorted(set(ranked) - owned)
        if curated and order.contact:  # the list knows what it ranked; the merchant's picks are asked
            for product, quantity, back in connection.execute(
                _BOUGHT, {"store_id": store_id, "contact": order.contact, "ids": curated}
            ):
                if product is not None:
                    (refunded if back >= quantity else owned).add(product)
        _offer_all(offer, listed, mode)
        refunded -= owned
        picks = _sellable(session, store_id, _allowed(ranked, excluded, owned, refunded, mode), ranked, limit)
        if len(picks) == limit:
            return picks
        # The list ran out, or was short when it was ranked (an early customer of a new store, before
        # it had best sellers): rank afresh from what the store sells now, keeping the merchant's
        # picks and what the contact's peers bought (found only at a build).
        ranked = {p: held for p, held in ranked.items() if held[0] >= 2e9 or held[1] == REASON[SIMILAR]}
    seen = ranking.history(session, store_id, order.contact, order.id)
    found = ranking.rank(session, store_id, seen, new=lists.NEW * 3, again=lists.AGAIN_KEPT * 3)
    bought = {p: (variant, quantity) for p, (variant, quantity, _) in seen.last.items()}
    _offer_all(offer, [(c, *bought.get(c.product, (None, 1))) for c in found], mode)
    candidates = _allowed(ranked, excluded, seen.owned | owned, seen.refunded, mode)
    return _sellable(session, store_id, candidates, ranked, limit)


def _offer_all(offer: Any, listed: list[tuple[Candidate, str | None, int]], mode: Mode) -> None:
    for candidate, variant, quantity in listed:
        if candidate.kind in WANTED[mode]:
            tier = TIER[candidate.kind] if mode is Mode.BLEND or candidate.kind != AGAIN else TIER[TOGETHER]
            offer(
                candidate.product,
                tier + candidate.score,
                REASON[candidate.kind],
                candidate.params(),
                (variant, quantity),
            )


def _allowed(
    ranked: Ranked, excluded: set[str], owned: set[str], refunded: set[str], mode: Mode
) -> list[str]:
    """The candidates, best first, less what the merchant excluded, what was refunded and, for a
    cross-sell, what the customer has; for buy again, only what they have."""

    def allowed(product: str) -> bool:
        if product in excluded or product in refunded:
            return False
        if mode is Mode.NEW:
            return product not in owned
        if mode is Mode.AGAIN:
            return product in owned
        return True

    return sorted((p for p in ranked if allowed(p)), key=lambda p: (-ranked[p][0], p))


def _sellable(
    session: Session, store_id: int, candidates: list[str], ranked: Ranked, limit: int
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
                _, code, params, variant, quantity = ranked[product_id]
                picks.append(Pick(products[product_id], Reason.of(code, **params), variant, quantity))
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
        seen = ranking.history(session, order.store_id, order.contact, order.id)
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
