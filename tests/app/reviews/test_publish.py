"""Approved reviews reach the store over loopback: WooCommerce's product reviews are created, updated
and deleted; Shopify's rating metafields follow every approval, edit and rejection; thank-you codes
are in test_rewards; reviews already left on WooCommerce count as reviewed."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import select

from app import clock
from app.models import Message, Review, Store
from app.reviews import publish
from app.reviews.links import ReviewLinks
from connectors.shopify import ShopifyConnector
from connectors.shopify.client import ShopCredentials
from connectors.woocommerce.client import Credentials
from tests.app.reviews.conftest import TOKEN
from tests.app.reviews.helpers import delivered_order, send_due
from tests.helpers import csrf_headers, make_store, signed_in

PRODUCT = "gid://shopify/Product/101"


def woo_store(aftercare, woo, **fields):
    key = woo.add_key()
    credentials = Credentials(woo.url, key.consumer_key, key.consumer_secret)
    return make_store(
        aftercare, platform="woocommerce", external_id=woo.url, credentials=credentials.to_json(), **fields
    )


def shopify_store(aftercare, shopify, **fields):
    aftercare.connectors["shopify"] = ShopifyConnector(
        client_secret="unused", http_client=shopify.client(), sleep=shopify.clock.sleep, clock=shopify.clock
    )
    credentials = ShopCredentials(shopify.shop, TOKEN).to_json()
    return make_store(
        aftercare, platform="shopify", external_id=shopify.shop, credentials=credentials, **fields
    )


def review_page(aftercare, store, order_id, product="101") -> str:
    return (
        ReviewLinks(aftercare.settings).page(store.id, order_id, product).replace("http://127.0.0.1:8000", "")
    )


def write(app, page, rating, body, title="") -> None:
    answer = app.test_client().post(page, data={"rating": str(rating), "title": title, "body": body})
    assert answer.status_code == 200, answer.text


def moderate(app, aftercare, store, action) -> None:
    client = signed_in(app, aftercare, store)
    with aftercare.db.session() as session:
        review_id = session.scalars(select(Review.id).where(Review.store_id == store.id)).first()
    answer = client.post(f"/admin/reviews/{review_id}/{action}", headers=csrf_headers(client))
    assert answer.status_code == 302


def test_woocommerce_receives_the_approved_review_then_its_edit_then_its_removal(app, aftercare, woo):
    store = woo_store(aftercare, woo, journey=json.dumps({"reviews": {"auto_publish_from": 4}}))
    order_id = delivered_order(aftercare, store, items=1)
    page = review_page(aftercare, store, order_id)
    write(app, page, 3, "Good <b>tea</b>, \u202eslow\u202c to brew", title="Fine")
    assert publish.run(aftercare) == 0 and woo.reviews == []  # 3 stars waits for the merchant
    moderate(app, aftercare, store, "approve")
    assert publish.run(aftercare) == 1
    [sent] = woo.reviews
    assert sent["product_id"] == 101 and sent["rating"] == 3 and sent["status"] == "approved"
    assert sent["verified"] is True and sent["reviewer_email"] == "layla@example.test"
    assert sent["review"] == "<strong>Fine</strong><br>\nGood &lt;b&gt;tea&lt;/b&gt;, slow to brew"
    write(app, page, 5, "Better every day")  # 5 stars passes the rule: stays approved, the store updates
    assert publish.run(aftercare) == 1
    assert [(r["id"], r["rating"], r["review"]) for r in woo.reviews] == [(sent["id"], 5, "Better every day")]
    assert ("PUT", f"/wc/v3/products/reviews/{sent['id']}") in woo.requests_seen
    moderate(app, aftercare, store, "reject")
    assert publish.run(aftercare) == 1
    assert woo.reviews == []  # deleted for good, not trashed
    with aftercare.db.session() as session:
        review = session.scalars(select(Review)).one()
        assert review.remote_id is None and review.publish_state == ""


def test_a_store_that_is_down_is_asked_again_later(app, aftercare, woo):
    store = woo_store(aftercare, woo, journey=json.dumps({"reviews": {"auto_publish_from": 4}}))
    order_id = delivered_order(aftercare, store, items=1)
    aftercare.connectors["woocommerce"].attempts = 1
    woo.fail_next.extend([503])
    write(app, review_page(aftercare, store, order_id), 5, "Lovely")
    assert publish.run(aftercare) == 1 and woo.reviews == []
    with aftercare.db.session() as session:
        review = session.scalars(select(Review)).one()
        assert review.publish_state == "publish" and review.publish_attempts == 1 and review.publish_error
        retry_at = review.publish_after
    assert publish.run(aftercare) == 0  # not before its time
    clock.freeze(retry_at + timedelta(seconds=1))
    assert publish.run(aftercare) == 1 and len(woo.reviews) == 1


def test_shopify_rating_metafields_follow_approval_edit_and_rejection(app, aftercare, shopify):
    store = shopify_store(aftercare, shopify)
    order_id = delivered_order(aftercare, store, items=1)
    other_id = delivered_order(aftercare, store, "1002", email="omar@example.test", items=1)
    write(app, review_page(aftercare, store, order_id), 4, "Nice")
    moderate(app, aftercare, store, "approve")
    publish.run(aftercare)
    assert shopify.current_metafields(PRODUCT) == {
        "reviews.rating": '{"value": "4.0", "scale_min": "1.0", "scale_max": "5.0"}',
        "reviews.rating_count": "1",
    }
    write(app, review_page(aftercare, store, other_id), 2, "Too bitter")
    publish.run(aftercare)
    assert shopify.current_metafields(PRODUCT)["reviews.rating_count"] == "1"  # a low rating waits
    with aftercare.db.session() as session:
        low = session.scalars(select(Review).where(Review.rating == 2)).one()
        low_id = low.id
    client = signed_in(app, aftercare, store)
    client.post(f"/admin/reviews/{low_id}/approve", headers=csrf_headers(client))
    publish.run(aftercare)
    assert shopify.current_metafields(PRODUCT) == {
        "reviews.rating": '{"value": "3.0", "scale_min": "1.0", "scale_max": "5.0"}',
        "reviews.rating_count": "2",
    }
    client.post(f"/admin/reviews/{low_id}/reject", headers=csrf_headers(client))
    moderate(app, aftercare, store, "reject")
    publish.run(aftercare)
    assert shopify.current_metafields(PRODUCT) == {}  # no approved review left: the summary goes


def test_a_review_left_on_woocommerce_counts_so_nobody_is_asked_twice(app, aftercare, woo, smtp):
    store = woo_store(aftercare, woo, smtp_port=smtp.port)
    order_id = delivered_order(aftercare, store, items=2)
    woo.reviews.append(
        {
            "id": 555,
            "product_id": 102,
            "reviewer_email": "Layla@Example.test",
            "rating": 5,
            "status": "approved",
            "date_created": "2026-11-04T10:00:00",
            "date_created_gmt": "2026-11-04T10:00:00",
        }
    )
    woo.reviews.append({**woo.reviews[0], "id": 556, "reviewer_email": "stranger@example.test"})
    assert publish.import_store_reviews(aftercare, store.id) == 1  # not the stranger's
    assert publish.import_store_reviews(aftercare, store.id) == 0  # nothing new the second time
    send_due(aftercare, order_id, "review_request")
    [mail] = [m for m in smtp.wait_for(5, timeout=1.0) if "how do you like" in m.message["Subject"]]
    html = mail.message.get_body(("html",)).get_content()
    assert "Green Tea 1" in html and "Green Tea 2" not in html
    with aftercare.db.session() as session:
        kept = session.scalars(select(Review).where(Review.source == "store")).one()
        assert (kept.email, kept.product_external_id, kept.remote_id) == ("layla@example.test", "102", "555")
        assert session.get(Store, store.id) is not None
        assert session.scalars(select(Message.status).where(Message.step == "review_request")).one() == "sent"


def test_shopify_rating_metafields_follow_the_customers_edit(app, aftercare, shopify):
    store = shopify_store(aftercare, shopify, journey=json.dumps({"reviews": {"auto_publish_from": 4}}))
    order_id = delivered_order(aftercare, store, items=1)
    page = review_page(aftercare, store, order_id)
    write(app, page, 4, "Nice")  # four stars pass the merchant's rule
    publish.run(aftercare)
    assert shopify.current_metafields(PRODUCT)["reviews.rating"] == (
        '{"value": "4.0", "scale_min": "1.0", "scale_max": "5.0"}'
    )
    write(app, page, 5, "Even nicer after a week")  # the same link, later
    publish.run(aftercare)
    assert shopify.current_metafields(PRODUCT) == {
        "reviews.rating": '{"value": "5.0", "scale_min": "1.0", "scale_max": "5.0"}',
        "reviews.rating_count": "1",
    }
    write(app, page, 2, "It went stale")  # a low rating leaves the store until the merchant decides
    publish.run(aftercare)
    assert shopify.current_metafields(PRODUCT) == {}


def test_a_reply_is_shown_by_us_since_woocommerces_reviews_api_cannot_carry_one(app, aftercare, woo):
    """WooCommerce's ``POST /products/reviews`` sets ``comment_parent`` to 0 and takes no parent, so
    the merchant's reply stays ours: on the customer's review page (and Shopify's block), never
    pasted into the customer's own words in the store."""
    store = woo_store(aftercare, woo, journey=json.dumps({"reviews": {"auto_publish_from": 4}}))
    order_id = delivered_order(aftercare, store, items=1)
    page = review_page(aftercare, store, order_id)
    write(app, page, 5, "Lovely tea")
    assert publish.run(aftercare) == 1
    [sent] = woo.reviews
    seen = len(woo.requests_seen)
    client = signed_in(app, aftercare, store)
    with aftercare.db.session() as session:
        review_id = session.scalars(select(Review.id)).one()
    answer = client.post(
        f"/admin/reviews/{review_id}/reply",
        data={"reply": "Thank you, Layla! <script>x()</script>\u202e"},
        headers=csrf_headers(client),
    )
    assert answer.status_code == 302
    assert "Thank you, Layla!" in client.get("/admin/reviews").text
    assert publish.run(aftercare) == 0 and len(woo.requests_seen) == seen  # nothing to send
    assert woo.reviews == [sent]
    shown = app.test_client().get(page).text
    assert 'id="store-reply"' in shown and "Thank you, Layla! &lt;script&gt;x()&lt;/script&gt;" in shown
    assert "\u202e" not in shown.split('id="store-reply"')[1].split("</section>")[0]
