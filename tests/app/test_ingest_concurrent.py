"""Two workers applying batches at the same moment on PostgreSQL: batches that share customers must
wait for each other, never deadlock (each batch lists its customers in its own order, by the orders'
times; one of two workers was picked as a deadlock's victim in ``bench.ingest``)."""

from __future__ import annotations

import random
import threading
from dataclasses import replace
from datetime import timedelta

from sqlalchemy import func, select

from app import create_app, ingest, services
from app.models import Customer, Order, Store
from tests.conftest import settings_for
from tests.helpers import T0, make_store, order_snapshot

ROUNDS = 6
SHARED = 40  # customers both workers' orders are drawn from
PER_BATCH = 25


def test_two_workers_whose_batches_share_customers_never_deadlock(fresh_postgres, tmp_path):
    aftercare = services(create_app(settings_for(fresh_postgres, tmp_path)))
    store = make_store(aftercare)
    pool = [f"shared-{n}" for n in range(SHARED)]
    barrier = threading.Barrier(2, timeout=120)
    failures: list[BaseException] = []

    def work(worker: int) -> None:
        rng = random.Random(worker)  # noqa: S311 - the test's own sample
        for turn in range(ROUNDS):
            snapshots = []
            for k, customer in enumerate(rng.sample(pool, PER_BATCH)):  # each batch in its own order
                snap = order_snapshot(f"{worker}-{turn}-{k}", placed_at=T0 + timedelta(minutes=k))
                assert snap.customer is not None
                snapshots.append(replace(snap, customer=replace(snap.customer, external_id=customer)))
            barrier.wait()
            try:
                with aftercare.db.session() as session:
                    ingest.apply_all(session, session.get(Store, store.id), snapshots)
            except Exception as exc:  # noqa: BLE001 - the test reports what a worker met
                failures.append(exc)

    workers = [threading.Thread(target=work, args=(n,)) for n in range(2)]
    try:
        for thread in workers:
            thread.start()
        for thread in workers:
            thread.join(timeout=600)
        assert not failures, failures[0]
        with aftercare.db.session() as session:
            assert session.scalar(select(func.count()).select_from(Order)) == 2 * ROUNDS * PER_BATCH
            assert session.scalar(select(func.count()).select_from(Customer)) == SHARED
    finally:
        aftercare.db.dispose()
