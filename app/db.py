"""Engine and sessions for SQLite (the embedded default) and PostgreSQL, through the same code.

SQLite is tuned for one web and one worker process sharing a file: WAL so readers never block the
writer, foreign keys on, a busy timeout, ``BEGIN IMMEDIATE`` so that a transaction that reads then
writes takes the write lock up front instead of failing with ``database is locked`` half way, and the
log's checkpoints left to the worker's commits (``Database.leave_checkpoints_to_the_worker``).
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar, cast

from sqlalchemy import CursorResult, DateTime, Engine, Result, Table, create_engine, event, exc, text
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.sql.schema import CallableColumnDefault
from sqlalchemy.types import TypeDecorator

SQLITE_BUSY_TIMEOUT_SECONDS = 30
# SQLite moves the log back into the database file (a checkpoint) in the commit that takes it past
# this many pages: the worker's, as SQLite's default. The web's is far larger (``leave_checkpoints_to
# _the_worker``), a last resort should no worker run for hours: about 1 GB of log.
SQLITE_CHECKPOINT_PAGES = 1000
SQLITE_WEB_CHECKPOINT_PAGES = 262_144
# SQLITE_BUSY_SNAPSHOT, and SQLITE_BUSY for a reader that may not wait for the write lock
SQLITE_STALE = frozenset({517, 5})
DEFERRED_OPTION = "aftercare_deferred"
# A pooled PostgreSQL connection idle this long is pinged before use (the server may have restarted or
# a firewall dropped it); one used a moment ago is not: a ping is a round trip, as dear as the INSERT
# that is all a webhook request writes.
PING_AFTER_IDLE_SECONDS = 10.0
# ``Statistics``: a table's statistics are refreshed in a long transaction after this many rows at least.
ANALYZE_AFTER_ROWS = 500


class Base(DeclarativeBase):
    """Declarative base of every model."""

    if TYPE_CHECKING:
        # Every model here maps a Table (SQLAlchemy types it as any FromClause), and the bulk writes
        # hand ``Model.__table__`` to Core's insert and update.
        __table__: ClassVar[Table]


class UTCDateTime(TypeDecorator[datetime]):
    """Stores UTC (naive in SQLite, ``timestamptz`` in PostgreSQL) and always returns aware UTC."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column; use app.clock.now()")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def normalise_url(url: str) -> str:
    """Use psycopg 3 for PostgreSQL whatever driver the URL names (or none)."""
    if url.startswith("postgresql://"):
        return "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return url


