"""The per-store model: built in full by a scheduled job, then kept current as each order arrives.

What it holds (``recommend_items``, ``recommend_pairs``, and each contact's list, ``lists``):

- for every product, its orders weighted by recency (``weight``: an order counts 2^(t / HALF_LIFE), so
  one from HALF_LIFE ago counts half as much as one today; weights grow with time instead of decaying,
  so adding a new order never means re-weighting the old ones) and by 1 / its number of products, its
  orders in the last RECENT days (the best sellers), its buyers, those who bought it again, and the
  median days between one buyer's purchases of it (the buy-again interval);
- for every two products bought in one order, both ways round, the weighted count of those orders and
  its score (``ranking.SEED_NORM``): normalised, so an item bought with everything (a best seller)
  does not outrank one bought specifically with this one.

The full build reads the lines once and multiplies the sparse orders-by-products matrix with itself
(scipy): the same pair counts by a self-join in SQL took SQLite four minutes for 240,000 lines. Pairs
seen in one order only are noise; each product keeps its KEPT best neighbours, and every contact's list
is ranked from the whole matrix. ``learn`` adds a batch of new orders with a few upserts: their
products' weights, and every pair among them (a pair not kept at the build starts from the new orders
alone), and ranks their contacts' lists again; buy-again intervals and re-buyers are refreshed by the
next full build.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
from scipy import sparse
from sqlalchemy import Connection, Float, Integer, String, bindparam, delete, func, literal, null, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from app import clock
from app.db import among, among_bound, bulk_insert, per_dialect
from app.models import Order, OrderLine, RecommendBuild, RecommendItem, RecommendPair, Store
from app.recommend import lists, ranking
from app.recommend.ranking import HISTORY_HALF_LIFE, LIVE, REMOVED, SEED_NORM, TREND

EPOCH = datetime(2020, 1, 1, tzinfo=UTC)
HALF_LIFE = timedelta(days=30)  # bench.recommend: 30 days over 60 and 120, on both of its splits
RECENT = timedelta(days=28)  # "best sellers of the store's last weeks"
NEIGHBOURS = 30  # neighbours a lookup reads per product
PAIR_BASKET = 16  # an order of more products adds its pairs at the next build, not as it arrives
KEPT = 40  # neighbours kept per product at a build; new orders may add pairs between builds
MIN_PAIR_ORDERS = 2  # a pair seen in one order only is chance
MIN_REBUYERS = 2  # fewer customers than this bought it twice: no buy-again interval
SECONDS = np.float64(HALF_LIFE.total_seconds())


def weight(at: datetime, size: int = 1) -> float:
    """An order's weight: doubles every HALF_LIFE after EPOCH (ratios are what the scores read), and
    shrinks with the number of products in it: a basket of 500 (a wholesaler's, a guest checkout of a
    whole catalogue page) says less about any one pair than a basket of two. On bench.recommend
    1 / size did better than 1 / log2(1 + size) and 1 / sqrt(size)."""
    return 2.0 ** ((at - EPOCH) / HALF_LIFE) / max(size, 1)


def trend(recent: float, orders: float) -> float:
    return ((recent + 1.0) / (orders + 10.0)) ** TREND


def _sizes(rows: list[Any]) -> dict[int, int]:
    sizes: dict[int, int] = defaultdict(int)
    for row in rows:
        sizes[row[0]] += 1
    return sizes


_BASKET = (
    select(
        Order.id,
        Order.contact,
        Order.placed_at,
        OrderLine.product_external_id,
        OrderLine.variant_external_id,
        OrderLine.quantity - OrderLine.refunded_quantity,
    )
    .join(OrderLine, OrderLine.order_id == Order.id)
    .where(
        Order.status.in_(LIVE),
        Order.remote_status != REMOVED,
        OrderLine.product_external_id.is_not(None),
    )
)


def _baskets(session: Session, store_id: int, order_ids: Sequence[int]) -> list[Any]:
    """(order id, contact, placed at, product) of every kept line of these live orders."""
    statements = _statements(session)
    params = {"store_id": store_id, "ids": list(order_ids)}
    return list(ranking.core(session).execute(statements.baskets, params).all())


class _Learn:
    """``learn``'s statements for one dialect, built once: it runs for every order that arrives, and
    building an upsert (its ``excluded`` columns above all) cost more than running it."""

    def __init__(self, dialect: str) -> None:
        from sqlalchemy.dialects import postgresql, sqlite

        def upsert(model: type[RecommendItem] | type[RecommendPair]) -> Any:
            # Core: the ORM's bulk path costs more than the upsert
            return (postgresql if dialect == "postgresql" else sqlite).insert(model.__table__)

        self.baskets = (
            select(Order.id, Order.contact, Order.placed_at, OrderLine.product_external_id)
            .join(OrderLine, OrderLine.order_id == Order.id)
            .where(
                Order.store_id == bindparam("store_id"),
                among_bound(dialect, Order.id, "ids"),
                Order.status.in_(LIVE),
                Order.remote_status != REMOVED,
                OrderLine.product_external_id.is_not(None),
                OrderLine.quantity > OrderLine.refunded_quantity,
            )
            .distinct()
        )
        # On PostgreSQL each upsert is one INSERT ... SELECT from arrays (unnest), of one fixed text:
        # psycopg's executemany runs one statement a row (an order of 16 products is 16 items and 240
        # pairs), and SQLAlchemy's many-VALUES form is a new text, parsed again, for every length.
        # The items' statement returns their totals after the increment, which the pairs' scores need.
        self.postgresql = dialect == "postgresql"
        item_columns = ["product_external_id", "weight", "orders", "recent_orders", "buyers"]
        items = upsert(RecommendItem)
        if self.postgresql:
            rows = _unnest(item_columns, [String, Float, Integer, Integer, Integer])
            items = items.from_select(
                ["store_id", *item_columns, "rebuyers", "interval_days", "cutoff"],
                select(
                    bindparam("store_id", type_=Integer),
                    *(rows.c[name] for name in item_columns),
                    literal(0),
                    null(),
                    literal(0.0),
                ),
            )
        self.items = items.on_conflict_do_update(
            index_elements=["store_id", "product_external_id"],
            set_={
                "weight": items.table.c.weight + items.excluded.weight,
                "orders": items.table.c.orders + items.excluded.orders,
                "recent_orders": items.table.c.recent_orders + items.excluded.recent_orders,
                "buyers": items.table.c.buyers + items.excluded.buyers,
            },
        )
        totals: tuple[Any, ...] = (RecommendItem.product_external_id, RecommendItem.weight)
        totals += (RecommendItem.recent_orders, RecommendItem.orders)
        if self.postgresql:
            self.items = self.items.returning(*totals)
        self.totals = select(*totals).where(
            RecommendItem.store_id == bindparam("store_id"),
            among_bound(dialect, RecommendItem.product_external_id, "ids"),
        )
        pair_columns = ["product_external_id", "other_external_id", "weight", "orders", "score"]
        pairs = upsert(RecommendPair)
        if self.postgresql:
            rows = _unnest(pair_columns, [String, String, Float, Integer, Float])
            pairs = pairs.from_select(
                ["store_id", *pair_columns],
                select(bindparam("store_id", type_=Integer), *(rows.c[name] for name in pair_columns)),
            )
        # The stored score becomes (old weight + new weight) x factor(a, b); ``score`` carries
        # new weight x factor(a, b), so the division gives the factor without reading the row.
        self.pairs = pairs.on_conflict_do_update(
            index_elements=["store_id", "product_external_id", "other_external_id"],
            set_={
                "weight": pairs.table.c.weight + pairs.excluded.weight,
                "orders": pairs.table.c.orders + pairs.excluded.orders,
                "score": (pairs.table.c.weight + pairs.excluded.weight)
                * pairs.excluded.score
                / pairs.excluded.weight,
            },
        )

    def upsert_items(self, connection: Connection, store_id: int, rows: list[tuple[Any, ...]]) -> list[Any]:
        """Add ``rows`` (product, weight, orders, recent orders, buyers; in key order, so that
        workers lock rows alike) to the items; returns (product, weight, recent, orders) after."""
        if self.postgresql:
            return list(connection.execute(self.items, {"store_id": store_id, **_arrays(ITEM, rows)}).all())
        connection.execute(self.items, [{"store_id": store_id, **_named(ITEM, row), **_NEW} for row in rows])
        ids = [row[0] for row in rows]
        return list(connection.execute(self.totals, {"store_id": store_id, "ids": ids}).all())

    def upsert_pairs(self, connection: Connection, store_id: int, rows: list[tuple[Any, ...]]) -> None:
        """Add ``rows`` (product, other, weight, orders, score; in key order) to the pairs."""
        if self.postgresql:
            connection.execute(self.pairs, {"store_id": store_id, **_arrays(PAIR, rows)})
        else:
            connection.execute(self.pairs, [{"store_id": store_id, **_named(PAIR, row)} for row in rows])


ITEM = ("product_external_id", "weight", "orders", "recent_orders", "buyers")
PAIR = ("product_external_id", "other_external_id", "weight", "orders", "score")
_NEW = {"rebuyers": 0, "interval_days": None, "cutoff": 0.0}  # a product new to the model


def _unnest(names: list[str], types: list[Any]) -> Any:
    """Rows from one array parameter a column (``unnest(:a, :b, ...) AS t(a, b, ...)``)."""
    arrays = [bindparam(name, type_=ARRAY(kind)) for name, kind in zip(names, types, strict=True)]
    return func.unnest(*arrays).table_valued(*names).render_derived()


def _named(names: tuple[str, ...], row: tuple[Any, ...]) -> dict[str, Any]:
    return dict(zip(names, row, strict=True))


def _arrays(names: tuple[str, ...], rows: list[tuple[Any, ...]]) -> dict[str, list[Any]]:
    return {name: [row[n] for row in rows] for n, name in enumerate(names)}


_statements = per_dialect(_Learn)


def build(session: Session, store: Store) -> RecommendBuild:
    """Rebuild the store's model from all its orders, in the caller's transaction: items, pairs and
    every contact's list, from one read of the lines and a few sparse matrix products."""
    started = time.perf_counter()
    now = clock.now()
    lines = list(session.execute(_BASKET.where(Order.store_id == store.id)))
    session.execute(delete(RecommendPair).where(RecommendPair.store_id == store.id))
    session.execute(delete(RecommendItem).where(RecommendItem.store_id == store.id))
    record = session.get(RecommendBuild, store.id) or RecommendBuild(store_id=store.id)
    record.built_at, record.orders, record.pairs = now, 0, 0
    if not lines:
        lists.build(session, store.id, None)
        record.seconds = time.perf_counter() - started
        session.add(record)
        session.flush()
        return record
    b = _Baskets(lines, now)
    items = b.items()
    scores, orders_both, kept, cutoffs = _pairs(b, items)
    item_columns = ("weight", "orders", "recent_orders", "buyers", "rebuyers", "interval_days")
    bulk_insert(
        session,
        RecommendItem.__table__,
        [
            (store.id, product, *(item[c] for c in item_columns), cutoffs.get(product, 0.0))
            for product, item in zip(b.products, items, strict=True)
            if item["orders"]  # a product only ever refunded is not in the model
        ],
        ["store_id", "product_external_id", *item_columns, "cutoff"],
    )
    bulk_insert(
        session,
        RecommendPair.__table__,
        [(store.id, *pair) for pair in kept],
        ["store_id", "product_external_id", "other_external_id", "weight", "orders", "score"],
    )
    weights = np.array([item["weight"] for item in items])
    seed_norm = sparse.diags(
        np.divide(1.0, weights**SEED_NORM, out=np.zeros_like(weights), where=weights > 0)
    )
    lists.build(session, store.id, b.matrices(items, (seed_norm @ scores).tocsr(), orders_both))
    record.orders = b.n_orders
    record.pairs = len(kept)
    record.seconds = time.perf_counter() - started
    session.add(record)
    session.flush()
    return record


