"""Rows that many request threads insert at once, written together: one statement, one commit.

A webhook request may answer only once its delivery is durable, but a transaction of its own per
request costs each delivery a BEGIN and a COMMIT (a flush of PostgreSQL's log to the disk) and, on
SQLite, a turn at the database's one write lock, which the other threads wait for inside SQLite's busy
handler, sleeping in steps of up to 100 ms (measured: p99 157 ms at 900 deliveries a second, a third
of the request threads' time spent in ``BEGIN IMMEDIATE``). Here the first thread to arrive writes its
row and every row queued meanwhile in one ``INSERT ... ON CONFLICT DO NOTHING RETURNING``, and each
thread returns once its own row is committed (or with the error that stopped it).

On SQLite the writers of every process sharing the file also take turns through an exclusive
``flock`` on a file beside it, held for the one statement: the kernel wakes the next writer the
moment the lock is free, where two web processes meeting at SQLite's own lock wait in its busy
handler, which sleeps and tries again in steps of up to 100 ms (p99 120-380 ms at 1,100 deliveries a
second from two gunicorn processes). Only these one-statement writes take it, so it can never be
held by a transaction waiting for another.

There is no thread of its own: the writer is always one of the waiting request threads, the oldest,
so nothing runs after a request has been answered and nothing is left behind at a fork or a shutdown.
A batch the database refuses as a whole (a row naming a store deleted a moment ago) is written again
row by row, so one bad row fails only its own request.
"""

from __future__ import annotations

import fcntl
import logging
import os
import threading
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError

from app.db import Database

log = logging.getLogger(__name__)

LIMIT = 64  # rows in one statement: a request thread waits for at most this many before its own


@dataclass(eq=False)
class _Row:
    values: dict[str, Any]
    woken: threading.Event = field(default_factory=threading.Event)
    written: bool = False
    result: int | None = None
    error: BaseException | None = None


class GroupInsert:
    """Inserts into ``table``, which has a unique key on ``key`` and an integer ``id``: ``insert``
    returns the new row's id, or None when a row with the same key exists (a delivery sent twice)."""

    def __init__(self, db: Database, table: Table, key: tuple[str, ...]) -> None:
        self.db = db
        self.key = key
        insert = pg_insert if db.dialect == "postgresql" else sqlite_insert
        columns = [table.c.id, *(table.c[name] for name in key)]
        self.statement = insert(table).on_conflict_do_nothing().returning(*columns)
        self._lock = threading.Lock()
        self._queue: list[_Row] = []
        self._writing = False
        database = db.engine.url.database if db.dialect == "sqlite" else None
        self.turns_path = f"{database}-writers.lock" if database and database != ":memory:" else None
        self._turns: tuple[int, int] | None = None  # (process id, descriptor): a fork opens its own

    @property
    def waiting(self) -> int:
        """Rows queued behind the one being written now."""
        with self._lock:
            return len(self._queue)

    def insert(self, values: dict[str, Any]) -> int | None:
        row = _Row(values)
        with self._lock:
            self._queue.append(row)
            lead, self._writing = not self._writing, True
        if lead:
            self._write_queued()
        while not row.written:
            row.woken.wait()
            row.woken.clear()
            if not row.written:  # the oldest waiting: it writes next
                self._write_queued()
        if row.error is not None:
            raise row.error
        return row.result

    def _write_queued(self) -> None:
        """Write the oldest queued rows (the caller's among them), then hand the writing to the
        oldest row still waiting, or stop."""
        with self._lock:
            batch, self._queue = self._queue[:LIMIT], self._queue[LIMIT:]
        try:
            self._write(batch)
        finally:
            for row in batch:
                row.written = True
                row.woken.set()
            with self._lock:
                if self._queue:
                    self._queue[0].woken.set()
                else:
                    self._writing = False

    def _write(self, batch: list[_Row]) -> None:
        try:
            self._execute(batch)
        except IntegrityError as exc:  # one row the database refuses: find it, write the others
            if len(batch) == 1:
                batch[0].error = exc
                return
            log.warning("a batch of %d rows was refused (%s); writing them one by one", len(batch), exc)
            for row in batch:
                try:
                    self._execute([row])
                except IntegrityError as alone:
                    row.error = alone
        except BaseException as exc:  # noqa: BLE001 - the database itself: each request raises it
            for row in batch:
                row.error = exc

    def _execute(self, batch: list[_Row]) -> None:
        """One statement for the batch; a row whose key is already stored, or repeats an earlier
        row's in the same batch, gets None."""
        firsts: dict[tuple[Any, ...], _Row] = {}
        for row in batch:
            firsts.setdefault(tuple(row.values[name] for name in self.key), row)
        values = [row.values for row in firsts.values()]
        if self.db.dialect == "sqlite":  # BEGIN IMMEDIATE: the writer's lock discipline (app.db)
            with self._turn(), self.db.engine.begin() as connection:
                stored = connection.execute(self.statement, values).all()
        else:
            with self.db.autocommit.connect() as connection:
                stored = connection.execute(self.statement, values).all()
        ids = {tuple(found[1:]): found[0] for found in stored}
        for row in batch:
            row.result = None
        for found_key, row in firsts.items():
            row.result = ids.get(found_key)

    @contextmanager
    def _turn(self) -> Iterator[None]:
        """This process's turn among the SQLite file's writers (nothing for an in-memory database)."""
        if self.turns_path is None:
            yield
            return
        if self._turns is None or self._turns[0] != os.getpid():
            self._turns = (os.getpid(), os.open(self.turns_path, os.O_RDWR | os.O_CREAT, 0o600))
            weakref.finalize(self, os.close, self._turns[1])  # a test's database comes and goes
        descriptor = self._turns[1]
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(descriptor, fcntl.LOCK_UN)


_WRITERS: weakref.WeakKeyDictionary[Database, dict[str, GroupInsert]] = weakref.WeakKeyDictionary()
_WRITERS_LOCK = threading.Lock()


def writer(db: Database, table: Table, key: tuple[str, ...]) -> GroupInsert:
    """The one writer of ``table`` for ``db`` in this process (an app; in tests, a test)."""
    with _WRITERS_LOCK:
        writers = _WRITERS.setdefault(db, {})
        if table.name not in writers:
            writers[table.name] = GroupInsert(db, table, key)
        return writers[table.name]
