"""The REST client against the fake store over loopback: authentication, pagination, retries, write-back."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime

import pytest

from connectors.base import AuthError, PayloadError, PermissionRefused, RateLimited, TransientError
from connectors.woocommerce.client import Credentials, NotFound, WooClient
from tests.connectors import loopback
from tests.fakes.ports import free_port
from tests.fakes.woocommerce import capture

EPOCH = datetime(2020, 1, 1, tzinfo=UTC)


def client_for(shop, key, **options):
    options.setdefault("sleep", lambda seconds: None)  # retries back off without the test waiting
    return WooClient(Credentials(shop.url, key.consumer_key, key.consumer_secret), **options)


def test_over_http_requests_are_signed_with_oauth1_and_accepted(shop, shop_key):
    """The fake checks the signature as WooCommerce does; every call passes it."""
    order = client_for(shop, shop_key).order("15")
    assert order["status"] == "completed" and order["billing"]["first_name"] == "محمد"


def test_basic_auth_over_http_gets_the_recorded_401(shop, shop_key):
    recorded = capture("GET_orders_401_basic_auth_over_http")
    answer = loopback.get(
        f"{shop.url}/wp-json/wc/v3/orders", auth=(shop_key.consumer_key, shop_key.consumer_secret)
    )
    assert answer.status_code == recorded["status"] == 401
    assert answer.json() == json.loads(recorded["body"])


def test_a_wrong_secret_is_an_auth_error_and_is_not_retried(shop, shop_key):
    shop_key_copy = copy.copy(shop_key)
    shop_key_copy.consumer_secret = "cs_wrong"
    with pytest.raises(AuthError, match="Invalid signature"):
        client_for(shop, shop_key_copy).order("15")
    assert len(shop.requests_seen) == 1


def test_a_replayed_signed_url_is_refused(shop, shop_key):
    """OAuth nonces are single-use: a captured URL cannot be replayed."""
    url = {}

    def keep(response, *args, **kwargs):
        url["seen"] = response.request.url

    client = client_for(shop, shop_key)
    client._api("wc/v3").get("orders/15", hooks={"response": keep})
    replay = loopback.get(url["seen"])
    assert replay.status_code == 401 and "nonce" in replay.json()["message"]


def test_a_missing_order_is_not_found(shop, shop_key):
    with pytest.raises(NotFound, match="Invalid ID"):
        client_for(shop, shop_key).order("999999")


def test_pagination_follows_x_wp_totalpages(shop, shop_key):
    template = capture("GET_order_completed")["body"]
    for number in range(1000, 1250):
        shop.set_order(
            {**template, "id": number, "number": str(number)}, modified=datetime(2026, 11, 20, tzinfo=UTC)
        )
    ids = [order["id"] for order in client_for(shop, shop_key).orders_modified_after(EPOCH)]
    assert len(ids) == len(set(ids)) == 253  # 250 new and the 3 recorded
    assert sum(1 for method, route in shop.requests_seen if route == "/wc/v3/orders") == 3  # 100 per page


def test_modified_after_returns_only_later_changes_oldest_first(shop, shop_key):
    template = capture("GET_order_completed")["body"]
    shop.set_order({**template, "id": 501}, modified=datetime(2026, 11, 24, 9, 0, tzinfo=UTC))
    shop.set_order({**template, "id": 500}, modified=datetime(2026, 11, 24, 8, 0, tzinfo=UTC))
    since = datetime(2026, 11, 23, 23, 0, tzinfo=UTC)
    assert [o["id"] for o in client_for(shop, shop_key).orders_modified_after(since)] == [500, 501]


def test_server_errors_are_retried_with_backoff_then_succeed(shop, shop_key):
    shop.fail_next = [503, 502]
    waits: list[float] = []
    assert client_for(shop, shop_key, sleep=waits.append).order("15")["id"] == 15
    assert len(shop.requests_seen) == 3 and len(waits) == 2 and all(0 < wait <= 30 for wait in waits)


def test_429_is_retried_and_a_persistent_one_is_rate_limited(shop, shop_key):
    shop.fail_next = [429]
    assert client_for(shop, shop_key).order("15")["id"] == 15
    shop.fail_next = [429] * 5
    with pytest.raises(RateLimited):
        client_for(shop, shop_key, attempts=3).order("15")


def test_a_store_that_does_not_answer_is_a_transient_error_after_the_retries():
    dead = Credentials(f"http://127.0.0.1:{free_port()}", "ck_x", "cs_x")
    with pytest.raises(TransientError, match="did not answer"):
        WooClient(dead, attempts=2, sleep=lambda seconds: None).order("1")


def test_a_customer_note_is_posted_for_the_store_to_email(shop, shop_key):
    client_for(shop, shop_key).add_customer_note("15", "طلبك في الطريق إليك")
    [note] = shop.notes
    assert note["customer_note"] is True and note["note"] == "طلبك في الطريق إليك" and note["order_id"] == 15


def test_a_review_is_posted_for_the_merchant_to_approve(shop, shop_key):
    client_for(shop, shop_key).create_review(
        "13", "محمد العتيبي", "mohammed.alotaibi@example.test", "عطر رائع", 5
    )
    [review] = shop.reviews
    assert (review["product_id"], review["rating"], review["status"], review["verified"]) == (
        13,
        5,
        "hold",
        True,
    )


def test_a_coupon_is_created_for_one_customer_and_a_duplicate_code_is_refused(shop, shop_key):
    client = client_for(shop, shop_key)
    client.create_coupon(
        "BACK-7Q2", 10, email="fatima.test@example.test", expires=datetime(2027, 1, 1, tzinfo=UTC)
    )
    [coupon] = shop.coupons
    assert coupon["email_restrictions"] == ["fatima.test@example.test"] and coupon["amount"] == "10"
    assert coupon["date_expires_gmt"] == "2027-01-01T00:00:00" and coupon["usage_limit"] == 1
    with pytest.raises(PayloadError, match="already exists"):
        client.create_coupon("back-7q2", 10)


def test_read_only_keys_cannot_write(shop):
    """WooCommerce refuses a read key's write before it looks at the route; the error says what to do."""
    reader = shop.add_key("read")
    with pytest.raises(PermissionRefused, match="can read but not write") as refused:
        client_for(shop, reader).add_customer_note("15", "hello")
    assert "Read/Write" in refused.value.fix and isinstance(refused.value, AuthError)
    assert shop.notes == []
