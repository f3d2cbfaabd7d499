"""Offers that are real, end to end over loopback: the come-back offer's code is made in the store
(the fake WooCommerce store, the fake Shopify Admin API) for that customer alone when the message is
sent, never twice for one message, and the later order that uses it is the message's, counted once."""

from __future__ import annotations

import copy
from datetime import timedelta
from decimal import Decimal

import lxml.html
import pytest
from sqlalchemy import select, update

from app import clock, ingest, stats
from app.journeys.config import JourneyConfig, OfferConfig, StepConfig
from app.journeys.steps import STEPS
from app.links import Links
from app.models import Click, Message, OfferCode, OfferStatus, Order, Store
from connectors.shopify import translate as shopify_translate
from connectors.woocommerce import translate as woo_translate
from scheduler.dispatch import Outcome
from scheduler.jobs import make_dispatcher
from tests.connectors.shopify.test_sync import connector, credentials, shopify  # noqa: F401 - fixture
from tests.connectors.woocommerce.conftest import connected_store, shop, shop_key  # noqa: F401 - fixtures
from tests.fakes.shopify import make_order
from tests.fakes.woocommerce import capture
from tests.helpers import T0, make_store, signed_in

COMPLETED = capture("GET_order_completed")["body"]  # order 15, placed 2026-11-23 07:04:50 UTC, Riyadh


def only_win_back(**offer: object) -> str:
    """Journey settings with every step off but the come-back offer (so the test reads one message)."""
    steps = {name: StepConfig(enabled=False) for name in STEPS if name != "win_back"}
    if offer:
        steps["win_back"] = StepConfig(offer=OfferConfig(**offer))
    return JourneyConfig(steps=steps).model_dump_json()


def opted_in(data: dict) -> dict:
    """The recorded order with Kit's checkout box ticked (its order meta ``ckwc_opt_in``)."""
    data = copy.deepcopy(data)
    data["meta_data"] = [*data.get("meta_data", []), {"id": 990, "key": "ckwc_opt_in", "value": "yes"}]
    return data


def win_back(aftercare) -> Message:
    with aftercare.db.session() as session:
        message = session.scalars(select(Message).where(Message.step == "win_back")).one()
        session.expunge(message)
        return message


def codes(aftercare) -> list[OfferCode]:
    with aftercare.db.session() as session:
        rows = session.scalars(select(OfferCode).order_by(OfferCode.id)).all()
        for row in rows:
            session.expunge(row)
        return list(rows)


@pytest.fixture
def woo_store(aftercare, shop, shop_key, smtp):  # noqa: F811 - the fixtures above
    """The recorded WooCommerce order, opted in at checkout, 31 days on: its come-back offer is due."""
    placed = woo_translate.order(COMPLETED)[0].placed_at
    clock.freeze(placed + timedelta(days=31, hours=1))  # 11:05 in Riyadh, inside the send window
    store = connected_store(
        aftercare, shop, shop_key, smtp_port=smtp.port, journey=only_win_back(), currency="SAR"
    )
    with aftercare.db.session() as session:
        ingest.apply_all(session, session.get(Store, store.id), woo_translate.order(opted_in(COMPLETED)))
    return store


def test_the_come_back_offer_carries_a_code_made_in_the_store_for_that_customer_alone(
    aftercare,
    shop,  # noqa: F811
    woo_store,
    smtp,
):
    assert win_back(aftercare).status == "scheduled"
    assert codes(aftercare) == [] and shop.coupons == []  # planned, but no code until it is sent
    outcomes = make_dispatcher(aftercare, "w1").run_until_idle()
    assert outcomes == {Outcome.SENT: 1}
    [row] = codes(aftercare)
    [coupon] = shop.coupons
    assert coupon["code"] == row.code.lower() and row.status == OfferStatus.CREATED
    assert row.external_id == str(coupon["id"]) and row.message_id == win_back(aftercare).id
    assert coupon["email_restrictions"] == ["mohammed.alotaibi@example.test"]
    assert coupon["usage_limit"] == 1 and coupon["amount"] == "10.00" and coupon["discount_type"] == "percent"
    assert coupon["date_expires_gmt"] == (clock.now() + timedelta(days=30)).strftime("%Y-%m-%dT%H:%M:%S")
    [mail] = smtp.wait_for(1)
    body = mail.message.get_body(("plain",)).get_content()
    assert row.code in body and "10%" in body  # the customer reads their own code and what it takes off


