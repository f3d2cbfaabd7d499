"""Every message reaches the person its order belongs to, and what is shared across orders never lets
one person's choice reach or silence another (issue 12, items 1 and 2).

Real WooCommerce deliveries (the recorded capture, re-signed with the store's secret after changing who
bought) over HTTP to the app, the worker's inbox and dispatch, an SMTP server on loopback, both
databases."""

from __future__ import annotations

import copy
import json
import re
from datetime import UTC, datetime, timedelta

import pytest
import requests
from sqlalchemy import select

from app import clock
from app.journeys.explain import explain
from app.models import Message, Order, Store
from connectors.woocommerce.webhooks import sign
from scheduler.jobs import make_dispatcher
from tests.fakes.woocommerce import webhook_capture
from tests.helpers import drain, make_store, signed_in

SITE = "http://127.0.0.1:8080"
SECRET = "recipients-secret-0123456789"
PLACED = datetime(2026, 11, 23, 7, 4, 50, tzinfo=UTC)
_, RECORDED = webhook_capture("order_updated_processing")
BASE = json.loads(RECORDED)  # customer_id 2, cash on delivery, Riyadh


@pytest.fixture
def store(aftercare, smtp):
    clock.freeze(PLACED + timedelta(minutes=1))
    return make_store(
        aftercare,
        platform="woocommerce",
        external_id=SITE,
        webhook_secret=SECRET,
        smtp_port=smtp.port,
        journey=json.dumps(
            {
                "window_start": "00:00",
                "window_end": "23:59",
                "frequency_cap_hours": 0,
                "delivered_fallback_days": 3,
            }
        ),
    )


def order(number: int, *, email: str, first: str, status: str = "processing", modified: int = 0, customer=2):
    """The recorded order as another purchase of the same WooCommerce account, by ``email``/``first``."""
    data = copy.deepcopy(BASE)
    data.update(id=number, number=str(number), status=status, customer_id=customer)
    data["billing"] = {**data["billing"], "email": email, "first_name": first, "last_name": ""}
    data["shipping"] = {**data["shipping"], "first_name": first, "last_name": ""}
    data["date_modified_gmt"] = (PLACED + timedelta(seconds=8 + modified)).strftime("%Y-%m-%dT%H:%M:%S")
    if status == "completed":
        data["date_completed_gmt"] = data["date_modified_gmt"]
    return data


def post(aftercare, live_server, topic: str, data: dict) -> requests.Response:
    """Deliver as WooCommerce does (signed bytes, its headers), then let the worker apply it."""
    body = json.dumps(data, ensure_ascii=False).encode()
    headers = {
        "Content-Type": "application/json",
        "X-WC-Webhook-Source": f"{SITE}/",
        "X-WC-Webhook-Topic": topic,
        "X-WC-Webhook-Resource": "order",
        "X-WC-Webhook-Event": topic.split(".")[1],
        "X-WC-Webhook-ID": "7",
        "X-WC-Webhook-Delivery-ID": f"{topic}-{data['id']}-{data['date_modified_gmt']}-{data['status']}",
        "X-WC-Webhook-Signature": sign(body, SECRET),
    }
    response = requests.post(f"{live_server}/webhooks/woocommerce", data=body, headers=headers, timeout=10)
    assert response.status_code == 200, response.text
    drain(aftercare)
    return response


def send_due(aftercare, smtp, expected: int):
    make_dispatcher(aftercare, "w1").run_until_idle()
    return smtp.wait_for(expected)


def greeting(mail) -> str:
    return mail.message.get_body(("plain",)).get_content()


