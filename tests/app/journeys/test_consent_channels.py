"""Marketing consent is per channel: a marketing step goes only through the channels the customer
agreed to, in the planner (pure) and from ingest to the outbox (on both databases)."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import select

from app import clock, create_app, services
from app.journeys.steps import STEPS
from app.models import Message, Store
from connectors.base import ConsentSnapshot
from scheduler.jobs import make_dispatcher
from tests import helpers
from tests.app.journeys.test_planner import T0, customer, state, step
from tests.conftest import settings_for
from tests.fakes.twilio import FakeTwilio
from tests.helpers import ingest_order, make_store

WIN_BACK_DUE = T0 + timedelta(days=30, hours=1)


@pytest.mark.any_database
@pytest.mark.parametrize(
    ("email", "consented", "channels", "allowed"),
    [
        (True, frozenset(), ("smtp",), ("smtp",)),
        (False, frozenset({"sms"}), ("sms", "smtp"), ("sms",)),
        (True, frozenset(), ("sms", "smtp"), ("smtp",)),
        (True, frozenset({"sms", "whatsapp"}), ("whatsapp", "sms", "smtp"), ("whatsapp", "sms", "smtp")),
        (False, frozenset({"whatsapp"}), ("whatsapp", "smtp"), ("whatsapp",)),
    ],
)
def test_a_marketing_step_names_only_the_channels_the_customer_agreed_to(email, consented, channels, allowed):
    order = state(customer=customer(marketing_consent=email, consented=consented))
    decided = step(order, "win_back", WIN_BACK_DUE, channels={"win_back": channels})
    assert decided.verdict.value == "send" and decided.channels == allowed


@pytest.mark.any_database
@pytest.mark.parametrize(
    ("email", "consented", "channels"),
    [
        (False, frozenset({"sms"}), ("smtp",)),  # agreed to texts, and the store only emails
        (True, frozenset(), ("sms",)),  # agreed to email: that is no yes to texts
        (False, frozenset(), ("smtp", "sms", "whatsapp")),
    ],
)
def test_without_consent_on_any_of_its_channels_a_marketing_step_is_skipped(email, consented, channels):
    order = state(customer=customer(marketing_consent=email, consented=consented))
    decided = step(order, "win_back", WIN_BACK_DUE, channels={"win_back": channels})
    assert decided.verdict.value == "skip" and decided.reason.code == "no_marketing_consent"


@pytest.mark.any_database
def test_transactional_and_service_steps_need_no_consent_and_name_no_channels():
    order = state(customer=replace(customer(), marketing_consent=False))
    assert step(order, "thank_you").channels == () and step(order, "thank_you").verdict.value == "send"


def win_back(aftercare) -> list[Message]:
    with aftercare.db.session() as session:
        return list(session.scalars(select(Message).where(Message.step == "win_back")))


STORE_NUMBER = "+14155550100"


@pytest.fixture
def twilio():
    with FakeTwilio(numbers={STORE_NUMBER}, whatsapp_senders={STORE_NUMBER}).running() as fake:
        yield fake


@pytest.fixture
def app(database_url, tmp_path, twilio):
    application = create_app(settings_for(database_url, tmp_path, twilio_api_url=twilio.url))
    yield application
    services(application).db.dispose()


def texting_store(aftercare, twilio, smtp_port=None):
    """A store whose come-back offer prefers SMS, then its own email."""
    return make_store(
        aftercare,
        smtp_port=smtp_port,
        twilio_account_sid=twilio.account_sid,
        twilio_auth_token=twilio.auth_token,
        sms_from=STORE_NUMBER,
        journey=json.dumps({"steps": {"win_back": {"channels": ["sms", "smtp"]}}}),
    )


def test_sms_consent_alone_lets_an_sms_come_back_offer_be_planned(aftercare, twilio):
    clock.freeze(T0)
    store = texting_store(aftercare, twilio)
    snapshot = helpers.order_snapshot("1001", phone="+966501234567", accepts_marketing=False)
    snapshot = replace(
        snapshot,
        customer=replace(snapshot.customer, consents=(ConsentSnapshot("sms", True, "shopify", at=T0),)),
    )
    ingest_order(aftercare, store, snapshot)
    [message] = win_back(aftercare)
    assert message.status == "scheduled" and message.channel == "sms"


def test_email_consent_is_no_consent_to_text(aftercare, twilio, smtp):
    """The step prefers SMS; the customer agreed to email only: the offer goes by email, no text."""
    clock.freeze(T0)
    store = texting_store(aftercare, twilio, smtp_port=smtp.port)
    snapshot = helpers.order_snapshot("1001", phone="+966501234567", accepts_marketing=True)
    ingest_order(aftercare, store, snapshot)
    steps_off = {name: {"enabled": False} for name in STEPS if name != "win_back"}
    with aftercare.db.session() as session:
        session.get(Store, store.id).journey = json.dumps(
            {"steps": {**steps_off, "win_back": {"channels": ["sms", "smtp"]}}}
        )
    clock.freeze(WIN_BACK_DUE)
    make_dispatcher(aftercare, "w1").run_until_idle()
    [message] = win_back(aftercare)
    assert message.status == "sent" and message.channel == "smtp"
    assert twilio.sent == [] and [m.message["X-Aftercare-Step"] for m in smtp.wait_for(1)] == ["win_back"]


@pytest.mark.any_database
def test_every_channel_a_step_may_name_says_which_consent_it_needs():
    from app.journeys.config import CHANNELS
    from app.journeys.steps import CONSENT_FOR_CHANNEL

    assert set(CHANNELS) == set(CONSENT_FOR_CHANNEL)