class _Baskets:
    """The store's kept lines as index arrays: order row, product column, contact row per line."""

    def __init__(self, lines: list[Any], now: datetime) -> None:
        kept = [line for line in lines if line[5] > 0]
        refunded = [line for line in lines if line[5] <= 0]
        order_ids = np.fromiter((line[0] for line in kept), dtype=np.int64, count=len(kept))
        products = np.array([line[3] for line in kept] + [line[3] for line in refunded], dtype=object)
        unique, columns = np.unique(products, return_inverse=True)
        self.products: list[str] = unique.tolist()
        self.column = columns[: len(kept)]
        contact_keys = np.array(
            [lists.key(line[1], line[0]) for line in kept + refunded],
            dtype=object,
        )
        self.contacts, people = np.unique(contact_keys, return_inverse=True)
        self.contacts = self.contacts.tolist()
        self.person = people[: len(kept)]
        unique_orders, self.row = np.unique(order_ids, return_inverse=True)
        self.n_orders = len(unique_orders)
        seconds = np.fromiter(
            ((line[2] - EPOCH).total_seconds() for line in kept), dtype=np.float64, count=len(kept)
        )
        self.seconds = seconds
        shape = (self.n_orders, len(self.products))
        # one cell per order and product, however many lines (variants) hold it
        self.basket = sparse.csr_matrix((np.ones(len(kept)), (self.row, self.column)), shape=shape)
        self.basket.data[:] = 1.0
        order_seconds = np.zeros(self.n_orders)
        order_seconds[self.row] = seconds
        order_person = np.zeros(self.n_orders, dtype=np.int64)
        order_person[self.row] = self.person
        self.order_seconds, self.order_person = order_seconds, order_person
        sizes = np.asarray(self.basket.sum(axis=1)).ravel()
        self.order_weight = np.exp2(order_seconds / SECONDS) / np.maximum(sizes, 1)
        self.recent = order_seconds >= (now - RECENT - EPOCH).total_seconds()
        self.refunded = {
            (int(people[len(kept) + n]), int(columns[len(kept) + n])) for n in range(len(refunded))
        }
        # the variant and quantity each contact last bought of each product (a reorder link names it)
        last = np.lexsort((seconds, self.column, self.person))
        person, column = self.person[last], self.column[last]
        ends = np.flatnonzero(np.r_[(person[1:] != person[:-1]) | (column[1:] != column[:-1]), True])
        self.variants: dict[tuple[int, int], tuple[str | None, int]] = {
            (int(person[n]), int(column[n])): (kept[last[n]][4], int(kept[last[n]][5])) for n in ends.tolist()
        }

    def items(self) -> list[dict[str, Any]]:
        """Per product: weight, orders, recent orders, buyers, re-buyers, median re-buy interval."""
        weighted = sparse.diags(self.order_weight) @ self.basket
        weight = np.asarray(weighted.sum(axis=0)).ravel()
        orders = np.asarray(self.basket.sum(axis=0)).ravel()
        recent = np.asarray(self.basket[self.recent].sum(axis=0)).ravel()
        # distinct (person, product, day): a re-buy is another day
        days = np.floor(self.seconds / 86400).astype(np.int64)
        triples = np.unique(np.stack([self.person, self.column, days]), axis=1)
        pair_keys, first, counts = np.unique(triples[:2], axis=1, return_index=True, return_counts=True)
        buyers = np.bincount(pair_keys[1], minlength=len(self.products))
        again = counts > 1
        rebuyers = np.bincount(pair_keys[1][again], minlength=len(self.products))
        gaps: dict[int, list[float]] = defaultdict(list)
        for start, count, product in zip(
            first[again].tolist(), counts[again].tolist(), pair_keys[1][again].tolist(), strict=True
        ):
            seen = triples[2, start : start + count]
            gaps[product].append(float(np.median(np.diff(seen))))
        return [
            {
                "weight": float(weight[p]),
                "orders": int(orders[p]),
                "recent_orders": int(recent[p]),
                "buyers": int(buyers[p]),
                "rebuyers": int(rebuyers[p]),
                "interval_days": float(np.median(gaps[p])) if rebuyers[p] >= MIN_REBUYERS else None,
            }
            for p in range(len(self.products))
        ]

    def matrices(
        self, items: list[dict[str, Any]], scores: sparse.csr_matrix, orders_both: sparse.csr_matrix
    ) -> lists.Matrices:
        """What ``lists.build`` ranks from: contacts' recency-weighted histories and the model."""
        latest = np.full(len(self.contacts), -np.inf)
        np.maximum.at(latest, self.order_person, self.order_seconds)
        half = HISTORY_HALF_LIFE.total_seconds()
        line_weight = np.exp2(-(latest[self.person] - self.seconds) / half)
        # one weight per order and product (variants of one product in one order count once)
        order_line = np.unique(np.stack([self.row, self.column]), axis=1, return_index=True)[1]
        person, column, w = self.person[order_line], self.column[order_line], line_weight[order_line]
        shape = (len(self.contacts), len(self.products))
        recency = sparse.csr_matrix((w, (person, column)), shape=shape)
        bought = sparse.csr_matrix((np.ones(len(person)), (person, column)), shape=shape)
        keep = np.arange(len(self.contacts))  # every contact, and every guest's order
        index = {int(old): new for new, old in enumerate(keep.tolist())}
        rebuy = np.array(
            [
                ranking.again_score(1, item["rebuyers"], item["buyers"])
                if item["interval_days"] is not None
                else 0.0
                for item in items
            ]
        )
        interval = np.array(
            [item["interval_days"] if item["interval_days"] is not None else np.nan for item in items]
        )
        recent = np.array([item["recent_orders"] for item in items], dtype=np.float64)
        best = [int(p) for p in np.lexsort((np.arange(len(items)), -recent)) if recent[p] > 0][
            : ranking.BEST_SELLERS
        ]
        return lists.Matrices(
            contacts=[self.contacts[i] for i in keep.tolist()],
            products=self.products,
            recency=sparse.csr_matrix(recency[keep]),
            bought=sparse.csr_matrix(bought[keep]),
            refunded={(index[c], p) for c, p in self.refunded if c in index},
            variants={(index[c], p): v for (c, p), v in self.variants.items() if c in index},
            scores=scores,
            orders=orders_both,
            rebuy=rebuy,
            interval=interval,
            best=best,
            best_orders=recent,
        )


