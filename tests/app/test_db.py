"""``app.db.insert_many``: what the ingest of a batch of orders and the planner's new messages are
written with, one statement for any number of rows, on both databases alike; and who moves SQLite's
log back into its file."""

from __future__ import annotations

import os
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from app import clock, inbox
from app.db import Database, insert_many
from app.models import Order, Store
from connectors.base import Delivery
from tests.helpers import T0, make_store


def _order(store_id: int, n: int, **fields: object) -> dict[str, object]:
    return {
        "store_id": store_id,
        "external_id": f"o{n}",
        "number": f"#{n}",
        "status": "paid",
        "remote_status": "processing",
        "currency": "SAR",
        "total": Decimal("149.50"),
        "first_name": "نور",
        "contact": f"buyer{n}@example.test",
        "placed_at": T0 + timedelta(minutes=n),
        "remote_updated_at": T0 + timedelta(minutes=n),
        **fields,
    }


def test_new_rows_are_stored_as_given_and_those_already_held_are_left_alone(aftercare):
    store = make_store(aftercare)
    with aftercare.db.session() as session:
        first = insert_many(session, Order.__table__, [_order(store.id, 1)], ("external_id", "id"))
    with aftercare.db.session() as session:
        # o1 again (different total) and two new ones: only the new ones come back
        rows = [_order(store.id, 1, total=Decimal("1.00")), _order(store.id, 2), _order(store.id, 3)]
        again = dict(insert_many(session, Order.__table__, rows, ("external_id", "id")))
    assert set(again) == {"o2", "o3"}
    with aftercare.db.session() as session:
        stored = {o.external_id: o for o in session.scalars(select(Order).where(Order.store_id == store.id))}
    assert stored["o1"].id == dict(first)["o1"]
    assert stored["o1"].total == Decimal("149.50")  # the row already held is untouched
    assert stored["o2"].id == again["o2"]
    assert stored["o3"].first_name == "نور"
    assert stored["o3"].placed_at == T0 + timedelta(minutes=3)
    assert stored["o3"].cash_on_delivery is False  # a column left out gets its default
    assert stored["o3"].created_at is not None


def test_a_naive_time_is_refused_and_nothing_is_written(aftercare):
    store = make_store(aftercare)
    naive = datetime(2026, 11, 3, 9, 30)  # noqa: DTZ001 - the mistake under test
    with pytest.raises(Exception, match="naive datetime"), aftercare.db.session() as session:
        insert_many(session, Order.__table__, [_order(store.id, 1, placed_at=naive)], ("id",))
    with aftercare.db.session() as session:
        assert session.scalars(select(Order.id).where(Order.store_id == store.id)).first() is None


def test_on_sqlite_the_webs_writes_leave_the_log_for_the_workers_commit_to_move(aftercare):
    """The commit that finds SQLite's log past its limit copies it into the database file before it
    returns: in a webhook request that made the slowest answers. The web's deliveries stay in the
    log; the worker's next commit moves them."""
    store = make_store(aftercare)
    web, worker = Database(aftercare.settings.database_url), Database(aftercare.settings.database_url)
    web.leave_checkpoints_to_the_worker()
    if aftercare.db.dialect == "postgresql":
        assert web.tuning == {}  # PostgreSQL's own checkpointer does this work
        return
    path = aftercare.settings.database_url.split("///", 1)[1]
    before = os.path.getsize(path)
    body = b"x" * 4000  # about a page each, in the log: several times SQLite's 1,000-page limit
    for n in range(1500):
        assert inbox.accept(web, store.id, Delivery("orders/create", f"d{n}", body, clock.now())) is not None
    assert os.path.getsize(path) < before + 1_000_000  # the web moved nothing back: all in the log
    with worker.session() as session:
        session.get(Store, store.id).name = "Checkpointed"
    assert os.path.getsize(path) > before + 5_000_000  # the worker's commit moved the 1,500 rows
    with aftercare.db.session() as session:
        assert session.get(Store, store.id).name == "Checkpointed"
    web.dispose()
    worker.dispose()
