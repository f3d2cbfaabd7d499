"""SMS and WhatsApp through the store's own Twilio account (a fake Twilio over loopback), with the
fallback to the step's next channel, on SQLite and PostgreSQL."""

from __future__ import annotations

import functools
import json
import math
import re
from datetime import timedelta

import lxml.html
import pytest
from sqlalchemy import select

from app import clock, create_app, services, timeline, whatsapp_templates
from app.journeys.steps import STEPS
from app.models import Click, Customer, Message, Suppression, TimelineEntry
from channels.whatsapp.templates import ContentApi
from scheduler.dispatch import Outcome
from scheduler.jobs import make_dispatcher
from tests import helpers
from tests.conftest import settings_for
from tests.fakes.twilio import FakeTwilio
from tests.helpers import T0, ingest_order, ingest_shipment, make_store, shipment_snapshot, signed_in

STORE_NUMBER = "+14155550100"
TEMPLATES = len(STEPS) * len(("en", "ar", "fa"))  # one per step and language
order_snapshot = functools.partial(helpers.order_snapshot, accepts_marketing=False)


@pytest.fixture
def twilio():
    with FakeTwilio(numbers={STORE_NUMBER}, whatsapp_senders={STORE_NUMBER}).running() as fake:
        yield fake


@pytest.fixture
def app(database_url, tmp_path, twilio):
    application = create_app(settings_for(database_url, tmp_path, twilio_api_url=twilio.url))
    yield application
    services(application).db.dispose()


def _store(aftercare, twilio, *channels, smtp_port=None, **fields):
    return make_store(
        aftercare,
        smtp_port=smtp_port,
        twilio_account_sid=twilio.account_sid,
        twilio_auth_token=fields.pop("auth_token", twilio.auth_token),
        sms_from=STORE_NUMBER,
        whatsapp_from=STORE_NUMBER,
        journey=json.dumps({"steps": {"thank_you": {"channels": list(channels)}}}),
        **fields,
    )


def _message(aftercare):
    with aftercare.db.session() as session:
        return session.scalars(select(Message)).one()


def _notes(aftercare):
    with aftercare.db.session() as session:
        return [
            timeline.describe(entry)
            for entry in session.scalars(select(TimelineEntry).where(TimelineEntry.kind == "sent"))
        ]


def test_arabic_thank_you_goes_by_sms_to_the_number_in_e164_with_its_segments_counted(aftercare, twilio):
    clock.freeze(T0)
    store = _store(aftercare, twilio, "sms")
    ingest_order(
        aftercare, store, order_snapshot("1001", first_name="ليلى", locale="ar", phone="050 123 4567")
    )
    assert make_dispatcher(aftercare, "w1").run_until_idle()[Outcome.SENT] == 1
    [sms] = twilio.sent
    assert (sms["to"], sms["from"]) == ("+966501234567", STORE_NUMBER)  # a Saudi local number, read as such
    assert sms["body"].startswith("Tea & Things: شكرًا لطلبك \u2066#1001\u2069 يا ليلى!")
    message = _message(aftercare)
    assert (message.channel, message.recipient, message.provider_message_id) == (
        "sms",
        "+966501234567",
        sms["sid"],
    )
    # Arabic is UCS-2: 70 characters in one message, 67 per part once split
    length = len(sms["body"])
    parts = 1 if length <= 70 else math.ceil(length / 67)
    assert _notes(aftercare) == [
        f"Thank-you note: sent to +966501234567 by sms ({parts} UCS-2 segment{'s' * (parts > 1)})."
    ]


def test_whatsapp_uses_twilio_whatsapp_addresses_and_the_approved_template(aftercare, twilio):
    clock.freeze(T0)
    store = _store(aftercare, twilio, "whatsapp")
    api = ContentApi(twilio.url)
    whatsapp_templates.sync(aftercare.db, store.id, api)
    assert twilio.decide("approved") == TEMPLATES  # every step, three languages
    whatsapp_templates.sync(aftercare.db, store.id, api)
    ingest_order(aftercare, store, order_snapshot("1001", phone="+98 912 345 6789", locale="fa"))
    make_dispatcher(aftercare, "w1").run_until_idle()
    [sent] = twilio.sent
    assert (sent["to"], sent["from"]) == ("whatsapp:+989123456789", f"whatsapp:{STORE_NUMBER}")
    content = twilio.contents[sent["content_sid"]]
    assert (content["language"], content["approval"]["category"]) == ("fa", "UTILITY")
    variables = json.loads(sent["content_variables"])
    assert variables["1"] == "Tea & Things" and variables["2"] == "#1001"
    assert "از خریدتان ممنونیم" in variables["3"] and "از خریدتان ممنونیم" in sent["body"]
    assert _message(aftercare).channel == "whatsapp"


