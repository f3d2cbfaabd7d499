"""The app served over loopback HTTP on a port it knows in advance, so the links it writes (in emails,
on pages) lead back to it: for tests where a browser, a fake store or a fake customer follows them.
Import both fixtures into the test module or conftest that needs them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from app import create_app, services
from tests.conftest import settings_for
from tests.fakes.ports import free_port
from tests.fakes.serve import serving


@pytest.fixture
def app(database_url: str, tmp_path: Path) -> Iterator[Flask]:
    """The app, told that it is reachable at the port ``live_server`` will serve it on."""
    port = free_port()
    application = create_app(settings_for(database_url, tmp_path, public_url=f"http://127.0.0.1:{port}"))
    application.config["TEST_PORT"] = port
    yield application
    services(application).db.dispose()


@pytest.fixture
def live_server(app: Flask) -> Iterator[str]:
    with serving(app, app.config["TEST_PORT"]) as url:
        yield url
