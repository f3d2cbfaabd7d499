"""The sandbox's customers leave ratings at the rates stores see (a few in a hundred review requests,
half with words, one in eight with a photo, mostly five stars), through the same links and pages as
real customers: the demo's Reviews page and dashboard fill by themselves."""

from __future__ import annotations

import random
from collections import Counter
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from app.models import Review
from connectors.sandbox.mailbox import MailboxHandler
from connectors.sandbox.reviewers import Reviewers
from tests.app.reviews.helpers import delivered_order, send_due
from tests.fakes.ports import free_port
from tests.fakes.serve import serving
from tests.helpers import make_store
from tests.live import app  # noqa: F401 - fixture


def review_request(items: int = 1) -> EmailMessage:
    message = EmailMessage()
    message["X-Aftercare-Step"] = "review_request"
    links = "".join(
        f'<a class="star" href="https://app.example/rv/tok{item}?stars={n}">*</a>'
        for item in range(items)
        for n in range(1, 6)
    )
    message.set_content("text")
    message.add_alternative(f"<html><body>{links}</body></html>", subtype="html")
    return message


@pytest.mark.any_database
def test_ratings_come_at_realistic_rates():
    reviewers = Reviewers(rng=random.Random(14))
    assert reviewers.decide(review_request()) == []  # the seed's first customer does nothing
    html = review_request().get_body(("html",)).get_content()
    actions = [action for _ in range(4000) for action in reviewers.decide_html("review_request", html)]
    assert 0.045 <= len(actions) / 4000 <= 0.085  # 5-8% of requests
    words = sum(bool(a.words) for a in actions) / len(actions)
    photos = sum(a.photo for a in actions) / len(actions)
    stars = Counter(a.value for a in actions)
    assert 0.3 <= words <= 0.6 and 0.04 <= photos <= 0.22
    assert stars.most_common(1)[0][0] == 5 and stars[5] > stars[4] > stars[3]
    assert {a.url for a in actions} == {"https://app.example/rv/tok0"}


def test_a_sandbox_customer_rates_from_the_mailbox_through_the_real_pages(
    app,  # noqa: F811 - the fixture imported above
    aftercare,
    tmp_path,
):
    always = {"rating": 1.0, "words": 1.0, "photo": 1.0, "nps": 1.0}
    handler = MailboxHandler(tmp_path / "mailbox", Reviewers(rng=random.Random(1), rates=always))
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port, ready_timeout=60)
    controller.start()
    try:
        with serving(app, app.config["TEST_PORT"]):
            store = make_store(aftercare, smtp_port=port)
            order_id = delivered_order(aftercare, store, items=2)
            send_due(aftercare, order_id, "review_request")
            for worker in handler.acting:
                worker.join(timeout=120)
    finally:
        controller.stop()
    assert len(list((tmp_path / "mailbox").glob("*.eml"))) >= 1
    with aftercare.db.session() as session:
        reviews = session.scalars(select(Review).order_by(Review.product_external_id)).all()
        assert [r.product_external_id for r in reviews] == ["101", "102"]
        assert all(r.body and len(r.photos) == 1 and r.submitted_at for r in reviews)
    assert not any(worker.is_alive() for worker in handler.acting)
