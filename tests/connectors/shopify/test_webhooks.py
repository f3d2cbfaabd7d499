"""Shopify's sample webhooks, signed with the app secret, over HTTP: verified with shopifyapp, ingested,
and refused when forged; compliance topics erase, export and stop sending."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from app import clock, timeline
from app.models import (
    Customer,
    DataExport,
    InboxEntry,
    Message,
    Order,
    Shipment,
    ShipmentEvent,
    Store,
    TimelineEntry,
)
from tests.connectors.shopify.conftest import post, sample, sample_bytes, sign
from tests.helpers import count

TOPICS = {
    "orders_create": "orders/create",
    "fulfillments_create": "fulfillments/create",
    "fulfillments_update": "fulfillments/update",
    "fulfillment_events_create": "fulfillment_events/create",
    "app_uninstalled": "app/uninstalled",
    "customers_data_request": "customers/data_request",
    "customers_redact": "customers/redact",
    "shop_redact": "shop/redact",
    "bulk_operations_finish": "bulk_operations/finish",
}
ORDER_ID = "820982911946154508"


def open_order(**changes):
    """The published orders/create sample as a live order (the sample itself is cancelled and voided)."""
    data = copy.deepcopy(sample("orders_create"))
    data.update({"cancelled_at": None, "cancel_reason": None, "financial_status": "paid", **changes})
    return data


def shipped_fulfillment(**changes):
    """The published fulfillments/create sample once it shipped: the sample itself is still ``pending``
    (with a fulfillment service), and Shopify sends the update with ``success`` when it leaves."""
    return {**sample("fulfillments_create"), "status": "success", **changes}


def order_row(aftercare, external_id=ORDER_ID):
    with aftercare.db.session() as session:
        row = session.scalars(select(Order).where(Order.external_id == external_id)).first()
        if row is not None:
            session.expunge(row)
        return row


@pytest.fixture(autouse=True)
def _clock_at_the_samples():
    clock.freeze(datetime(2022, 1, 1, 1, 0, tzinfo=UTC))  # the samples are dated 2021-12-31


@pytest.mark.parametrize("name", sorted(TOPICS))
def test_every_sample_webhook_is_verified_and_accepted(aftercare, live_server, store, name):
    if name.startswith("fulfillment"):  # a parcel needs its order, a carrier event its parcel
        assert post(aftercare, live_server, "orders/create", open_order()).status_code == 200
    if name == "fulfillment_events_create":
        assert post(aftercare, live_server, "fulfillments/update", shipped_fulfillment()).status_code == 200
    response = post(aftercare, live_server, TOPICS[name], sample_bytes(name))
    assert response.status_code == 200, response.text
    with aftercare.db.session() as session:
        entry = session.scalars(select(InboxEntry).where(InboxEntry.topic == TOPICS[name])).first()
        if name != "shop_redact":
            assert bytes(entry.body) == sample_bytes(name) and entry.status == "processed", entry.last_error


def test_an_order_its_fulfillment_and_a_carrier_event_make_one_parcel_in_transit(
    aftercare, live_server, store
):
    assert post(aftercare, live_server, "orders/create", open_order()).status_code == 200
    assert post(aftercare, live_server, "fulfillments/create", shipped_fulfillment()).status_code == 200
    assert (
        post(
            aftercare, live_server, "fulfillment_events/create", sample_bytes("fulfillment_events_create")
        ).status_code
        == 200
    )
    order = order_row(aftercare)
    assert (order.status, order.number, order.ship_country) == ("paid", "#9999", "US")
    with aftercare.db.session() as session:
        parcel = session.scalars(select(Shipment).where(Shipment.order_id == order.id)).one()
        assert (parcel.carrier, parcel.tracking_number, parcel.status) == (
            "UPS",
            "1z827wk74630",
            "in_transit",
        )
        assert parcel.tracking_url.startswith("https://www.ups.com/")
        [event] = session.scalars(select(ShipmentEvent).where(ShipmentEvent.shipment_id == parcel.id))
        assert (event.status, event.detail) == ("in_transit", "Item is now in transit")


def test_a_carrier_event_before_its_fulfillment_waits_in_the_inbox(aftercare, live_server, store):
    response = post(
        aftercare, live_server, "fulfillment_events/create", sample_bytes("fulfillment_events_create")
    )
    assert response.status_code == 200
    with aftercare.db.session() as session:
        entry = session.scalars(select(InboxEntry)).one()
        assert entry.status == "pending" and "not seen yet" in entry.last_error


def test_the_cancelled_sample_order_is_cancelled(aftercare, live_server, store):
    assert post(aftercare, live_server, "orders/create", sample_bytes("orders_create")).status_code == 200
    order = order_row(aftercare)
    assert order.status == "cancelled" and order.remote_status == "cancelled (customer)"


@pytest.mark.parametrize("name", sorted(TOPICS))
def test_a_forged_signature_is_refused_with_401_and_nothing_is_stored(aftercare, live_server, store, name):
    body = sample_bytes(name)
    forged = sign(body, "shpss_not-our-secret")
    assert post(aftercare, live_server, TOPICS[name], body, signature=forged).status_code == 401
    assert post(aftercare, live_server, TOPICS[name], body, signature="").status_code == 401
    assert count(aftercare, InboxEntry) == 0
    with aftercare.db.session() as session:
        assert session.get(Store, store.id).status == "active"


def test_a_retry_with_the_same_event_id_is_dropped(aftercare, live_server, store):
    first = post(aftercare, live_server, "orders/create", open_order(), event_id="evt-1")
    again = post(aftercare, live_server, "orders/create", open_order(), event_id="evt-1")
    assert first.json().get("duplicate") is None and again.json()["duplicate"] is True
    assert count(aftercare, InboxEntry) == 1


def test_an_older_update_arriving_late_does_not_overwrite_a_newer_one(aftercare, live_server, store):
    newer = open_order(updated_at="2022-01-01T10:00:00-05:00", financial_status="refunded")
    older = open_order(updated_at="2022-01-01T09:00:00-05:00", financial_status="paid")
    assert post(aftercare, live_server, "orders/updated", newer).status_code == 200
    assert post(aftercare, live_server, "orders/updated", older).status_code == 200
    assert order_row(aftercare).status == "refunded"


def test_app_uninstalled_stops_all_sending_at_once(aftercare, live_server, store):
    assert post(aftercare, live_server, "orders/create", open_order()).status_code == 200
    assert count(aftercare, Message, status="scheduled") > 0
    assert post(aftercare, live_server, "app/uninstalled", sample_bytes("app_uninstalled")).status_code == 200
    with aftercare.db.session() as session:
        assert session.get(Store, store.id).status == "uninstalled"
    assert count(aftercare, Message, status="scheduled") == 0


def customer_191167_order():
    """An order by the customer the compliance samples name (id 191167, john@example.com, order 299938)."""
    data = open_order(id=299938, name="#1001", email="john@example.com")
    data["customer"] = {
        **data["customer"],
        "id": 191167,
        "email": "john@example.com",
        "phone": "555-625-1199",
    }
    return data


def test_customers_redact_erases_the_customer_and_cancels_what_was_to_be_sent(aftercare, live_server, store):
    assert post(aftercare, live_server, "orders/create", customer_191167_order()).status_code == 200
    assert count(aftercare, Message, status="scheduled") > 0
    assert (
        post(aftercare, live_server, "customers/redact", sample_bytes("customers_redact")).status_code == 200
    )
    with aftercare.db.session() as session:
        customer = session.scalars(select(Customer).where(Customer.external_id == "191167")).one()
        assert (customer.email, customer.first_name, customer.phone) == (None, None, None)
        assert customer.redacted_at is not None
        order = session.scalars(select(Order).where(Order.external_id == "299938")).one()
        assert (order.ship_name, order.ship_address1, order.ship_city) == (None, None, None)
        assert order.total is not None  # the merchant's figures stay
        statuses = {m.status for m in session.scalars(select(Message))}
        assert statuses == {"cancelled"}
        assert all(m.recipient in (None, "[erased]") for m in session.scalars(select(Message)))
        assert not any("Steve" in timeline.describe(t) for t in session.scalars(select(TimelineEntry)))
        kept = [bytes(entry.body) for entry in session.scalars(select(InboxEntry))]
        assert not any(b"123 Shipping Street" in body for body in kept)  # the raw order delivery is gone


def test_a_redacted_customer_is_never_refilled_by_a_late_delivery(aftercare, live_server, store):
    assert post(aftercare, live_server, "orders/create", customer_191167_order()).status_code == 200
    assert (
        post(aftercare, live_server, "customers/redact", sample_bytes("customers_redact")).status_code == 200
    )
    late = customer_191167_order()
    late["updated_at"] = "2022-01-02T00:00:00-05:00"
    assert post(aftercare, live_server, "orders/updated", late).status_code == 200
    with aftercare.db.session() as session:
        assert session.scalars(select(Customer.email).where(Customer.external_id == "191167")).one() is None


def test_customers_data_request_exports_everything_held_on_the_customer(aftercare, live_server, store):
    assert post(aftercare, live_server, "orders/create", customer_191167_order()).status_code == 200
    assert (
        post(
            aftercare, live_server, "customers/data_request", sample_bytes("customers_data_request")
        ).status_code
        == 200
    )
    with aftercare.db.session() as session:
        export = session.scalars(select(DataExport)).one()
        data = json.loads(export.body)
    assert export.request_ref == "9999"
    assert data["customers"][0]["email"] == "john@example.com"
    assert [o["number"] for o in data["orders"]] == ["#1001"]
    assert data["orders"][0]["lines"] and data["messages"]
    assert {m["step"] for m in data["messages"]} >= {"thank_you"}


def test_shop_redact_erases_the_store(aftercare, live_server, store):
    assert post(aftercare, live_server, "orders/create", customer_191167_order()).status_code == 200
    assert post(aftercare, live_server, "shop/redact", sample_bytes("shop_redact")).status_code == 200
    for model in (Customer, Order, Message, TimelineEntry):
        assert count(aftercare, model) == 0, model
    with aftercare.db.session() as session:
        row = session.get(Store, store.id)
        assert (row.status, row.credentials, row.reply_to) == ("uninstalled", None, None)


def test_without_a_configured_secret_every_delivery_is_refused(aftercare, live_server, store):
    from connectors.shopify import ShopifyConnector

    aftercare.connectors["shopify"] = ShopifyConnector(client_secret="")
    assert post(aftercare, live_server, "orders/create", open_order()).status_code == 401


def test_a_forged_delivery_for_an_unknown_shop_is_still_a_401(aftercare, live_server):
    """No store row at all: the app-wide signature is checked first, so forgery is never a 404."""
    body = sample_bytes("customers_redact")
    assert (
        post(
            aftercare, live_server, "customers/redact", body, signature=sign(body, "shpss_other")
        ).status_code
        == 401
    )


def test_a_privacy_request_for_a_shop_we_never_held_is_answered_and_nothing_is_stored(aftercare, live_server):
    for topic, name in (("customers/redact", "customers_redact"), ("shop/redact", "shop_redact")):
        response = post(aftercare, live_server, topic, sample_bytes(name))
        assert response.status_code == 200 and response.json()["nothing_held"] is True
    assert post(aftercare, live_server, "orders/create", open_order()).status_code == 404
    assert count(aftercare, InboxEntry) == 0 and count(aftercare, Store) == 0


def test_a_late_older_carrier_event_does_not_move_the_parcel_back(aftercare, live_server, store):
    assert post(aftercare, live_server, "orders/create", open_order()).status_code == 200
    assert post(aftercare, live_server, "fulfillments/create", shipped_fulfillment()).status_code == 200
    delivered = dict(
        sample("fulfillment_events_create"), id=2, status="delivered", happened_at="2022-01-03T10:00:00-05:00"
    )
    assert post(aftercare, live_server, "fulfillment_events/create", delivered).status_code == 200
    assert (
        post(
            aftercare, live_server, "fulfillment_events/create", sample_bytes("fulfillment_events_create")
        ).status_code
        == 200
    )
    with aftercare.db.session() as session:
        parcel = session.scalars(select(Shipment)).one()
        assert parcel.status == "delivered" and parcel.delivered_at is not None
        assert len(session.scalars(select(ShipmentEvent)).all()) == 2  # both kept, in the timeline too


def test_a_fulfillment_still_pending_is_no_parcel_until_it_ships(aftercare, live_server, store):
    """Shopify's published sample is ``pending`` (with a fulfillment service): "your order has shipped"
    would be false. It becomes a parcel when the update says ``success``."""
    assert post(aftercare, live_server, "orders/create", open_order()).status_code == 200
    assert (
        post(aftercare, live_server, "fulfillments/create", sample_bytes("fulfillments_create")).status_code
        == 200
    )
    assert count(aftercare, Shipment) == 0
    assert count(aftercare, Message, step="shipped") == 0
    assert post(aftercare, live_server, "fulfillments/update", shipped_fulfillment()).status_code == 200
    with aftercare.db.session() as session:
        assert session.scalars(select(Shipment.status)).one() == "in_transit"


def test_one_unreadable_parcel_does_not_cost_the_order_its_other_parcels(aftercare, live_server, store):
    good = shipped_fulfillment(id=1001, order_id=int(ORDER_ID))
    broken = {key: value for key, value in shipped_fulfillment(id=1002).items() if key != "updated_at"}
    unknown = shipped_fulfillment(id=1003, shipment_status="teleported")  # a word this version does not know
    order = open_order(fulfillments=[broken, good, unknown])
    assert post(aftercare, live_server, "orders/updated", order).status_code == 200
    assert order_row(aftercare).status == "paid"
    with aftercare.db.session() as session:
        assert session.scalars(select(Shipment.external_id)).all() == ["1001"]
