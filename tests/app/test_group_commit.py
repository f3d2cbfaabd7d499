"""Deliveries stored by many request threads at once are committed together, each exactly once, and a
row the database refuses fails only its own request."""

from __future__ import annotations

import fcntl
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event, select, text
from sqlalchemy.exc import IntegrityError

from app import clock, group_commit, inbox
from app.db import Database
from app.models import InboxEntry
from connectors.base import Delivery
from tests.helpers import make_store


def _delivery(n: int) -> Delivery:
    return Delivery("orders/create", f"delivery-{n}", b'{"id": %d}' % n, clock.now())


@contextmanager
def _write_lock_held(db: Database) -> Iterator[None]:
    """Another transaction holds what an insert into the inbox needs, as a busy moment would."""
    with db.engine.begin() as connection:  # on SQLite, BEGIN IMMEDIATE: the one write lock
        if db.dialect == "postgresql":
            connection.execute(text("LOCK TABLE inbox IN SHARE ROW EXCLUSIVE MODE"))
        yield


@contextmanager
def _inserts_counted(db: Database) -> Iterator[list[str]]:
    statements: list[str] = []

    def seen(_conn, _cursor, statement, *_args) -> None:  # noqa: ANN001 - SQLAlchemy's event
        if statement.lstrip().upper().startswith("INSERT INTO INBOX"):
            statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", seen)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", seen)


def _in_threads(calls: list) -> tuple[list[threading.Thread], dict[int, object]]:
    answers: dict[int, object] = {}

    def run(n: int, call) -> None:  # noqa: ANN001
        try:
            answers[n] = call()
        except Exception as exc:  # noqa: BLE001 - the test reads what each request got
            answers[n] = exc

    threads = [threading.Thread(target=run, args=(n, call)) for n, call in enumerate(calls)]
    return threads, answers


def _queued(db: Database, rows: int) -> None:
    writer = group_commit.writer(db, InboxEntry.__table__, ("store_id", "delivery_id"))
    deadline = time.monotonic() + 120
    while writer.waiting < rows:
        assert time.monotonic() < deadline, f"only {writer.waiting} of {rows} requests queued"
        time.sleep(0.01)


def test_requests_arriving_while_one_is_written_are_committed_together_once_each(aftercare):
    store = make_store(aftercare)
    followers = 9
    calls = [lambda n=n: inbox.accept(aftercare.db, store.id, _delivery(n)) for n in range(followers + 1)]
    calls.append(lambda: inbox.accept(aftercare.db, store.id, _delivery(3)))  # the same delivery twice
    threads, answers = _in_threads(calls)
    with _inserts_counted(aftercare.db) as inserts:
        with _write_lock_held(aftercare.db):
            threads[0].start()  # it writes first, and waits for the lock
            time.sleep(0.2)
            for thread in threads[1:]:
                thread.start()
            _queued(aftercare.db, followers + 1)
        for thread in threads:
            thread.join(timeout=120)
    assert len(inserts) == 2  # the first request's row, then everyone who queued behind it at once
    with aftercare.db.session() as session:
        stored = dict(session.execute(select(InboxEntry.delivery_id, InboxEntry.id)).all())
    assert sorted(stored) == sorted(f"delivery-{n}" for n in range(followers + 1))
    first = range(followers + 1)
    assert [answers[n] for n in first] == [stored[f"delivery-{n}"] for n in first]  # each its own id
    assert answers[followers + 1] is None  # answered as a duplicate, not stored twice


def test_a_row_the_database_refuses_fails_only_its_own_request(aftercare):
    store = make_store(aftercare)
    good = [lambda n=n: inbox.accept(aftercare.db, store.id, _delivery(n)) for n in range(4)]
    gone = lambda: inbox.accept(aftercare.db, store.id + 1000, _delivery(99))  # noqa: E731 - no such store
    threads, answers = _in_threads([*good, gone])
    with _write_lock_held(aftercare.db):
        threads[0].start()
        time.sleep(0.2)
        for thread in threads[1:]:
            thread.start()
        _queued(aftercare.db, len(threads) - 1)
    for thread in threads:
        thread.join(timeout=120)
    assert isinstance(answers[4], IntegrityError)
    assert all(isinstance(answers[n], int) for n in range(4)), answers
    with aftercare.db.session() as session:
        assert sorted(session.scalars(select(InboxEntry.delivery_id))) == [f"delivery-{n}" for n in range(4)]


def test_many_threads_storing_many_deliveries_store_each_exactly_once(aftercare):
    """Without any lock held: whatever the interleaving, every distinct delivery once, every repeat
    answered as a duplicate."""
    store = make_store(aftercare)
    threads, per_thread = 16, 30
    numbers = [[(t * per_thread + k) % 300 for k in range(per_thread)] for t in range(threads)]  # repeats

    def many(mine: list[int]) -> list[int | None]:
        return [inbox.accept(aftercare.db, store.id, _delivery(n)) for n in mine]

    started, answers = _in_threads([lambda mine=mine: many(mine) for mine in numbers])
    for thread in started:
        thread.start()
    for thread in started:
        thread.join(timeout=300)
    given = [one for t in range(threads) for one in answers[t]]
    with aftercare.db.session() as session:
        stored = list(session.scalars(select(InboxEntry.id)))
    assert len(stored) == len({n for mine in numbers for n in mine}) == 300
    assert sorted(one for one in given if one is not None) == sorted(stored)


def test_on_sqlite_a_write_waits_for_another_processs_turn_and_goes_the_moment_it_ends(aftercare):
    """The web processes sharing a SQLite file take turns through a file lock beside it (the kernel
    wakes the next at once, where SQLite's busy handler sleeps up to 100 ms a try); PostgreSQL's
    writers need none."""
    store = make_store(aftercare)
    writer = group_commit.writer(aftercare.db, InboxEntry.__table__, ("store_id", "delivery_id"))
    if aftercare.db.dialect == "postgresql":
        assert writer.turns_path is None
        return
    assert writer.turns_path == f"{aftercare.db.engine.url.database}-writers.lock"
    other = os.open(writer.turns_path, os.O_RDWR | os.O_CREAT, 0o600)  # as another web process would
    try:
        fcntl.flock(other, fcntl.LOCK_EX)
        threads, answers = _in_threads([lambda: inbox.accept(aftercare.db, store.id, _delivery(1))])
        threads[0].start()
        threads[0].join(timeout=0.5)
        assert threads[0].is_alive() and not answers  # waiting for the other process's turn
        with aftercare.db.session() as session:
            assert session.scalar(select(InboxEntry.id)) is None
        fcntl.flock(other, fcntl.LOCK_UN)
        threads[0].join(timeout=120)
    finally:
        os.close(other)
    with aftercare.db.session() as session:
        stored = session.scalar(select(InboxEntry.id).where(InboxEntry.delivery_id == "delivery-1"))
    assert answers[0] == stored is not None
