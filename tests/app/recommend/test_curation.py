"""The merchant's curation comes first: WooCommerce's cross-sells and upsells from the product payload,
Shopify's complementary products from the Storefront API (a fake Shopify on loopback)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select

from app.models import Order, RecommendBuild, RecommendCuration, Store
from app.recommend import for_order, model
from app.recommend.curation import refresh_complementary
from connectors.base import PayloadError
from connectors.shopify import ShopifyConnector
from connectors.shopify.client import ShopCredentials
from connectors.woocommerce import translate as woo
from scheduler import jobs
from tests.app.recommend.shop import order, product, write
from tests.fakes.shopify import FakeShopify, VirtualClock
from tests.helpers import make_store

WOO = Path(__file__).parents[2] / "connectors" / "woocommerce" / "fixtures" / "rest"
TOKEN = "shpat_" + "c" * 32


def _woo_product(**changes):
    recorded = json.loads((WOO / "GET_product_arabic.json").read_text(encoding="utf-8"))["body"]
    return woo.product({**recorded, **changes})


@pytest.mark.any_database
def test_woocommerce_cross_sells_and_upsells_are_read_from_the_product_payload():
    """The recorded WooCommerce 8.9 product says none; a merchant's picks arrive in the same fields."""
    assert _woo_product().cross_sell_ids == () and _woo_product().upsell_ids == ()
    picked = _woo_product(cross_sell_ids=[31, 27], upsell_ids=[40])
    assert picked.cross_sell_ids == ("31", "27") and picked.upsell_ids == ("40",)
    with pytest.raises(PayloadError):
        _woo_product(cross_sell_ids="31")


def _latest(session, store, email):
    return session.scalars(
        select(Order).where(Order.store_id == store.id, Order.contact == email).order_by(Order.id.desc())
    ).first()


def test_the_merchants_cross_sell_outranks_the_model(aftercare):
    store = make_store(aftercare, platform="woocommerce", external_id="https://shop.example")
    write(aftercare, store, product("tea", cross_sells=("honey",)), product("cup"), product("honey"))
    write(aftercare, store, *(order(["tea", "cup"]) for _ in range(4)))
    write(aftercare, store, order(["tea"], email="noor@example.test"))
    with aftercare.db.session() as session:
        picks = for_order(session, _latest(session, store, "noor@example.test"))
        assert [(p.external_id, p.reason.code) for p in picks][:2] == [
            ("honey", "rec_cross_sell"),
            ("cup", "rec_together"),
        ]
    write(aftercare, store, product("tea", cross_sells=()))  # the merchant cleared it
    with aftercare.db.session() as session:
        assert (
            session.scalars(select(RecommendCuration).where(RecommendCuration.store_id == store.id)).all()
            == []
        )


@pytest.fixture
def shopify():
    fake = FakeShopify(access_tokens={TOKEN}, clock=VirtualClock(), complementary={"101": ["303", "202"]})
    with fake.serving():
        yield fake


def _connector(fake):
    return ShopifyConnector("secret", client_id="client", http_client=fake.client(), sleep=fake.clock.sleep)


def test_shopify_complementary_products_through_a_storefront_token_the_app_creates(shopify):
    """The first call creates a storefront token (kept with the credentials), later ones reuse it."""
    kept = []
    connector = _connector(shopify)
    credentials = ShopCredentials(shopify.shop, TOKEN).to_json()
    assert connector.complementary(credentials, ["101", "202"], kept.append) == {"101": ("303", "202")}
    assert len(shopify.storefront_tokens) == 1
    token = ShopCredentials.from_json(kept[-1]).storefront_token
    assert token == shopify.storefront_tokens[0]
    assert connector.complementary(kept[-1], ["101"], kept.append) == {"101": ("303", "202")}
    assert len(shopify.storefront_tokens) == 1 and shopify.storefront_queries == 3


def test_the_build_job_fetches_shopify_complementary_products_and_they_come_first(aftercare, shopify):
    aftercare.connectors["shopify"] = _connector(shopify)
    store = make_store(
        aftercare,
        platform="shopify",
        external_id=shopify.shop,
        credentials=ShopCredentials(shopify.shop, TOKEN).to_json(),
    )
    write(aftercare, store, *(product(code) for code in ("101", "202", "303", "404")))
    write(aftercare, store, *(order(["101", "404"]) for _ in range(3)))
    assert jobs.build_recommendations(aftercare, "test-worker") == 1
    assert jobs.build_recommendations(aftercare, "test-worker") == 0  # fresh: not built again
    write(aftercare, store, order(["101"], email="noor@example.test"))
    with aftercare.db.session() as session:
        assert session.get(RecommendBuild, store.id).curation_error is None
        assert ShopCredentials.from_json(session.get(Store, store.id).credentials).storefront_token
        picks = for_order(session, _latest(session, store, "noor@example.test"), 3)
        assert [(p.external_id, p.reason.code) for p in picks] == [
            ("303", "rec_complementary"),
            ("202", "rec_complementary"),
            ("404", "rec_together"),
        ]


def test_a_refused_storefront_token_is_reported_and_the_model_still_answers(aftercare, shopify):
    store = make_store(
        aftercare,
        platform="shopify",
        external_id=shopify.shop,
        credentials=ShopCredentials(shopify.shop, TOKEN, storefront_token="revoked").to_json(),
    )
    write(aftercare, store, *(product(code) for code in ("101", "404")))
    write(aftercare, store, *(order(["101", "404"]) for _ in range(3)))
    with aftercare.db.session() as session:
        held = session.get(Store, store.id)
        model.build(session, held)
        error = refresh_complementary(session, held, _connector(shopify), held.credentials)
    assert error and "refused" in error
