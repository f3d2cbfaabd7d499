"""Fixtures: every database test runs against SQLite and PostgreSQL (APScheduler's habit of one
suite over every backend), unless marked ``any_database``. Each pytest-xdist worker makes its own
databases once: a migrated SQLite file copied for each test, and a PostgreSQL database on the server
named by AFTERCARE_TEST_POSTGRES_URL emptied before each test. AFTERCARE_TEST_BACKENDS=sqlite narrows
a local run to SQLite."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from cryptography.fernet import Fernet
from flask import Flask

from app import Services, clock, create_app, services
from app.migrate import upgrade
from app.models import Base
from tests.fakes.serve import serving
from tests.fakes.smtp import SmtpSink

os.environ["AFTERCARE_CONFIG"] = "/nonexistent/aftercare-tests.toml"  # never read a developer's config.toml
for _name in [name for name in os.environ if name.startswith("AFTERCARE_") and name != "AFTERCARE_CONFIG"]:
    if not _name.startswith("AFTERCARE_TEST_"):
        del os.environ[_name]

POSTGRES_URL = os.environ.get("AFTERCARE_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
BACKENDS = [
    name.strip() for name in os.environ.get("AFTERCARE_TEST_BACKENDS", "sqlite,postgresql").split(",")
]
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "main")  # gw0, gw1, ... under pytest-xdist
ENCRYPTION_KEY = Fernet.generate_key().decode()
SECRET_KEY = "test-secret-key-" + "x" * 32


# The one database of a test marked ``any_database``: SQLite, the cheaper, unless narrowed away.
ANY_DATABASE = "sqlite" if "sqlite" in BACKENDS else BACKENDS[0]
# Started first: pytest-xdist hands tests out in collection order, so the month's minutes overlap the
# rest of the suite instead of trailing it. ``slow`` tests go longest first by their ``seconds``.
LONGEST_FIRST = ("slow", "processes", "browser")


@pytest.hookimpl(tryfirst=True)
def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """A test marked ``any_database`` gets one ``backend`` instead of each: its database only holds
    the rows the code under test reads (a store for a layout, say), so a second run tests nothing new."""
    if metafunc.definition.get_closest_marker("any_database") and "backend" in metafunc.fixturenames:
        # Before the fixture's own parametrisation, which steps aside for an explicit one.
        metafunc.definition.add_marker(pytest.mark.parametrize("backend", [ANY_DATABASE], indirect=True))


def pytest_itemcollected(item: pytest.Item) -> None:
    if "chromium" in getattr(item, "fixturenames", ()):
        item.add_marker("browser")  # before ``-m`` selects, so ``-m "not browser"`` sees it


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    def rank(item: pytest.Item) -> tuple[int, float]:
        marks = {mark.name: mark for mark in item.iter_markers()}
        kind = next((n for n, name in enumerate(LONGEST_FIRST) if name in marks), len(LONGEST_FIRST))
        seconds = marks["slow"].kwargs.get("seconds", 60) if "slow" in marks else 0
        return kind, -seconds

    # Each worker holds the test after the one it runs, so the two longest must be first, one per worker:
    # a long test queued behind another waits for the whole of it.
    items.sort(key=rank)  # stable: otherwise as pytest ordered them


class PostgresDatabase:
    """One migrated database for a whole worker, emptied before each test by ``DELETE`` (5-8 ms, where
    ``TRUNCATE`` took 0.3-0.4 s a test) with its id sequences restarted, so ids begin at 1 as on SQLite."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.connection = psycopg.connect(url, autocommit=True)
        with self.connection.execute(
            "SELECT schemaname, sequencename FROM pg_sequences WHERE schemaname = 'public'"
        ) as cursor:
            sequences = [f'"{schema}"."{name}"' for schema, name in cursor]
        tables = [table.name for table in reversed(Base.metadata.sorted_tables)]  # children first
        deletes = [f'DELETE FROM "{table}"' for table in tables]  # noqa: S608 (our own table names)
        restarts = ", ".join(f"setval('{sequence}', 1, false)" for sequence in sequences)
        self.empty_sql = "; ".join([*deletes, f"SELECT {restarts}" if restarts else "SELECT 1"])

    def empty(self) -> None:
        self.connection.execute(self.empty_sql)

    def close(self) -> None:
        self.connection.close()


