"""WooCommerce: the marketing plugins' opt-in on the order, the coupons used, and coupons made once in
the store, on the recorded order and against the fake store."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from app import clock, evidence, ingest
from app.models import Consent, Message, Store
from connectors.base import OfferRequest, OrderSnapshot, PayloadError
from connectors.woocommerce import WooCommerceConnector, translate
from tests.connectors.woocommerce.conftest import (  # noqa: F401 - fixtures
    CAPTURE_SECRET,
    CAPTURE_SITE,
    connected_store,
    shop,
    shop_key,
)
from tests.connectors.woocommerce.test_webhooks import explained, replay, signed
from tests.fakes.woocommerce import capture, webhook_capture
from tests.helpers import make_store

COMPLETED = capture("GET_order_completed")["body"]
PLACED = datetime(2026, 11, 23, 7, 4, 50, tzinfo=UTC)


def with_meta(*entries: tuple[str, object], **fields: object) -> dict:
    data = copy.deepcopy(COMPLETED)
    data["meta_data"] = [
        {"id": 900 + n, "key": key, "value": value} for n, (key, value) in enumerate(entries)
    ]
    data.update(fields)
    return data


def order_of(data: dict) -> OrderSnapshot:
    snapshot = translate.order(data)[0]
    assert isinstance(snapshot, OrderSnapshot)
    return snapshot


def consents(data: dict) -> dict[str, tuple[bool, str, str | None]]:
    return {c.channel: (c.granted, c.source, c.address) for c in order_of(data).customer.consents}


@pytest.mark.any_database
@pytest.mark.parametrize(
    ("entries", "expected"),
    [
        (
            (("mailchimp_woocommerce_is_subscribed", "1"),),
            {"email": (True, "mailchimp-for-woocommerce", None)},
        ),
        (
            (("mailchimp_woocommerce_is_subscribed", "0"),),
            {"email": (False, "mailchimp-for-woocommerce", None)},
        ),
        (
            (("mailchimp_woocommerce_is_subscribed", True),),
            {"email": (True, "mailchimp-for-woocommerce", None)},
        ),
        ((("ckwc_opt_in", "yes"),), {"email": (True, "kit-for-woocommerce", None)}),
        ((("ckwc_opt_in", "no"),), {"email": (False, "kit-for-woocommerce", None)}),
        ((("_woo_ml_subscribe", True),), {"email": (True, "mailerlite-woocommerce", None)}),
        (
            (
                ("mailchimp_woocommerce_is_subscribed", "0"),
                ("mailchimp_woocommerce_sms_subscribed", True),
                ("mailchimp_woocommerce_sms_phone", "+966500000001"),
            ),
            {
                "email": (False, "mailchimp-for-woocommerce", None),
                "sms": (True, "mailchimp-for-woocommerce", "+966500000001"),
            },
        ),
        ((("_wc_shipment_tracking_items", []),), {}),  # no marketing plugin: nothing is said
    ],
)
def test_each_plugins_box_on_the_order_is_read_as_it_wrote_it(entries, expected):
    assert consents(with_meta(*entries)) == expected


@pytest.mark.any_database
def test_the_box_was_ticked_when_the_order_was_placed_not_when_it_last_changed():
    [consent] = order_of(with_meta(("ckwc_opt_in", "yes"))).customer.consents
    assert consent.at == PLACED


@pytest.mark.any_database
def test_the_coupons_used_are_the_orders_discount_codes():
    data = with_meta(
        coupon_lines=[{"id": 31, "code": "back-7qk2m-9xh4t", "discount": "25.00", "meta_data": []}]
    )
    assert order_of(data).discount_codes == ("back-7qk2m-9xh4t",)


def test_an_old_no_restated_by_a_later_update_never_undoes_a_yes_given_since(aftercare):
    """Checkout said no (Mailchimp's box unticked); the customer then opted in with us; the order is
    updated later (it shipped) and still carries the old no: the yes stands."""
    store = make_store(aftercare, platform="woocommerce", external_id="http://127.0.0.1:8080")
    placed = with_meta(("mailchimp_woocommerce_is_subscribed", "0"))
    with aftercare.db.session() as session:
        row = session.get(Store, store.id)
        ingest.apply_all(session, row, [order_of(placed)])
        evidence.record(
            session,
            row,
            [
                evidence.Evidence(
                    "mohammed.alotaibi@example.test",
                    "email",
                    True,
                    evidence.OPT_IN,
                    PLACED + timedelta(days=1),
                )
            ],
        )
        later = copy.deepcopy(placed)
        later["date_modified_gmt"] = "2026-11-30T10:00:00"
        ingest.apply_all(session, row, [order_of(later)])
        [held] = session.scalars(select(Consent).where(Consent.store_id == store.id)).all()
    assert held.granted is True and held.source == evidence.OPT_IN


@pytest.mark.parametrize("ticked", [True, False])
def test_a_box_ticked_at_checkout_plans_the_marketing_steps_from_the_signed_webhook(
    aftercare, live_server, ticked
):
    """The order arrives as WooCommerce posts it, Mailchimp's box on it: the cross-sell and the
    come-back offer are planned for that customer; without the box, neither is."""
    clock.freeze(datetime(2026, 11, 23, 7, 8, tzinfo=UTC))
    make_store(aftercare, platform="woocommerce", external_id=CAPTURE_SITE, webhook_secret=CAPTURE_SECRET)
    order = json.loads(webhook_capture("order_updated_completed")[1])
    if ticked:
        order["meta_data"].append({"id": 990, "key": "mailchimp_woocommerce_is_subscribed", "value": "1"})
    body = json.dumps(order).encode()
    assert (
        replay(aftercare, live_server, "order_updated_completed", body=body, **signed(body)).status_code
        == 200
    )
    with aftercare.db.session() as session:
        rows = session.execute(select(Message.step, Message.status).where(Message.kind == "marketing"))
        planned = {step: status for step, status in rows}
        proof = session.scalars(select(Consent)).all()
    steps = explained(aftercare, "15")
    said = {step: steps[step].reason for step in ("cross_sell", "win_back")}
    refused = "has not agreed to marketing"
    if ticked:
        assert planned == {"win_back": "scheduled"}
        assert refused not in said["cross_sell"]  # it waits for the parcel and for something to recommend
        assert [(c.channel, c.granted, c.source) for c in proof] == [
            ("email", True, "mailchimp-for-woocommerce")
        ]
    else:
        assert planned == {} and proof == []
        assert all(refused in reason for reason in said.values()), said


def offer(code: str = "BACK-7QK2M-9XH4T", kind: str = "percent") -> OfferRequest:
    start = datetime(2026, 12, 1, tzinfo=UTC)
    return OfferRequest(
        code=code,
        kind=kind,
        value=Decimal("10"),
        currency="SAR",
        starts_at=start,
        expires_at=start + timedelta(days=30),
        email="mohammed.alotaibi@example.test",
        customer_external_id="2",
    )


@pytest.mark.any_database
def test_a_coupon_is_made_for_one_email_once_even_when_asked_twice(aftercare, shop, shop_key):  # noqa: F811
    store = connected_store(aftercare, shop, shop_key)
    woo = WooCommerceConnector(attempts=1)
    first = woo.create_offer(store.credentials, offer())
    again = woo.create_offer(store.credentials, offer())
    assert first == again and len(shop.coupons) == 1
    [made] = shop.coupons
    assert made["code"] == "back-7qk2m-9xh4t"  # WooCommerce keeps codes in lower case
    assert made["discount_type"] == "percent" and made["amount"] == "10"
    assert made["usage_limit"] == 1 and made["usage_limit_per_user"] == 1 and made["individual_use"]
    assert made["email_restrictions"] == ["mohammed.alotaibi@example.test"]
    assert made["date_expires_gmt"] == "2026-12-31T00:00:00"


@pytest.mark.any_database
def test_an_amount_off_is_a_fixed_cart_coupon(aftercare, shop, shop_key):  # noqa: F811
    store = connected_store(aftercare, shop, shop_key)
    WooCommerceConnector(attempts=1).create_offer(store.credentials, offer("MORE-AAAAA-BBBBB", "amount"))
    assert shop.coupons[0]["discount_type"] == "fixed_cart"


@pytest.mark.any_database
def test_someone_elses_coupon_with_the_same_code_is_refused_not_taken(aftercare, shop, shop_key):  # noqa: F811
    store = connected_store(aftercare, shop, shop_key)
    shop.coupons.append({"id": 1, "code": "back-7qk2m-9xh4t", "email_restrictions": ["other@example.test"]})
    with pytest.raises(PayloadError, match="someone else"):
        WooCommerceConnector(attempts=1).create_offer(store.credentials, offer())
