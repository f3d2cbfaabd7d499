"""A review's thank-you code is one of our offer codes: made in the store over loopback (the fake
WooCommerce store's coupons, the fake Shopify's discounts) once, even when the store was down the first
time; and the later order that uses it (WooCommerce ``coupon_lines``, Shopify ``discountCodes``) shows
on the dashboard as a code used and its revenue, the order counted once however often it arrives."""

from __future__ import annotations

import copy
import json
import re
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select

from app import clock, ingest, stats
from app.models import Message, OfferCode, OfferStatus, Order, Review, Store
from app.reviews import figures, publish
from connectors.shopify import translate as shopify_translate
from connectors.woocommerce import translate as woo_translate
from tests.app.reviews.helpers import delivered_order, message, send_due
from tests.app.reviews.test_publish import review_page, shopify_store, woo_store, write
from tests.fakes.shopify import make_order
from tests.fakes.woocommerce import capture
from tests.helpers import csrf_headers, signed_in

REWARD = json.dumps({"reviews": {"reward_percent": 10, "photo_reward_percent": 15}})


def approve_all(app, aftercare, store) -> None:
    client = signed_in(app, aftercare, store)
    with aftercare.db.session() as session:
        ids = session.scalars(select(Review.id).where(Review.store_id == store.id).order_by(Review.id)).all()
    for review_id in ids:
        answer = client.post(f"/admin/reviews/{review_id}/approve", headers=csrf_headers(client))
        assert answer.status_code == 302


def reward_codes(aftercare) -> list[OfferCode]:
    with aftercare.db.session() as session:
        rows = session.scalars(select(OfferCode).where(OfferCode.step == "review_reward")).all()
        for row in rows:
            session.expunge(row)
        return list(rows)


def dashboard_figure(app, aftercare, store, element_id: str) -> str:
    page = signed_in(app, aftercare, store).get("/admin/dashboard?days=7").text
    found = re.search(rf'id="{element_id}">(.*?)</b>', page, re.S)
    assert found, f"#{element_id} is not on the dashboard"
    return re.sub(r"<[^>]+>", "", found.group(1)).strip()


def woo_order_with(code: str, external_id: int) -> dict:
    """A later WooCommerce order (the recorded payload) that used ``code``, as WooCommerce sends it."""
    data = copy.deepcopy(capture("GET_order_completed")["body"])
    now = clock.now().strftime("%Y-%m-%dT%H:%M:%S")
    data.update(
        id=external_id,
        number=str(external_id),
        status="processing",
        total="80.00",
        currency="USD",
        date_created_gmt=now,
        date_modified_gmt=now,
        coupon_lines=[{"id": 41, "code": code.lower(), "discount": "8.00", "meta_data": []}],
    )
    return data


def test_a_thank_you_code_used_in_a_later_woocommerce_order_shows_on_the_dashboard_once(
    app, aftercare, woo, smtp
):
    store = woo_store(aftercare, woo, smtp_port=smtp.port, journey=REWARD)
    order_id = delivered_order(aftercare, store, items=2)
    write(app, review_page(aftercare, store, order_id), 5, "Wonderful")
    write(app, review_page(aftercare, store, order_id, "102"), 4, "Good")
    approve_all(app, aftercare, store)
    publish.run(aftercare)
    [coupon] = woo.coupons  # one code per order, however many of its items are reviewed
    [row] = reward_codes(aftercare)
    assert coupon["code"] == row.code.lower() and coupon["usage_limit"] == 1
    assert coupon["email_restrictions"] == ["layla@example.test"] and Decimal(coupon["amount"]) == 10
    expires = (clock.now() + timedelta(days=60)).strftime("%Y-%m-%dT%H:%M:%S")
    assert coupon["date_expires_gmt"] == expires  # the merchant's reward_days (60 by default)
    reward = message(aftercare, order_id, "review_reward")
    assert row.status == OfferStatus.CREATED and reward is not None and row.message_id == reward.id
    send_due(aftercare, order_id, "review_reward")
    [mail] = [m for m in smtp.wait_for(5, timeout=1.0) if "thank-you" in m.message["Subject"].lower()]
    assert row.code in mail.message.get_body(("plain",)).get_content()
    assert dashboard_figure(app, aftercare, store, "review-codes") == "1"
    assert dashboard_figure(app, aftercare, store, "review-codes-used") == "0"

    clock.freeze(clock.now() + timedelta(days=3))
    later = woo_order_with(row.code, 2002)
    for _ in range(2):  # the same order delivered twice is one order
        with aftercare.db.session() as session:
            ingest.apply_all(session, session.get(Store, store.id), woo_translate.order(later))
    with aftercare.db.session() as session:
        used = session.get(OfferCode, row.id)
        later_id = session.scalars(select(Order.id).where(Order.external_id == "2002")).one()
        assert used.redeemed_order_id == later_id
        numbers = stats.collect(session, session.get(Store, store.id), days=7)
        review_numbers = figures.collect(session, session.get(Store, store.id), days=7, earned=numbers)
    assert numbers.step_orders["review_reward"] == {"code": 1}
    assert (review_numbers.codes_sent, review_numbers.codes_redeemed) == (1, 1)
    assert review_numbers.codes_revenue == {"USD": Decimal("80.00")}
    assert dashboard_figure(app, aftercare, store, "review-codes-used") == "1"
    assert dashboard_figure(app, aftercare, store, "review-codes-revenue") == "USD 80"


