"""Ranking one contact's candidates from their history and the stored model, for a contact whose
list is not ranked yet (a guest, a store never built) and to rank a list again as orders arrive.

The build ranks every contact at once with the same formula (``lists.build``); this is the one-contact
form, from the neighbours each product kept at the build: a new product scores the sum over the
contact's SEEDS most recent products of (that product's recency) x (the pair's score); one of their
own that customers re-buy scores how often they bought it x how often its buyers come back.
"""

from __future__ import annotations

import heapq
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, bindparam, select
from sqlalchemy.orm import Session

from app.db import among_bound, per_dialect
from app.models import Order, OrderLine, RecommendItem, RecommendPair
from connectors.base import OrderStatus

LIVE = (OrderStatus.PAID.value, OrderStatus.ON_HOLD.value, OrderStatus.COMPLETED.value)
REMOVED = "deleted"

# How much a bought product a says for b is w(a,b) / (w(a)^SEED_NORM * w(b)^(1 - SEED_NORM)) *
# trend(b)^TREND: a cosine when SEED_NORM is 1/2; more of the norm on the seed keeps a product bought
# with everything from outranking one bought with this one, without burying every popular product. A
# pair's stored score leaves out w(a)^SEED_NORM, which the ranking applies with w(a) as it is now: it
# is the same for all of a's neighbours, and a pair learnt since the build would otherwise be
# compared with pairs scored against an older w(a). trend(b) is how much
# of b's selling is recent, (orders in RECENT + 1) / (orders + 10): a catalogue's new season lifts.
# Tuned on bench.recommend's two splits (to 2011-03-31 and to 2011-06-30): new-item hits rose from
# 22% to 33% on the later one.
SEED_NORM = 0.7
TREND = 0.6
SEEDS = 20  # the customer's products whose neighbours are read
HISTORY_HALF_LIFE = timedelta(days=30)  # a product bought a month before the latest order counts half
BEST_SELLERS = 60  # read past what is owned or out of stock

# Tiers of a candidate; within one, its score orders it. A blended list offers what the customer
# re-buys before anything new: on bench.recommend (and on a split inside the training months) every
# slot given to a new product instead of a re-bought one lowered the hit rate.
AGAIN, TOGETHER, SIMILAR, BEST = "again", "together", "similar", "best"
TIER = {AGAIN: 2e6, TOGETHER: 1e6, SIMILAR: 1e6, BEST: 0.0}
REASON = {AGAIN: "rec_rebought", TOGETHER: "rec_together", SIMILAR: "rec_similar", BEST: "rec_best_seller"}


@dataclass
class History:
    """What the contact bought: times per product, the variant and quantity last bought, refunds, and
    the products of the order being answered."""

    times: dict[str, list[datetime]] = field(default_factory=lambda: defaultdict(list))
    last: dict[str, tuple[str | None, int, datetime]] = field(default_factory=dict)  # variant, quantity, when
    refunded: set[str] = field(default_factory=set)
    mine: list[str] = field(default_factory=list)
    latest: datetime | None = None

    @property
    def owned(self) -> set[str]:
        return set(self.times) | self.refunded


@dataclass(frozen=True)
class Candidate:
    """A product ranked for a contact: its kind (AGAIN, TOGETHER, BEST), score within the kind, and
    what its reason names (the product it goes with and in how many orders, or the re-buy interval)."""

    product: str
    kind: str
    score: float
    source: str | None = None
    orders: int | None = None
    days: float | None = None

    def params(self) -> dict[str, Any]:
        if self.kind == AGAIN:
            return {"days": round(self.days or 0)}
        if self.kind == TOGETHER:
            return {"product": self.source, "orders": self.orders}
        if self.kind == SIMILAR:
            return {"customers": self.orders}
        return {"orders": self.orders}


def core(session: Session) -> Connection:
    """The session's connection, for the statements that run for every order and every lookup: their
    rows are plain tuples, and the ORM's result processing cost more than the reads (pending ORM
    changes are flushed first, as ``session.execute`` would)."""
    if session.new or session.dirty or session.deleted:
        session.flush()
    return session.connection()


# Built once per dialect: a lookup runs on every plan and every send, and building a statement costs
# more than running it. Lists of ids are one array parameter on PostgreSQL (``db.among_bound``): an
# expanded ``IN`` of a wholesaler's hundreds of products cost more to send and plan than to run.
_HISTORY = (
    select(
        Order.id,
        Order.placed_at,
        OrderLine.product_external_id,
        OrderLine.variant_external_id,
        OrderLine.quantity,
        OrderLine.refunded_quantity,
        Order.contact,
    )
    .join(OrderLine, OrderLine.order_id == Order.id)
    .where(
        Order.store_id == bindparam("store_id"),
        Order.status.in_(LIVE),
        Order.remote_status != REMOVED,
    )
)  # unordered: sorting a wholesaler's thousands of lines cost more than everything else


