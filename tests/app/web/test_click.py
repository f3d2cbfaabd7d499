"""Tracked links: every web link in a sent message goes through the signed redirect, which records the
click and cannot be turned into an open redirect."""

from __future__ import annotations

import functools
import re
from datetime import timedelta
from urllib.parse import urlsplit

from sqlalchemy import select

from app import clock, ingest, signing
from app.links import CLICK, Links
from app.messages import custom
from app.messages.render import Custom
from app.models import Click, Message, Store
from connectors.base import ProductSnapshot
from scheduler.jobs import make_dispatcher
from tests import helpers
from tests.conftest import SECRET_KEY
from tests.helpers import T0, count, ingest_order, ingest_shipment, make_store, shipment_snapshot

order_snapshot = functools.partial(helpers.order_snapshot, accepts_marketing=False)
PRODUCT_PAGE = "https://tea.example/p/101#reviews"
# The merchant's own wording of the review request, which links to their product page: the stars and
# review links of ours go to our own pages directly, a link to anywhere else through the redirect.
WORDING = Custom(
    subject="How is your tea?",
    body=(
        '<p>Rate it here:</p>{% for item in review_items %}<a href="{{ item.page }}">{{ item.title }}</a>'
        '{% endfor %}<p>or read what others say: <a href="' + PRODUCT_PAGE + '">reviews</a></p>'
    ),
    short="",
)


def review_mail(aftercare, smtp):
    """The review request of a delivered order, worded by the merchant with a link to their product
    page."""
    from tests.app.web.test_unsubscribe import by_step, delivered_order, mails_until

    store = make_store(aftercare, smtp_port=smtp.port)
    with aftercare.db.session() as session:
        row = session.get(Store, store.id)
        ingest.apply(session, row, ProductSnapshot("101", "Green Tea 1", T0, url="https://tea.example/p/101"))
        custom.save(session, row, "review_request", "en", WORDING, Links(aftercare.settings))
    delivered_order(aftercare, store, accepts_marketing=False, items=1)
    return by_step(mails_until(aftercare, smtp, "review_request", days=9), "review_request")


def test_links_in_a_sent_message_go_through_the_redirect_and_clicks_are_recorded(app, aftercare, smtp):
    mail = review_mail(aftercare, smtp)
    html = mail.get_body(("html",)).get_content()
    text = mail.get_body(("plain",)).get_content()
    assert f'href="{PRODUCT_PAGE}"' not in html and PRODUCT_PAGE not in text
    hrefs = re.findall(r'href="(http://127\.0\.0\.1:8000/r/[^"]+)"', html)
    assert hrefs and hrefs[0] in text  # the same tracked link in both parts
    answer = app.test_client().get(urlsplit(hrefs[0]).path)
    assert answer.status_code == 302 and answer.headers["Location"] == PRODUCT_PAGE
    with aftercare.db.session() as session:
        click = session.scalars(select(Click)).one()
        request = session.scalars(select(Message).where(Message.step == "review_request")).one()
        assert (click.url, click.message_id) == (PRODUCT_PAGE, request.id)


def test_the_tracking_link_goes_straight_to_our_tracking_page(app, aftercare, smtp):
    """No redirect before our own page, and the carrier's address is not in the message: the page
    records the view as the message's click and links to the carrier itself."""
    clock.freeze(T0)
    store = make_store(aftercare, smtp_port=smtp.port)
    ingest_order(aftercare, store, order_snapshot("1001"))
    ingest_shipment(aftercare, store, shipment_snapshot("1001", shipped_at=T0 + timedelta(minutes=5)))
    clock.freeze(T0 + timedelta(minutes=10))
    make_dispatcher(aftercare, "w1").run_until_idle()
    mail = next(m.message for m in smtp.wait_for(2) if m.message["X-Aftercare-Step"] == "shipped")
    html = mail.get_body(("html",)).get_content()
    assert "track.example.test" not in html and "/r/" not in html
    [page] = re.findall(r'href="http://127\.0\.0\.1:8000(/t/[^"]+)"', html)
    answer = app.test_client().get(page)
    assert answer.status_code == 200 and "https://track.example.test/AX1234567890" in answer.get_data(
        as_text=True
    )
    with aftercare.db.session() as session:
        shipped = session.scalars(select(Message).where(Message.step == "shipped")).one()
        assert session.scalars(select(Click.message_id)).all() == [shipped.id]


def test_a_tampered_link_redirects_nowhere_and_records_nothing(app, aftercare, smtp):
    mail = review_mail(aftercare, smtp)
    href = re.search(
        r'href="http://127\.0\.0\.1:8000(/r/[^"]+)"', mail.get_body(("html",)).get_content()
    ).group(1)
    client = app.test_client()
    assert client.get(href[:-4] + "abcd").status_code == 400
    evil = signing.dumps("not-our-key-" + "z" * 32, CLICK, [1, 1, "https://evil.example/"])
    assert client.get(f"/r/{evil}").status_code == 400
    assert count(aftercare, Click) == 0


def test_only_web_addresses_are_ever_redirected_to(app, aftercare):
    """Even a token we signed ourselves cannot send anyone to a javascript: or data: address."""
    for address in ("javascript:alert(1)", "data:text/html,hi", "//evil.example/"):
        token = signing.dumps(SECRET_KEY, CLICK, [1, 1, address])
        assert app.test_client().get(f"/r/{token}").status_code == 400
    assert count(aftercare, Click) == 0


def test_our_own_pages_are_linked_directly(aftercare, smtp):
    """The unsubscribe and check-in links must work without a redirect in between."""
    from tests.app.web.test_unsubscribe import by_step, delivered_order, mails_until

    store = make_store(aftercare, smtp_port=smtp.port)
    delivered_order(aftercare, store)
    check_in = by_step(mails_until(aftercare, smtp, "check_in"), "check_in")
    html = check_in.get_body(("html",)).get_content()
    assert "http://127.0.0.1:8000/c/" in html and "http://127.0.0.1:8000/u/" in html
    assert "/r/" not in html
