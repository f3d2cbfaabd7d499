"""Each contact's ranked list (``recommend_lists``): ranked for every contact at the build, in a few
sparse matrix products, and again for one contact whenever their orders change (``refresh``), so a
lookup reads one short list instead of scoring a whole history.

A list holds up to NEW products the contact does not have (``together``: neighbours of what they
bought, each with the product that earned it; ``similar``: what the PEERS customers whose histories are
most like theirs bought, with no pair of its own to name; then ``best``: recent best sellers) and up to
AGAIN of their own products that customers re-buy (``again``). A new product's score is the sum of its
two parts, each divided by the contact's best of that part, SIMILAR_MIX weighing the peers': the
neighbours of one product and the purchases of customers like them are different evidence, and on
bench.recommend the two together found more of what customers bought next than either alone (new-item
hits at 3 from 31-33% to 34-36% on three splits: training to 2011-04-01, 2011-05-01 and 2011-07-01).
Peers need every contact at once, so they are found at the build; a list ranked again between builds
(``refresh``) ranks its neighbours afresh and keeps the ``similar`` products of its last build.

What is refunded is on neither; stock, publish
state and the merchant's curation are applied by the lookup itself, at the last moment.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import sparse
from sqlalchemy import bindparam, delete, select
from sqlalchemy.orm import Session

from app.db import among_bound, bulk_insert
from app.models import RecommendList
from app.recommend import ranking
from app.recommend.ranking import AGAIN, BEST, SIMILAR, TOGETHER, Candidate

GUEST = "order:"  # the key of a list for an order with no contact
NEW = 20  # new products kept per contact: the message shows 3, stock and curation take some
AGAIN_KEPT = 10
CHUNK = 4_000_000  # contacts x products (or contacts x contacts) scored at once (float64: 32 MB)
PEERS = 50  # customers most like the contact (cosine of their sets of products) whose buys count
SIMILAR_MIX = 1.0  # the peers' part against the neighbours' (each at most 1 for a contact)


@dataclass
class Matrices:
    """What the build already has in hand: one row per contact, one column per product."""

    contacts: list[str]
    products: list[str]
    recency: sparse.csr_matrix  # each contact's products, weighted by recency (ranking.HISTORY_HALF_LIFE)
    bought: sparse.csr_matrix  # how many of the contact's orders hold each product
    refunded: set[tuple[int, int]]  # (contact row, product column) fully refunded
    variants: dict[tuple[int, int], tuple[str | None, int]]  # last variant and quantity bought
    scores: sparse.csr_matrix  # product x product: the pair score (model.build)
    orders: sparse.csr_matrix  # product x product: orders holding both
    rebuy: np.ndarray  # per product: ranking.again_score(1, ...), 0 where it is not re-bought
    interval: np.ndarray  # per product: the re-buy interval in days (NaN: none)
    best: list[int]  # product columns, recent best sellers first
    best_orders: np.ndarray  # per product: its orders of the last weeks


def build(session: Session, store_id: int, m: Matrices | None) -> int:
    """Rank every contact's list and write them all (the store's old lists go); returns the rows."""
    session.execute(delete(RecommendList).where(RecommendList.store_id == store_id))
    if m is None:
        return 0
    rows: list[dict[str, Any]] = []
    step = max(1, CHUNK // max(len(m.products), len(m.contacts), 1))
    scores, orders = _Cells(m.scores), _Cells(m.orders)
    peers = _Peers(m.bought)
    for start in range(0, len(m.contacts), step):
        rows += _rank_chunk(store_id, m, scores, orders, peers, start, min(start + step, len(m.contacts)))
    bulk_insert(session, RecommendList.__table__, [tuple(row.values()) for row in rows], COLUMNS)
    return len(rows)


class _Cells:
    """Many (row, column) cells of a sparse matrix read at once (scipy reads them one by one)."""

    def __init__(self, matrix: sparse.csr_matrix) -> None:
        matrix = matrix.tocsr()
        matrix.sort_indices()
        self.width = np.int64(matrix.shape[1])
        rows = np.repeat(np.arange(matrix.shape[0], dtype=np.int64), np.diff(matrix.indptr))
        self.keys = rows * self.width + matrix.indices
        self.data = matrix.data

    def get(self, rows: np.ndarray, columns: np.ndarray) -> np.ndarray:
        wanted = rows.astype(np.int64) * self.width + columns
        if not len(self.keys):
            return np.zeros(len(wanted))
        at = np.minimum(np.searchsorted(self.keys, wanted), len(self.keys) - 1)
        return np.where(self.keys[at] == wanted, self.data[at], 0)


class _Peers:
    """Each contact's PEERS most similar contacts: cosine of their sets of products (how many orders
    held a product does not count: a wholesaler's hundred orders of one item is still one taste)."""

    def __init__(self, bought: sparse.csr_matrix) -> None:
        has = sparse.csr_matrix(bought, dtype=np.float64, copy=True)
        has.data[:] = 1.0
        self.has = has
        norms = np.sqrt(np.diff(has.indptr).astype(np.float64))
        self.unit = sparse.csr_matrix(sparse.diags(1.0 / np.maximum(norms, 1.0)) @ has)
        self.unit_t = sparse.csr_matrix(self.unit.T)

    def bought(self, lo: int, hi: int) -> tuple[np.ndarray, np.ndarray]:
        """For contacts lo..hi: the peers' similarity-weighted purchases, and how many peers bought."""
        similarity = (self.unit[lo:hi] @ self.unit_t).toarray()
        similarity[np.arange(hi - lo), np.arange(lo, hi)] = 0.0
        if similarity.shape[1] > PEERS:
            cut = np.partition(similarity, -PEERS, axis=1)[:, -PEERS : -PEERS + 1]
            similarity[similarity < cut] = 0.0
        near = sparse.csr_matrix(similarity)
        counted = near.copy()
        counted.data[:] = 1.0
        return (near @ self.has).toarray(), (counted @ self.has).toarray()