def make_engine(url: str, tuning: dict[str, int] | None = None, **kwargs: Any) -> Engine:
    """An engine configured for ``url``'s dialect. Creates the SQLite file's folder if needed.
    ``tuning`` (SQLite) is read as each connection opens: ``checkpoint_pages``."""
    url = normalise_url(url)
    if url.startswith("sqlite"):
        path = url.split(":///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS}, **kwargs)
        _tune_sqlite(engine, {} if tuning is None else tuning)
        return engine
    engine = create_engine(url, **kwargs)
    _ping_when_idle(engine)
    return engine


def _ping_when_idle(engine: Engine) -> None:
    """SQLAlchemy's ``pool_pre_ping``, only for connections that sat idle (its documented pessimistic
    pattern: a failed ping raises ``DisconnectionError`` and the pool connects afresh)."""

    @event.listens_for(engine, "checkin")
    def _on_checkin(_dbapi_connection: Any, record: Any) -> None:
        record.info["returned_at"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _on_checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        returned = record.info.get("returned_at")
        if returned is None or time.monotonic() - returned < PING_AFTER_IDLE_SECONDS:
            return
        try:
            alive = engine.dialect.do_ping(dbapi_connection)
        except Exception as error:  # noqa: BLE001 - any failure means the connection is gone
            raise exc.DisconnectionError(str(error)) from error
        if not alive:
            raise exc.DisconnectionError("the connection did not answer a ping")


def _tune_sqlite(engine: Engine, tuning: dict[str, int]) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control away from the driver so that BEGIN IMMEDIATE below is ours.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_SECONDS * 1000}")
        cursor.execute(f"PRAGMA wal_autocheckpoint={tuning.get('checkpoint_pages', SQLITE_CHECKPOINT_PAGES)}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        # ``Database.reading``: a snapshot that takes the write lock only when it first writes
        deferred = connection.get_execution_options().get(DEFERRED_OPTION, False)
        connection.exec_driver_sql("BEGIN DEFERRED" if deferred else "BEGIN IMMEDIATE")


class Snapshot(Exception):
    """A ``Database.reading`` transaction that was to write read a snapshot another commit replaced."""


class Database:
    """One engine and its session factory; ``init_app`` attaches it to a Flask app."""

    def __init__(self, url: str, **engine_kwargs: Any) -> None:
        self.tuning: dict[str, int] = {}
        self.engine = make_engine(url, self.tuning, **engine_kwargs)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)

    def leave_checkpoints_to_the_worker(self) -> None:
        """For the web's processes (SQLite; nothing on PostgreSQL): the commit that finds SQLite's
        log past its limit copies the log into the database file and syncs it before it returns,
        and in a webhook request that made the slowest answers on a store of 100,000 orders (p99
        55-65 ms; 24 ms without). The worker's commits take that turn instead, as often as before;
        the web checkpoints only past ``SQLITE_WEB_CHECKPOINT_PAGES``, should no worker run."""
        if self.dialect != "sqlite":
            return
        self.tuning["checkpoint_pages"] = SQLITE_WEB_CHECKPOINT_PAGES
        self.engine.dispose()  # a connection opened already is opened again, with the new limit

    @functools.cached_property
    def autocommit(self) -> Engine:
        """The same pool, each statement its own transaction: for a write that is one statement,
        which then costs one round trip instead of BEGIN, the statement and COMMIT."""
        return self.engine.execution_options(isolation_level="AUTOCOMMIT")

    @functools.cached_property
    def unsynced(self) -> Engine | None:
        """PostgreSQL only (None on SQLite): a small pool of its own whose statements commit one by
        one without waiting for the disk (``synchronous_commit = off``), for a record that must be
        written at once and cheaply (a send's outcome): one round trip instead of BEGIN, SET, the
        statement and COMMIT. Such a commit is lost only if the database server itself crashes in
        the instant after it; it is never half-applied."""
        if self.dialect != "postgresql":
            return None
        engine = create_engine(
            self.engine.url,
            connect_args={"options": "-c synchronous_commit=off"},
            pool_size=1,
            max_overflow=2,
            isolation_level="AUTOCOMMIT",
        )
        _ping_when_idle(engine)
        return engine

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session in a transaction: committed on success, rolled back on any error."""
        with self.sessions() as session, session.begin():
            yield session

    @contextmanager
    def reading(self) -> Iterator[Session]:
        """``session``, but on SQLite in a transaction that takes the database's one write lock only
        when it first writes (``BEGIN DEFERRED``), so that it holds no writer back while it reads.
        Should another connection have committed since it began reading, that first write fails at
        once with ``Snapshot`` (SQLite's ``SQLITE_BUSY_SNAPSHOT``: its reads may be out of date),
        and the work is to be done again in ``session``. The same as ``session`` on PostgreSQL."""
        if self.dialect != "sqlite":
            with self.session() as session:
                yield session
            return
        with self.sessions(bind=self._deferred) as session:
            try:
                with session.begin():
                    yield session
            except exc.OperationalError as error:
                if getattr(error.orig, "sqlite_errorcode", None) in SQLITE_STALE:
                    raise Snapshot(str(error.orig)) from error
                raise

    @functools.cached_property
    def _deferred(self) -> Engine:
        return self.engine.execution_options(**{DEFERRED_OPTION: True})

    def dispose(self) -> None:
        self.engine.dispose()
        if "unsynced" in self.__dict__ and self.unsynced is not None:
            self.unsynced.dispose()


class Statistics:
    """PostgreSQL's statistics of ``table`` kept current while one long transaction writes many of its
    rows (a whole store planned at once writes a message or more an order, and reads the messages of
    each next chunk): autovacuum never sees rows not yet committed, and with the statistics of an
    empty table the planner read a chunk's messages by the store alone, filtering every row of the
    store through the chunk's 500 ids, so each chunk cost more than the last. ``ANALYZE`` in the
    transaction itself counts the transaction's own rows; it runs once the rows written since exceed
    what the statistics knew of (at least ``ANALYZE_AFTER_ROWS``), so they are never off by more than
    half and a store costs a handful of ANALYZEs. It takes the table's analyse lock without waiting:
    another transaction analysing it (another store's re-plan) is left to it, never waited for, so
    two re-plans cannot deadlock on it. Nothing on SQLite, whose planner does not need them."""

    def __init__(self, session: Session, table: str) -> None:
        self.session = session
        self.table = table
        self.enabled = session.get_bind().dialect.name == "postgresql"
        self.known = self._known() if self.enabled else 0.0
        self.written = 0

    def wrote(self, rows: int) -> None:
        """``rows`` more of the table's rows written in this transaction; analyse it when due."""
        if not self.enabled:
            return
        self.written += rows
        if self.written < max(ANALYZE_AFTER_ROWS, self.known):
            return
        if self._analyze():
            self.written = 0
            self.known = self._known()

    def _known(self) -> float:
        found = self.session.execute(
            text("SELECT reltuples FROM pg_class WHERE oid = CAST(:table AS regclass)"), {"table": self.table}
        ).scalar()
        return max(0.0, float(found or 0))  # -1: never analysed

    def _analyze(self) -> bool:
        try:
            with self.session.begin_nested():
                self.session.execute(text(f"LOCK TABLE {self.table} IN SHARE UPDATE EXCLUSIVE MODE NOWAIT"))
                self.session.execute(text(f"ANALYZE {self.table}"))
        except exc.OperationalError:  # another transaction holds it: its ANALYZE will do
            return False
        return True


def insert_ignore(session: Session, model: type[Base], values: dict[str, Any]) -> bool:
    """INSERT a row unless a unique constraint already holds one like it; True when inserted.

    Uses each dialect's ON CONFLICT DO NOTHING, so concurrent writers never see an IntegrityError
    and the transaction stays usable. The statement is built once per table and set of columns and
    given the values at execution, so SQLAlchemy compiles it once (it runs for every row ingested).
    """
    table = model.__table__
    # the defaults given as values: one statement a set of columns, whichever were left out
    values = {**_defaults(table, values), **values}
    statement = _insert_ignoring(session.get_bind().dialect.name, table, tuple(sorted(values)))
    # RETURNING rather than rowcount: psycopg reports -1 for some single-row inserts.
    return session.execute(statement, values).first() is not None


def insert_many(
    session: Session, table: Table, rows: Sequence[dict[str, Any]], returning: Sequence[str]
) -> list[Any]:
    """Insert ``rows`` (each naming the same columns; a column left out gets its default) in the
    session's transaction, skipping any a unique constraint already holds (ON CONFLICT DO NOTHING);
    ``returning``'s columns of each row inserted, in no set order.

    On PostgreSQL one ``INSERT ... SELECT FROM unnest(...)`` of one array a column: a statement of one
    short, fixed text whatever the number of rows, which psycopg prepares once. A VALUES list is a new
    text for each number of rows and long: 200 orders made 149 KB of SQL, whose placeholders psycopg
    spent 90 ms converting, every batch, longer than PostgreSQL took to run it. Each value goes through
    its column type's bind processing, as SQLAlchemy's own insert would (a naive time is refused)."""
    if not rows:
        return []
    defaults = _defaults(table, rows[0])
    values = [{**defaults, **row} for row in rows] if defaults else rows
    dialect = session.get_bind().dialect
    if dialect.name != "postgresql":
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        statement = sqlite_insert(table).on_conflict_do_nothing().returning(*(table.c[n] for n in returning))
        return list(session.execute(statement, values).all())
    columns = tuple(values[0])
    arrays = []
    for name in columns:
        process = table.c[name].type.bind_processor(dialect)
        column = [row[name] for row in values]
        arrays.append([process(value) for value in column] if process else column)
    sql = _unnest_insert(table, columns, tuple(returning))
    return list(session.connection().exec_driver_sql(sql, tuple(arrays)).all())


def _defaults(table: Table, given: dict[str, Any]) -> dict[str, Any]:
    """The Python-side defaults (``clock.now`` for the timestamps, a scalar) of the columns not given."""
    found: dict[str, Any] = {}
    for column in table.columns:
        default = column.default
        if column.key in given or default is None:
            continue
        if isinstance(default, CallableColumnDefault):
            # The context is unused: every callable default here takes none (``clock.now``, say).
            found[column.key] = default.arg(None)  # type: ignore[arg-type]
        elif default.is_scalar:
            found[column.key] = default.arg  # type: ignore[attr-defined]
    return found


@functools.cache
def _unnest_insert(table: Table, columns: tuple[str, ...], returning: tuple[str, ...]) -> str:
    from sqlalchemy.dialects import postgresql

    dialect = postgresql.dialect()
    arrays = ", ".join(f"%s::{table.c[name].type.compile(dialect=dialect)}[]" for name in columns)
    return (
        f"INSERT INTO {table.name} ({', '.join(columns)}) SELECT * FROM unnest({arrays}) "  # noqa: S608 - our own names
        f"ON CONFLICT DO NOTHING RETURNING {', '.join(returning)}"
    )


def affected(result: Result[Any]) -> int:
    """The rows an UPDATE or DELETE run by ``Session.execute`` matched. The session types what it
    returns as any Result; for those statements it is a CursorResult, which counts them."""
    return cast(CursorResult[Any], result).rowcount


@functools.lru_cache(maxsize=256)
def _insert_ignoring(dialect: str, table: Any, columns: tuple[str, ...]) -> Any:
    from sqlalchemy.dialects.postgresql import insert as pg_insert
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    return insert(table).on_conflict_do_nothing().returning(*table.primary_key.columns)


def among_bound(dialect: str, column: Any, name: str) -> Any:
    """``among`` for a statement built once and given its values when run (``{name: [...]}``):
    building a statement costs more than running it against an index, and a planner's load runs a
    dozen of them."""
    from sqlalchemy import any_, bindparam

    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import ARRAY

        return column == any_(bindparam(name, type_=ARRAY(column.type)))
    return column.in_(bindparam(name, expanding=True))


Built = TypeVar("Built")


def per_dialect(build: Callable[[str], Built]) -> Callable[[Session], Built]:
    """``build(dialect)`` made once per dialect and handed to each session of that dialect: for the
    statements a hot path builds once (with ``among_bound``) and binds its values to when run."""
    once = functools.cache(build)

    def for_session(session: Session) -> Built:
        return once(session.get_bind().dialect.name)

    return for_session


def among(session: Session, column: Any, values: Any) -> Any:
    """``column IN values``, written so a batch of thousands stays one cheap statement: on PostgreSQL
    one array parameter (``= ANY(%s)``; an expanded ``IN`` of thousands of placeholders costs more to
    prepare than to run), elsewhere the usual ``IN``."""
    values = list(values)
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy import any_, bindparam
        from sqlalchemy.dialects.postgresql import ARRAY

        return column == any_(bindparam(None, values, type_=ARRAY(column.type)))
    return column.in_(values)


def bulk_insert(session: Session, table: Any, rows: list[tuple[Any, ...]], columns: Sequence[str]) -> None:
    """Insert many plain rows (values in ``columns`` order) in the session's transaction, past the
    ORM's per-row parameter building, which costs more than the insert itself at 100,000 rows:
    PostgreSQL's COPY, elsewhere the driver's own executemany, each value through its column type's
    bind processing as SQLAlchemy's insert would (sqlite3 takes no Decimal, and stores an aware time
    in another form than the ORM's)."""
    if not rows:
        return
    connection = session.connection()
    names = ", ".join(columns)
    if connection.dialect.name == "postgresql":
        cursor = connection.connection.cursor()
        with cursor.copy(f"COPY {table.name} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        return
    processors = [table.c[name].type.bind_processor(connection.dialect) for name in columns]
    if any(processors):
        rows = [
            tuple(
                value if process is None else process(value)
                for process, value in zip(processors, row, strict=True)
            )
            for row in rows
        ]
    marks = ", ".join("?" for _ in columns)
    connection.connection.cursor().executemany(f"INSERT INTO {table.name} ({names}) VALUES ({marks})", rows)  # noqa: S608 - our own table and column names
