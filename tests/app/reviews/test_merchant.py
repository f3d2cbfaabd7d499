"""The merchant's side: the Reviews page filters and moderates only the store's own reviews, the
auto-publish rule and its word list, the settings survive the journey page, the dashboard counts the
funnel, and the check-in's NPS question holds detractors and shows on the dashboard."""

from __future__ import annotations

import io
import json
import re
from datetime import timedelta

import pytest
from PIL import Image
from sqlalchemy import select

from app import clock
from app.journeys import config as journey_config
from app.links import Links
from app.messages.render import LOCALES, render
from app.messages.samples import sample_context
from app.models import Message, Order, Review, Store
from app.reviews.links import ReviewLinks
from tests.app.reviews.helpers import delivered_order, message, send_due
from tests.helpers import csrf_headers, make_store, signed_in


def rate(app, aftercare, store, order_id, stars, body="", product="101"):
    page = (
        ReviewLinks(aftercare.settings).page(store.id, order_id, product).replace("http://127.0.0.1:8000", "")
    )
    answer = app.test_client().post(page, data={"rating": str(stars), "body": body})
    assert answer.status_code == 200


def test_the_reviews_page_filters_and_never_shows_or_moderates_another_stores_review(app, aftercare):
    store = make_store(aftercare)
    other = make_store(aftercare, name="Another Shop")
    rate(app, aftercare, store, delivered_order(aftercare, store, items=1), 5, "Mine, five")
    rate(
        app,
        aftercare,
        store,
        delivered_order(aftercare, store, "1002", email="o@x.test", items=1),
        2,
        "Mine, two",
    )
    rate(
        app,
        aftercare,
        store,
        delivered_order(aftercare, store, "1003", email="p@x.test", items=2),
        4,
        "On 102",
        product="102",
    )
    rate(app, aftercare, other, delivered_order(aftercare, other, "2001", items=1), 4, "Theirs")
    client = signed_in(app, aftercare, store)
    page = client.get("/admin/reviews").text
    assert "Mine, five" in page and "Mine, two" in page and "On 102" in page and "Theirs" not in page
    assert "#1001" in page and "layla@example.test" in page and "Green Tea 1" in page  # order, customer
    by_product = client.get("/admin/reviews?product=102").text
    assert "On 102" in by_product and "Mine, five" not in by_product
    assert "Mine, two" not in client.get("/admin/reviews?rating=5").text
    assert "Mine, five" not in client.get("/admin/reviews?state=approved").text
    with aftercare.db.session() as session:
        theirs = session.scalars(select(Review.id).where(Review.store_id == other.id)).one()
    answer = client.post(f"/admin/reviews/{theirs}/approve", headers=csrf_headers(client))
    assert answer.status_code == 404
    assert client.post(f"/admin/reviews/{theirs}/approve").status_code == 400  # no CSRF token
    with aftercare.db.session() as session:
        assert session.get(Review, theirs).status == "pending"


def test_the_auto_publish_rule_holds_low_ratings_and_blocked_words(app, aftercare):
    store = make_store(aftercare)
    client = signed_in(app, aftercare, store)
    saved = client.post(
        "/admin/reviews/settings",
        data={
            "auto_publish_from": "4",
            "low_rating": "2",
            "blocked_words": "refund, scam",
            "reward_days": "60",
        },
        headers=csrf_headers(client),
    )
    assert saved.status_code == 302
    rate(app, aftercare, store, delivered_order(aftercare, store, items=1), 5, "Great tea")
    rate(
        app,
        aftercare,
        store,
        delivered_order(aftercare, store, "1002", email="b@x.test", items=1),
        5,
        "A SCAM!",
    )
    rate(app, aftercare, store, delivered_order(aftercare, store, "1003", email="c@x.test", items=1), 3, "Ok")
    with aftercare.db.session() as session:
        states = dict(session.execute(select(Review.body, Review.status)).all())
    assert states == {"Great tea": "approved", "A SCAM!": "pending", "Ok": "pending"}


def test_bad_settings_are_refused_with_a_sentence_and_the_journey_page_keeps_them(app, aftercare):
    store = make_store(aftercare)
    client = signed_in(app, aftercare, store)
    refused = client.post("/admin/reviews/settings", data={"low_rating": "9"}, headers=csrf_headers(client))
    assert refused.status_code == 422 and "cannot be saved" in refused.text
    client.post(
        "/admin/reviews/settings", data={"nps": "on", "reward_percent": "10"}, headers=csrf_headers(client)
    )
    journey = client.get("/admin/journey").text
    form = dict(re.findall(r'name="([^"]+)" value="([^"]*)"', journey))
    client.post("/admin/journey", data=form, headers=csrf_headers(client))
    with aftercare.db.session() as session:
        kept = journey_config.parse(session.get(Store, store.id).journey).reviews
    assert kept.nps is True and kept.reward_percent == 10