def test_each_customer_gets_a_code_of_their_own(aftercare, shop, woo_store, smtp):  # noqa: F811
    other = opted_in(COMPLETED)
    other.update(id=99, number="99", customer_id=0, order_key="wc_order_other")
    other["billing"] = {**other["billing"], "email": "sara@example.test", "first_name": "Sara"}
    with aftercare.db.session() as session:
        ingest.apply_all(session, session.get(Store, woo_store.id), woo_translate.order(other))
    assert make_dispatcher(aftercare, "w1").run_until_idle() == {Outcome.SENT: 2}
    rows = codes(aftercare)
    assert len({row.code for row in rows}) == 2 and len(shop.coupons) == 2
    assert sorted(coupon["email_restrictions"][0] for coupon in shop.coupons) == [
        "mohammed.alotaibi@example.test",
        "sara@example.test",
    ]
    for mail in smtp.wait_for(2):  # each reads their own
        [own] = [row.code for row in rows if row.recipient == mail.rcpt_tos[0]]
        body = mail.message.get_body(("plain",)).get_content()
        assert own in body and not any(row.code in body for row in rows if row.code != own)


def test_the_merchants_value_kind_and_days_make_the_code(aftercare, shop, woo_store, smtp):  # noqa: F811
    with aftercare.db.session() as session:
        session.get(Store, woo_store.id).journey = only_win_back(kind="amount", value=Decimal(25), days=7)
    make_dispatcher(aftercare, "w1").run_until_idle()
    [coupon] = shop.coupons
    assert coupon["discount_type"] == "fixed_cart" and coupon["amount"] == "25.00"
    assert coupon["date_expires_gmt"] == (clock.now() + timedelta(days=7)).strftime("%Y-%m-%dT%H:%M:%S")


def test_a_send_retried_after_the_code_was_made_makes_no_second_code(aftercare, shop, woo_store, smtp):  # noqa: F811
    smtp.refuse_with = "450 mailbox busy, try later"
    assert make_dispatcher(aftercare, "w1").run_until_idle() == {Outcome.RETRY: 1}
    assert len(shop.coupons) == 1 and codes(aftercare)[0].status == OfferStatus.CREATED
    smtp.refuse_with = None
    clock.freeze(clock.now() + timedelta(hours=2))
    assert make_dispatcher(aftercare, "w1").run_until_idle() == {Outcome.SENT: 1}
    [row] = codes(aftercare)
    assert len(shop.coupons) == 1 and shop.coupons[0]["code"] == row.code.lower()
    [mail] = smtp.wait_for(1)
    assert row.code in mail.message.get_body(("plain",)).get_content()


def test_a_worker_that_died_between_making_the_code_and_recording_it_makes_no_second_code(
    aftercare,
    shop,  # noqa: F811
    woo_store,
    smtp,
):
    """The store has the code but our row still says reserved (the record was lost with the worker):
    asking again finds the store's own, and the same code goes out."""
    smtp.refuse_with = "450 mailbox busy, try later"
    make_dispatcher(aftercare, "w1").run_until_idle()
    with aftercare.db.session() as session:  # what a crash before the record would have left
        session.execute(update(OfferCode).values(status=OfferStatus.RESERVED.value, external_id=None))
    smtp.refuse_with = None
    clock.freeze(clock.now() + timedelta(hours=2))
    assert make_dispatcher(aftercare, "w1").run_until_idle() == {Outcome.SENT: 1}
    [row] = codes(aftercare)
    assert len(shop.coupons) == 1 and row.status == OfferStatus.CREATED
    assert row.external_id == str(shop.coupons[0]["id"])


def test_a_store_that_refuses_the_code_gets_no_message_promising_it(aftercare, shop, woo_store, smtp):  # noqa: F811
    shop.keys.clear()  # the keys were revoked: the store waits, as a channel that is down
    assert make_dispatcher(aftercare, "w1").run_until_idle() == {Outcome.CHANNEL_DOWN: 1}
    assert smtp.wait_for(1, timeout=0.3) == [] and win_back(aftercare).attempts == 0


