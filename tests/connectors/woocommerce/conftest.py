"""A fake WooCommerce store and the app, each served over loopback HTTP, able to call each other."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from app import Services, create_app, services
from app.models import Store
from connectors.woocommerce.client import Credentials
from tests.conftest import settings_for
from tests.fakes.serve import serving
from tests.fakes.smtp import free_port
from tests.fakes.woocommerce import FakeWooCommerce, Key
from tests.helpers import make_store

CAPTURE_SITE = "http://127.0.0.1:8080"  # the store the captures were recorded from
CAPTURE_SECRET = "oboMzfVqfHKl4HBvck6X1TQAkZrweqxIePieuTXU"  # the README's webhook secret


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


@pytest.fixture
def shop() -> Iterator[FakeWooCommerce]:
    """The recorded store's orders and products, served by the fake on a loopback port."""
    fake = FakeWooCommerce()
    fake.seed_from_captures()
    with fake.serving():
        yield fake


@pytest.fixture
def shop_key(shop: FakeWooCommerce) -> Key:
    return shop.add_key()


def connected_store(aftercare: Services, shop: FakeWooCommerce, key: Key, **fields: object) -> Store:
    """A WooCommerce store row for ``shop``, as connecting it leaves one."""
    return make_store(
        aftercare,
        platform="woocommerce",
        external_id=shop.url,
        credentials=Credentials(shop.url, key.consumer_key, key.consumer_secret).to_json(),
        **fields,
    )