def _pairs(
    b: _Baskets, items: list[dict[str, Any]]
) -> tuple[sparse.csr_matrix, sparse.csr_matrix, list[tuple[str, str, float, int, float]], dict[str, float]]:
    """The product x product scores (pairs seen in MIN_PAIR_ORDERS orders or more) and orders holding
    both; and each product's KEPT best neighbours as (product, other, weight, orders, score) and its
    cutoff (its NEIGHBOURS-th best score), for the one-contact ranking between builds."""
    weighted = sparse.diags(b.order_weight) @ b.basket
    counts = (b.basket.T @ b.basket).tocsr()
    counts.setdiag(0)
    counts.eliminate_zeros()
    counts.data[counts.data < MIN_PAIR_ORDERS] = 0
    counts.eliminate_zeros()
    counts.sort_indices()
    together = (b.basket.T @ weighted).tocsr()
    # the same pattern as ``counts``: keep only its cells
    together = sparse.csr_matrix(counts.astype(bool).multiply(together))
    together.sort_indices()
    weight = np.array([item["weight"] for item in items])
    lift = np.array([trend(item["recent_orders"], item["orders"]) for item in items])
    coo = together.tocoo()
    values = coo.data / weight[coo.col] ** (1 - SEED_NORM) * lift[coo.col]
    scores = sparse.csr_matrix((values, (coo.row, coo.col)), shape=together.shape)
    scores.sort_indices()
    kept: list[tuple[str, str, float, int, float]] = []
    cutoffs: dict[str, float] = {}
    products = b.products
    for a in range(len(products)):
        lo, hi = scores.indptr[a], scores.indptr[a + 1]
        if hi == lo:
            continue
        others, score = scores.indices[lo:hi], scores.data[lo:hi]
        w = together.data[lo:hi]
        n = counts.data[lo:hi]
        best = np.argpartition(-score, KEPT - 1)[:KEPT] if len(score) > KEPT else np.arange(len(score))
        best = best[np.lexsort((others[best], -score[best]))]
        if len(best) >= NEIGHBOURS:
            cutoffs[products[a]] = float(score[best[NEIGHBOURS - 1]])
        kept.extend(
            (products[a], products[int(others[i])], float(w[i]), int(n[i]), float(score[i]))
            for i in best.tolist()
        )
    return scores, counts, kept, cutoffs