def test_redeemed_on_woocommerce_the_order_counts_once_for_the_message(aftercare, app, shop, woo_store, smtp):  # noqa: F811
    make_dispatcher(aftercare, "w1").run_until_idle()
    [row] = codes(aftercare)
    message = win_back(aftercare)
    # the customer follows a link in the message, then orders with the code (WooCommerce lower-cases it)
    link = Links(aftercare.settings).tracked(woo_store.id, message.id, "https://shop.example/")
    assert (
        app.test_client().get(link.removeprefix(aftercare.settings.public_url.rstrip("/"))).status_code == 302
    )
    clock.freeze(clock.now() + timedelta(hours=3))
    again = copy.deepcopy(COMPLETED)
    again.update(
        id=16,
        number="16",
        status="processing",
        total="225.00",
        date_created_gmt=clock.now().strftime("%Y-%m-%dT%H:%M:%S"),
        date_modified_gmt=clock.now().strftime("%Y-%m-%dT%H:%M:%S"),
        coupon_lines=[{"id": 41, "code": row.code.lower(), "discount": "25.00", "meta_data": []}],
    )
    for _ in range(2):  # the same order delivered twice attributes it once
        with aftercare.db.session() as session:
            ingest.apply_all(session, session.get(Store, woo_store.id), woo_translate.order(again))
    with aftercare.db.session() as session:
        redeemed = session.get(OfferCode, row.id)
        order = session.scalars(select(Order).where(Order.external_id == "16")).one()
        assert redeemed.redeemed_order_id == order.id
        assert session.scalars(select(Click)).all()  # the click is there too
        numbers = stats.collect(session, session.get(Store, woo_store.id), days=7)
    assert numbers.step_orders == {"win_back": {"code": 1}}
    assert numbers.orders.total() == 1 and numbers.revenue["USD"].total() == Decimal("225.00")
    assert numbers.step_revenue["win_back"]["USD"]["code"] == Decimal("225.00")
    board = lxml.html.fromstring(
        signed_in(app, aftercare, woo_store).get("/admin/dashboard").get_data(as_text=True)
    )
    [step] = board.xpath('//tr[@data-step="win_back"]')  # the merchant sees it by code, not by click too
    assert [step.find_class(name)[0].text_content() for name in ("by-code", "by-click", "step-revenue")] == [
        "1",
        "0",
        "USD 225",
    ]
    assert board.get_element_by_id("total-orders").text_content() == "1"


def test_on_shopify_the_code_is_a_discount_for_the_customer_and_its_order_counts_for_it(
    aftercare,
    shopify,  # noqa: F811
    smtp,
):
    aftercare.connectors["shopify"] = connector(shopify)
    node = make_order(5000001, T0)  # a fixed hour: 31 days on, inside the send window in Riyadh
    placed = shopify_translate.order_node(node)[0].placed_at
    clock.freeze(placed + timedelta(days=31, hours=3))
    store = make_store(
        aftercare,
        platform="shopify",
        external_id=shopify.shop,
        credentials=credentials(shopify),
        smtp_port=smtp.port,
        journey=only_win_back(),
        currency="SAR",
    )
    with aftercare.db.session() as session:
        ingest.apply_all(session, session.get(Store, store.id), shopify_translate.order_node(node))
    dispatcher = make_dispatcher(aftercare, "w1")
    assert dispatcher.run_until_idle() == {Outcome.SENT: 1}
    [row] = codes(aftercare)
    [discount] = shopify.discounts
    assert discount["code"] == row.code and discount["usageLimit"] == 1
    assert discount["customerSelection"] == {"customers": {"add": ["gid://shopify/Customer/5000001"]}}
    [mail] = smtp.wait_for(1)
    assert row.code in mail.message.get_body(("plain",)).get_content()
    # the customer's next order used it
    later = make_order(5000002, clock.now() + timedelta(hours=1))
    later["customer"] = node["customer"]
    later["email"] = node["email"]
    later["discountCodes"] = [row.code]
    later["createdAt"] = later["updatedAt"]
    with aftercare.db.session() as session:
        ingest.apply_all(session, session.get(Store, store.id), shopify_translate.order_node(later))
        numbers = stats.collect(
            session, session.get(Store, store.id), days=7, now=clock.now() + timedelta(hours=2)
        )
    assert numbers.step_orders == {"win_back": {"code": 1}}
    assert len(shopify.discounts) == 1
