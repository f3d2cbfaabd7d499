"""A rating clicked in the review request: recorded once per person and item, the reminder drops the
item (and goes when nothing is left), a low rating alerts the merchant, answers the customer and
pauses marketing."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from app import clock
from app.models import Message, Review, TimelineEntry
from app.reviews.links import ReviewLinks
from tests.app.reviews.helpers import delivered_order, message, send_due
from tests.helpers import count, make_store


def _items(mail_html: str) -> list[str]:
    return re.findall(r'href="(http[^"]+/rv/[^"?]+\?stars=\d)"', mail_html)


def test_the_review_request_carries_five_stars_per_item_and_a_star_records_the_rating(app, aftercare, smtp):
    store = make_store(aftercare, smtp_port=smtp.port)
    order_id = delivered_order(aftercare, store, items=2)
    send_due(aftercare, order_id, "review_request")
    mails = [m for m in smtp.wait_for(10, timeout=1.0) if "how do you like" in m.message["Subject"]]
    html = mails[0].message.get_body(("html",)).get_content()
    stars = _items(html)
    assert len(stars) == 10  # two items, five stars each, plain links
    assert "<script" not in html
    fourth = stars[3].replace("http://127.0.0.1:8000", "")
    client = app.test_client()
    page = client.get(fourth)
    assert page.status_code == 200 and 'value="4" checked' in page.text
    assert count(aftercare, Review) == 0  # opening the link (a mail scanner) records nothing
    token = fourth.split("/rv/")[1].split("?")[0]
    saved = client.post(f"/rv/{token}/rating", data={"rating": "4"}, headers={"Accept": "application/json"})
    assert saved.status_code == 200 and saved.get_json()["rating"] == 4
    with aftercare.db.session() as session:
        review = session.scalars(select(Review)).one()
        assert (review.rating, review.product_external_id, review.status) == (4, "101", "pending")
        said = session.scalars(select(TimelineEntry.code).where(TimelineEntry.kind == "review")).all()
        assert said == ["review_recorded"]
    again = client.post(f"/rv/{token}/rating", data={"rating": "5"}, headers={"Accept": "application/json"})
    assert again.get_json()["rating"] == 5 and count(aftercare, Review) == 1


def test_the_reminder_drops_a_reviewed_item_and_goes_when_every_item_is_reviewed(app, aftercare, smtp):
    store = make_store(aftercare, smtp_port=smtp.port)
    order_id = delivered_order(aftercare, store, items=2)
    send_due(aftercare, order_id, "review_request")
    links = ReviewLinks(aftercare.settings)
    client = app.test_client()
    first = links.page(store.id, order_id, "101").replace("http://127.0.0.1:8000", "")
    client.post(f"{first}/rating", data={"rating": "5"})
    reminder = message(aftercare, order_id, "review_reminder")
    assert reminder is not None and reminder.status == "scheduled"  # one item is left to review
    second = links.page(store.id, order_id, "102").replace("http://127.0.0.1:8000", "")
    client.post(f"{second}/rating", data={"rating": "4"})
    reminder = message(aftercare, order_id, "review_reminder")
    assert reminder.status == "cancelled" and reminder.reason_code == "every_item_reviewed"
    with aftercare.db.session() as session:
        cancelled = session.scalars(
            select(TimelineEntry).where(
                TimelineEntry.step == "review_reminder", TimelineEntry.kind == "cancelled"
            )
        ).one()
        assert cancelled.code == "every_item_reviewed"


def test_a_reminder_lists_only_the_items_not_reviewed(app, aftercare, smtp):
    store = make_store(aftercare, smtp_port=smtp.port)
    order_id = delivered_order(aftercare, store, items=2)
    send_due(aftercare, order_id, "review_request")
    page = (
        ReviewLinks(aftercare.settings).page(store.id, order_id, "101").replace("http://127.0.0.1:8000", "")
    )
    app.test_client().post(f"{page}/rating", data={"rating": "5"})
    smtp.received.clear()
    send_due(aftercare, order_id, "review_reminder")
    [mail] = [m for m in smtp.wait_for(1) if "review" in m.message["Subject"]]
    html = mail.message.get_body(("html",)).get_content()
    assert "Green Tea 2" in html and "Green Tea 1" not in html
    assert len(_items(html)) == 5


def test_a_low_rating_alerts_the_merchant_answers_the_customer_and_pauses_marketing(app, aftercare, smtp):
    store = make_store(aftercare, smtp_port=smtp.port, reply_to="owner@tea.example")
    order_id = delivered_order(aftercare, store, items=1)
    send_due(aftercare, order_id, "review_request")
    page = (
        ReviewLinks(aftercare.settings).page(store.id, order_id, "101").replace("http://127.0.0.1:8000", "")
    )
    app.test_client().post(f"{page}/rating", data={"rating": "2"})
    with aftercare.db.session() as session:
        steps = {m.step: m for m in session.scalars(select(Message).where(Message.order_id == order_id))}
        assert steps["merchant_alert"].reason_code == "low_rating_alert"
        assert steps["review_reply"].kind == "service" and steps["review_reply"].status == "scheduled"
        assert steps["win_back"].status == "cancelled"
        assert steps["win_back"].why.params["because"]["code"] == "low_rating"
        assert session.scalars(select(Review.status)).one() == "pending"  # never published by itself
    app.test_client().post(f"{page}/rating", data={"rating": "1"})
    assert count(aftercare, Message, step="merchant_alert") == 1  # one alert per item, not per click


def test_a_forged_expired_or_other_store_token_is_a_clear_4xx_and_changes_nothing(app, aftercare):
    store = make_store(aftercare)
    other = make_store(aftercare, name="Another Shop")
    order_id = delivered_order(aftercare, store, items=1, locale="ar")
    links = ReviewLinks(aftercare.settings)
    client = app.test_client()
    good = links.page(store.id, order_id, "101").replace("http://127.0.0.1:8000", "")
    forged = good[:-6] + ("AAAAAA" if not good.endswith("AAAAAA") else "BBBBBB")
    answer = client.get(forged, headers={"Accept-Language": "ar-SA,ar;q=0.9"})
    assert answer.status_code == 400 and "هذا الرابط غير صالح" in answer.text and 'dir="rtl"' in answer.text
    assert client.post(f"{forged}/rating", data={"rating": "5"}).status_code == 400
    elsewhere = links.page(other.id, order_id, "101").replace("http://127.0.0.1:8000", "")
    assert client.get(elsewhere).status_code == 404  # signed, but naming another store's order
    assert client.post(f"{elsewhere}/rating", data={"rating": "5"}).status_code == 404
    not_bought = links.page(store.id, order_id, "999").replace("http://127.0.0.1:8000", "")
    assert client.post(f"{not_bought}/rating", data={"rating": "5"}).status_code == 404
    assert client.post(f"{good}/rating", data={"rating": "6"}).status_code == 400
    clock.freeze(clock.now() + timedelta(days=179))
    assert client.get(good).status_code == 200  # a link lives well past 180 days
    clock.freeze(clock.now() + timedelta(days=300))
    expired = client.get(good)
    assert expired.status_code == 410 and "expired" in expired.text  # the browser decides the language
    assert count(aftercare, Review) == 0
