"""The real captures arrive over HTTP exactly as WooCommerce sent them, and are verified and ingested."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from app import clock
from app.models import InboxEntry, Order, OrderLine, Product, Shipment
from tests.connectors import loopback
from tests.connectors.woocommerce.conftest import CAPTURE_SECRET, CAPTURE_SITE
from tests.fakes.woocommerce import webhook_capture
from tests.helpers import count, drain, make_store

ORDER_CAPTURES = ["order_updated_processing", "order_updated_completed", "order_created_guest_processing"]


@pytest.fixture
def store(aftercare):
    return make_store(
        aftercare, platform="woocommerce", external_id=CAPTURE_SITE, webhook_secret=CAPTURE_SECRET
    )


def replay(aftercare, live_server, name, *, body=None, **header_changes):
    """Post a capture as WooCommerce sent it, then let the worker apply what was stored."""
    headers, raw = webhook_capture(name)
    sent = {key: value for key, value in headers if key not in ("Content-Length", "Accept-Encoding")}
    sent.update(header_changes)
    response = loopback.post(
        f"{live_server}/webhooks/woocommerce", data=raw if body is None else body, headers=sent
    )
    drain(aftercare)
    return response


@pytest.mark.parametrize("name", [*ORDER_CAPTURES, "product_updated"])
def test_every_capture_is_verified_and_stored_byte_for_byte(aftercare, live_server, store, name):
    """Each recorded delivery passes the signature check and its exact bytes land in the inbox, processed."""
    response = replay(aftercare, live_server, name)
    assert response.status_code == 200, response.text
    assert response.json()["ok"] is True
    _, raw = webhook_capture(name)
    with aftercare.db.session() as session:
        entry = session.scalars(select(InboxEntry)).one()
        assert bytes(entry.body) == raw
        assert entry.status == "processed"


def test_an_order_moving_to_completed_is_ingested_with_its_arabic_customer_and_a_parcel(
    aftercare, live_server, store
):
    """pending -> processing -> completed: the order, its lines, its customer and the shipped parcel."""
    for name in ("order_updated_processing", "order_updated_completed"):
        assert replay(aftercare, live_server, name).status_code == 200
    with aftercare.db.session() as session:
        order = session.scalars(select(Order).where(Order.external_id == "15")).one()
        assert (order.status, order.remote_status, order.cash_on_delivery) == ("completed", "completed", True)
        assert (
            order.customer.first_name == "محمد" and order.customer.email == "mohammed.alotaibi@example.test"
        )
        assert order.ship_city == "الرياض" and order.ship_country == "SA"
        titles = sorted(session.scalars(select(OrderLine.title).where(OrderLine.order_id == order.id)))
        assert titles == ["Classic T-Shirt", "عطر العود الملكي"]
        parcel = session.scalars(select(Shipment).where(Shipment.order_id == order.id)).one()
        assert parcel.status == "in_transit" and parcel.shipped_at is not None


def test_an_older_delivery_arriving_last_changes_nothing(aftercare, live_server, store):
    """Out of order: 'processing' arriving after 'completed' does not take the order back."""
    assert replay(aftercare, live_server, "order_updated_completed").status_code == 200
    assert replay(aftercare, live_server, "order_updated_processing").status_code == 200
    with aftercare.db.session() as session:
        assert session.scalars(select(Order.status).where(Order.external_id == "15")).one() == "completed"


def test_a_repeated_delivery_id_is_dropped(aftercare, live_server, store):
    first = replay(aftercare, live_server, "order_created_guest_processing")
    again = replay(aftercare, live_server, "order_created_guest_processing")
    assert first.json().get("duplicate") is None and again.json()["duplicate"] is True
    assert count(aftercare, InboxEntry) == 1 and count(aftercare, Order) == 1


def test_the_creation_ping_is_answered_and_not_stored(aftercare, live_server, store):
    headers, raw = webhook_capture("ping")
    sent = {key: value for key, value in headers if key != "Content-Length"}
    response = loopback.post(f"{live_server}/webhooks/woocommerce", data=raw, headers=sent)
    assert response.status_code == 200
    assert count(aftercare, InboxEntry) == 0


@pytest.mark.parametrize(
    "change",
    [
        {"X-WC-Webhook-Signature": "tIZUeKl54wD6bBumBoWmkfbOo0LAFMG5Ni3Bmrvfpu8="},  # another body's
        {"X-WC-Webhook-Signature": ""},
    ],
)
def test_a_forged_signature_is_refused_and_nothing_is_stored(aftercare, live_server, store, change):
    response = replay(aftercare, live_server, "order_updated_completed", **change)
    assert response.status_code == 401
    assert count(aftercare, InboxEntry) == 0 and count(aftercare, Order) == 0


def test_a_body_changed_in_transit_is_refused(aftercare, live_server, store):
    _, raw = webhook_capture("order_updated_completed")
    tampered = raw.replace(b'"total":"314.98"', b'"total":"1.00"')
    assert tampered != raw
    assert replay(aftercare, live_server, "order_updated_completed", body=tampered).status_code == 401
    assert count(aftercare, Order) == 0


def test_a_delivery_from_an_unknown_store_is_refused(aftercare, live_server, store):
    response = replay(
        aftercare, live_server, "order_updated_completed", **{"X-WC-Webhook-Source": "http://other.example/"}
    )
    assert response.status_code == 404
    assert count(aftercare, InboxEntry) == 0


def test_malformed_json_with_a_valid_signature_is_refused_with_400(aftercare, live_server, store):
    from connectors.woocommerce.webhooks import sign

    body = b'{"id": 15, "status": '
    response = replay(
        aftercare,
        live_server,
        "order_updated_completed",
        body=body,
        **{"X-WC-Webhook-Signature": sign(body, CAPTURE_SECRET)},
    )
    assert response.status_code == 400
    assert "JSON" in response.json()["message"]
    assert count(aftercare, InboxEntry) == 0


def test_an_order_without_required_fields_is_refused_with_400(aftercare, live_server, store):
    from connectors.woocommerce.webhooks import sign

    body = json.dumps({"id": 15, "status": "processing"}).encode()
    response = replay(
        aftercare,
        live_server,
        "order_updated_completed",
        body=body,
        **{"X-WC-Webhook-Signature": sign(body, CAPTURE_SECRET)},
    )
    assert response.status_code == 400
    assert count(aftercare, InboxEntry) == 0


def test_a_product_update_is_stored_with_its_link_and_price(aftercare, live_server, store):
    assert replay(aftercare, live_server, "product_updated").status_code == 200
    with aftercare.db.session() as session:
        product = session.scalars(select(Product)).one()
        assert (product.title, str(product.price), product.in_stock) == ("Hoodie", "55.00", True)
        assert product.url == "http://127.0.0.1:8080/product/hoodie/"


def explained(aftercare, external_id):
    from app.journeys.explain import explain
    from app.models import Store

    with aftercare.db.session() as session:
        order = session.scalars(select(Order).where(Order.external_id == external_id)).one()
        return {entry.step: entry for entry in explain(session, session.get(Store, order.store_id), order)}


def test_a_cash_on_delivery_order_gets_its_thank_you_on_creation(aftercare, live_server, store):
    """Nobody pays a COD order until the parcel arrives: the thank-you is due when it is placed."""
    clock.freeze(datetime(2026, 11, 23, 7, 8, tzinfo=UTC))
    assert replay(aftercare, live_server, "order_created_guest_processing").status_code == 200
    thank_you = explained(aftercare, "18")["thank_you"]
    assert thank_you.status == "scheduled"
    assert thank_you.at - datetime(2026, 11, 23, 7, 7, 1, tzinfo=UTC) < timedelta(
        hours=14
    )  # next send window


def test_a_bank_transfer_on_hold_waits_for_the_payment(aftercare):
    from app import ingest
    from app.models import Store
    from connectors.woocommerce import translate
    from tests.fakes.woocommerce import capture

    clock.freeze(datetime(2026, 11, 23, 7, 8, tzinfo=UTC))
    body = dict(
        capture("GET_order_completed")["body"], status="on-hold", payment_method="bacs", date_paid_gmt=None
    )
    store = make_store(aftercare, platform="woocommerce", external_id="https://bank.example")
    with aftercare.db.session() as session:
        for snapshot in translate.order(body):
            ingest.apply_all(session, session.get(Store, store.id), [snapshot])
    thank_you = explained(aftercare, "15")["thank_you"]
    assert (thank_you.status, thank_you.reason) == ("waiting", "waiting for the payment")


def test_without_tracking_a_completed_order_is_assumed_delivered_after_the_configured_days(
    aftercare, live_server, store
):
    clock.freeze(datetime(2026, 11, 23, 7, 8, tzinfo=UTC))
    assert replay(aftercare, live_server, "order_updated_completed").status_code == 200
    check_in = explained(aftercare, "15")["check_in"]
    assert "assumed delivered on" in check_in.reason and "10 days after shipping" in check_in.reason


def signed(body: bytes) -> dict[str, str]:
    from connectors.woocommerce.webhooks import sign

    return {"X-WC-Webhook-Signature": sign(body, CAPTURE_SECRET)}


@pytest.mark.parametrize(
    ("change", "value"),
    [
        ("date_completed_gmt", "yesterday"),
        ("date_completed_gmt", 1795392000),
        ("date_shipped", "9" * 30),
        ("date_shipped", "the 3rd"),
    ],
)
def test_a_signed_order_with_an_unreadable_date_is_refused_with_400(
    aftercare, live_server, store, change, value
):
    """Each answered 500 before; the body is the store's, so it is refused (400) and nothing changes."""
    order = json.loads(webhook_capture("order_updated_completed")[1])
    if change == "date_shipped":
        item = {
            "tracking_provider": "aramex",
            "tracking_number": "AX1",
            "date_shipped": value,
            "tracking_id": "t1",
        }
        order["meta_data"] = [{"id": 90, "key": "_wc_shipment_tracking_items", "value": [item]}]
    else:
        order[change] = value
    body = json.dumps(order).encode()
    response = replay(aftercare, live_server, "order_updated_completed", body=body, **signed(body))
    assert response.status_code == 400, response.text
    assert count(aftercare, InboxEntry) == 0 and count(aftercare, Order) == 0