def learn(session: Session, store: Store, order_ids: Iterable[int]) -> int:
    """Add newly stored orders to the model: their products' weights and counts, and every pair among
    them, with the new score, and rank their contacts' lists again. Set-based (a few statements a
    batch, however many orders and contacts), and safe under concurrent workers: each upsert adds to
    what is stored rather than writing a value read earlier. Returns how many orders were added."""
    ids = sorted(set(order_ids))
    if not ids:
        return 0
    rows = _baskets(session, store.id, ids)
    if not rows:
        refresh(session, store, ids)  # nothing kept (refunded, not paid): what was refunded still counts
        return 0
    sizes = _sizes(rows)
    now = clock.now()
    baskets: dict[int, set[str]] = defaultdict(set)
    per_item: dict[str, dict[str, Any]] = {}
    order_weight: dict[int, float] = {}
    for order_id, _contact, placed_at, product in rows:
        baskets[order_id].add(product)
        w = order_weight.setdefault(order_id, weight(placed_at, sizes[order_id]))
        item = per_item.setdefault(product, {"weight": 0.0, "orders": 0, "recent_orders": 0})
        item["weight"] += w
        item["orders"] += 1
        item["recent_orders"] += int(now - placed_at <= RECENT)
    # whose lists are ranked again below; their histories also say who buys a product for the first time
    keys = {order_id: lists.key(contact, order_id) for order_id, contact, _, _ in rows}
    histories = lists.histories(session, store.id, sorted(set(keys.values())))
    new_buyers: dict[str, int] = defaultdict(int)
    lines: dict[tuple[str, str], int] = defaultdict(int)
    for order_id, _, _, product in rows:
        lines[(keys[order_id], product)] += 1
    for (key, product), count in lines.items():
        new_buyers[product] += len(histories[key].times.get(product, ())) <= count
    statements = _statements(session)
    connection = ranking.core(session)
    item_rows = [
        (product, item["weight"], item["orders"], item["recent_orders"], new_buyers.get(product, 0))
        for product, item in sorted(per_item.items())
    ]
    weights: dict[str, float] = {}
    lifts: dict[str, float] = {}
    for product, total, recent, orders in statements.upsert_items(connection, store.id, item_rows):
        weights[product], lifts[product] = total, trend(recent, orders)
    pairs: dict[tuple[str, str], list[float]] = {}
    for order_id, products in baskets.items():
        if len(products) > PAIR_BASKET:
            continue  # each of its pairs weighs 1/size: they wait for the next build
        for a in products:
            for b in products:
                if a != b:
                    entry = pairs.setdefault((a, b), [0.0, 0])
                    entry[0] += order_weight[order_id]
                    entry[1] += 1
    if pairs:
        pair_rows = [
            (a, b, w, n, w / weights[b] ** (1 - SEED_NORM) * lifts[b])
            for (a, b), (w, n) in sorted(pairs.items())
        ]
        statements.upsert_pairs(connection, store.id, pair_rows)
    lists.refresh(session, store.id, histories)
    return len(baskets)


def refresh(session: Session, store: Store, order_ids: Iterable[int]) -> None:
    """Rank again the lists of the contacts of these orders, which changed (a refund, a cancellation):
    the items and pairs wait for the next build, but what a contact is offered follows at once."""
    ids = sorted(set(order_ids))
    if ids:
        rows = session.execute(
            select(Order.id, Order.contact).where(Order.store_id == store.id, among(session, Order.id, ids))
        )
        keys = sorted({lists.key(contact, order_id) for order_id, contact in rows})
        lists.refresh(session, store.id, lists.histories(session, store.id, keys))


def stale(session: Session, older_than: timedelta) -> list[int]:
    """Stores whose model was never built or was built longer ago than ``older_than``."""
    since = clock.now() - older_than
    built = select(RecommendBuild.store_id).where(RecommendBuild.built_at >= since)
    return list(session.scalars(select(Store.id).where(Store.id.not_in(built)).order_by(Store.id)))


def size(session: Session, store_id: int) -> int:
    return session.scalar(select(func.count()).where(RecommendPair.store_id == store_id)) or 0
