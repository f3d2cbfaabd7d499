"""The store's own mailer as a channel: a WooCommerce customer note, against the fake store on loopback."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from app import clock, ingest
from app.models import Message, Store
from connectors.woocommerce import translate
from scheduler.dispatch import Outcome
from scheduler.jobs import make_dispatcher
from tests.connectors.woocommerce.conftest import connected_store, shop, shop_key  # noqa: F401 - fixtures
from tests.fakes.woocommerce import capture

RECORDED = datetime(2026, 11, 23, 7, 10, tzinfo=UTC)


@pytest.fixture
def store(aftercare, shop, shop_key):  # noqa: F811 - the fixtures above
    clock.freeze(RECORDED)
    row = connected_store(aftercare, shop, shop_key, channel="store_note", default_locale="ar")
    with aftercare.db.session() as session:
        for snapshot in translate.order(capture("GET_order_completed")["body"]):
            ingest.apply_all(session, session.get(Store, row.id), [snapshot])
    return row


def thank_you(aftercare) -> Message:
    with aftercare.db.session() as session:
        message = session.scalars(select(Message).where(Message.step == "thank_you")).one()
        session.expunge(message)
        return message


def test_the_thank_you_goes_as_a_customer_note_in_the_customers_language(aftercare, shop, store):  # noqa: F811
    outcomes = make_dispatcher(aftercare, "w1").run_until_idle()
    assert outcomes[Outcome.SENT] >= 1
    notes = [note for note in shop.notes if note["order_id"] == 15]
    assert notes and all(note["customer_note"] is True for note in notes)
    first = notes[0]["note"]
    assert "15" in first and any("\u0600" <= ch <= "\u06ff" for ch in first)  # Arabic, about order 15
    sent = thank_you(aftercare)
    assert sent.status == "sent" and sent.provider_message_id == str(notes[0]["id"])


def test_revoked_keys_hold_the_stores_messages_without_using_attempts(aftercare, shop, store):  # noqa: F811
    shop.keys.clear()
    outcomes = make_dispatcher(aftercare, "w1").run_until_idle()
    assert outcomes[Outcome.CHANNEL_DOWN] >= 1 and Outcome.SENT not in outcomes
    waiting = thank_you(aftercare)
    assert waiting.status == "scheduled" and waiting.attempts == 0 and shop.notes == []


def test_an_order_gone_from_the_store_fails_the_message_with_the_reason(aftercare, shop, store):  # noqa: F811
    del shop.orders[15]
    outcomes = make_dispatcher(aftercare, "w1").run_until_idle()
    assert outcomes[Outcome.FAILED] >= 1
    failed = thank_you(aftercare)
    assert failed.status == "failed" and "Invalid order ID" in failed.reason
    assert Counter(n["order_id"] for n in shop.notes) == Counter()