def test_an_unapproved_template_falls_back_to_the_next_channel_and_says_why(aftercare, twilio, smtp):
    """WhatsApp has not approved the template yet: free text would be refused (63016) outside the
    customer's window, so the email goes instead, and the order's timeline says why."""
    clock.freeze(T0)
    store = _store(aftercare, twilio, "whatsapp", "smtp", smtp_port=smtp.port)
    api = ContentApi(twilio.url)
    assert whatsapp_templates.sync(aftercare.db, store.id, api) == {"received": TEMPLATES}
    assert whatsapp_templates.sync(aftercare.db, store.id, api) == {"pending": TEMPLATES}
    twilio.decide("rejected", "INVALID_FORMAT", language="en")
    assert whatsapp_templates.sync(aftercare.db, store.id, api) == {
        "pending": 2 * len(STEPS),
        "rejected": len(STEPS),
    }
    ingest_order(aftercare, store, order_snapshot("1001", phone="+966501234567"))
    make_dispatcher(aftercare, "w1").run_until_idle()
    assert twilio.sent == [] and len(smtp.wait_for(1)) == 1
    assert _message(aftercare).channel == "smtp"
    with aftercare.db.session() as session:
        [entry] = session.scalars(select(TimelineEntry).where(TimelineEntry.kind == "fallback")).all()
        said = timeline.describe(entry)
    assert said.startswith("Thank-you note: sent by smtp: the step's earlier channels could not take it")
    assert "template for this step is not approved yet (rejected)" in said


def test_a_customer_without_a_phone_gets_the_next_channel(aftercare, twilio, smtp):
    clock.freeze(T0)
    store = _store(aftercare, twilio, "whatsapp", "smtp", smtp_port=smtp.port)
    ingest_order(aftercare, store, order_snapshot("1001", phone=None))
    make_dispatcher(aftercare, "w1").run_until_idle()
    assert twilio.sent == [] and len(smtp.wait_for(1)) == 1
    message = _message(aftercare)
    assert (message.status, message.channel, message.recipient) == ("sent", "smtp", "layla@example.test")


def test_a_landline_falls_back_to_email_and_a_refused_account_waits_without_a_fallback(
    aftercare, twilio, smtp
):
    clock.freeze(T0)
    twilio.landlines.add("+966112345678")
    store = _store(aftercare, twilio, "sms", "smtp", smtp_port=smtp.port)
    ingest_order(aftercare, store, order_snapshot("1001", phone="+966112345678"))
    make_dispatcher(aftercare, "w1").run_until_idle()
    assert _message(aftercare).channel == "smtp" and len(smtp.wait_for(1)) == 1

    wrong = _store(aftercare, twilio, "sms", auth_token="not-the-token", channel="sms")
    ingest_order(aftercare, wrong, order_snapshot("2002", phone="+966501234567", email=None))
    outcomes = make_dispatcher(aftercare, "w1").run_until_idle()
    assert outcomes == {Outcome.CHANNEL_DOWN: 1}
    with aftercare.db.session() as session:
        waiting = session.scalars(select(Message).where(Message.store_id == wrong.id)).one()
    assert waiting.status == "scheduled" and waiting.attempts == 0
    assert "Twilio refused the Account SID or Auth Token" in waiting.reason


def test_stop_suppresses_the_number_and_later_messages_go_by_email(aftercare, twilio, smtp):
    clock.freeze(T0)
    twilio.stopped.add("+966501234567")
    store = _store(aftercare, twilio, "sms", "smtp", smtp_port=smtp.port)
    ingest_order(aftercare, store, order_snapshot("1001", phone="+966501234567"))
    make_dispatcher(aftercare, "w1").run_until_idle()
    assert _message(aftercare).channel == "smtp"
    with aftercare.db.session() as session:
        rows = session.execute(select(Suppression.address, Suppression.kind)).all()
        assert rows == [("+966501234567", "all")]
        assert session.scalars(select(Customer.phone)).one() == "+966501234567"
    twilio.stopped.clear()  # even if Twilio forgot, we remember
    ingest_order(aftercare, store, order_snapshot("1002", phone="+966501234567"))
    make_dispatcher(aftercare, "w1").run_until_idle()
    assert twilio.sent == [] and len(smtp.wait_for(2)) == 2


def test_an_invalid_number_is_never_sent_to_twilio(aftercare, twilio, smtp):
    clock.freeze(T0)
    store = _store(aftercare, twilio, "sms", "smtp", smtp_port=smtp.port)
    ingest_order(aftercare, store, order_snapshot("1001", phone="12"))
    make_dispatcher(aftercare, "w1").run_until_idle()
    assert twilio.sent == [] and _message(aftercare).channel == "smtp"


