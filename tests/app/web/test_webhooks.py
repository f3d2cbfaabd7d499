"""The webhook route: verified deliveries are stored and ingested once; bad input changes nothing."""

from __future__ import annotations

import json

import pytest

from app.models import Customer, InboxEntry, Message, Order
from connectors.sandbox.webhooks import sign
from tests.helpers import count, drain, make_store, simulated

MODELS_TOUCHED = (InboxEntry, Order, Customer, Message)


def _nothing_stored(aftercare) -> bool:
    return all(count(aftercare, model) == 0 for model in MODELS_TOUCHED)


def test_signed_order_is_stored_and_thank_you_scheduled(app, aftercare):
    """A correctly signed order.created delivery creates the order and schedules its thank-you."""
    store = make_store(aftercare)
    body, headers = simulated(store).signed_request(
        "order.created", simulated(store).new_order(status="paid")
    )
    response = app.test_client().post("/webhooks/sandbox", data=body, headers=headers)
    assert response.status_code == 200 and response.json["ok"] is True
    assert count(aftercare, InboxEntry, store_id=store.id, status="pending") == 1
    assert drain(aftercare) == 1  # the worker, a second later
    assert count(aftercare, Order, store_id=store.id) == 1
    assert count(aftercare, Message, store_id=store.id, step="thank_you", status="scheduled") == 1


def test_same_delivery_twice_is_stored_once(app, aftercare):
    """A re-delivery (same delivery id, same bytes) is acknowledged and ignored."""
    store = make_store(aftercare)
    body, headers = simulated(store).signed_request(
        "order.created", simulated(store).new_order(status="paid")
    )
    client = app.test_client()
    assert client.post("/webhooks/sandbox", data=body, headers=headers).json["ok"] is True
    drain(aftercare)
    second = client.post("/webhooks/sandbox", data=body, headers=headers)
    assert second.status_code == 200 and second.json["duplicate"] is True
    drain(aftercare)
    assert count(aftercare, InboxEntry) == 1
    assert count(aftercare, Message, step="thank_you") == 1


def test_forged_signature_is_refused(app, aftercare):
    """A body signed with another secret gets 401 and leaves no row."""
    store = make_store(aftercare)
    forger = simulated(store)
    forger.secret = "not-the-store-secret"
    body, headers = forger.signed_request("order.created", forger.new_order())
    response = app.test_client().post("/webhooks/sandbox", data=body, headers=headers)
    assert response.status_code == 401
    assert response.json["error"] == "unauthorized"
    assert _nothing_stored(aftercare)


def test_tampered_body_is_refused(app, aftercare):
    """Changing one byte after signing breaks the signature."""
    store = make_store(aftercare)
    body, headers = simulated(store).signed_request("order.created", simulated(store).new_order())
    tampered = body.replace(b'"currency": "USD"', b'"currency": "EUR"')
    assert tampered != body
    assert app.test_client().post("/webhooks/sandbox", data=tampered, headers=headers).status_code == 401
    assert _nothing_stored(aftercare)


def test_missing_signature_is_refused(app, aftercare):
    store = make_store(aftercare)
    body, headers = simulated(store).signed_request("order.created", simulated(store).new_order())
    del headers["X-Sandbox-Hmac-Sha256"]
    assert app.test_client().post("/webhooks/sandbox", data=body, headers=headers).status_code == 401
    assert _nothing_stored(aftercare)


ORDER_HEAD = {
    "id": "9",
    "number": "9",
    "currency": "USD",
    "total": "1",
    "created_at": "2026-11-03T10:00:00+00:00",
    "updated_at": "2026-11-03T10:00:00+00:00",
}
MALFORMED = {
    "broken-json": b"{not json",
    "not-an-object": b"[1, 2, 3]",
    "missing-fields": b'{"id": "1"}',
    "not-utf8": "\u00e9t\u00e9".encode("latin-1"),
    "unknown-status": json.dumps({**ORDER_HEAD, "status": "shipped-to-mars", "line_items": []}).encode(),
    "wrong-types": json.dumps(
        {**ORDER_HEAD, "status": "paid", "customer": "not-an-object", "line_items": [{"id": 1}]}
    ).encode(),
    "naive-time": json.dumps(
        {**ORDER_HEAD, "status": "paid", "created_at": "2026-11-03T10:00:00", "line_items": []}
    ).encode(),
}


@pytest.mark.parametrize("body", MALFORMED.values(), ids=MALFORMED.keys())
def test_malformed_payload_is_refused(app, aftercare, body):
    """Correctly signed but malformed bodies get 400 with a reason, and leave no row."""
    store = make_store(aftercare)
    sandbox = simulated(store)
    _, headers = sandbox.signed_request("order.created", {})
    headers["X-Sandbox-Hmac-Sha256"] = sign(body, store.webhook_secret)
    response = app.test_client().post("/webhooks/sandbox", data=body, headers=headers)
    assert response.status_code == 400
    assert response.json["message"]
    assert _nothing_stored(aftercare)


def test_oversized_body_is_refused(app, aftercare):
    """A body over webhook_max_bytes gets 413 before anything is read into the database."""
    store = make_store(aftercare)
    sandbox = simulated(store)
    order = sandbox.new_order()
    order["note"] = "x" * (aftercare.settings.webhook_max_bytes + 10)
    body, headers = sandbox.signed_request("order.created", order)
    response = app.test_client().post("/webhooks/sandbox", data=body, headers=headers)
    assert response.status_code == 413
    assert _nothing_stored(aftercare)


def test_unknown_store_is_refused(app, aftercare):
    """A delivery naming a store we do not know gets 404, even when signed."""
    store = make_store(aftercare)
    sandbox = simulated(store)
    sandbox.store_ref = "someone-else"
    body, headers = sandbox.signed_request("order.created", sandbox.new_order())
    response = app.test_client().post("/webhooks/sandbox", data=body, headers=headers)
    assert response.status_code == 404
    assert _nothing_stored(aftercare)


def test_unknown_platform_and_missing_store_header(app, aftercare):
    store = make_store(aftercare)
    body, headers = simulated(store).signed_request("order.created", simulated(store).new_order())
    client = app.test_client()
    assert client.post("/webhooks/magento", data=body, headers=headers).status_code == 404
    del headers["X-Sandbox-Store"]
    assert client.post("/webhooks/sandbox", data=body, headers=headers).status_code == 400
    assert _nothing_stored(aftercare)


def test_another_stores_secret_cannot_write_into_this_store(app, aftercare):
    """Store B's secret signing a delivery that names store A is refused (tenancy)."""
    store_a, store_b = make_store(aftercare, name="A"), make_store(aftercare, name="B")
    sandbox = simulated(store_b)
    sandbox.store_ref = store_a.external_id
    body, headers = sandbox.signed_request("order.created", sandbox.new_order())
    assert app.test_client().post("/webhooks/sandbox", data=body, headers=headers).status_code == 401
    assert _nothing_stored(aftercare)


def test_get_is_not_allowed(app, aftercare):
    response = app.test_client().get("/webhooks/sandbox")
    assert response.status_code == 405
