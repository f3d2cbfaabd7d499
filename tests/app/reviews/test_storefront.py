"""The theme app block's app proxy: Shopify's signature is required (unsigned, wrongly signed, stale
and other-app requests are refused with 401), and a signed request sees only the approved reviews of
the shop that signed it, with their JSON-LD. The extension and its proxy are declared where Shopify's
CLI reads them."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import time
import tomllib
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode

import pytest
from flask import Flask

from app import create_app, services
from app.models import Review, ReviewPhoto
from tests.conftest import settings_for
from tests.helpers import csrf_headers, make_store, signed_in

SECRET = "shpss_" + "7" * 32
SHOP = "dar-al-oud.myshopify.com"
ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def app(database_url: str, tmp_path: Path) -> Iterator[Flask]:
    application = create_app(settings_for(database_url, tmp_path, shopify_client_secret=SECRET))
    yield application
    services(application).db.dispose()


def signed(params: dict[str, str], secret: str = SECRET) -> str:
    """The query string Shopify's app proxy sends: ``signature`` is the hex HMAC-SHA256 of the other
    parameters as sorted ``key=value`` pairs joined with nothing."""
    message = "".join(sorted(f"{key}={value}" for key, value in params.items()))
    signature = hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()
    return urlencode({**params, "signature": signature})


def proxy_params(shop: str = SHOP, product: str = "101", **extra: str) -> dict[str, str]:
    return {
        "shop": shop,
        "path_prefix": "/apps/aftercare",
        "timestamp": str(int(time.time())),
        "logged_in_customer_id": "",
        "product_id": product,
        **extra,
    }


def review(aftercare, store, email, rating, status, body="", photo=None):
    with aftercare.db.session() as session:
        row = Review(
            store_id=store.id,
            email=email,
            product_external_id="101",
            product_title="Oud Candle",
            rating=rating,
            body=body,
            status=status,
            display_name=email.split("@")[0],
        )
        if photo:
            row.photos.append(ReviewPhoto(store_id=store.id, name=photo, width=10, height=10))
        session.add(row)


@pytest.mark.parametrize(
    "query",
    [
        "product_id=101",
        "product_id=101&shop=" + SHOP,
        signed(proxy_params(), secret="shpss_wrong"),
        signed(proxy_params(timestamp=str(int(time.time()) - 3600))),
        signed(proxy_params()).replace("product_id=101", "product_id=102"),  # tampered after signing
    ],
    ids=["unsigned", "no-signature", "other-secret", "stale", "tampered"],
)
def test_a_request_not_signed_by_shopify_is_refused(app, aftercare, query):
    make_store(aftercare, platform="shopify", external_id=SHOP)
    answer = app.test_client().get(f"/proxy/shopify/reviews?{query}")
    assert answer.status_code == 401 and "reviews" not in answer.get_json()


def test_a_signed_request_sees_only_the_approved_reviews_of_its_own_shop(app, aftercare):
    mine = make_store(aftercare, platform="shopify", external_id=SHOP)
    other = make_store(aftercare, platform="shopify", external_id="someone-else.myshopify.com")
    review(
        aftercare, mine, "layla@example.test", 5, "approved", "Lovely <script>x()</script>", photo="p" * 24
    )
    review(aftercare, mine, "omar@example.test", 3, "approved", "Fine")
    review(aftercare, mine, "sara@example.test", 1, "pending", "Awful")
    review(aftercare, mine, "reza@example.test", 2, "rejected", "Bad")
    review(aftercare, other, "layla@example.test", 1, "approved", "Another shop's")
    answer = app.test_client().get(f"/proxy/shopify/reviews?{signed(proxy_params())}")
    assert answer.status_code == 200 and answer.headers["Cache-Control"] == "public, max-age=60"
    data = answer.get_json()
    assert sorted(item["body"] for item in data["reviews"]) == ["Fine", "Lovely <script>x()</script>"]
    assert (data["average"], data["count"]) == (4.0, 2)
    assert data["jsonld"]["@type"] == "Product"
    assert data["jsonld"]["aggregateRating"] == {
        "@type": "AggregateRating",
        "ratingValue": "4.0",
        "bestRating": "5",
        "worstRating": "1",
        "reviewCount": 2,
    }
    assert {item["@type"] for item in data["jsonld"]["review"]} == {"Review"}
    [with_photo] = [item for item in data["reviews"] if item["photos"]]
    assert with_photo["photos"][0]["url"].endswith(f"/rp/{'p' * 24}.jpg")  # public: approved


def test_an_unknown_shop_or_a_bad_product_is_a_clear_4xx(app, aftercare):
    make_store(aftercare, platform="shopify", external_id=SHOP)
    client = app.test_client()
    assert (
        client.get(f"/proxy/shopify/reviews?{signed(proxy_params(shop='nobody.myshopify.com'))}").status_code
        == 404
    )
    assert client.get(f"/proxy/shopify/reviews?{signed(proxy_params(product='../1'))}").status_code == 400
    assert client.get(f"/proxy/sandbox/reviews?{signed(proxy_params())}").status_code == 404


@pytest.mark.any_database
def test_the_theme_block_and_its_proxy_are_declared_for_shopify_cli(app):
    config = tomllib.loads((ROOT / "shopify.app.toml").read_text())
    assert config["app_proxy"] == {
        "url": "https://aftercare.example/proxy/shopify",
        "subpath": "aftercare",
        "prefix": "apps",
    }
    assert "write_products" in config["access_scopes"]["scopes"]  # the rating metafields
    extension = ROOT / "extensions" / "aftercare-reviews"
    assert tomllib.loads((extension / "shopify.extension.toml").read_text())["type"] == "theme"
    block = (extension / "blocks" / "reviews.liquid").read_text()
    schema = json.loads(re.search(r"{% schema %}(.*){% endschema %}", block, re.DOTALL).group(1))
    assert schema["target"] == "section"
    assert '"@type": "AggregateRating"' in block and "apps/aftercare/reviews" in block
    script = (extension / "assets" / "aftercare-reviews.js").read_text()
    assert "innerHTML" not in script and "textContent" in script
    for name in ("en.default", "ar", "fa"):
        json.loads((extension / "locales" / f"{name}.json").read_text())


def test_the_answer_is_cached_and_a_merchants_feature_or_reply_shows_at_once(app, aftercare):
    store = make_store(aftercare, platform="shopify", external_id=SHOP)
    review(aftercare, store, "layla@example.test", 4, "approved", "Older")
    review(aftercare, store, "omar@example.test", 5, "approved", "Newer")
    client = app.test_client()

    def bodies() -> list[tuple[str, str, bool]]:
        data = client.get(f"/proxy/shopify/reviews?{signed(proxy_params())}").get_json()
        return [(item["body"], item["reply"], item["featured"]) for item in data["reviews"]]

    assert [body for body, _, _ in bodies()] == ["Newer", "Older"]
    with aftercare.db.session() as session:  # changed behind the app's back: the cache still answers
        older = session.query(Review).filter_by(body="Older").one()
        older.body, older_id = "Older, edited", older.id
    assert [body for body, _, _ in bodies()] == ["Newer", "Older"]
    merchant = signed_in(app, aftercare, store)
    for action, data in (("feature", {}), ("reply", {"reply": "Glad you like it"})):
        answer = merchant.post(
            f"/admin/reviews/{older_id}/{action}", data=data, headers=csrf_headers(merchant)
        )
        assert answer.status_code == 302
    assert bodies() == [("Older, edited", "Glad you like it", True), ("Newer", "", False)]