def test_a_store_down_when_the_code_is_made_is_asked_again_for_the_same_code(app, aftercare, woo, smtp):
    store = woo_store(aftercare, woo, smtp_port=smtp.port, journey=REWARD)
    aftercare.connectors["woocommerce"].attempts = 1
    order_id = delivered_order(aftercare, store, items=1)
    write(app, review_page(aftercare, store, order_id), 5, "Wonderful")
    approve_all(app, aftercare, store)
    woo.fail_next.extend([503, 503])  # the review's publishing, then the code
    publish.run(aftercare)
    [chosen] = reward_codes(aftercare)
    assert woo.coupons == [] and chosen.status == OfferStatus.RESERVED
    assert message(aftercare, order_id, "review_reward") is None  # no message promises a code the store lacks
    publish.run(aftercare)
    [made] = reward_codes(aftercare)
    assert made.code == chosen.code and made.status == OfferStatus.CREATED
    assert [c["code"] for c in woo.coupons] == [chosen.code.lower()]
    assert message(aftercare, order_id, "review_reward") is not None
    publish.run(aftercare)
    assert len(woo.coupons) == 1 and len(reward_codes(aftercare)) == 1


def test_a_review_with_a_photo_earns_the_larger_code(app, aftercare, woo):
    store = woo_store(aftercare, woo, journey=REWARD)
    order_id = delivered_order(aftercare, store, items=1)
    write(app, review_page(aftercare, store, order_id), 5, "Wonderful")
    with aftercare.db.session() as session:  # a photo, as the review page keeps it
        from app.models import ReviewPhoto

        review = session.scalars(select(Review)).one()
        review.photos.append(ReviewPhoto(store_id=store.id, name="p" * 32, position=0, width=10, height=10))
    approve_all(app, aftercare, store)
    publish.run(aftercare)
    [coupon] = woo.coupons
    assert Decimal(coupon["amount"]) == 15


def test_on_shopify_the_thank_you_is_a_discount_and_its_later_order_counts_once(app, aftercare, shopify):
    store = shopify_store(aftercare, shopify, journey=REWARD)
    order_id = delivered_order(aftercare, store, items=1)
    write(app, review_page(aftercare, store, order_id), 5, "Lovely")
    approve_all(app, aftercare, store)
    publish.run(aftercare)
    [row] = reward_codes(aftercare)
    [discount] = shopify.discounts
    assert discount["code"] == row.code and discount["usageLimit"] == 1
    later = make_order(5000002, clock.now() + timedelta(days=2))
    later["discountCodes"] = [row.code]
    later["createdAt"] = later["updatedAt"]
    for _ in range(2):
        with aftercare.db.session() as session:
            ingest.apply_all(session, session.get(Store, store.id), shopify_translate.order_node(later))
    with aftercare.db.session() as session:
        shop, then = session.get(Store, store.id), clock.now() + timedelta(days=3)
        numbers = stats.collect(session, shop, days=7, now=then)
        reviewed = figures.collect(session, shop, days=7, now=then, earned=numbers)
        assert session.scalars(select(Message.step).where(Message.step == "review_reward")).all()
    assert reviewed.codes_redeemed == 1 and sum(reviewed.codes_revenue.values()) > 0
    assert len(shopify.discounts) == 1