def _by_best(scored: np.ndarray) -> np.ndarray:
    """Each row divided by its largest value (a row of zeros stays zeros)."""
    top = scored.max(axis=1, keepdims=True) if scored.shape[1] else np.zeros((len(scored), 1))
    return np.divide(scored, top, out=np.zeros_like(scored), where=top > 0)


def _rank_chunk(
    store_id: int, m: Matrices, pair_scores: _Cells, pair_orders: _Cells, peers: _Peers, lo: int, hi: int
) -> list[dict[str, Any]]:
    """The lists of contacts lo..hi: their history times the pair scores plus what their peers
    bought, what they have masked out, the best NEW kept; each with the product that contributed
    most to its neighbours' part (its reason), or the number of peers who bought it."""
    recency = m.recency[lo:hi]
    together_part = (recency @ m.scores).toarray()
    similar_part, peer_count = peers.bought(lo, hi)
    owned = recency.toarray() > 0
    for c, p in m.refunded:
        if lo <= c < hi:
            owned[c - lo, p] = True
    together_part[owned] = 0.0
    similar_part[owned] = 0.0
    scored = _by_best(together_part) + SIMILAR_MIX * _by_best(similar_part)
    k = min(NEW, scored.shape[1])
    top = np.argpartition(-scored, k - 1, axis=1)[:, :k]
    values = np.take_along_axis(scored, top, axis=1)
    order = np.lexsort((top, -values), axis=1)
    top, values = np.take_along_axis(top, order, axis=1), np.take_along_axis(values, order, axis=1)
    # the source of each (contact, candidate): the seed whose recency x pair score is largest
    counts = np.diff(recency.indptr)
    seed_row = np.repeat(np.arange(hi - lo), counts)
    seed = np.repeat(recency.indices, k)
    weight = np.repeat(recency.data, k)
    slot = np.tile(np.arange(k), len(recency.indices))
    candidate = top[np.repeat(seed_row, k), slot]
    part = weight * pair_scores.get(seed, candidate)
    group = np.repeat(seed_row, k) * k + slot
    ranked = np.lexsort((part, group))
    last = np.r_[group[ranked][1:] != group[ranked][:-1], True]
    source = np.full((hi - lo) * k, -1, dtype=np.int64)
    source[group[ranked][last]] = seed[ranked][last]
    source = source.reshape(hi - lo, k)
    together = pair_orders.get(np.maximum(source, 0).ravel(), top.ravel()).reshape(hi - lo, k)
    paired = np.take_along_axis(together_part, top, axis=1) > 0
    liked = np.take_along_axis(peer_count, top, axis=1)
    # what each contact re-buys: how often they bought it x how often its buyers come back
    bought = m.bought[lo:hi].tocoo()
    again = bought.data * m.rebuy[bought.col]
    keep = again > 0
    a_row, a_col, again = bought.row[keep], bought.col[keep], again[keep]
    a_order = np.lexsort((a_col, -again, a_row))
    a_row, a_col, again = a_row[a_order], a_col[a_order], again[a_order]
    first = np.searchsorted(a_row, np.arange(hi - lo))
    rows: list[dict[str, Any]] = []
    for i in range(hi - lo):
        row = lo + i
        contact = m.contacts[row]
        found = [
            Candidate(m.products[b], TOGETHER, float(v), m.products[a], int(n))
            if pair
            else Candidate(m.products[b], SIMILAR, float(v), orders=int(peer))
            for b, v, a, n, pair, peer in zip(
                top[i].tolist(),
                values[i].tolist(),
                source[i].tolist(),
                together[i].tolist(),
                paired[i].tolist(),
                liked[i].tolist(),
                strict=True,
            )
            if v > 0 and (a >= 0 or not pair)
        ]
        if len(found) < NEW:
            taken = {c.product for c in found}
            for b in m.best:
                if len(found) >= NEW:
                    break
                if not owned[i, b] and m.products[b] not in taken:
                    orders = int(m.best_orders[b])
                    found.append(Candidate(m.products[b], BEST, float(orders), orders=orders))
        rows += [_row(store_id, contact, c, None) for c in found]
        taken_again = 0
        for n in range(first[i], len(a_row)):
            if a_row[n] != i or taken_again >= AGAIN_KEPT:
                break
            b = int(a_col[n])
            if (row, b) in m.refunded:
                continue
            taken_again += 1
            candidate = Candidate(m.products[b], AGAIN, float(again[n]), days=float(m.interval[b]))
            rows.append(_row(store_id, contact, candidate, m.variants.get((row, b))))
    return rows


