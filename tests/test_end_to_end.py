"""One order, end to end: the sandbox store posts it over HTTP, the worker sends the thank-you by
SMTP, and the merchant sees it sent."""

from __future__ import annotations

import re
from collections import Counter

import requests
from sqlalchemy import select

from app.journeys.explain import explain
from app.models import InboxEntry, Message, Order, Store
from app.web.admin.auth import login_token
from scheduler.dispatch import Outcome
from scheduler.jobs import make_dispatcher
from tests.helpers import count, drain, make_store, simulated


def test_order_to_email_to_merchant_page(aftercare, live_server, smtp):
    store = make_store(aftercare, name="Dar Al Shay", smtp_port=smtp.port, reply_to="care@dar.example")
    sandbox = simulated(store, live_server, seed=3)
    order = sandbox.new_order(status="paid")
    order["locale"] = order["customer"]["locale"] = "ar"
    order["customer"]["first_name"] = "فاطمة"

    response = sandbox.deliver("order.created", order)
    assert response.status_code == 200 and response.json()["ok"] is True
    assert drain(aftercare) == 1  # the worker applies the stored delivery

    assert make_dispatcher(aftercare, "worker-1").run_until_idle() == Counter({Outcome.SENT: 1})
    [mail] = smtp.wait_for(1)
    email = mail.message
    assert mail.rcpt_tos == [order["customer"]["email"]]
    assert email["Reply-To"] == "care@dar.example"
    assert order["number"] in email["Subject"] and "شكرًا" in email["Subject"]
    text = email.get_body(("plain",)).get_content()
    html = email.get_body(("html",)).get_content()
    assert "فاطمة" in text
    for line in order["line_items"]:
        assert line["title"] in text and line["title"] in html
    assert 'dir="rtl"' in html and 'lang="ar"' in html
    assert "<style" not in html and "style=" in html  # CSS inlined for email clients

    browser = requests.Session()
    page = browser.get(
        f"{live_server}/admin/login", params={"token": login_token(aftercare.settings, store.id)}
    )
    assert page.status_code == 200 and page.url.endswith("/admin/setup")  # a new store: the checklist
    page = browser.get(f"{live_server}/admin/")
    assert order["number"] in page.text
    assert re.search(r'class="status sent">sent</span>\s*Thank-you note', page.text)


def test_same_webhook_delivered_twice_sends_one_email(aftercare, live_server, smtp):
    store = make_store(aftercare, smtp_port=smtp.port)
    sandbox = simulated(store, live_server)
    first = sandbox.deliver("order.created", sandbox.new_order(status="paid"))
    drain(aftercare)
    again = sandbox.redeliver(first)
    assert first.json()["ok"] is True and again.json()["duplicate"] is True
    assert drain(aftercare) == 0
    dispatcher = make_dispatcher(aftercare, "worker-1")
    dispatcher.run_until_idle()
    dispatcher.run_until_idle()
    assert len(smtp.wait_for(2, timeout=1.0)) == 1
    assert count(aftercare, InboxEntry) == 1 and count(aftercare, Message, status="sent") == 1


def test_cod_order_cancelled_before_the_worker_runs_gets_no_email(aftercare, live_server, smtp):
    store = make_store(aftercare, smtp_port=smtp.port)
    sandbox = simulated(store, live_server)
    order = sandbox.new_order(payment_method="cod")
    sandbox.deliver("order.created", order)
    sandbox.deliver("order.updated", sandbox.changed(order, status="cancelled"))
    drain(aftercare)
    assert make_dispatcher(aftercare, "worker-1").run_until_idle() == Counter()
    assert smtp.wait_for(1, timeout=0.5) == []
    with aftercare.db.session() as session:
        assert session.scalars(select(Message).where(Message.status == "sent")).all() == []
        order = session.scalars(select(Order)).one()
        journey = {entry.step: entry for entry in explain(session, session.get(Store, store.id), order)}
    assert journey["thank_you"].status in ("skipped", "cancelled")
    assert journey["thank_you"].why.code == "order_cancelled"
