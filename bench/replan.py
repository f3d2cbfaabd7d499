"""Re-planning as a store grows: one order, and the whole store, at 500, 10,000 and 100,000 orders.

    python -m bench.replan [--sizes 500 10000 100000] [--backends sqlite postgresql] [--samples 200]

Each store is seeded straight into a fresh migrated database (three orders in ten by repeat buyers,
most shipped, many delivered), planned once as a whole (the figure "whole store"), then single orders
chosen at random are re-planned one at a time the way a webhook's worker batch would, timed one by one
(the figure "one order", median and p95), the sizes taking turns so that the machine's busy moments
fall on each alike. The ratio of one order's median at each size to the smallest size's is the figure
to read: planning must not grow with the store. Last line:
``replan: one order <r>x from <small> to <large> orders, whole store <s> s``.
"""

from __future__ import annotations

import argparse
import contextlib
import random
import statistics
import time
from datetime import timedelta

from sqlalchemy import select

from app import clock, create_app, services
from app.db import Database
from app.journeys import apply as journey_apply
from app.journeys import reconcile
from app.models import Message, Order, Store
from bench import common


def _store(
    stack: contextlib.ExitStack, backend: str, size: int
) -> tuple[Database, int, float, int, list[int]]:
    """A seeded store of ``size`` orders, planned once as a whole: (its database, store id, whole-store
    seconds, messages planned, its order ids)."""
    url = stack.enter_context(common.database(backend))
    app = create_app(common.settings(url))
    db = services(app).db
    stack.callback(db.dispose)
    store_id = common.store(db)
    common.seed(db, store_id, size, now=common.NOW)
    began = time.perf_counter()
    with db.session() as session:
        store = session.get(Store, store_id)
        journey_apply.replan_all(session, store, common.NOW - timedelta(days=45))
    whole = time.perf_counter() - began
    common.analyze(db)  # the plan wrote a message or more an order: statistics as autovacuum would keep
    with db.session() as session:
        planned = session.query(Message).count()
        ids = list(session.scalars(select(Order.id).where(Order.store_id == store_id)))
    return db, store_id, whole, planned, ids


def _one(db: Database, store_id: int, order_id: int) -> float:
    """Milliseconds to re-plan one order with its contact's others, as a webhook's worker batch does."""
    started = time.perf_counter()
    with db.session() as session:
        store = session.get(Store, store_id)
        order = session.get(Order, order_id)
        reconcile.refresh_related(session, store, [order])
    return (time.perf_counter() - started) * 1000


def _run(backend: str, sizes: list[int], samples: int) -> dict[int, tuple[float, float, float, int]]:
    """Per size: (whole store seconds, one order median ms, p95 ms, messages planned). The one-order
    samples take turns between the sizes, so a busy moment of the machine slows each size alike."""
    clock.freeze(common.NOW)
    try:
        with contextlib.ExitStack() as stack:
            stores = {size: _store(stack, backend, size) for size in sizes}
            rng = random.Random(3)  # noqa: S311 - sampling
            picks = {size: rng.sample(ids, min(samples, len(ids))) for size, (*_, ids) in stores.items()}
            timings: dict[int, list[float]] = {size: [] for size in sizes}
            for turn in range(max(len(chosen) for chosen in picks.values())):
                for size in sizes:
                    if turn < len(picks[size]):
                        db, store_id, *_ = stores[size]
                        timings[size].append(_one(db, store_id, picks[size][turn]))
            results = {}
            for size in sizes:
                _, _, whole, planned, _ = stores[size]
                ordered = sorted(timings[size])
                p95 = ordered[int(len(ordered) * 0.95) - 1]
                results[size] = (whole, statistics.median(ordered), p95, planned)
            return results
    finally:
        clock.reset()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[500, 10_000, 100_000])
    parser.add_argument("--backends", nargs="+", default=list(common.BACKENDS))
    parser.add_argument("--samples", type=int, default=200)
    args = parser.parse_args()
    results = {}
    for backend in args.backends:
        for size, found in _run(backend, args.sizes, args.samples).items():
            results[(backend, size)] = found
            whole, median, p95, planned = found
            print(
                f"{backend:<10} {size:>7} orders: whole store {whole:7.1f} s ({size / whole:6.0f} orders/s, "
                f"{planned} messages); one order median {median:6.1f} ms, p95 {p95:6.1f} ms"
            )
    small, large = min(args.sizes), max(args.sizes)
    worst = max(results[(b, large)][1] / results[(b, small)][1] for b in args.backends)
    slowest = max(results[(b, large)][0] for b in args.backends)
    print(f"replan: one order {worst:.2f}x from {small} to {large} orders, whole store {slowest:.0f} s")


if __name__ == "__main__":
    main()
