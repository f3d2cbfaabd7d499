"""A customer writing to the store's number, as Twilio's incoming-message webhook tells us (the fake
Twilio posts the documented parameters over loopback, signed as Twilio's security page describes):
WhatsApp's 24-hour window opens and closes, an SMS STOP and START are kept, and whatever is forged,
unsigned or not for us is refused and changes nothing. On SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import timedelta

import lxml.html
import pytest
import requests
from sqlalchemy import func, select

from app import clock, ingest, privacy, timeline, whatsapp_templates
from app.models import Consent, InboundContact, Message, Store, Suppression, TimelineEntry
from channels.whatsapp.templates import ContentApi
from connectors.shopify import translate as shopify_translate
from scheduler import jobs
from scheduler.jobs import make_dispatcher
from tests.channels.test_twilio import STORE_NUMBER, _store, app, order_snapshot, twilio  # noqa: F401
from tests.connectors.shopify.test_sync import connector, credentials, shopify  # noqa: F401 - fixture
from tests.fakes.shopify import make_order
from tests.helpers import T0, ingest_order, make_store, signed_in

CUSTOMER = "+966501234567"


def _incoming_url(app, aftercare, store, channel):  # noqa: F811 - the Twilio app fixture's app
    """The address the Sending page tells the merchant to paste into Twilio, with its copy button."""
    page = lxml.html.fromstring(signed_in(app, aftercare, store).get("/admin/sending").get_data(as_text=True))
    [url] = page.xpath(f'//code[@id="incoming-url-{channel}"]/text()')
    assert page.xpath(f'//button[@data-copy="incoming-url-{channel}"]')
    return url


@pytest.fixture
def writes(app, aftercare, twilio, live_server):  # noqa: F811 - the Twilio app fixture's
    """The customer writes to the store's number: Twilio posts to the address the Sending page shows
    (``url`` to sign another), over loopback to the app."""

    def write(store, body="Thanks!", channel="whatsapp", **given):
        url = given.pop("url", None) or _incoming_url(app, aftercare, store, channel)
        whatsapp = channel == "whatsapp"
        return twilio.incoming(
            url, CUSTOMER, STORE_NUMBER, body, whatsapp=whatsapp, deliver_to=live_server, **given
        )

    return write


def _send(aftercare, store, number, **fields):
    ingest_order(aftercare, store, order_snapshot(number, phone=CUSTOMER, **fields))
    make_dispatcher(aftercare, "w1").run_until_idle()
    with aftercare.db.session() as session:
        return session.scalars(
            select(Message).where(Message.store_id == store.id).order_by(Message.id.desc()).limit(1)
        ).one()


def _contacts(aftercare):
    with aftercare.db.session() as session:
        return session.execute(select(InboundContact.channel, InboundContact.phone)).all()


def test_for_a_day_after_the_customer_writes_whatsapp_sends_the_steps_own_words_then_only_templates(
    app,  # noqa: F811
    aftercare,
    twilio,  # noqa: F811
    writes,
    smtp,
):
    clock.freeze(T0)
    store = _store(aftercare, twilio, "whatsapp", "smtp", smtp_port=smtp.port)
    url = _incoming_url(app, aftercare, store, "whatsapp")
    assert url == f"http://127.0.0.1:8000/webhooks/twilio/{store.id}"  # public_url, as Twilio calls it
    answer = writes(store, "Is my order on its way?")
    assert answer.status_code == 200 and answer.headers["Content-Type"].startswith("text/xml")
    assert answer.text.endswith("<Response></Response>")  # empty TwiML: Twilio replies nothing itself

    clock.freeze(T0 + timedelta(hours=23))  # inside the window: free text, the step's own words
    first = _send(aftercare, store, "1001")
    [sent] = twilio.sent
    assert sent["content_sid"] is None and sent["to"] == f"whatsapp:{CUSTOMER}"
    assert sent["body"] == (  # the SMS text, not the template's frame around it
        "Tea & Things: thank you, Layla! We have your order #1001 and will let you know when it ships."
    )
    assert (first.channel, first.status) == ("whatsapp", "sent")

    clock.freeze(T0 + timedelta(hours=25))  # the window closed, no template approved: email, and why
    second = _send(aftercare, store, "1002")
    assert len(twilio.sent) == 1 and second.channel == "smtp" and len(smtp.wait_for(1)) == 1
    with aftercare.db.session() as session:
        said = timeline.describe(
            session.scalars(
                select(TimelineEntry).where(
                    TimelineEntry.kind == "fallback", TimelineEntry.order_id == second.order_id
                )
            ).one()
        )
    assert "template for this step is not approved yet (not created yet)" in said
    assert "24-hour window is closed" in said

    api = ContentApi(twilio.url)  # once WhatsApp approves the step's template, it goes by template
    whatsapp_templates.sync(aftercare.db, store.id, api)
    twilio.decide("approved")
    whatsapp_templates.sync(aftercare.db, store.id, api)
    third = _send(aftercare, store, "1003")
    assert third.channel == "whatsapp" and twilio.sent[-1]["content_sid"] is not None
    assert json.loads(twilio.sent[-1]["content_variables"])["2"] == "#1003"


def test_a_window_that_closed_at_twilio_meanwhile_falls_back_to_the_approved_template(
    aftercare,
    twilio,  # noqa: F811
    writes,
):
    """We heard the customer write, but Twilio says the window is closed (63016): the approved template
    goes instead, in the same attempt."""
    clock.freeze(T0)
    store = _store(aftercare, twilio, "whatsapp", channel="whatsapp")
    api = ContentApi(twilio.url)
    whatsapp_templates.sync(aftercare.db, store.id, api)
    twilio.decide("approved")
    whatsapp_templates.sync(aftercare.db, store.id, api)
    assert writes(store).status_code == 200
    twilio.sessions.clear()
    message = _send(aftercare, store, "1001", email=None)
    assert (message.channel, message.status) == ("whatsapp", "sent")
    [sent] = twilio.sent
    assert sent["content_sid"] is not None


def test_a_forged_unsigned_or_misdirected_message_is_refused_and_changes_nothing(
    aftercare,
    twilio,  # noqa: F811
    writes,
    live_server,
    smtp,
):
    clock.freeze(T0)
    store = _store(aftercare, twilio, "whatsapp", "smtp", smtp_port=smtp.port)
    other = _store(aftercare, twilio, "whatsapp", auth_token="another-accounts-token")
    url = f"http://127.0.0.1:8000/webhooks/twilio/{store.id}"

    assert writes(store, token="not-the-auth-token").status_code == 403
    other_url = f"http://127.0.0.1:8000/webhooks/twilio/{other.id}"  # signed for the other store
    assert writes(store, url=other_url).status_code == 403
    assert writes(store, url=url.replace("127.0.0.1:8000", "attacker.example")).status_code == 403
    signature = twilio.signature(url, {"From": f"whatsapp:{CUSTOMER}"}, twilio.auth_token)
    forged = {"From": f"whatsapp:{CUSTOMER}", "To": f"whatsapp:{STORE_NUMBER}", "MessageSid": "SM1"}
    target = f"{live_server}/webhooks/twilio/{store.id}"
    assert requests.post(target, data=forged, timeout=10).status_code == 403  # no signature at all
    tampered = requests.post(target, data=forged, headers={"X-Twilio-Signature": signature}, timeout=10)
    assert tampered.status_code == 403  # a signature over other parameters
    assert tampered.json()["error"] == "forbidden" and "X-Twilio-Signature" in tampered.json()["message"]

    unknown = requests.post(f"{live_server}/webhooks/twilio/999999", data=forged, timeout=10)
    assert unknown.status_code == 404 and unknown.json()["message"] == "unknown store"
    plain = make_store(aftercare, smtp_port=smtp.port)  # no Twilio set up: nothing to check it with
    answer = requests.post(f"{live_server}/webhooks/twilio/{plain.id}", data=forged, timeout=10)
    assert answer.status_code == 404 and "no Twilio number" in answer.json()["message"]
    status_callback = {"MessageSid": "SM2", "MessageStatus": "delivered", "AccountSid": twilio.account_sid}
    signed = {"X-Twilio-Signature": twilio.signature(url, status_callback, twilio.auth_token)}
    answer = requests.post(target, data=status_callback, headers=signed, timeout=10)
    assert answer.status_code == 400 and "From" in answer.json()["message"]
    to_another_number = writes(store, extra={"To": "whatsapp:+14155550199"})
    assert to_another_number.status_code == 200  # Twilio's, but not to the sender we send from

    assert _contacts(aftercare) == []  # nothing opened a window
    message = _send(aftercare, store, "1001")
    assert twilio.sent == [] and message.channel == "smtp"


def test_an_sms_stop_stops_texts_with_its_proof_and_start_lets_them_through(
    aftercare,
    twilio,  # noqa: F811
    writes,
    smtp,
):
    clock.freeze(T0)
    store = _store(aftercare, twilio, "sms", "smtp", smtp_port=smtp.port)
    first = _send(aftercare, store, "1001")
    assert first.channel == "sms"

    answer = writes(store, "Stop ", "sms")
    assert answer.status_code == 200
    with aftercare.db.session() as session:
        assert session.execute(select(Suppression.address, Suppression.kind)).all() == [(CUSTOMER, "all")]
        consent = session.scalars(select(Consent).where(Consent.address == CUSTOMER)).one()
        assert (consent.channel, consent.granted, consent.source) == ("sms", False, "twilio_stop")
        assert consent.words == f"Replied 'Stop' to {STORE_NUMBER}"
        exported = privacy.export(session, session.get(Store, store.id), "c-1001", None)
    assert exported["marketing_consent"][0]["source"] == "twilio_stop"
    assert [row["channel"] for row in exported["messages_received"]] == ["sms"]
    assert _send(aftercare, store, "1002").channel == "smtp"  # no more texts: email instead
    assert len(twilio.sent) == 1

    hello = writes(store, "hello", "sms")
    assert hello.status_code == 200  # any other text changes nothing
    with aftercare.db.session() as session:
        assert session.scalar(select(func.count()).select_from(Suppression)) == 1
    writes(store, "START", "sms")
    with aftercare.db.session() as session:
        assert session.scalar(select(func.count()).select_from(Suppression)) == 0
    assert _send(aftercare, store, "1003").channel == "sms" and len(twilio.sent) == 2


@pytest.mark.parametrize("channel", ["sms", "whatsapp"])
def test_erasing_the_customer_erases_when_they_wrote(aftercare, twilio, writes, channel):  # noqa: F811
    clock.freeze(T0)
    store = _store(aftercare, twilio, channel, channel=channel)
    ingest_order(aftercare, store, order_snapshot("1001", phone="050 123 4567"))  # the local spelling
    writes(store, "hi", channel)
    assert _contacts(aftercare) == [(channel, CUSTOMER)]
    with aftercare.db.session() as session:
        privacy.redact_customer(session, session.get(Store, store.id), "c-1001", None)
    assert _contacts(aftercare) == []


def test_a_stop_from_a_shopify_customer_is_told_to_shopify_as_their_sms_consent(
    aftercare,
    twilio,  # noqa: F811
    shopify,  # noqa: F811
    writes,
):
    aftercare.connectors["shopify"] = connector(shopify)
    node = make_order(5000001, clock.now())
    node["phone"] = node["customer"]["phone"] = CUSTOMER
    shopify.customers["gid://shopify/Customer/5000001"] = dict(node["customer"])
    store = _store(
        aftercare,
        twilio,
        "sms",
        platform="shopify",
        external_id=shopify.shop,
        credentials=credentials(shopify),
    )
    with aftercare.db.session() as session:
        ingest.apply_all(session, session.get(Store, store.id), shopify_translate.order_node(node))
    writes(store, "STOP", "sms")
    assert jobs.write_back_consent(aftercare, "w1") == 1
    [told] = shopify.consent_updates
    assert told["customerId"] == "gid://shopify/Customer/5000001"
    assert told["smsMarketingConsent"]["marketingState"] == "UNSUBSCRIBED"