class _Statements:
    """The ranking's reads for one dialect, each for many contacts (or orders, or products) at once."""

    def __init__(self, dialect: str) -> None:
        self.of_contacts = _HISTORY.where(among_bound(dialect, Order.contact, "contacts"))
        self.of_orders = _HISTORY.where(among_bound(dialect, Order.id, "ids"))
        self.neighbours = (
            select(
                RecommendPair.product_external_id,
                RecommendPair.other_external_id,
                RecommendPair.score,
                RecommendPair.orders,
                RecommendItem.weight,
            )
            .join(
                RecommendItem,
                (RecommendItem.store_id == RecommendPair.store_id)
                & (RecommendItem.product_external_id == RecommendPair.product_external_id),
            )
            .where(
                RecommendPair.store_id == bindparam("store_id"),
                among_bound(dialect, RecommendPair.product_external_id, "ids"),
                # the seeds' own items named too: told only of the pairs' seeds, PostgreSQL hashed
                # every item of the store (3,600 on bench.recommend: 2 of the read's 3 ms) instead
                # of reading the twenty seeds' by their key
                among_bound(dialect, RecommendItem.product_external_id, "ids"),
                RecommendPair.score >= RecommendItem.cutoff,
            )
        )
        self.rebuy = select(
            RecommendItem.product_external_id,
            RecommendItem.interval_days,
            RecommendItem.rebuyers,
            RecommendItem.buyers,
        ).where(
            RecommendItem.store_id == bindparam("store_id"),
            among_bound(dialect, RecommendItem.product_external_id, "ids"),
            RecommendItem.interval_days.is_not(None),
        )


_statements = per_dialect(_Statements)


_BEST_SELLERS = (
    select(RecommendItem.product_external_id, RecommendItem.recent_orders)
    .where(RecommendItem.store_id == bindparam("store_id"), RecommendItem.recent_orders > 0)
    .order_by(RecommendItem.recent_orders.desc(), RecommendItem.product_external_id)
    .limit(bindparam("limit"))
)


def history(session: Session, store_id: int, contact: str | None, order_id: int | None = None) -> History:
    """Every line of the contact's live orders (just the order's, for an order with no contact). A
    line without a product id (a custom line, a fee) is simply not a product: it changes nothing."""
    if contact:
        return histories(session, store_id, [contact], [], order_id)[contact]
    if order_id is None:
        return History()
    return histories(session, store_id, [], [order_id])[order_id]


def histories(
    session: Session,
    store_id: int,
    contacts: Iterable[str],
    guests: Iterable[int],
    order_id: int | None = None,
) -> dict[Any, History]:
    """``history`` for many at once, in a statement for the contacts and one for orders with no
    contact: keyed by the contact, and by the order's id for each of ``guests``. ``order_id`` names the
    order being answered (its products are ``mine``); a guest's own order always is."""
    statements = _statements(session)
    connection = core(session)
    found: dict[Any, History] = {}
    wanted = sorted(set(contacts))
    if wanted:
        params: dict[str, Any] = {"store_id": store_id, "contacts": wanted}
        found.update({contact: History() for contact in wanted})
        for row in connection.execute(statements.of_contacts, params).all():
            _add(found[row[6]], row, order_id)
    alone = sorted(set(guests))
    if alone:
        found.update({guest: History() for guest in alone})
        for row in connection.execute(statements.of_orders, {"store_id": store_id, "ids": alone}).all():
            _add(found[row[0]], row, row[0])
    for seen in found.values():
        for times in seen.times.values():
            times.sort()  # rows come in no set order: a sum over them is then the same every time
    return found


def _add(seen: History, row: Any, order_id: int | None) -> None:
    this_order, placed_at, product, variant, quantity, refunded, _contact = row
    if not product:
        return
    if this_order == order_id:
        seen.mine.append(product)
    if refunded >= quantity:
        seen.refunded.add(product)
        return
    seen.times[product].append(placed_at)
    held = seen.last.get(product)
    if held is None or placed_at >= held[2]:
        seen.last[product] = (variant, quantity - refunded, placed_at)
    if seen.latest is None or placed_at > seen.latest:
        seen.latest = placed_at