def test_two_orders_of_one_account_each_reach_their_own_buyer_by_name(
    aftercare, live_server, smtp, store, app
):
    """Account 2 buys for Sara, then Omar buys with his own address: each thank-you, and each check-in
    days later, goes to that order's buyer by their name; the orders page shows each order's own name."""
    post(aftercare, live_server, "order.updated", order(101, email="sara@example.test", first="Sara"))
    post(aftercare, live_server, "order.created", order(102, email="omar@example.test", first="Omar"))
    mails = send_due(aftercare, smtp, 2)
    by_address = {mail.rcpt_tos[0]: greeting(mail) for mail in mails}
    assert set(by_address) == {"sara@example.test", "omar@example.test"}
    assert "Sara" in by_address["sara@example.test"] and "Omar" not in by_address["sara@example.test"]
    assert "Omar" in by_address["omar@example.test"] and "Sara" not in by_address["omar@example.test"]

    for number, email, first in ((101, "sara@example.test", "Sara"), (102, "omar@example.test", "Omar")):
        post(
            aftercare,
            live_server,
            "order.updated",
            order(number, email=email, first=first, status="completed", modified=60),
        )
    clock.advance(timedelta(days=10))  # shipped, assumed delivered, check-in due
    check_ins = [
        m
        for m in send_due(aftercare, smtp, 4)
        if "101" in m.message["Subject"] or "102" in m.message["Subject"]
    ]
    sent = {}
    with aftercare.db.session() as session:
        for message in session.scalars(
            select(Message).where(Message.step == "check_in", Message.status == "sent")
        ):
            sent[session.get(Order, message.order_id).number] = message.recipient
    assert sent == {"101": "sara@example.test", "102": "omar@example.test"}
    assert check_ins

    page = signed_in(app, aftercare, store).get("/admin/").get_data(as_text=True)
    rows = {
        number: re.search(rf">{number}</bdi></a></td>\s*<td><bdi>([^<]*)</bdi>", page).group(1).strip()
        for number in ("101", "102")
    }
    assert rows == {"101": "Sara", "102": "Omar"}


def test_an_email_edited_after_the_order_was_placed_gets_the_messages(aftercare, live_server, smtp, store):
    """The newer edit wins: the store corrected the order's address before the thank-you went out."""
    post(aftercare, live_server, "order.created", order(201, email="typo@exampel.test", first="Lina"))
    post(
        aftercare,
        live_server,
        "order.updated",
        order(201, email="lina@example.test", first="Lina", modified=30),
    )
    [mail] = send_due(aftercare, smtp, 1)
    assert mail.rcpt_tos == ["lina@example.test"]


def test_a_guest_email_reused_under_another_name_is_greeted_by_each_orders_name(
    aftercare, live_server, smtp, store
):
    post(
        aftercare,
        live_server,
        "order.created",
        order(301, email="family@example.test", first="Huda", customer=0),
    )
    post(
        aftercare,
        live_server,
        "order.created",
        order(302, email="family@example.test", first="Karim", customer=0),
    )
    mails = send_due(aftercare, smtp, 2)
    names = sorted(("Huda" in greeting(m), "Karim" in greeting(m), m.message["Subject"]) for m in mails)
    assert [(huda, karim) for huda, karim, _ in names] in (
        [(False, True), (True, False)],
        [(True, False), (False, True)],
    )
    for huda, karim, subject in names:
        assert ("301" in subject) == huda and ("302" in subject) == karim


def test_one_buyers_unsubscribe_never_silences_another_on_the_same_account(
    aftercare, live_server, smtp, store
):
    """Sara stops review requests from her email's link; Omar, on the same account, still gets his."""
    post(aftercare, live_server, "order.updated", order(401, email="sara@example.test", first="Sara"))
    post(aftercare, live_server, "order.created", order(402, email="omar@example.test", first="Omar"))
    for number, email, first in ((401, "sara@example.test", "Sara"), (402, "omar@example.test", "Omar")):
        post(
            aftercare,
            live_server,
            "order.updated",
            order(number, email=email, first=first, status="completed", modified=60),
        )
    send_due(aftercare, smtp, 2)  # the thank-yous
    clock.advance(timedelta(days=10))
    mails = send_due(aftercare, smtp, 4)
    sara_check_in = next(
        m
        for m in mails
        if m.rcpt_tos == ["sara@example.test"]
        and "401" in m.message["Subject"]
        and m.message["List-Unsubscribe"]
    )
    link = sara_check_in.message["List-Unsubscribe"].strip("<>")
    answer = requests.post(
        link.replace("http://127.0.0.1:8000", live_server), data={"stop": ["review"]}, timeout=10
    )
    assert answer.status_code == 200
    clock.advance(timedelta(days=10))
    make_dispatcher(aftercare, "w1").run_until_idle()
    with aftercare.db.session() as session:
        reviews = {
            session.get(Order, m.order_id).number: (m.status, m.reason_code)
            for m in session.scalars(select(Message).where(Message.step == "review_request"))
        }
    assert reviews["401"] == ("cancelled", "unsubscribed")
    assert reviews["402"][0] == "sent", reviews


