"""Nothing is lost (invariant 5): a delivery whose processing fails stays in the inbox and is retried."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, text

from app import clock, inbox
from app.models import InboxEntry, Order, Store
from connectors.base import WebhookRequest
from connectors.sandbox import SandboxConnector
from tests.helpers import T0, count, make_store, simulated


class FlakyConnector(SandboxConnector):
    """The sandbox connector whose processing breaks after the request was accepted at the door (a
    bug met mid-way, a deploy that fixes it later): the first translation, made by the webhook route
    before storing, succeeds; later ones fail until ``healed``."""

    def __init__(self) -> None:
        self.calls = 0
        self.healed = False

    def translate(self, delivery):
        self.calls += 1
        if self.calls > 1 and not self.healed:
            raise RuntimeError("cannot handle this payload yet")
        return super().translate(delivery)


def test_failed_processing_is_kept_and_retried(app, aftercare):
    """The route answers 200 once the delivery is stored, even if processing fails; the worker retries."""
    clock.freeze(T0)
    store = make_store(aftercare)
    flaky = FlakyConnector()
    aftercare.connectors["sandbox"] = flaky
    sandbox = simulated(store)
    body, headers = sandbox.signed_request("order.created", sandbox.new_order(status="paid"))
    response = app.test_client().post("/webhooks/sandbox", data=body, headers=headers)
    assert response.status_code == 200 and response.json == {"ok": True, "processed": False}
    connectors = {"sandbox": flaky}
    with aftercare.db.session() as session:
        entry = session.scalars(select(InboxEntry)).one()
    assert entry.status == "pending" and entry.attempts == 1 and "cannot handle" in entry.last_error
    assert entry.next_attempt_at > T0
    assert count(aftercare, Order) == 0  # the failed attempt left nothing half-written

    assert inbox.process_pending(aftercare.db, connectors) == 0  # not due yet: backoff
    flaky.healed = True
    clock.advance(timedelta(minutes=5))
    assert inbox.process_pending(aftercare.db, connectors) == 1
    assert count(aftercare, Order) == 1 and count(aftercare, InboxEntry, status="processed") == 1


def test_repeated_failures_end_as_failed_for_a_human(aftercare):
    clock.freeze(T0)
    store = make_store(aftercare)
    sandbox = simulated(store)
    body, headers = sandbox.signed_request("order.created", sandbox.new_order())
    delivery = SandboxConnector().verify_webhook(
        WebhookRequest(headers=headers, body=body), store.webhook_secret
    )
    inbox.accept(aftercare.db, store.id, delivery)
    flaky = FlakyConnector()
    flaky.calls = 1  # already past the door
    for _ in range(inbox.MAX_ATTEMPTS):
        inbox.process_pending(aftercare.db, {"sandbox": flaky})
        clock.advance(timedelta(hours=3))
    with aftercare.db.session() as session:
        entry = session.scalars(select(InboxEntry)).one()
    assert entry.status == "failed" and entry.attempts == inbox.MAX_ATTEMPTS


def test_secrets_are_encrypted_at_rest(aftercare):
    store = make_store(aftercare, smtp_password="hunter2-smtp", webhook_secret="whsec-plain-value")
    with aftercare.db.engine.connect() as connection:
        raw = connection.execute(
            text("SELECT smtp_password, webhook_secret FROM stores WHERE id = :id"), {"id": store.id}
        ).one()
    assert "hunter2" not in raw[0] and "whsec" not in raw[1]
    with aftercare.db.session() as session:
        loaded = session.get(Store, store.id)
        assert loaded.smtp_password == "hunter2-smtp" and loaded.webhook_secret == "whsec-plain-value"