COLUMNS = (
    "store_id",
    "contact",
    "product_external_id",
    "kind",
    "score",
    "source",
    "orders",
    "days",
    "variant_external_id",
    "quantity",
)


def _row(
    store_id: int, contact: str, candidate: Candidate, bought: tuple[str | None, int] | None
) -> dict[str, Any]:
    variant, quantity = bought or (None, 1)
    return {
        "store_id": store_id,
        "contact": contact,
        "product_external_id": candidate.product,
        "kind": candidate.kind,
        "score": candidate.score,
        "source": candidate.source,
        "orders": candidate.orders,
        "days": candidate.days,
        "variant_external_id": variant,
        "quantity": quantity,
    }


def key(contact: str | None, order_id: int) -> str:
    """Whose list: the contact's, or for an order with no contact (a guest without an address) the
    order's own."""
    return contact or f"{GUEST}{order_id}"


def histories(session: Session, store_id: int, keys: list[str]) -> dict[str, ranking.History]:
    """Each list's history (``key`` -> its contact's orders, or a guest's one order), in a read for
    the contacts and one for the guests, however many there are."""
    guests = {int(k.removeprefix(GUEST)): k for k in keys if k.startswith(GUEST)}
    contacts = [k for k in keys if not k.startswith(GUEST)]
    found = ranking.histories(session, store_id, contacts, guests)
    return {k: found[k] for k in contacts} | {k: found[order_id] for order_id, k in guests.items()}


