"""A fake WooCommerce store and the app, each served over loopback HTTP, able to call each other."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from app import Services
from app.models import Store
from connectors.woocommerce.client import Credentials
from tests.fakes.woocommerce import FakeWooCommerce, Key
from tests.helpers import make_store
from tests.live import app, live_server  # noqa: F401 - fixtures

CAPTURE_SITE = "http://127.0.0.1:8080"  # the store the captures were recorded from
CAPTURE_SECRET = "oboMzfVqfHKl4HBvck6X1TQAkZrweqxIePieuTXU"  # the README's webhook secret


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