def _create_database(admin: psycopg.Connection, name: str) -> str:
    """A new, migrated database on the test server; returns its URL. A test database need not
    survive a power cut, so its commits do not wait for the WAL to reach the disk (6.6 ms a commit
    here, 0.4 ms without): locking and visibility are PostgreSQL's as ever."""
    admin.execute(f'CREATE DATABASE "{name}"')
    admin.execute(f'ALTER DATABASE "{name}" SET synchronous_commit = off')
    url = POSTGRES_URL.rsplit("/", 1)[0] + "/" + name
    upgrade(url)
    return url


def _connect_admin() -> psycopg.Connection:
    try:
        return psycopg.connect(POSTGRES_URL, autocommit=True, connect_timeout=10)
    except psycopg.OperationalError as exc:
        pytest.fail(
            f"PostgreSQL is not reachable at {POSTGRES_URL} ({exc}). Start it, point "
            "AFTERCARE_TEST_POSTGRES_URL at one, or run only SQLite with AFTERCARE_TEST_BACKENDS=sqlite.",
            pytrace=False,
        )


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A migrated SQLite file, copied for each test (0.2 ms a copy)."""
    template = tmp_path_factory.mktemp("sqlite") / "template.db"
    upgrade(f"sqlite:///{template}")
    return str(template)


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[PostgresDatabase]:
    """This worker's own migrated PostgreSQL database, created once and dropped at the end; named by
    the xdist worker and a random suffix, so parallel workers and other sessions on the server never
    share one."""
    name = f"aftercare_test_{WORKER}_{uuid.uuid4().hex[:8]}"
    admin = _connect_admin()
    database: PostgresDatabase | None = None
    try:
        database = PostgresDatabase(_create_database(admin, name))
        yield database
    finally:
        if database is not None:
            database.close()
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> tuple[str, str]:
    """The database a test runs on: ("sqlite", template file) or ("postgresql", url). Each is made
    once per worker by the fixtures above, so moving between the two parameters costs nothing."""
    if request.param == "sqlite":
        return "sqlite", request.getfixturevalue("sqlite_template")
    return "postgresql", request.getfixturevalue("postgres_database").url


@pytest.fixture
def fresh_postgres() -> Iterator[str]:
    """An empty, migrated PostgreSQL database of its own, for tests about PostgreSQL itself."""
    if "postgresql" not in BACKENDS:
        pytest.skip("AFTERCARE_TEST_BACKENDS leaves out PostgreSQL")
    name = f"aftercare_one_{uuid.uuid4().hex[:10]}"
    with _connect_admin() as admin:
        try:
            yield _create_database(admin, name)
        finally:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def database_url(backend: tuple[str, str], request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A clean database for one test."""
    kind, ref = backend
    if kind == "sqlite":
        path = tmp_path / "aftercare.db"
        shutil.copyfile(ref, path)
        return f"sqlite:///{path}"
    request.getfixturevalue("postgres_database").empty()
    return ref


def settings_for(database_url: str, tmp_path: Path, **overrides: object) -> dict[str, object]:
    return {
        "database_url": database_url,
        "secret_key": SECRET_KEY,
        "encryption_keys": [ENCRYPTION_KEY],
        "environment": "test",
        "outbox_dir": str(tmp_path / "outbox"),
        "review_photos_dir": str(tmp_path / "review-photos"),
        "public_url": "http://127.0.0.1:8000",
        **overrides,
    }


@pytest.fixture
def app(database_url: str, tmp_path: Path) -> Iterator[Flask]:
    application = create_app(settings_for(database_url, tmp_path))
    yield application
    services(application).db.dispose()


@pytest.fixture
def aftercare(app: Flask) -> Services:
    return services(app)


@pytest.fixture(autouse=True)
def _real_clock() -> Iterator[None]:
    clock.reset()
    yield
    clock.reset()


@pytest.fixture
def smtp() -> Iterator[SmtpSink]:
    sink = SmtpSink().start()
    yield sink
    sink.stop()


@pytest.fixture
def live_server(app: Flask) -> Iterator[str]:
    """The app served over real HTTP on a loopback port; yields its base URL."""
    with serving(app) as url:
        yield url


CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    """Debian's Chromium driven by Playwright (never a downloaded browser)."""
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium package", pytrace=False)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield browser
        browser.close()
