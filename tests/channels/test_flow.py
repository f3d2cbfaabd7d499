"""Shopify Flow as a channel: each step fires its trigger (the extension under ``extensions/``) with
``flowTriggerReceive``, validated by the fake Admin API against Shopify's published schema and the
extension's own fields; refusals and fallbacks are recorded like any channel's."""

from __future__ import annotations

import dataclasses
import json

import pytest
from sqlalchemy import select

from app import clock
from app.links import Links
from app.models import Message, MessageAttempt
from channels import registry
from channels.flow import handle
from connectors.shopify import ShopifyConnector
from connectors.shopify.client import ShopCredentials
from scheduler.dispatch import Dispatcher, Outcome
from tests.fakes.shopify import FakeShopify, VirtualClock, published_triggers
from tests.helpers import T0, ingest_order, make_store, order_snapshot

TOKEN = "shpat_" + "f" * 32


@pytest.fixture
def shopify():
    fake = FakeShopify(access_tokens={TOKEN}, restore_rate=5000.0, clock=VirtualClock())
    with fake.serving():
        yield fake


def _dispatcher(aftercare, fake):
    connector = ShopifyConnector(
        client_secret="unused", http_client=fake.client(), sleep=fake.clock.sleep, clock=fake.clock
    )
    channels = registry.build(aftercare.settings, {"shopify": connector})
    return Dispatcher(aftercare.db, channels, "w1", Links(aftercare.settings))


def _store(aftercare, fake, *, enabled=True, smtp_port=None):
    store = make_store(
        aftercare,
        platform="shopify",
        external_id=fake.shop,
        credentials=ShopCredentials(fake.shop, TOKEN).to_json(),
        smtp_port=smtp_port,
        journey=json.dumps({"steps": {"thank_you": {"channels": ["flow", "smtp"]}}}),
    )
    from app import channel_settings
    from app.models import Store

    with aftercare.db.session() as session:
        channel_settings.save_values(session, session.get(Store, store.id), "flow", {"enabled": enabled})
    return store


def _shopify_order(number="1001", customer="7001"):
    snapshot = order_snapshot(number, first_name="Layla")
    return dataclasses.replace(
        snapshot, customer=dataclasses.replace(snapshot.customer, external_id=customer)
    )


def test_every_step_has_its_published_trigger():
    triggers = published_triggers()
    from app.journeys.steps import STEPS

    assert {handle(step) for step in STEPS} == set(triggers)
    assert all(len(name) <= 30 for name in triggers)


def test_the_thank_you_fires_its_flow_trigger_with_customer_order_and_texts(aftercare, shopify):
    clock.freeze(T0)
    store = _store(aftercare, shopify)
    ingest_order(aftercare, store, _shopify_order())
    assert _dispatcher(aftercare, shopify).run_until_idle() == {Outcome.SENT: 1}
    [fired] = shopify.flow_triggers
    assert fired["handle"] == "aftercare-thank-you"
    payload = fired["payload"]
    assert (payload["customer_id"], payload["order_id"]) == (7001, 1001)
    assert "Layla" in payload["text"] and payload["subject"] and "<html" in payload["html"].lower()
    assert payload["language"] == "en" and payload["email"] == "layla@example.test"
    with aftercare.db.session() as session:
        message = session.scalars(select(Message).where(Message.step == "thank_you")).one()
        assert (message.status, message.channel) == ("sent", "flow")


def test_a_refused_trigger_is_recorded_as_the_attempt_and_fails_the_message(aftercare, shopify):
    """Shopify refuses a trigger the app's deployed version lacks: the attempt keeps Shopify's words."""
    clock.freeze(T0)
    store = _store(aftercare, shopify)
    ingest_order(aftercare, store, _shopify_order())
    shopify.undeployed.add("aftercare-thank-you")
    assert _dispatcher(aftercare, shopify).run_until_idle() == {Outcome.FAILED: 1}
    with aftercare.db.session() as session:
        [attempt] = session.scalars(select(MessageAttempt)).all()
        assert (attempt.channel, attempt.outcome) == ("flow", "failed")
        assert "Invalid handle 'aftercare-thank-you'" in attempt.error
    assert shopify.flow_triggers == []


def test_a_refused_token_makes_the_message_wait_as_any_channel_down(aftercare, shopify):
    """Shopify refuses the store's token (uninstalled, revoked): the attempt is recorded as the channel
    being down and the message waits, without using up an attempt, as it would for a dead SMTP server."""
    clock.freeze(T0)
    store = _store(aftercare, shopify)
    ingest_order(aftercare, store, _shopify_order())
    shopify.access_tokens.clear()
    assert _dispatcher(aftercare, shopify).run_until_idle() == {Outcome.CHANNEL_DOWN: 1}
    with aftercare.db.session() as session:
        attempts = session.scalars(select(MessageAttempt).order_by(MessageAttempt.id)).all()
        message = session.scalars(select(Message).where(Message.step == "thank_you")).one()
        # the step's next channel, this store's SMTP server on a closed port, is down as well
        assert [(a.channel, a.outcome) for a in attempts] == [("flow", "down"), ("smtp", "down")]
        assert (message.status, message.attempts) == ("scheduled", 0) and "Shopify refused" in message.reason
    assert shopify.flow_triggers == []


def test_a_guest_order_goes_by_the_next_channel(aftercare, shopify, smtp):
    clock.freeze(T0)
    store = _store(aftercare, shopify, smtp_port=smtp.port)
    ingest_order(aftercare, store, _shopify_order(customer="guest-1"))
    assert _dispatcher(aftercare, shopify).run_until_idle() == {Outcome.SENT: 1}
    assert shopify.flow_triggers == [] and len(smtp.wait_for(1)) == 1


def test_flow_is_only_a_channel_of_shopify_stores_that_turned_it_on(aftercare, shopify):
    from app import channel_settings
    from app.models import Store

    off = _store(aftercare, shopify, enabled=False)
    woo = make_store(aftercare, platform="woocommerce", credentials="{}")
    with aftercare.db.session() as session:
        channel_settings.save_values(session, session.get(Store, woo.id), "flow", {"enabled": True})
        assert "flow" not in channel_settings.usable(session.get(Store, off.id))
        assert "flow" not in channel_settings.usable(session.get(Store, woo.id))