def test_nps_detractors_are_held_and_the_dashboard_shows_the_figures(app, aftercare, smtp):
    store = make_store(aftercare, smtp_port=smtp.port, journey=json.dumps({"reviews": {"nps": True}}))
    order_id = delivered_order(aftercare, store, items=1)
    send_due(aftercare, order_id, "check_in")
    [mail] = [m for m in smtp.wait_for(3, timeout=1.0) if m.message["X-Aftercare-Step"] == "check_in"]
    links = re.findall(
        r'href="(http[^"]+/nps/[^"?]+)\?score=(\d+)"', mail.message.get_body(("html",)).get_content()
    )
    assert [int(score) for _, score in links] == list(range(11))
    path = links[0][0].replace("http://127.0.0.1:8000", "")
    client = app.test_client()
    assert client.get(f"{path}?score=3").status_code == 200
    with aftercare.db.session() as session:
        assert session.get(Order, order_id).nps_score is None  # a scanner's fetch records nothing
    assert client.post(path, data={"score": "3"}).status_code == 200
    with aftercare.db.session() as session:
        assert session.get(Order, order_id).nps_score == 3
        win_back = session.scalars(select(Message).where(Message.step == "win_back")).one()
        assert win_back.status == "cancelled" and win_back.why.params["because"]["code"] == "nps_detractor"
        assert (
            session.scalars(select(Message.reason_code).where(Message.step == "merchant_alert")).one()
            == "nps_detractor"
        )
    assert client.post(path, data={"score": "11"}).status_code == 400
    send_due(aftercare, order_id, "review_request")
    rate(app, aftercare, store, order_id, 5, "Lovely")
    board = signed_in(app, aftercare, store).get("/admin/dashboard").text
    assert re.search(r'id="review-requests">1<', board) and re.search(r'id="review-ratings">1<', board)
    assert re.search(r'id="review-words">1<', board) and re.search(r'id="nps">-100<', board)
    assert message(aftercare, order_id, "review_reminder").status == "cancelled"


@pytest.mark.any_database
@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("step", ["review_reply", "review_reward"])
def test_the_reply_and_the_thank_you_render_in_every_language(aftercare, step, locale):
    store = make_store(aftercare)
    context = sample_context(store, "review_request", locale, Links(aftercare.settings))
    context.update(review={"product": "Oud Candle", "stars": 2, "page": ""})
    context.update(reward={"code": "THANKS-7Q2M", "percent": 10, "until": "1 March 2027"})
    rendered = render(step, locale, context)
    assert rendered.locale == locale and rendered.subject
    assert ("THANKS-7Q2M" in rendered.text) == (step == "review_reward")
    assert f'dir="{"rtl" if locale != "en" else "ltr"}"' in rendered.html


def test_the_dashboard_shows_the_conversion_and_the_nps_week_by_week(app, aftercare, smtp):
    store = make_store(aftercare, smtp_port=smtp.port, journey=json.dumps({"reviews": {"nps": True}}))
    first = delivered_order(aftercare, store, items=1)
    second = delivered_order(aftercare, store, "1002", email="omar@example.test", items=1)
    third = delivered_order(aftercare, store, "1003", email="sara@example.test", items=1)
    for order_id in (first, second, third):
        send_due(aftercare, order_id, "review_request")
    links = ReviewLinks(aftercare.settings)
    client = app.test_client()

    def page(order_id: int) -> str:
        return links.page(store.id, order_id, "101").replace("http://127.0.0.1:8000", "")

    def nps(order_id: int, score: int) -> None:
        path = links.nps(store.id, order_id)[score].replace("http://127.0.0.1:8000", "").split("?")[0]
        assert client.post(path, data={"score": str(score)}).status_code == 200

    photo = io.BytesIO()
    Image.new("RGB", (60, 40), (10, 120, 80)).save(photo, "JPEG")
    answer = client.post(
        page(first), data={"rating": "5", "body": "Lovely", "photos": (io.BytesIO(photo.getvalue()), "a.jpg")}
    )
    assert answer.status_code == 200
    client.post(page(second), data={"rating": "4", "body": "Good"})
    client.post(f"{page(third)}/rating", data={"rating": "3"})  # stars only
    nps(first, 10)
    clock.freeze(clock.now() + timedelta(days=7))
    nps(second, 9)
    nps(third, 2)
    dashboard = signed_in(app, aftercare, store).get("/admin/dashboard?days=30").text

    def figure(element_id: str) -> str:
        found = re.search(
            rf'id="{element_id}">(.*?)</b>(?:<span class="muted">([^<]*)</span>)?', dashboard, re.S
        )
        assert found, element_id
        return " ".join(
            part for part in (re.sub(r"<[^>]+>", "", found.group(1)).strip(), found.group(2)) if part
        )

    assert figure("review-requests") == "3"
    assert (figure("review-ratings"), figure("review-words"), figure("review-photos")) == (
        "3 100%",
        "2 67%",
        "1 33%",
    )
    assert figure("review-average") == "4"
    assert figure("nps") == "33 3 answers"  # two promoters, one detractor of three
    weeks = re.findall(
        r"<tr><td>[^<]+</td><td>([^<]+)</td><td>([^<]+)</td></tr>", dashboard.split('id="nps-weeks"')[1]
    )
    assert weeks == [("100", "1"), ("0", "2")]
