"""Merchant-edited templates: checked on save with the line and the reason, sandboxed, sent as saved."""

from __future__ import annotations

import functools

import pytest
from sqlalchemy import select

from app import clock, timeline
from app.journeys.steps import STEPS
from app.models import Message, MessageTemplate, TimelineEntry
from scheduler.jobs import make_dispatcher
from tests import helpers
from tests.helpers import T0, count, csrf_headers, ingest_order, make_store, signed_in

order_snapshot = functools.partial(helpers.order_snapshot, accepts_marketing=False)
OWN_THANKS = {
    "subject": "شكرًا {{ customer.first_name }}، طلبك {{ order.number|ltr_text }} وصل",
    "body": (
        "<h1>أهلًا {{ customer.first_name or 'صديقنا' }}</h1>\n"
        "<p>طلبك <strong>{{ order.number|ltr }}</strong> بتاريخ {{ order.placed_on }}.</p>"
    ),
    "short": "",
}


def _put(client, step, locale, wording):
    return client.put(f"/admin/api/templates/{step}/{locale}", json=wording, headers=csrf_headers(client))


def test_own_wording_is_saved_and_sent_inside_our_layout(app, aftercare, smtp):
    clock.freeze(T0)
    store = make_store(aftercare, smtp_port=smtp.port)
    client = signed_in(app, aftercare, store)
    response = _put(client, "thank_you", "ar", OWN_THANKS)
    assert response.status_code == 200, response.get_json()
    assert client.get("/admin/api/templates/thank_you/ar").get_json()["own"] is True
    assert client.get("/admin/api/templates/thank_you/en").get_json()["own"] is False

    ingest_order(aftercare, store, order_snapshot("1001", first_name="<b>ليلى</b>", locale="ar"))
    make_dispatcher(aftercare, "w1").run_until_idle()
    [mail] = smtp.wait_for(1)
    assert mail.message["Subject"] == "شكرًا <b>ليلى</b>، طلبك \u2066#1001\u2069 وصل"
    html = mail.message.get_body(("html",)).get_content()
    assert "&lt;b&gt;ليلى&lt;/b&gt;" in html  # the customer's name is text, even in the merchant's wording
    assert 'dir="rtl"' in html and '<bdi dir="ltr">#1001</bdi>' in html
    assert "Tea &amp; Things" in html  # our footer stays


@pytest.mark.parametrize(
    ("step", "wording", "field", "line", "reason"),
    [
        (
            "thank_you",
            {"subject": "Hi", "body": "<p>one</p>\n<p>two</p>\n{% if %}"},
            "body",
            3,
            "Expected an expression",
        ),
        (
            "thank_you",
            {"subject": "Hi", "body": "<p>Thanks</p>\n<p>{{ shipment.tracking_url }}</p>"},
            "body",
            2,
            "'shipment' is undefined",
        ),
        (
            "review_request",  # fine for the recent order, not for a customer with nothing left to review
            {"subject": "How is {{ review_items[0].title }}?", "body": "<p>Tell us</p>"},
            "subject",
            1,
            "has no element 0",
        ),
        ("thank_you", {"subject": "{{ ''.__class__.__mro__ }}", "body": "x"}, "subject", 1, "unsafe"),
        (
            "thank_you",
            {"subject": "Hi", "body": "{{ customer.first_name|safe }}"},
            "body",
            1,
            "No filter named 'safe'",
        ),
        (
            "thank_you",
            {"subject": "Hi", "body": "{% include 'layout.html.j2' %}"},
            "body",
            1,
            "may include only items.html.j2",
        ),
        ("thank_you", {"subject": "Hi", "body": "{{ 'x' * 100000 }}"}, "body", 1, "more than 100 times"),
        ("thank_you", {"subject": "", "body": "x"}, "subject", None, "may not be empty"),
        (
            "shipped",
            {"subject": "Hi", "body": "x", "short": "{{ order.number }"},
            "short",
            1,
            "unexpected '}'",
        ),
    ],
)
def test_broken_templates_are_refused_with_line_and_reason(
    app, aftercare, step, wording, field, line, reason
):
    store = make_store(aftercare)
    ingest_order(aftercare, store, order_snapshot("1001"))
    client = signed_in(app, aftercare, store)
    response = _put(client, step, "en", wording)
    assert response.status_code == 422
    problem = response.get_json()
    assert (problem["field"], problem["line"]) == (field, line)
    assert reason in problem["message"]
    assert count(aftercare, MessageTemplate) == 0
    assert client.get(f"/admin/api/templates/{step}/en").get_json()["own"] is False


def test_merchant_html_keeps_formatting_and_loses_scripts(app, aftercare, smtp):
    clock.freeze(T0)
    store = make_store(aftercare, smtp_port=smtp.port)
    client = signed_in(app, aftercare, store)
    body = (
        '<p style="color: #123456" onclick="steal()">Thanks <a href="https://tea.example/care">care</a>'
        '<a href="javascript:alert(1)">x</a></p><script>steal()</script><form action="https://evil.example"></form>'
    )
    assert _put(client, "thank_you", "en", {"subject": "Thanks", "body": body}).status_code == 200
    ingest_order(aftercare, store, order_snapshot("1001"))
    make_dispatcher(aftercare, "w1").run_until_idle()
    html = smtp.wait_for(1)[0].message.get_body(("html",)).get_content()
    assert "color: #123456" in html and "/r/" in html  # the style kept, the link tracked
    assert "steal" not in html and "javascript:" not in html and "<form" not in html


