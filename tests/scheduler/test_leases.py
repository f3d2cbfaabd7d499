"""Per-store job leases: one holder at a time, taken over when expired; the re-plan job uses them."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from app import clock
from app.models import Message, Store
from scheduler import leases
from scheduler.jobs import replan_stores
from tests.helpers import ingest_order, make_store, order_snapshot

T0 = datetime(2026, 11, 3, 9, 30, tzinfo=UTC)
TTL = timedelta(minutes=10)


def test_one_holder_at_a_time_until_it_expires(aftercare):
    clock.freeze(T0)
    store = make_store(aftercare)
    assert leases.acquire(aftercare.db, "replan", store.id, "worker-a", TTL)
    assert not leases.acquire(aftercare.db, "replan", store.id, "worker-b", TTL)
    assert leases.acquire(aftercare.db, "replan", store.id, "worker-a", TTL)  # renewal
    assert leases.acquire(aftercare.db, "other-job", store.id, "worker-b", TTL)  # leases are per job
    clock.advance(TTL + timedelta(seconds=1))
    assert leases.acquire(
        aftercare.db, "replan", store.id, "worker-b", TTL
    )  # a dead holder's lease passes on
    leases.release(aftercare.db, "replan", store.id, "worker-b")
    assert leases.acquire(aftercare.db, "replan", store.id, "worker-c", TTL)


def test_racing_workers_get_exactly_one_lease(aftercare):
    clock.freeze(T0)
    store = make_store(aftercare)
    winners: list[str] = []
    barrier = threading.Barrier(8)

    def race(name: str) -> None:
        barrier.wait()
        if leases.acquire(aftercare.db, "replan", store.id, name, TTL):
            winners.append(name)

    threads = [threading.Thread(target=race, args=(f"w{n}",)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len(winners) == 1


def test_replan_applies_changed_settings_to_scheduled_messages(aftercare):
    """The merchant turns the come-back offer off: the next re-plan cancels the scheduled ones."""
    clock.freeze(T0)
    store = make_store(aftercare)
    ingest_order(aftercare, store, order_snapshot("1"))
    with aftercare.db.session() as session:
        session.get(Store, store.id).journey = '{"steps": {"win_back": {"enabled": false}}}'
    assert replan_stores(aftercare, "worker-a") == 1
    with aftercare.db.session() as session:
        offer = session.scalars(select(Message).where(Message.step == "win_back")).one()
    assert offer.status == "cancelled" and offer.reason == "the merchant turned this step off"


def test_replan_skips_a_store_another_worker_holds(aftercare):
    clock.freeze(T0)
    store = make_store(aftercare)
    ingest_order(aftercare, store, order_snapshot("1"))
    assert leases.acquire(aftercare.db, "replan", store.id, "worker-a", TTL)
    assert replan_stores(aftercare, "worker-b") == 0