def test_a_cancelled_order_that_comes_back_is_planned_again(aftercare, live_server, smtp, store):
    """cancelled -> processing: the steps still ahead are scheduled again, the passed ones say why."""
    post(aftercare, live_server, "order.created", order(501, email="nour@example.test", first="Nour"))
    post(
        aftercare,
        live_server,
        "order.updated",
        order(501, email="nour@example.test", first="Nour", status="cancelled", modified=10),
    )
    with aftercare.db.session() as session:
        [thank_you] = session.scalars(select(Message).where(Message.step == "thank_you")).all()
        assert (thank_you.status, thank_you.reason_code) == ("cancelled", "order_cancelled")
    post(
        aftercare,
        live_server,
        "order.updated",
        order(501, email="nour@example.test", first="Nour", modified=20),
    )
    with aftercare.db.session() as session:
        thank_you = session.scalars(select(Message).where(Message.step == "thank_you")).one()
        assert thank_you.status == "scheduled"
        win_back = session.scalars(select(Message).where(Message.step == "win_back")).all()
    [mail] = send_due(aftercare, smtp, 1)
    assert mail.rcpt_tos == ["nour@example.test"]

    clock.advance(timedelta(days=4))  # the thank-you's moment has passed for a second cancellation
    post(
        aftercare,
        live_server,
        "order.updated",
        order(501, email="nour@example.test", first="Nour", status="cancelled", modified=30),
    )
    post(
        aftercare,
        live_server,
        "order.updated",
        order(501, email="nour@example.test", first="Nour", status="completed", modified=40),
    )
    with aftercare.db.session() as session:
        row = session.scalars(select(Order).where(Order.external_id == "501")).one()
        steps = {entry.step: entry for entry in explain(session, session.get(Store, store.id), row)}
    assert steps["thank_you"].status == "sent"
    assert (steps["check_in"].status, steps["review_request"].status) == ("scheduled", "scheduled")
    assert all(entry.why.code != "order_cancelled" for entry in steps.values())
    assert win_back == []  # WooCommerce records no marketing consent


def test_a_revived_order_whose_thank_you_moment_passed_says_so(aftercare, live_server, smtp, store):
    post(aftercare, live_server, "order.created", order(502, email="dana@example.test", first="Dana"))
    post(
        aftercare,
        live_server,
        "order.updated",
        order(502, email="dana@example.test", first="Dana", status="cancelled", modified=10),
    )
    clock.advance(timedelta(days=3))
    post(
        aftercare,
        live_server,
        "order.updated",
        order(502, email="dana@example.test", first="Dana", status="completed", modified=20),
    )
    with aftercare.db.session() as session:
        thank_you = session.scalars(select(Message).where(Message.step == "thank_you")).one()
        assert (thank_you.status, thank_you.reason_code) == ("cancelled", "too_late")
        assert thank_you.reason.startswith("too late: order placed on 23 Nov")
        assert session.scalars(select(Message.status).where(Message.step == "check_in")).one() == "scheduled"
    assert send_due(aftercare, smtp, 0) == []


def test_a_trashed_order_says_deleted_in_the_store_and_restoring_it_plans_it_again(
    aftercare, live_server, smtp, store
):
    post(
        aftercare,
        live_server,
        "order.created",
        order(601, email="rami@example.test", first="Rami", status="on-hold"),
    )
    post(
        aftercare,
        live_server,
        "order.updated",
        order(601, email="rami@example.test", first="Rami", modified=5),
    )
    post(aftercare, live_server, "order.deleted", {"id": 601, "date_modified_gmt": "", "status": "trash"})
    with aftercare.db.session() as session:
        thank_you = session.scalars(select(Message).where(Message.step == "thank_you")).one()
        assert (thank_you.status, thank_you.reason_code) == ("cancelled", "order_deleted")
        assert thank_you.reason == "the order was deleted in the store"
    post(
        aftercare,
        live_server,
        "order.restored",
        order(601, email="rami@example.test", first="Rami", modified=15),
    )
    with aftercare.db.session() as session:
        assert session.scalars(select(Message.status).where(Message.step == "thank_you")).one() == "scheduled"
    [mail] = send_due(aftercare, smtp, 1)
    assert mail.rcpt_tos == ["rami@example.test"]