def test_nobody_reachable_fails_with_every_reason(aftercare, twilio):
    clock.freeze(T0)
    store = _store(aftercare, twilio, "sms", "whatsapp", channel="sms")
    ingest_order(aftercare, store, order_snapshot("1001", phone="+966112345678", email=None))
    twilio.landlines.add("+966112345678")
    api = ContentApi(twilio.url)
    whatsapp_templates.sync(aftercare.db, store.id, api)
    twilio.decide("approved")
    whatsapp_templates.sync(aftercare.db, store.id, api)
    twilio.whatsapp_senders.clear()
    outcomes = make_dispatcher(aftercare, "w1").run_until_idle()
    message = _message(aftercare)
    assert outcomes == {Outcome.CHANNEL_DOWN: 1}  # the WhatsApp sender is gone: that is the store's to fix
    assert "not a mobile number" in message.reason and "WhatsApp sender" in message.reason


def test_a_customer_no_channel_can_reach_fails_with_every_reason(aftercare, twilio):
    """A landline and no email: SMS cannot reach it, WhatsApp neither (no template, no window), and
    email, every store's last resort, has no address."""
    clock.freeze(T0)
    twilio.landlines.add("+966112345678")
    store = _store(aftercare, twilio, "sms", "whatsapp", channel="sms")
    ingest_order(aftercare, store, order_snapshot("1001", phone="+966112345678", email=None))
    assert make_dispatcher(aftercare, "w1").run_until_idle() == {Outcome.FAILED: 1}
    message = _message(aftercare)
    assert message.status == "failed" and message.reason.startswith("no channel could reach the customer")
    assert "sms: the customer's number is not a mobile number" in message.reason
    assert "whatsapp: the WhatsApp template for this step is not approved yet" in message.reason
    assert "smtp: the customer has no email address" in message.reason


def test_links_in_a_text_are_short_tracked_codes_and_the_stop_link_works(app, aftercare, twilio):
    clock.freeze(T0)
    store = make_store(
        aftercare,
        twilio_account_sid=twilio.account_sid,
        twilio_auth_token=twilio.auth_token,
        sms_from=STORE_NUMBER,
        channel="sms",
    )
    ingest_order(aftercare, store, order_snapshot("1001", phone="+966501234567", accepts_marketing=True))
    ingest_shipment(aftercare, store, shipment_snapshot("1001", shipped_at=T0, tracking="AX1"))
    make_dispatcher(aftercare, "w1").run_until_idle()
    shipped = next(sms for sms in twilio.sent if "on its way" in sms["body"])
    [code] = re.findall(r"http://127\.0\.0\.1:8000/s/([\w-]{8})", shipped["body"])
    assert "track.example" not in shipped["body"]  # 8 characters instead of the whole address
    client = app.test_client()
    followed = client.get(f"/s/{code}")
    page = followed.headers["Location"].removeprefix("http://127.0.0.1:8000")
    assert followed.status_code == 302 and page.startswith("/t/")  # our tracking page
    assert client.get(page).status_code == 200  # the view is the click
    assert client.get("/s/not-a-code").status_code == 404
    with aftercare.db.session() as session:
        clicks = session.execute(select(Click.url, Click.message_id)).all()
    assert [url for url, _ in clicks] == [page] and clicks[0][1] is not None

    clock.freeze(T0 + timedelta(days=31))  # the come-back offer, which a customer may refuse
    make_dispatcher(aftercare, "w1").run_until_idle()
    offer = twilio.sent[-1]["body"]
    [stop] = re.findall(r"Stop these messages: http://127\.0\.0\.1:8000/s/([\w-]{8})", offer)
    unsubscribe = client.get(f"/s/{stop}")
    assert unsubscribe.status_code == 302 and "/u/" in unsubscribe.headers["Location"]
    assert client.get(unsubscribe.headers["Location"].replace("http://127.0.0.1:8000", "")).status_code == 200
    with aftercare.db.session() as session:  # our own stop page is not a click on the store's offer
        assert session.scalars(select(Click.url)).all() == [page]


def test_the_sending_page_says_how_whatsapp_answered_the_templates_and_why_it_refused_any(
    app, aftercare, twilio
):
    store = _store(aftercare, twilio, "whatsapp")
    client = signed_in(app, aftercare, store)

    def said():
        page = lxml.html.fromstring(client.get("/admin/sending").get_data(as_text=True))
        card = page.get_element_by_id("whatsapp-templates")
        return card.text_content(), [li.text_content() for li in card.xpath(".//li")]

    assert "none yet" in said()[0]
    api = ContentApi(twilio.url)
    whatsapp_templates.sync(aftercare.db, store.id, api)
    assert f"{TEMPLATES} sent for approval" in said()[0]
    twilio.decide("approved", language="en")
    twilio.decide("rejected", "The body has too many variables", language="fa")
    whatsapp_templates.sync(aftercare.db, store.id, api)
    text, rejected = said()
    assert f"{len(STEPS)} approved · {len(STEPS)} pending · {len(STEPS)} rejected" in text
    assert len(rejected) == len(STEPS)
    assert "Thank-you note (fa): The body has too many variables" in rejected
