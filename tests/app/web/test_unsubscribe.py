"""One-click unsubscribe: the headers on every refusable email, RFC 8058's POST, and the choice page
in the customer's language. Mail goes through a real SMTP server on loopback."""

from __future__ import annotations

import functools
from dataclasses import replace
from datetime import timedelta
from urllib.parse import urlsplit

from sqlalchemy import select

from app import clock
from app.models import Message, Suppression
from scheduler.jobs import make_dispatcher
from tests import helpers
from tests.helpers import T0, count, ingest_order, ingest_shipment, make_store, shipment_snapshot

order_snapshot = functools.partial(helpers.order_snapshot, accepts_marketing=False)


def delivered_order(aftercare, store, **changes):
    """An order delivered at T0 + 1h, so its check-in and review request are planned."""
    clock.freeze(T0)
    snapshot = order_snapshot("1001", **changes)
    ingest_order(aftercare, store, snapshot)
    arrived = T0 + timedelta(hours=1)
    parcel = shipment_snapshot(
        "1001", "delivered", shipped_at=T0, at=arrived, events=(("delivered", arrived),)
    )
    ingest_shipment(aftercare, store, parcel)
    return snapshot


def mails_until(aftercare, smtp, step: str, days: int = 6):
    """Run the worker hour by hour until a mail of ``step`` has gone; every mail sent meanwhile."""
    dispatcher = make_dispatcher(aftercare, "w1")
    moment = T0
    while moment < T0 + timedelta(days=days):
        clock.freeze(moment)
        dispatcher.run_until_idle()
        if any(m.message["X-Aftercare-Step"] == step for m in smtp.received):
            return list(smtp.received)
        moment += timedelta(hours=1)
    raise AssertionError(f"no {step} mail went out")


def by_step(mails, step):
    return next(m.message for m in mails if m.message["X-Aftercare-Step"] == step)


def path_of(header: str) -> str:
    return urlsplit(header.strip("<>")).path


def test_refusable_emails_carry_one_click_unsubscribe_and_receipts_do_not(aftercare, smtp):
    store = make_store(aftercare, smtp_port=smtp.port)
    delivered_order(aftercare, store)
    mails = mails_until(aftercare, smtp, "check_in")
    check_in, thank_you = by_step(mails, "check_in"), by_step(mails, "thank_you")
    assert check_in["List-Unsubscribe"].startswith("<http://127.0.0.1:8000/u/")
    assert check_in["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    html = check_in.get_body(("html",)).get_content()
    assert path_of(check_in["List-Unsubscribe"]) in html  # the same link in the footer
    text = check_in.get_body(("plain",)).get_content()
    assert path_of(check_in["List-Unsubscribe"]) in text
    assert thank_you["List-Unsubscribe"] is None and thank_you["List-Unsubscribe-Post"] is None


def test_the_one_click_post_stops_that_kind_at_once(app, aftercare, smtp):
    store = make_store(aftercare, smtp_port=smtp.port)
    delivered_order(aftercare, store)
    check_in = by_step(mails_until(aftercare, smtp, "check_in"), "check_in")
    client = app.test_client()  # a mail client: no cookies, just the RFC 8058 body
    answer = client.post(
        path_of(check_in["List-Unsubscribe"]),
        data="List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert answer.status_code == 200
    with aftercare.db.session() as session:
        kinds = session.scalars(select(Suppression.kind)).all()
    assert kinds == ["service"]
    assert count(aftercare, Message, step="review_request", status="scheduled") == 1  # reviews still welcome


def test_opening_the_link_changes_nothing_and_speaks_the_customers_language(app, aftercare, smtp):
    store = make_store(aftercare, smtp_port=smtp.port)
    snapshot = delivered_order(aftercare, store, locale="ar")
    ingest_order(aftercare, store, replace(snapshot, customer=replace(snapshot.customer, locale="ar")))
    check_in = by_step(mails_until(aftercare, smtp, "check_in"), "check_in")
    page = app.test_client().get(path_of(check_in["List-Unsubscribe"]))
    body = page.get_data(as_text=True)
    assert page.status_code == 200 and 'dir="rtl"' in body and 'lang="ar"' in body
    assert "رسائلك من" in body and 'value="service" checked' in body
    assert count(aftercare, Suppression) == 0


def test_the_page_stops_the_chosen_kinds_cancels_what_was_planned_and_can_resume(app, aftercare, smtp):
    store = make_store(aftercare, smtp_port=smtp.port)
    delivered_order(aftercare, store)
    check_in = by_step(mails_until(aftercare, smtp, "check_in"), "check_in")
    page = path_of(check_in["List-Unsubscribe"])
    client = app.test_client()
    assert count(aftercare, Message, step="review_request", status="scheduled") == 1
    saved = client.post(page, data={"stop": ["review", "marketing", "transactional"]})
    assert saved.status_code == 200 and "Saved" in saved.get_data(as_text=True)
    with aftercare.db.session() as session:
        assert sorted(session.scalars(select(Suppression.kind))) == ["marketing", "review"]  # receipts stay
    assert count(aftercare, Message, step="review_request", status="scheduled") == 0
    assert "cancelled" in {m.status for m in _messages(aftercare, "review_request")}
    client.post(page, data={})  # the customer changes their mind
    assert count(aftercare, Suppression) == 0


def test_a_bounce_is_not_undone_from_the_page(app, aftercare, smtp):
    store = make_store(aftercare, smtp_port=smtp.port)
    delivered_order(aftercare, store)
    check_in = by_step(mails_until(aftercare, smtp, "check_in"), "check_in")
    with aftercare.db.session() as session:
        session.add(
            Suppression(store_id=store.id, address="layla@example.test", kind="review", reason="complaint")
        )
    app.test_client().post(path_of(check_in["List-Unsubscribe"]), data={})
    assert count(aftercare, Suppression) == 1


def test_a_tampered_or_foreign_link_changes_nothing(app, aftercare, smtp):
    store = make_store(aftercare, smtp_port=smtp.port)
    delivered_order(aftercare, store)
    check_in = by_step(mails_until(aftercare, smtp, "check_in"), "check_in")
    path = path_of(check_in["List-Unsubscribe"])
    client = app.test_client()
    assert client.post(path[:-3] + "xyz", data="List-Unsubscribe=One-Click").status_code == 400
    assert client.post("/u/not-a-token", data="List-Unsubscribe=One-Click").status_code == 400
    assert count(aftercare, Suppression) == 0


def _messages(aftercare, step):
    with aftercare.db.session() as session:
        return session.scalars(select(Message).where(Message.step == step)).all()