def again_score(bought: int, rebuyers: int, buyers: int) -> float:
    """How often the contact bought it, times how often its buyers come back (smoothed, so two of
    two buyers do not outrank forty of eighty)."""
    return bought * (rebuyers + 1) / (buyers + 5)


def rank(session: Session, store_id: int, seen: History, *, new: int, again: int) -> list[Candidate]:
    """The contact's best ``new`` products not theirs (neighbours first, then recent best sellers)
    and best ``again`` products of theirs that customers re-buy; refunded products never."""
    return rank_many(session, store_id, {"": seen}, new=new, again=again)[""]


def rank_many(
    session: Session, store_id: int, seen_by: dict[Any, History], *, new: int, again: int
) -> dict[Any, list[Candidate]]:
    """``rank`` for many contacts at once (key -> history), in at most three reads for them all: the
    neighbours of all their seeds, the best sellers once, their products' re-buy figures. Each
    contact's list is what ranking them alone gives: the reads are only shared, never mixed."""
    statements = _statements(session)
    connection = core(session)
    recency_by: dict[Any, dict[str, float]] = {}
    seeds_by: dict[Any, list[str]] = {}
    for whose, seen in seen_by.items():
        latest = seen.latest
        recency = {
            product: sum(0.5 ** ((latest - t) / HISTORY_HALF_LIFE) for t in times) if latest else 1.0
            for product, times in seen.times.items()
        }
        recency_by[whose] = recency
        seeds_by[whose] = heapq.nsmallest(SEEDS, recency, key=lambda p: (-recency[p], p))
    neighbours: dict[str, list[tuple[str, float, int]]] = defaultdict(list)
    seed_weight: dict[str, float] = {}
    seeds = sorted({p for products in seeds_by.values() for p in products})
    if new and seeds:
        # A (seed, neighbour) pair is one row, so the order rows arrive in changes no sum: each
        # contact's sums add their parts seed by seed, in the seeds' order, however many share the read.
        params = {"store_id": store_id, "ids": seeds}
        for source, other, score, orders, weight in connection.execute(statements.neighbours, params).all():
            neighbours[source].append((other, score, orders))
            seed_weight[source] = weight
    found_by: dict[Any, list[Candidate]] = {}
    for whose, seen in seen_by.items():
        owned = seen.owned
        recency = recency_by[whose]
        found: list[Candidate] = []
        if new and seeds_by[whose]:
            scores: dict[str, float] = defaultdict(float)
            best: dict[str, tuple[float, str, int]] = {}
            for source in sorted(seeds_by[whose]):
                rows = neighbours.get(source)
                if not rows:
                    continue
                factor = recency[source] / seed_weight[source] ** SEED_NORM  # the same for all its pairs
                for other, score, orders in rows:
                    if other in owned:
                        continue
                    part = score * factor
                    scores[other] += part
                    held = best.get(other)
                    if held is None or part > held[0]:
                        best[other] = (part, source, orders)
            top = heapq.nsmallest(new, scores, key=lambda p: (-scores[p], p))
            most = scores[top[0]] if top and scores[top[0]] > 0 else 1.0  # the build's scale: best is 1
            found += [Candidate(p, TOGETHER, scores[p] / most, best[p][1], best[p][2]) for p in top]
        found_by[whose] = found
    short = [whose for whose, found in found_by.items() if new and len(found) < new]
    if short:
        wanted = {whose: BEST_SELLERS + min(len(seen_by[whose].owned), BEST_SELLERS) for whose in short}
        params = {"store_id": store_id, "limit": max(wanted.values())}
        sellers = connection.execute(_BEST_SELLERS, params).all()
        for whose in short:
            found, owned = found_by[whose], seen_by[whose].owned
            taken = {c.product for c in found}
            for product, recent in sellers[: wanted[whose]]:
                if len(found) >= new:
                    break
                if product not in owned and product not in taken:
                    found.append(Candidate(product, BEST, float(recent), orders=recent))
    products = sorted({p for seen in seen_by.values() for p in seen.times})
    if again and products:
        figures = connection.execute(statements.rebuy, {"store_id": store_id, "ids": products}).all()
        for whose, seen in seen_by.items():
            rebought = [
                Candidate(
                    product, AGAIN, again_score(len(seen.times[product]), rebuyers, buyers), days=interval
                )
                for product, interval, rebuyers, buyers in figures
                if product in seen.times
            ]
            found_by[whose] += sorted(rebought, key=lambda c: (-c.score, c.product))[:again]
    return found_by
