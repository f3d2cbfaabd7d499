"""Sandbox payloads translate into snapshots; the simulated store's orders are realistic."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from connectors.base import OrderStatus, PayloadError, SignatureError, WebhookRequest
from connectors.sandbox import SandboxConnector, webhooks
from connectors.sandbox.store import SimulatedStore


@pytest.fixture
def store() -> SimulatedStore:
    return SimulatedStore("shop-1", "s3cret", "http://127.0.0.1:1/webhooks/sandbox", seed=11)


def _delivery(store, topic, payload):
    body, headers = store.signed_request(topic, payload)
    return SandboxConnector().verify_webhook(WebhookRequest(headers=headers, body=body), "s3cret")


def test_order_translates_with_lines_customer_and_address(store):
    payload = store.new_order(status="paid")
    [snapshot] = SandboxConnector().translate(_delivery(store, "order.created", payload))
    assert snapshot.status is OrderStatus.PAID
    assert snapshot.total == sum(line.unit_price * line.quantity for line in snapshot.lines)
    assert snapshot.customer.email == payload["customer"]["email"]
    assert snapshot.shipping.country == payload["shipping_address"]["country"]
    assert snapshot.placed_at.tzinfo is not None


def test_simulated_orders_cover_languages_and_countries(store):
    orders = [store.new_order() for _ in range(200)]
    assert {order["locale"] for order in orders} == {"en", "ar", "fa"}
    assert len({order["shipping_address"]["country"] for order in orders}) >= 5
    assert any(len(order["line_items"]) >= 3 for order in orders)
    assert {order["payment_method"] for order in orders} == {"card", "cod"}
    arabic = next(order for order in orders if order["locale"] == "ar")
    assert any("\u0600" <= ch <= "\u06ff" for ch in arabic["customer"]["first_name"])


def test_changed_order_is_newer(store):
    order = store.new_order(payment_method="cod")
    later = store.changed(order, status="cancelled")
    assert later["updated_at"] > order["updated_at"] and later["cancelled_at"]


def test_signature_is_over_the_exact_bytes(store):
    body, headers = store.signed_request("order.created", store.new_order())
    connector = SandboxConnector()
    assert connector.verify_webhook(WebhookRequest(headers=headers, body=body), "s3cret").delivery_id
    with pytest.raises(SignatureError):
        connector.verify_webhook(WebhookRequest(headers=headers, body=body + b" "), "s3cret")
    with pytest.raises(SignatureError):
        connector.verify_webhook(WebhookRequest(headers=headers, body=body), None)


def test_product_and_unknown_topics(store):
    [product] = SandboxConnector().translate(_delivery(store, "product.updated", store.catalog_payloads()[0]))
    assert product.price == Decimal("49.00") and product.tags == ("apparel",)
    assert SandboxConnector().translate(_delivery(store, "customer.updated", {"id": 1})) == []


def test_naive_timestamps_are_refused(store):
    payload = store.new_order()
    payload["created_at"] = "2026-11-03T10:00:00"
    body = json.dumps(payload).encode()
    headers = {
        webhooks.TOPIC_HEADER: "order.created",
        webhooks.DELIVERY_HEADER: "d1",
        webhooks.SIGNATURE_HEADER: webhooks.sign(body, "s3cret"),
    }
    delivery = SandboxConnector().verify_webhook(WebhookRequest(headers=headers, body=body), "s3cret")
    with pytest.raises(PayloadError, match="offset"):
        SandboxConnector().translate(delivery)


def test_the_sandboxs_customers_have_valid_local_numbers_and_their_regions_zone(store):
    """Every sandbox phone number is a valid number of its customer's country (Los Angeles included),
    and the shipping region alone puts a Los Angeles customer in Los Angeles' zone, not the store's."""
    import phonenumbers

    from app.journeys.timing import zone_for

    orders = [store.new_order() for _ in range(300)]
    for order in orders:
        address = order["shipping_address"]
        number = phonenumbers.parse(order["customer"]["phone"], address["country"])
        assert phonenumbers.is_valid_number(number), (address["country"], order["customer"]["phone"])
    angelenos = [order for order in orders if order["shipping_address"]["country"] == "US"]
    assert angelenos
    for order in angelenos:
        region = order["shipping_address"]["region"]
        assert zone_for("US", None, "Asia/Riyadh", region) == "America/Los_Angeles"


def test_the_sign_in_link_is_said_again_from_its_file(tmp_path, caplog):
    """`make run`'s link scrolls away under the web's access log: the sandbox says it again from
    var/sign-in-link.txt (which `make link` renews)."""
    import logging

    from connectors.sandbox.__main__ import _remind

    link = tmp_path / "sign-in-link.txt"
    link.write_text("http://127.0.0.1:8000/admin/login/abc\n")
    with caplog.at_level(logging.INFO):
        _remind(link)
    assert "Sign in to the sandbox store's pages: http://127.0.0.1:8000/admin/login/abc" in caplog.text
