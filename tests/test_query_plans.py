"""The hot queries use indexes: every statement that planning an order, re-checking a batch before it is
sent and claiming due messages issues against a store of thousands of orders is explained by
PostgreSQL, and none may scan the whole of ``orders`` or ``messages`` (issue 13: that is what made cost
grow with the store)."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
from sqlalchemy import event, func, insert, select, text

from app import clock, create_app, outbox, services
from app.billing import state as billing
from app.journeys import apply as journey_apply
from app.journeys import reconcile
from app.models import Message, Order, RecommendItem, RecommendPair, Store
from app.recommend import model, ranking
from bench import common
from tests.conftest import settings_for

HOT_TABLES = ("orders", "messages")


@pytest.fixture
def seeded(fresh_postgres, tmp_path):
    app = create_app(settings_for(fresh_postgres, tmp_path))
    db = services(app).db
    clock.freeze(common.NOW)
    store_id = common.store(db)
    other = common.store(db, name="Another store")  # a second tenant, so store_id filters matter
    common.seed(db, store_id, 6000, now=common.NOW, rng=random.Random(1))
    common.seed(db, other, 2000, now=common.NOW, rng=random.Random(2))
    with db.session() as session:
        journey_apply.replan_all(session, session.get(Store, store_id), common.NOW - timedelta(days=45))
    with db.engine.connect() as connection:
        connection.execute(text("ANALYZE"))
        connection.commit()
    yield db, store_id
    db.dispose()


def _statements(db, work):
    seen = []

    def record(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith(("SELECT", "UPDATE", "DELETE")) and not executemany:
            seen.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        work()
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    return seen


def _scans(db, statements):
    """Statements that read most of a hot table to answer: a sequential scan, or an index scan on the
    store alone that filters the rest away (as costly, the store being most of the table here). Each is
    run under ``EXPLAIN ANALYZE`` in a transaction rolled back afterwards. A test store is small, and
    for a few thousand rows the planner rightly prefers a scan to an index; with sequential scans and
    reading rows priced high (as they are at a real store's size) it picks the most selective index
    there is, and still reads most of a table only where no index can serve: the defect to catch."""
    found = []
    with db.engine.connect() as connection:
        sizes = {
            table: connection.execute(text(f"SELECT count(*) FROM {table}")).scalar()  # noqa: S608 - our own names
            for table in HOT_TABLES
        }
        connection.exec_driver_sql("SET enable_seqscan = off")
        connection.exec_driver_sql("SET cpu_tuple_cost = 1")
        for statement, parameters in statements:
            [[plan]] = connection.exec_driver_sql(
                "EXPLAIN (ANALYZE, FORMAT JSON) " + statement, parameters
            ).all()
            for node in _nodes(plan[0]["Plan"]):
                table = node.get("Relation Name")
                if table not in HOT_TABLES:
                    continue
                loops = node.get("Actual Loops", 1)
                read = (node.get("Actual Rows", 0) + node.get("Rows Removed by Filter", 0)) * loops
                if node["Node Type"] == "Seq Scan" or read > sizes[table] / 2:
                    found.append((statement[statement.upper().find("FROM") :][:300], node["Node Type"], read))
        connection.rollback()
    return found


def _nodes(plan):
    yield plan
    for child in plan.get("Plans", []):
        yield from _nodes(child)


def _rows_read(plan, table):
    """Rows an explained plan read from ``table``: those kept and those its filters removed."""
    return sum(
        (node.get("Actual Rows", 0) + node.get("Rows Removed by Filter", 0)) * node.get("Actual Loops", 1)
        for node in _nodes(plan[0]["Plan"])
        if node.get("Relation Name") == table
    )


def test_planning_an_order_and_sending_a_batch_never_scan_orders_or_messages(seeded):
    db, store_id = seeded
    with db.session() as session:
        ids = list(session.scalars(select(Order.id).where(Order.store_id == store_id).limit(300)))

    def plan_orders():
        for order_id in ids[:20]:
            with db.session() as session:
                store = session.get(Store, store_id)
                reconcile.refresh_related(session, store, [session.get(Order, order_id)])
        with db.session() as session:  # a worker's batch of deliveries: many orders at once
            store = session.get(Store, store_id)
            reconcile.refresh_related(session, store, reconcile.orders_of(session, store, ids[20:300]))

    def send_a_batch():
        clock.advance(timedelta(days=3))
        with db.session() as session:
            leased = outbox.claim(session, "w1", 50, timedelta(minutes=2))
            claimed = outbox.fenced(session, [message_id for message_id, _ in leased], "w1")
            assert claimed, "nothing was due: the test would prove nothing"
            store = session.get(Store, claimed[0].store_id)
            reconcile.recheck(session, store, [m for m in claimed if m.store_id == store.id])
            billing.sent_this_month(session, store)  # the plan's volume, counted before every batch

    statements = _statements(db, plan_orders) + _statements(db, send_a_batch)
    touching = [s for s in statements if any(f" {table}" in s[0] for table in HOT_TABLES)]
    assert len(touching) > 30  # the recording itself works
    assert _scans(db, statements) == []
    with db.session() as session:
        assert session.query(Message).count() > 5000


def test_a_whole_store_plan_reads_each_chunks_messages_by_order(fresh_postgres, tmp_path):
    """A store's first whole plan writes a message or more an order in one transaction, which
    autovacuum cannot see before the commit; the later chunks' messages are still read through the
    order index, not by filtering every message of the store through the chunk's ids (with the
    statistics of an empty table each chunk read more than the one before)."""
    app = create_app(settings_for(fresh_postgres, tmp_path))
    db = services(app).db
    clock.freeze(common.NOW)
    store_id = common.store(db)
    common.seed(db, store_id, 6000, now=common.NOW, rng=random.Random(1))  # analysed with no messages
    try:
        with db.session() as session:
            store = session.get(Store, store_id)
            journey_apply.replan_all(session, store, common.NOW - timedelta(days=45))
            total = session.query(Message).count()
            ids = list(session.scalars(select(Order.id).where(Order.store_id == store_id).limit(500)))
            [[plan]] = session.connection().exec_driver_sql(
                "EXPLAIN (ANALYZE, FORMAT JSON) SELECT order_id, dedupe_key, status FROM messages "
                "WHERE store_id = %s AND order_id = ANY(%s)",
                (store_id, ids),
            )
            read = sum(
                node.get("Actual Rows", 0) + node.get("Rows Removed by Filter", 0)
                for node in _nodes(plan[0]["Plan"])
                if node.get("Relation Name") == "messages"
            )
            found = session.execute(
                select(func.count()).where(Message.store_id == store_id, Message.order_id.in_(ids))
            ).scalar()
        assert total > 6000 and found  # the plan wrote the store's messages; the chunk has some
        assert read < total / 2, f"read {read} of {total} messages for {found}"
    finally:
        db.dispose()


_ITEM = {"weight": 1.0, "orders": 1, "recent_orders": 0, "buyers": 1, "rebuyers": 0, "cutoff": 0.0}
_PAIR = {"weight": 1.0, "orders": 2, "score": 0.5}


def test_ranking_a_contact_reads_only_their_seeds_items(fresh_postgres, tmp_path):
    """The neighbours of a contact's twenty seeds are read with those seeds' own items (for the pairs'
    cutoffs and weights), not beside every item of the store: told only of the pairs' seeds,
    PostgreSQL hashed all 3,600 items of bench.recommend's store for every order it learnt. Planned
    as PostgreSQL plans it by default (the defect was its own choice, which ``_scans``' pricing of
    reads hides)."""
    app = create_app(settings_for(fresh_postgres, tmp_path))
    db = services(app).db
    store_id = common.store(db)
    products = [f"p{n:05}" for n in range(4000)]
    rng = random.Random(3)
    try:
        with db.session() as session:
            session.execute(
                insert(RecommendItem),
                [{"store_id": store_id, "product_external_id": p, **_ITEM} for p in products],
            )
            session.execute(
                insert(RecommendPair),
                [
                    {"store_id": store_id, "product_external_id": a, "other_external_id": b, **_PAIR}
                    for a in products
                    for b in rng.sample(products, 30)
                    if a != b
                ],
            )
        with db.engine.connect() as connection:
            connection.execute(text("ANALYZE"))
            connection.commit()
        seeds = products[:20]
        with db.session() as session:
            statement = ranking._statements(session).neighbours.compile(session.get_bind())
            [[plan]] = (
                session.connection()
                .exec_driver_sql(
                    "EXPLAIN (ANALYZE, FORMAT JSON) " + str(statement), {"store_id": store_id, "ids": seeds}
                )
                .all()
            )
        read = _rows_read(plan, "recommend_items")
        pairs = sum(
            node.get("Actual Rows", 0) * node.get("Actual Loops", 1)
            for node in _nodes(plan[0]["Plan"])
            if node.get("Relation Name") == "recommend_pairs"
        )
        assert pairs >= 20 * 29  # the seeds' pairs were read
        assert read <= 2 * len(seeds), f"read {read} of {len(products)} items for {len(seeds)} seeds"
    finally:
        db.dispose()


def test_learning_a_new_stores_burst_reads_each_order_a_few_times(fresh_postgres, tmp_path):
    """A new store's first orders arrive in a burst, before autovacuum has looked at the tables: the
    planner still believes ``orders`` is empty. ``model.learn`` must read by parameters it knows, not
    by a subquery it would join row by row: learning a batch through "the contacts of these orders"
    as a subquery, PostgreSQL joined every order of the store to every other (68 s for one batch of
    200 at 3,300 orders, in bench.ingest's worker)."""
    app = create_app(settings_for(fresh_postgres, tmp_path))
    db = services(app).db
    try:
        clock.freeze(common.NOW)
        store_id = common.store(db)
        with db.engine.connect() as connection:
            for table in ("orders", "order_lines"):  # the tables as a new store's are: empty, analysed
                connection.execute(text(f"ALTER TABLE {table} SET (autovacuum_enabled = off)"))
            connection.execute(text("ANALYZE"))
            connection.commit()
        common.seed(db, store_id, 3000, now=common.NOW, rng=random.Random(3), analysed=False)
        with db.session() as session:
            total = session.scalar(select(func.count()).where(Order.store_id == store_id))
            batch = list(
                session.scalars(
                    select(Order.id).where(Order.store_id == store_id).order_by(Order.id.desc()).limit(200)
                )
            )

        def learn_a_batch():
            with db.session() as session:
                assert model.learn(session, session.get(Store, store_id), batch)  # it learnt something

        read = 0
        statements = [s for s in _statements(db, learn_a_batch) if " orders" in s[0]]
        assert statements, "learn read no orders: the test would prove nothing"
        with db.engine.connect() as connection:
            for statement, parameters in statements:
                [[plan]] = connection.exec_driver_sql(
                    "EXPLAIN (ANALYZE, FORMAT JSON) " + statement, parameters
                ).all()
                read += _rows_read(plan, "orders")
            connection.rollback()
        assert read <= 3 * total, f"read {read} order rows to learn {len(batch)} of {total} orders"
    finally:
        db.dispose()
