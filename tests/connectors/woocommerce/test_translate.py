"""WooCommerce orders, statuses and tracking plugins translate into the app's snapshots."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime

import pytest

from connectors.base import (
    OrderRemoved,
    OrderSnapshot,
    OrderStatus,
    PayloadError,
    ShipmentSnapshot,
    ShipmentStatus,
)
from connectors.woocommerce import translate
from tests.fakes.woocommerce import capture

COMPLETED = capture("GET_order_completed")["body"]
GUEST = capture("GET_orders_page1_per_page2")["body"][0]


def order_with(**changes):
    data = copy.deepcopy(COMPLETED)
    data.update(changes)
    return data


def parts(data):
    snapshots = translate.order(data)
    orders = [s for s in snapshots if isinstance(s, OrderSnapshot)]
    parcels = [s for s in snapshots if isinstance(s, ShipmentSnapshot)]
    return (orders[0] if orders else None), parcels


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("pending", OrderStatus.PENDING),
        ("processing", OrderStatus.PAID),
        ("on-hold", OrderStatus.ON_HOLD),
        ("completed", OrderStatus.COMPLETED),
        ("cancelled", OrderStatus.CANCELLED),
        ("refunded", OrderStatus.REFUNDED),
        ("failed", OrderStatus.FAILED),
        ("trash", OrderStatus.CANCELLED),
    ],
)
def test_core_statuses_map_onto_the_app_state(status, expected):
    order, _ = parts(order_with(status=status))
    assert order.status is expected and order.remote_status == status


def test_a_checkout_draft_is_not_an_order_yet():
    assert translate.order(order_with(status="checkout-draft")) == []


def test_a_custom_status_counts_as_paid_when_paid_or_cash_on_delivery():
    paid, _ = parts(order_with(status="awaiting-pickup", payment_method="bacs"))
    unpaid, _ = parts(order_with(status="awaiting-pickup", payment_method="bacs", date_paid_gmt=None))
    cod, _ = parts(order_with(status="awaiting-pickup", date_paid_gmt=None))
    assert (paid.status, unpaid.status, cod.status) == (
        OrderStatus.PAID,
        OrderStatus.PENDING,
        OrderStatus.PAID,
    )
    assert paid.remote_status == "awaiting-pickup"


def test_cash_on_delivery_is_marked_so_the_thank_you_goes_on_creation():
    order, _ = parts(GUEST)
    assert order.cash_on_delivery and order.paid_at is None and order.status is OrderStatus.PAID


def test_a_guest_is_keyed_by_email_and_located_by_the_billing_address_when_nothing_ships():
    order, _ = parts(GUEST)
    assert order.customer.external_id == "guest:fatima.test@example.test"
    assert order.shipping.country == "SA" and order.shipping.city == "جدة"


def test_times_are_read_from_the_gmt_fields_as_utc():
    order, _ = parts(COMPLETED)
    assert order.placed_at == datetime(2026, 11, 23, 7, 4, 50, tzinfo=UTC)
    assert order.updated_at == datetime(2026, 11, 23, 7, 5, 50, tzinfo=UTC)


def test_the_shopping_language_recorded_by_wpml_becomes_the_order_locale():
    order, _ = parts(order_with(meta_data=[{"id": 1, "key": "wpml_language", "value": "ar"}]))
    assert order.locale == "ar"


def test_without_a_tracking_plugin_a_completed_order_is_one_shipped_parcel():
    _, [parcel] = parts(COMPLETED)
    assert parcel.status is ShipmentStatus.IN_TRANSIT
    assert parcel.shipped_at == datetime(2026, 11, 23, 7, 5, 50, tzinfo=UTC)
    _, none = parts(order_with(status="processing", date_completed_gmt=None))
    assert none == []


def test_a_custom_delivered_status_delivers_the_parcel():
    _, [parcel] = parts(order_with(status="delivered"))
    assert parcel.status is ShipmentStatus.DELIVERED and parcel.delivered_at is not None


SHIPMENT_TRACKING_META = {
    "id": 90,
    "key": "_wc_shipment_tracking_items",
    "value": [
        {
            "tracking_provider": "aramex",
            "custom_tracking_provider": "",
            "custom_tracking_link": "",
            "tracking_number": "AX123456789",
            "date_shipped": "1795392000",
            "tracking_id": "7f4978c390ee633c6294ae0f258656f9",
        },
        {
            "tracking_provider": "",
            "custom_tracking_provider": "ناقل الرياض",
            "custom_tracking_link": "https://track.example.sa/?n=%1$s",
            "tracking_number": "RY-77",
            "date_shipped": "1795392000",
            "tracking_id": "0c2f",
        },
    ],
}


def test_shipment_tracking_items_become_one_parcel_each_with_carrier_number_and_link():
    _, parcels = parts(order_with(meta_data=[SHIPMENT_TRACKING_META]))
    first, second = parcels
    assert (first.carrier, first.tracking_number) == ("Aramex", "AX123456789")
    assert first.tracking_url == "https://www.aramex.com/track/results?ShipmentNumber=AX123456789"
    assert first.shipped_at == datetime.fromtimestamp(1795392000, UTC)
    assert (second.carrier, second.tracking_url) == ("ناقل الرياض", "https://track.example.sa/?n=RY-77")
    assert {p.external_id for p in parcels} == {"tracking:7f4978c390ee633c6294ae0f258656f9", "tracking:0c2f"}


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("pre_transit", ShipmentStatus.LABEL_CREATED),
        ("in_transit", ShipmentStatus.IN_TRANSIT),
        ("out_for_delivery", ShipmentStatus.OUT_FOR_DELIVERY),
        ("delivered", ShipmentStatus.DELIVERED),
        ("available_for_pickup", ShipmentStatus.READY_FOR_PICKUP),
        ("failure", ShipmentStatus.ATTEMPTED_DELIVERY),
        ("exception", ShipmentStatus.DELAYED),
        ("return_to_sender", ShipmentStatus.FAILURE),
    ],
)
def test_advanced_shipment_tracking_status_moves_the_parcel(word, expected):
    status_meta = {
        "id": 91,
        "key": "shipment_status",
        "value": [{"status": word, "status_date": "2026-11-25 10:15:00"}],
    }
    _, [parcel, _] = parts(order_with(meta_data=[SHIPMENT_TRACKING_META, status_meta]))
    assert parcel.status is expected
    [event] = parcel.events
    assert event.happened_at == datetime(2026, 11, 25, 10, 15, tzinfo=UTC)
    assert (parcel.delivered_at is not None) == (expected is ShipmentStatus.DELIVERED)


def test_a_cancelled_order_has_no_parcel():
    assert parts(order_with(status="cancelled"))[1] == []


def test_a_deleted_order_is_removed():
    assert translate.translate("order.deleted", b'{"id":15}') == [OrderRemoved("15")]


def test_a_product_out_of_stock_or_unpublished_is_not_recommended():
    product = capture("GET_product_arabic")["body"]
    assert translate.product(product).in_stock
    assert not translate.product({**product, "stock_status": "outofstock"}).in_stock
    assert not translate.product({**product, "status": "draft"}).in_stock
    assert translate.product(product).title == "عطر العود الملكي"


@pytest.mark.parametrize(
    "body", [b"[]", b"not json", json.dumps({"id": 1}).encode(), b'{"id":"x","status":"processing"}']
)
def test_a_malformed_order_is_a_payload_error(body):
    with pytest.raises(PayloadError):
        translate.translate("order.updated", body)


def test_topics_the_app_does_not_use_give_nothing():
    assert translate.translate("coupon.created", b"{}") == []
