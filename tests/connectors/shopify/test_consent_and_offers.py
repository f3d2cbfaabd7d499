"""Shopify: email and SMS marketing consent read apart, codes made once in the shop, redemptions read
from orders, and consent written back, against the published samples and the fake Admin API."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from app import ingest
from app.models import Consent, Store
from connectors.base import OfferRequest, OrderSnapshot
from connectors.shopify import translate
from tests.connectors.shopify.conftest import sample
from tests.connectors.shopify.test_sync import connector, credentials, shopify  # noqa: F401 - fixture
from tests.fakes.shopify import make_order
from tests.helpers import make_store

pytestmark = pytest.mark.any_database


def paid_sample(**customer: object) -> dict:
    """Shopify's published orders/create sample, paid, its customer with the given fields."""
    data = copy.deepcopy(sample("orders_create"))
    data["financial_status"] = "paid"
    data["customer"].update(customer)
    return data


def order_of(data: dict) -> OrderSnapshot:
    [snapshot, *_] = translate.translate("orders/create", json.dumps(data).encode())
    assert isinstance(snapshot, OrderSnapshot)
    return snapshot


def test_sms_consent_is_read_from_sms_consent_and_email_from_email_consent():
    """A customer subscribed to SMS but not to email is exactly that: the two never mix."""
    snapshot = order_of(
        paid_sample(
            phone="+16135550135",
            email_marketing_consent={
                "state": "not_subscribed",
                "opt_in_level": "single_opt_in",
                "consent_updated_at": None,
            },
            sms_marketing_consent={
                "state": "subscribed",
                "opt_in_level": "single_opt_in",
                "consent_updated_at": "2026-10-01T12:00:00-04:00",
                "consent_collected_from": "OTHER",
            },
        )
    )
    consents = {c.channel: c for c in snapshot.customer.consents}
    assert set(consents) == {"email", "sms"}
    assert consents["email"].granted is False and consents["sms"].granted is True
    assert consents["sms"].address == "+16135550135"
    assert consents["sms"].at == datetime(2026, 10, 1, 16, 0, tzinfo=UTC)
    assert consents["sms"].source == "shopify (single_opt_in)"
    assert snapshot.customer.accepts_marketing is None  # the email consent object speaks instead


def test_sms_marketing_never_rides_on_the_email_flag():
    """The published sample says buyer_accepts_marketing and nothing about SMS: email yes, SMS unknown."""
    snapshot = order_of(paid_sample(phone="+16135550135"))
    assert snapshot.customer.accepts_marketing is True
    assert [c.channel for c in snapshot.customer.consents] == []


def test_pending_confirmation_is_not_yet_a_yes():
    snapshot = order_of(paid_sample(email_marketing_consent={"state": "pending", "opt_in_level": None}))
    assert [(c.channel, c.granted) for c in snapshot.customer.consents] == [("email", False)]


def test_graphql_orders_carry_both_consents_and_the_discount_codes_used():
    node = make_order(5000001, datetime(2026, 11, 20, tzinfo=UTC))
    node["discountCodes"] = ["BACK-7QK2M-9XH4T"]
    node["customer"]["emailMarketingConsent"] = {
        "marketingState": "UNSUBSCRIBED",
        "marketingOptInLevel": "SINGLE_OPT_IN",
        "consentUpdatedAt": "2026-11-01T00:00:00Z",
    }
    node["customer"]["smsMarketingConsent"] = {
        "marketingState": "SUBSCRIBED",
        "marketingOptInLevel": "CONFIRMED_OPT_IN",
        "consentUpdatedAt": "2026-11-02T00:00:00Z",
        "consentCollectedFrom": "SHOPIFY",
    }
    [order, *_] = translate.order_node(node)
    assert order.discount_codes == ("BACK-7QK2M-9XH4T",)
    assert {(c.channel, c.granted) for c in order.customer.consents} == {("email", False), ("sms", True)}


def test_the_webhooks_discount_codes_are_read():
    data = paid_sample()
    data["discount_codes"] = [{"code": "back-7qk2m-9xh4t", "amount": "10.00", "type": "percentage"}]
    assert order_of(data).discount_codes == ("back-7qk2m-9xh4t",)


def test_ingest_keeps_email_and_sms_consent_apart_for_the_orders_own_addresses(aftercare):
    store = make_store(aftercare, platform="shopify", external_id="super-toys.myshopify.com")
    data = paid_sample(
        phone="+16135550135",
        email_marketing_consent={"state": "subscribed", "opt_in_level": "single_opt_in"},
        sms_marketing_consent={"state": "not_subscribed", "opt_in_level": "single_opt_in"},
    )
    with aftercare.db.session() as session:
        ingest.apply_all(session, session.get(Store, store.id), [order_of(data)])
        held = {
            (c.address, c.channel): c.granted
            for c in session.scalars(select(Consent).where(Consent.store_id == store.id))
        }
    assert held == {("jon@example.com", "email"): True, ("+16135550135", "sms"): False}


def offer(code: str = "BACK-7QK2M-9XH4T", kind: str = "percent", value: str = "10") -> OfferRequest:
    start = datetime(2026, 12, 1, tzinfo=UTC)
    return OfferRequest(
        code=code,
        kind=kind,
        value=Decimal(value),
        currency="SAR",
        starts_at=start,
        expires_at=start + timedelta(days=30),
        email="sara@example.test",
        customer_external_id="5000001",
        title=f"Aftercare win_back {code}",
    )


def test_a_code_is_made_for_one_customer_once_even_when_asked_twice(shopify):  # noqa: F811
    """The second ask (a retry after a lost answer) gets the first code's id, not a second code."""
    shop = connector(shopify)
    first = shop.create_offer(credentials(shopify), offer())
    again = shop.create_offer(credentials(shopify), offer())
    assert first == again and len(shopify.discounts) == 1
    [made] = shopify.discounts
    assert made["code"] == "BACK-7QK2M-9XH4T" and made["usageLimit"] == 1 and made["appliesOncePerCustomer"]
    assert made["customerSelection"] == {"customers": {"add": ["gid://shopify/Customer/5000001"]}}
    assert made["customerGets"]["value"] == {"percentage": 0.1}
    assert made["endsAt"].startswith("2026-12-31")


def test_an_amount_off_is_a_discount_amount(shopify):  # noqa: F811
    connector(shopify).create_offer(credentials(shopify), offer("MORE-AAAAA-BBBBB", "amount", "25"))
    [made] = shopify.discounts
    assert made["customerGets"]["value"] == {"discountAmount": {"amount": "25", "appliesOnEachItem": False}}


def test_consent_is_written_back_with_the_published_mutations(shopify):  # noqa: F811
    shopify.customers["gid://shopify/Customer/5000001"] = {}
    shop = connector(shopify)
    at = datetime(2026, 12, 1, 9, tzinfo=UTC)
    shop.write_consent(credentials(shopify), "5000001", "email", False, at)
    shop.write_consent(credentials(shopify), "5000001", "sms", True, at)
    assert shopify.consent_updates == [
        {
            "customerId": "gid://shopify/Customer/5000001",
            "emailMarketingConsent": {
                "marketingState": "UNSUBSCRIBED",
                "marketingOptInLevel": "SINGLE_OPT_IN",
                "consentUpdatedAt": "2026-12-01T09:00:00+00:00",
            },
        },
        {
            "customerId": "gid://shopify/Customer/5000001",
            "smsMarketingConsent": {
                "marketingState": "SUBSCRIBED",
                "marketingOptInLevel": "CONFIRMED_OPT_IN",
                "consentUpdatedAt": "2026-12-01T09:00:00+00:00",
            },
        },
    ]
