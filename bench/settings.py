"""Saving the journey settings: how long the merchant's request takes as the store grows.

    python -m bench.settings [--orders 300 2000 5000] [--backends sqlite postgresql]

For each size a store is seeded (``bench.common.seed``: orders over 60 days, repeat buyers, parcels)
and planned once (then analysed, as autovacuum would after that many new messages); then the
thank-you delay and the check-in's wait are changed and ``journeys.apply.apply`` saves and re-plans
what the change touches, as the settings page does (with no size limit, so every size is measured on
the synchronous path). The baseline in the same run is
re-planning one order with its contact's others (what a webhook's worker does). Last line:
``settings: <s> s for <n> orders on the slower database (<r>x one order)``; the goal is under 2 s
at 5,000 orders, the size up to which ``settings_sync_replan_orders`` keeps the save in the request.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from datetime import timedelta

from sqlalchemy import select

from app import clock, create_app, services
from app.journeys import apply as journey_apply
from app.journeys import config as journey_config
from app.journeys import reconcile
from app.models import Order, Store
from bench import common


def _measure(backend: str, orders: int) -> tuple[float, float, journey_apply.Applied]:
    """(one order's re-plan in seconds, the whole save in seconds, what the save did)."""
    with common.database(backend) as url:
        app = create_app(common.settings(url))
        db = services(app).db
        clock.freeze(common.NOW)
        store_id = common.store(db)
        common.seed(db, store_id, orders, now=common.NOW)
        with db.session() as session:
            store = session.get(Store, store_id)
            journey_apply.replan_all(session, store, common.NOW - timedelta(days=45))
            ids = list(session.scalars(select(Order.id).where(Order.store_id == store_id)))
        # The plan wrote a message or more an order: their statistics as autovacuum keeps them on a
        # live store (without, PostgreSQL read each chunk's messages as if the table were empty).
        common.analyze(db)
        single = []
        for order_id in random.Random(5).sample(ids, min(30, len(ids))):  # noqa: S311 - sampling
            started = time.perf_counter()
            with db.session() as session:
                store = session.get(Store, store_id)
                reconcile.refresh_related(session, store, [session.get(Order, order_id)])
            single.append(time.perf_counter() - started)
        changed = journey_config.JourneyConfig.model_validate(
            {"steps": {"thank_you": {"delay_minutes": 120}, "check_in": {"delay_minutes": 4 * 24 * 60}}}
        )
        started = time.perf_counter()
        with db.session() as session:
            store = session.get(Store, store_id)
            applied = journey_apply.apply(session, store, changed, sync_limit=10**9)
        whole = time.perf_counter() - started
        db.dispose()
        clock.reset()
    assert applied is not None  # noqa: S101 - no limit: always applied in the request
    return statistics.median(single), whole, applied


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, nargs="+", default=[300, 2000, 5000])
    parser.add_argument("--backends", nargs="+", default=list(common.BACKENDS))
    args = parser.parse_args()
    worst: tuple[float, int, float] | None = None
    for size in args.orders:
        for backend in args.backends:
            single, whole, applied = _measure(backend, size)
            print(
                f"{backend:10} {size:5} orders: save {whole:6.2f} s = {whole / single:5.0f}x one re-plan "
                f"({single * 1000:.1f} ms); {applied.moved} moved, {applied.cancelled} cancelled, "
                f"{applied.scheduled} planned",
                flush=True,
            )
            if size == max(args.orders) and (worst is None or whole > worst[0]):
                worst = (whole, size, whole / single)
    assert worst is not None  # noqa: S101
    print(
        f"settings: {worst[0]:.2f} s for {worst[1]} orders on the slower database ({worst[2]:.0f}x one order)"
    )


if __name__ == "__main__":
    main()