@pytest.mark.parametrize("locale", ["en", "ar", "fa"])
def test_our_own_wording_passes_the_check_unchanged(app, aftercare, locale):
    """What the editor shows as the starting point can be saved as it is, for every step."""
    store = make_store(aftercare)
    ingest_order(aftercare, store, order_snapshot("1001"))
    client = signed_in(app, aftercare, store)
    for step in STEPS:
        shown = client.get(f"/admin/api/templates/{step}/{locale}").get_json()
        wording = {field: shown[field] for field in ("subject", "body", "short")}
        assert _put(client, step, locale, wording).status_code == 200, (step, locale)


def test_reset_brings_back_our_wording(app, aftercare):
    store = make_store(aftercare)
    client = signed_in(app, aftercare, store)
    assert (
        _put(client, "shipped", "fa", {"subject": "ارسال شد", "body": "<p>در راه است</p>"}).status_code == 200
    )
    response = client.delete("/admin/api/templates/shipped/fa", headers=csrf_headers(client))
    assert response.get_json()["reset"] is True
    shown = client.get("/admin/api/templates/shipped/fa").get_json()
    assert (
        shown["own"] is False
        and "در راه است" in shown["subject"]
        and "{{ order.number|ltr_text }}" in shown["subject"]
    )


def test_preview_renders_the_recent_order_and_counts_sms_segments(app, aftercare):
    store = make_store(aftercare)
    ingest_order(aftercare, store, order_snapshot("7007", first_name="Omid"))
    client = signed_in(app, aftercare, store)
    response = client.post("/admin/api/templates/thank_you/fa/preview", headers=csrf_headers(client))
    preview = response.get_json()
    assert preview["from"] == "recent order"
    assert "Omid" in preview["html"] and 'dir="rtl"' in preview["html"]
    assert preview["segments"]["encoding"] == "UCS-2" and preview["segments"]["segments"] >= 2
    english = client.post(
        "/admin/api/templates/thank_you/en/preview",
        json={
            "subject": "Hi {{ customer.first_name }}",
            "body": "<p>x</p>",
            "short": "Thanks {{ customer.first_name }}!",
        },
        headers=csrf_headers(client),
    ).get_json()
    assert english["subject"] == "Hi Omid" and english["short"] == "Thanks Omid!"
    assert english["segments"] == {"encoding": "GSM-7", "segments": 1, "characters": 12}


def test_bad_requests_change_nothing(app, aftercare):
    store, other = make_store(aftercare), make_store(aftercare, name="Other")
    client = signed_in(app, aftercare, store)
    headers = csrf_headers(client)
    wording = {"subject": "Hi", "body": "<p>x</p>"}
    assert client.put("/admin/api/templates/thank_you/en", json=wording).status_code == 400  # no CSRF token
    assert client.put("/admin/api/templates/nope/en", json=wording, headers=headers).status_code == 404
    assert client.put("/admin/api/templates/thank_you/de", json=wording, headers=headers).status_code == 404
    assert (
        client.put("/admin/api/templates/merchant_alert/en", json=wording, headers=headers).status_code == 404
    )
    malformed = client.put(
        "/admin/api/templates/thank_you/en",
        data="{not json",
        content_type="application/json",
        headers=headers,
    )
    assert malformed.status_code == 400
    typed = client.put("/admin/api/templates/thank_you/en", json={"subject": 5, "body": []}, headers=headers)
    assert typed.status_code == 400
    assert app.test_client().put("/admin/api/templates/thank_you/en", json=wording).status_code == 401
    assert count(aftercare, MessageTemplate) == 0
    # one store's wording never reaches another
    assert _put(client, "thank_you", "en", wording).status_code == 200
    other_client = signed_in(app, aftercare, other)
    assert other_client.get("/admin/api/templates/thank_you/en").get_json()["own"] is False
    with aftercare.db.session() as session:
        assert session.scalars(select(MessageTemplate.store_id)).all() == [store.id]


def test_a_saved_template_that_fails_for_one_customer_falls_back_to_ours(app, aftercare, smtp):
    clock.freeze(T0)
    store = make_store(aftercare, smtp_port=smtp.port)
    with aftercare.db.session() as session:  # saved before a check existed, say; it fails at send time
        session.add(
            MessageTemplate(
                store_id=store.id,
                step="thank_you",
                locale="en",
                subject="{{ order.nope.deeper }}",
                body="x",
                short="",
            )
        )
    ingest_order(aftercare, store, order_snapshot("1001", first_name="Layla"))
    make_dispatcher(aftercare, "w1").run_until_idle()
    [mail] = smtp.wait_for(1)
    assert mail.message["Subject"] == "Thank you for your order #1001, Layla"
    with aftercare.db.session() as session:
        assert session.scalars(select(Message.status)).one() == "sent"
        notes = [
            timeline.describe(entry)
            for entry in session.scalars(select(TimelineEntry).where(TimelineEntry.kind == "template"))
        ]
    assert len(notes) == 1 and "subject, line 1" in notes[0] and "the default was used" in notes[0]
