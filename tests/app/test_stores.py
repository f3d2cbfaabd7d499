"""Pausing keeps messages for later; uninstalling cancels them at once."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

from sqlalchemy import select

from app import clock, stores
from app.models import Message, Store
from scheduler.dispatch import Outcome
from scheduler.jobs import make_dispatcher
from tests.helpers import ingest_order, make_store, order_snapshot

T0 = datetime(2026, 11, 3, 9, 30, tzinfo=UTC)


def _set(aftercare, store, action):
    with aftercare.db.session() as session:
        return action(session, session.get(Store, store.id))


def test_paused_store_sends_what_is_due_when_resumed(aftercare, smtp):
    clock.freeze(T0)
    store = make_store(aftercare, smtp_port=smtp.port)
    ingest_order(aftercare, store, order_snapshot("1", accepts_marketing=False))
    _set(aftercare, store, stores.pause)
    assert make_dispatcher(aftercare, "w1").run_until_idle() == Counter()
    _set(aftercare, store, stores.resume)
    assert make_dispatcher(aftercare, "w1").run_until_idle() == Counter({Outcome.SENT: 1})


def test_uninstall_cancels_every_open_message_with_the_reason(aftercare, smtp):
    clock.freeze(T0)
    store = make_store(aftercare, smtp_port=smtp.port)
    ingest_order(aftercare, store, order_snapshot("1"))
    assert _set(aftercare, store, stores.uninstall) == 2  # the thank-you and the come-back offer
    with aftercare.db.session() as session:
        reasons = {m.status + ": " + m.reason for m in session.scalars(select(Message))}
    assert reasons == {"cancelled: the store uninstalled Aftercare"}
    ingest_order(aftercare, store, order_snapshot("2"))  # a late webhook plans nothing new
    with aftercare.db.session() as session:
        assert {m.status for m in session.scalars(select(Message))} == {"cancelled"}
