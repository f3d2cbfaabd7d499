"""Nothing is lost (invariant 5): a delivery whose processing fails stays in the inbox and is retried."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import event, func, select, text

from app import channel_settings, clock, inbox
from app.models import Customer, InboxEntry, Message, Order, Store
from connectors.base import WebhookRequest
from connectors.sandbox import SandboxConnector
from scheduler import jobs
from tests.helpers import T0, count, make_store, simulated


class FlakyConnector(SandboxConnector):
    """The sandbox connector whose processing breaks after the request was accepted at the door (a
    bug met mid-way): the first translation, made by the webhook route before storing, succeeds;
    later ones fail."""

    def __init__(self) -> None:
        self.calls = 0

    def translate(self, delivery):
        self.calls += 1
        if self.calls > 1:
            raise RuntimeError("cannot handle this payload")
        return super().translate(delivery)


def test_the_webhook_answers_once_the_delivery_is_stored_and_the_worker_applies_it(app, aftercare):
    """The request only stores the delivery; the order appears when the worker takes the inbox."""
    clock.freeze(T0)
    store = make_store(aftercare)
    sandbox = simulated(store)
    body, headers = sandbox.signed_request("order.created", sandbox.new_order(status="paid"))
    response = app.test_client().post("/webhooks/sandbox", data=body, headers=headers)
    assert response.status_code == 200 and response.json["ok"] is True
    assert count(aftercare, Order) == 0 and count(aftercare, InboxEntry, status="pending") == 1
    assert inbox.pending(aftercare.db, store.id) == 1  # what the merchant's pages say is waiting
    assert inbox.process(aftercare.db, aftercare.connectors) == inbox.Processed(done=1)
    assert count(aftercare, Order) == 1 and count(aftercare, InboxEntry, status="processed") == 1
    assert count(aftercare, Message, step="thank_you") == 1


def test_a_delivery_that_fails_in_processing_is_kept_once_as_rejected_and_not_retried(app, aftercare):
    """Its reason is kept for the operator; nothing half-written stays; the next batch is not held up."""
    clock.freeze(T0)
    store = make_store(aftercare)
    flaky = FlakyConnector()
    aftercare.connectors["sandbox"] = flaky
    sandbox = simulated(store)
    body, headers = sandbox.signed_request("order.created", sandbox.new_order(status="paid"))
    assert app.test_client().post("/webhooks/sandbox", data=body, headers=headers).status_code == 200
    assert inbox.process(aftercare.db, {"sandbox": flaky}) == inbox.Processed(rejected=1)
    with aftercare.db.session() as session:
        entry = session.scalars(select(InboxEntry)).one()
    assert entry.status == "rejected" and entry.attempts == 1 and "cannot handle" in entry.last_error
    assert count(aftercare, Order) == 0  # the failed attempt left nothing half-written
    clock.advance(timedelta(hours=3))
    assert inbox.process(aftercare.db, {"sandbox": flaky}) == inbox.Processed()  # never retried


class OneBadDelivery(SandboxConnector):
    """Fails on the order numbered ``bad`` only, as a payload no code path foresaw would."""

    def __init__(self, bad: str) -> None:
        self.bad = bad

    def translate(self, delivery):
        snapshots = super().translate(delivery)
        if any(getattr(snapshot, "number", None) == self.bad for snapshot in snapshots):
            raise ValueError("a value nobody foresaw")
        return snapshots


def test_one_bad_delivery_does_not_stop_the_others_in_its_batch(aftercare):
    clock.freeze(T0)
    store = make_store(aftercare)
    sandbox = simulated(store)
    orders = [sandbox.new_order(status="paid") for _ in range(3)]
    for order in orders:
        body, headers = sandbox.signed_request("order.created", order)
        delivery = SandboxConnector().verify_webhook(WebhookRequest(headers, body), store.webhook_secret)
        inbox.accept(aftercare.db, store.id, delivery)
    connector = OneBadDelivery(bad=str(orders[1]["number"]))
    assert inbox.process(aftercare.db, {"sandbox": connector}) == inbox.Processed(done=2, rejected=1)
    assert count(aftercare, Order) == 2 and count(aftercare, Message, step="thank_you") == 2


def test_a_parcel_for_an_order_never_seen_waits_quietly_and_ends_failed_for_a_human(aftercare, caplog):
    """An expected "not seen yet" is retried with backoff and logged without a traceback."""
    clock.freeze(T0)
    store = make_store(aftercare)
    sandbox = simulated(store)
    order = sandbox.new_order(status="paid")
    body, headers = sandbox.signed_request("shipment.updated", sandbox.shipment(order, "in_transit"))
    delivery = SandboxConnector().verify_webhook(
        WebhookRequest(headers=headers, body=body), store.webhook_secret
    )
    inbox.accept(aftercare.db, store.id, delivery)
    for _ in range(inbox.MAX_ATTEMPTS):
        assert inbox.process(aftercare.db, aftercare.connectors).waiting == 1
        assert inbox.process(aftercare.db, aftercare.connectors) == inbox.Processed()  # backing off
        clock.advance(timedelta(hours=3))
    with aftercare.db.session() as session:
        entry = session.scalars(select(InboxEntry)).one()
    assert entry.status == "failed" and entry.attempts == inbox.MAX_ATTEMPTS
    assert "not seen yet" in entry.last_error
    assert not any(record.exc_info for record in caplog.records)


def test_secrets_are_encrypted_at_rest(aftercare):
    store = make_store(aftercare, smtp_password="hunter2-smtp", webhook_secret="whsec-plain-value")
    with aftercare.db.engine.connect() as connection:
        secret = connection.execute(
            text("SELECT webhook_secret FROM stores WHERE id = :id"), {"id": store.id}
        ).scalar_one()
        channel = connection.execute(
            text("SELECT settings FROM channel_settings WHERE store_id = :id"), {"id": store.id}
        ).scalar_one()
    assert "whsec" not in secret and "hunter2" not in channel and "127.0.0.1" not in channel  # whole
    with aftercare.db.session() as session:
        loaded = session.get(Store, store.id)
        smtp = channel_settings.context(session, loaded).settings["smtp"]
        assert smtp.password == "hunter2-smtp" and loaded.webhook_secret == "whsec-plain-value"


def test_applied_deliveries_are_deleted_after_the_kept_days_and_a_late_retry_is_still_a_duplicate(
    app, aftercare
):
    """The raw bodies (customers' names and addresses) go once their week is over; what still waits,
    or was kept for a human, stays; within the week the platform's retry is answered as a duplicate."""
    clock.freeze(T0)
    store = make_store(aftercare)
    sandbox = simulated(store)
    client = app.test_client()

    def post(payload: dict) -> tuple[bytes, dict]:
        body, headers = sandbox.signed_request("order.created", payload)
        assert client.post("/webhooks/sandbox", data=body, headers=headers).status_code == 200
        return body, headers

    post(sandbox.new_order(status="paid"))
    inbox.drain(aftercare.db, aftercare.connectors)
    with aftercare.db.session() as session:  # kept for a human: never applied
        session.add(InboxEntry(store_id=store.id, topic="order.created", delivery_id="bad", body=b"{"))
        session.flush()
        session.execute(text("UPDATE inbox SET status = 'rejected' WHERE delivery_id = 'bad'"))
    clock.advance(timedelta(days=5))
    recent = post(sandbox.new_order(status="paid"))
    inbox.drain(aftercare.db, aftercare.connectors)
    clock.advance(timedelta(days=2, hours=1))
    post(sandbox.new_order(status="paid"))  # not applied yet

    assert aftercare.settings.inbox_keep_days == 7
    assert jobs.prune_inbox(aftercare) == 1  # the worker's hourly job
    with aftercare.db.session() as session:
        kept = dict(session.execute(select(InboxEntry.delivery_id, InboxEntry.status)).all())
    assert sorted(kept.values()) == ["pending", "processed", "rejected"]
    assert count(aftercare, Order) == 2  # the order the deleted delivery made is untouched
    answer = client.post("/webhooks/sandbox", data=recent[0], headers=recent[1])
    assert answer.json.get("duplicate") is True  # a retry within the week meets its row
    assert inbox.prune(aftercare.db, timedelta(days=7)) == 0


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_a_second_worker_leaves_a_customer_the_first_is_writing_and_takes_the_rest(app, aftercare):
    """Worker A's batch holds a customer's first order and has inserted the customer, not committed.
    Worker B's batch has that customer's second order and another customer's: B does not wait for
    A's transaction (it would, on the customer's unique key); it applies the other customer's order
    and leaves the second order pending, untried. Once A commits, the next batch applies it: every
    order once, the customer once, each order's thank-you planned."""
    clock.freeze(T0)
    store = make_store(aftercare)
    sandbox = simulated(store)
    first = sandbox.new_order(status="paid")
    orders = [first, sandbox.new_order(status="paid", returning=first["customer"]["email"])]
    orders.append(sandbox.new_order(status="paid"))
    for payload in orders:
        body, headers = sandbox.signed_request("order.created", payload)
        assert app.test_client().post("/webhooks/sandbox", data=body, headers=headers).status_code == 200
    inserted, release = threading.Event(), threading.Event()

    @event.listens_for(aftercare.db.engine, "after_cursor_execute")
    def pause_a(connection, cursor, statement, parameters, context, executemany):
        if threading.current_thread().name == "A" and statement.startswith("INSERT INTO customers"):
            inserted.set()
            release.wait(timeout=300)

    results: dict[str, inbox.Processed] = {}

    def work(name: str, limit: int) -> None:
        results[name] = inbox.process(aftercare.db, aftercare.connectors, limit=limit)

    a = threading.Thread(target=work, args=("A", 1), name="A")  # the oldest delivery: the first order
    b = threading.Thread(target=work, args=("B", 10), name="B")
    try:
        a.start()
        assert inserted.wait(timeout=120), "worker A never inserted the customer"
        b.start()
        b.join(timeout=60)  # a bound on a busy machine; B waiting for A would never end before release
        b_done_while_a_open = not b.is_alive()
    finally:
        release.set()
        a.join(timeout=300)
        b.join(timeout=300)
        event.remove(aftercare.db.engine, "after_cursor_execute", pause_a)

    assert b_done_while_a_open, "worker B waited for worker A's transaction"
    assert results == {"A": inbox.Processed(done=1), "B": inbox.Processed(done=1, busy=1)}
    with aftercare.db.session() as session:
        left = session.scalars(select(InboxEntry).where(InboxEntry.status == "pending")).one()
    assert left.attempts == 0  # untried, not failed
    assert inbox.process(aftercare.db, aftercare.connectors) == inbox.Processed(done=1)
    with aftercare.db.session() as session:
        stored = dict(
            session.execute(select(Order.external_id, func.count()).group_by(Order.external_id)).all()
        )
        customers = session.scalar(select(func.count()).select_from(Customer))
    assert stored == {str(payload["id"]): 1 for payload in orders} and customers == 2
    assert count(aftercare, Message, step="thank_you") == 3