_DROP: dict[str, Any] = {}  # refresh's statement per dialect, built once: it runs for every order


def refresh(session: Session, store_id: int, histories: dict[str, ranking.History]) -> None:
    """Rank these lists again (``key`` -> its history): their orders just changed. The neighbours are
    ranked afresh; the ``similar`` products of the last build stay (peers are found only at a build),
    less what the contact now has. All of them at once (``ranking.rank_many``): a batch's hundred
    contacts cost the same few statements as one."""
    if not histories:
        return
    dialect = session.get_bind().dialect.name
    if dialect not in _DROP:
        _DROP[dialect] = (
            delete(RecommendList)
            .where(
                RecommendList.store_id == bindparam("store_id"),
                among_bound(dialect, RecommendList.contact, "contacts"),
            )
            .returning(
                RecommendList.contact,
                RecommendList.product_external_id,
                RecommendList.kind,
                RecommendList.score,
                RecommendList.orders,
            )
        )
    params = {"store_id": store_id, "contacts": sorted(histories)}
    old = ranking.core(session).execute(_DROP[dialect], params).all()
    similar: dict[str, list[Candidate]] = {}
    for whose, product, kind, score, orders in old:
        if kind == SIMILAR:
            similar.setdefault(whose, []).append(Candidate(product, SIMILAR, score, orders=orders))
    rows: list[tuple[Any, ...]] = []
    ranked = ranking.rank_many(session, store_id, histories, new=NEW, again=AGAIN_KEPT)
    for whose, seen in sorted(histories.items()):
        found = ranked[whose]
        kept = [c for c in similar.get(whose, ()) if c.product not in seen.owned]
        if kept:
            found = _with_similar(found, kept)
        for candidate in found:
            last = seen.last.get(candidate.product) if candidate.kind == AGAIN else None
            rows.append(
                tuple(_row(store_id, whose, candidate, (last[0], last[1]) if last else None).values())
            )
    bulk_insert(session, RecommendList.__table__, rows, COLUMNS)


def _with_similar(found: list[Candidate], similar: list[Candidate]) -> list[Candidate]:
    """A freshly ranked list with the last build's ``similar`` products merged into its new ones:
    neighbours and peers' products by score, then best sellers, NEW in all."""
    taken = {c.product for c in found if c.kind != BEST}
    ranked = sorted(
        [c for c in found if c.kind == TOGETHER] + [c for c in similar if c.product not in taken],
        key=lambda c: (-c.score, c.product),
    )[:NEW]
    names = {c.product for c in ranked}
    best = [c for c in found if c.kind == BEST and c.product not in names][: NEW - len(ranked)]
    return ranked + best + [c for c in found if c.kind == AGAIN]


_READ = select(
    RecommendList.product_external_id,
    RecommendList.kind,
    RecommendList.score,
    RecommendList.source,
    RecommendList.orders,
    RecommendList.days,
    RecommendList.variant_external_id,
    RecommendList.quantity,
).where(RecommendList.store_id == bindparam("store_id"), RecommendList.contact == bindparam("contact"))


def read(session: Session, store_id: int, contact: str) -> list[tuple[Candidate, str | None, int]]:
    """The contact's ranked list as (candidate, variant last bought, quantity), or [] if none."""
    return [
        (Candidate(product, kind, score, source, orders, days), variant, quantity)
        for product, kind, score, source, orders, days, variant, quantity in ranking.core(session)
        .execute(_READ, {"store_id": store_id, "contact": contact})
        .all()
    ]
