"""The loopback fakes the review tests publish to: a WooCommerce store with two products and a
Shopify shop with its Admin API token."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from app.reviews import storefront
from tests.fakes.shopify import FakeShopify, VirtualClock
from tests.fakes.woocommerce import FakeWooCommerce

TOKEN = "shpat_" + "b" * 32


@pytest.fixture
def woo() -> Iterator[FakeWooCommerce]:
    fake = FakeWooCommerce()
    for product_id in (101, 102):
        fake.products[product_id] = {"id": product_id, "name": f"Green Tea {product_id - 100}"}
    with fake.serving():
        yield fake


@pytest.fixture
def shopify() -> Iterator[FakeShopify]:
    fake = FakeShopify(access_tokens={TOKEN}, restore_rate=5000.0, clock=VirtualClock())
    with fake.serving():
        yield fake


@pytest.fixture(autouse=True)
def _fresh_storefront_cache() -> Iterator[None]:
    """The storefront's answers are cached per process by store id, and each test's databases number
    their stores from 1 again: a test must not read the one before it's answer."""
    storefront._cache.clear()
    yield
    storefront._cache.clear()
