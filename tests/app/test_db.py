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


def test_a_statement_prepared_on_an_empty_table_is_planned_again_once_it_has_grown(fresh_postgres):
    """A new store's first orders arrive by the thousand into tables whose statistics say they are
    empty. A statement our connection has run many times is planned again for the table as it is,
    with its index, instead of keeping the whole-table scan planned while the table was empty, which
    is what PostgreSQL's cached generic plans did to every prepared statement and foreign-key check
    (fails without ``POSTGRES_OPTIONS``: the fifth run's generic plan, a sequential scan, is kept)."""
    db = Database(fresh_postgres)
    try:
        with db.engine.connect() as connection:
            connection.exec_driver_sql(
                "INSERT INTO stores (platform, external_id, name, status, default_locale, timezone, currency,"
                " setup, plan, plan_status, created_at, updated_at) VALUES ('sandbox', 's', 'S', 'active',"
                " 'en', 'UTC', 'USD', '', 'free', 'active', now(), now())"
            )
            connection.exec_driver_sql("ANALYZE orders")  # as autovacuum or a migration may leave it
            connection.exec_driver_sql(
                "PREPARE hot(integer, varchar) AS"
                " SELECT id FROM orders WHERE store_id = $1 AND external_id = $2"
            )
            for number in range(8):  # past the five runs after which a generic plan may be kept
                connection.exec_driver_sql(f"EXECUTE hot(1, 'o{number}')")
            connection.exec_driver_sql(
                "INSERT INTO orders (store_id, external_id, number, status, remote_status, currency, total,"
                " cash_on_delivery, placed_at, remote_updated_at, created_at, updated_at) SELECT 1, 'o' || n,"
                " '#' || n, 'paid', 'processing', 'USD', 10, false, now(), now(), now(), now()"
                " FROM generate_series(1, 20000) AS n"
            )
            plan = "\n".join(row[0] for row in connection.exec_driver_sql("EXPLAIN EXECUTE hot(1, 'o77')"))
            connection.rollback()
    finally:
        db.dispose()
    assert "Seq Scan" not in plan and "Index" in plan, plan
