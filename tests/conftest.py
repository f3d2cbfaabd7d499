"""Fixtures: every database test runs against SQLite and PostgreSQL (APScheduler's habit of one
suite over every backend). PostgreSQL gets a fresh database per test session on the server named by
AFTERCARE_TEST_POSTGRES_URL; AFTERCARE_TEST_BACKENDS=sqlite narrows a local run to SQLite."""

from __future__ import annotations

import os
import shutil
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from cryptography.fernet import Fernet
from flask import Flask
from sqlalchemy import text
from werkzeug.serving import make_server

from app import Services, clock, create_app, services
from app.db import make_engine
from app.migrate import upgrade
from app.models import Base
from tests.fakes.smtp import SmtpSink

os.environ["AFTERCARE_CONFIG"] = "/nonexistent/aftercare-tests.toml"  # never read a developer's config.toml
for _name in [name for name in os.environ if name.startswith("AFTERCARE_") and name != "AFTERCARE_CONFIG"]:
    if not _name.startswith("AFTERCARE_TEST_"):
        del os.environ[_name]

POSTGRES_URL = os.environ.get("AFTERCARE_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
BACKENDS = [
    name.strip() for name in os.environ.get("AFTERCARE_TEST_BACKENDS", "sqlite,postgresql").split(",")
]
ENCRYPTION_KEY = Fernet.generate_key().decode()
SECRET_KEY = "test-secret-key-" + "x" * 32


@pytest.fixture(scope="session", params=BACKENDS)
def backend(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, str]]:
    """A migrated, empty database for the whole session: ("sqlite", template file) or ("postgresql", url)."""
    if request.param == "sqlite":
        template = tmp_path_factory.mktemp("sqlite") / "template.db"
        upgrade(f"sqlite:///{template}")
        yield "sqlite", str(template)
        return
    name = f"aftercare_test_{uuid.uuid4().hex[:12]}"
    try:
        admin = psycopg.connect(POSTGRES_URL, autocommit=True, connect_timeout=10)
    except psycopg.OperationalError as exc:
        pytest.fail(
            f"PostgreSQL is not reachable at {POSTGRES_URL} ({exc}). Start it, point "
            "AFTERCARE_TEST_POSTGRES_URL at one, or run only SQLite with AFTERCARE_TEST_BACKENDS=sqlite.",
            pytrace=False,
        )
    admin.execute(f'CREATE DATABASE "{name}"')
    url = POSTGRES_URL.rsplit("/", 1)[0] + "/" + name
    try:
        upgrade(url)
        yield "postgresql", url
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


@pytest.fixture
def fresh_postgres() -> Iterator[str]:
    """An empty, migrated PostgreSQL database of its own, for tests about PostgreSQL itself."""
    name = f"aftercare_one_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(POSTGRES_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
        try:
            url = POSTGRES_URL.rsplit("/", 1)[0] + "/" + name
            upgrade(url)
            yield url
        finally:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def database_url(backend: tuple[str, str], tmp_path: Path) -> str:
    """A clean database for one test."""
    kind, ref = backend
    if kind == "sqlite":
        path = tmp_path / "aftercare.db"
        shutil.copyfile(ref, path)
        return f"sqlite:///{path}"
    engine = make_engine(ref)
    tables = ", ".join(f'"{table.name}"' for table in Base.metadata.sorted_tables)
    with engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    engine.dispose()
    return ref


def settings_for(database_url: str, tmp_path: Path, **overrides: object) -> dict[str, object]:
    return {
        "database_url": database_url,
        "secret_key": SECRET_KEY,
        "encryption_keys": [ENCRYPTION_KEY],
        "environment": "test",
        "outbox_dir": str(tmp_path / "outbox"),
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
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)


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
