"""What a batch writes about its sends: every message the server took is recorded sent, with its
attempt row and its timeline entry, and no more than that, whatever happens in the middle."""

from __future__ import annotations

import functools
import threading
import time
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import event, func, select, update

from app import clock
from app.db import DEFERRED_OPTION, SQLITE_BUSY_TIMEOUT_SECONDS
from app.models import Message, MessageAttempt, Order, Store, TimelineEntry
from scheduler.dispatch import Outcome
from scheduler.jobs import make_dispatcher
from tests import helpers
from tests.helpers import T0, count, ingest_order, make_store

order_snapshot = functools.partial(helpers.order_snapshot, accepts_marketing=False)


def _rows(aftercare) -> tuple[dict[int, Message], Counter, Counter]:
    """Each message by id; its attempt rows by (id, outcome); its timeline's sent entries by id."""
    with aftercare.db.session() as session:
        messages = {m.id: m for m in session.scalars(select(Message))}
        attempts = Counter(session.execute(select(MessageAttempt.message_id, MessageAttempt.outcome)).all())
        entries = Counter(
            session.scalars(
                select(Message.id)
                .join(TimelineEntry, TimelineEntry.order_id == Message.order_id)
                .where(TimelineEntry.kind == "sent", TimelineEntry.step == Message.step)
            )
        )
    return messages, attempts, entries


def _run(dispatcher) -> tuple[threading.Thread, list[Counter]]:
    result: list[Counter] = []
    thread = threading.Thread(target=lambda: result.append(dispatcher.run_until_idle()))
    thread.start()
    return thread, result


def test_a_refusal_in_the_middle_of_a_batch_records_exactly_what_was_sent(aftercare, smtp):
    """The server takes three of a batch of six, then refuses for now: the three are sent with one
    'sent' attempt and one timeline entry each; the other three wait for a retry with one 'retry'
    attempt each, and nothing went out twice."""
    clock.freeze(T0)
    store = make_store(aftercare, smtp_port=smtp.port)
    for number in range(6):
        ingest_order(aftercare, store, order_snapshot(str(number), email=f"c{number}@example.test"))
    smtp.hold_after = 3
    thread, result = _run(make_dispatcher(aftercare, "w1"))
    assert smtp.holding.wait(timeout=120), "the worker never sent its third message"
    smtp.refuse_with = "451 4.3.0 try again later"
    smtp.released.set()
    thread.join(timeout=300)

    assert result == [Counter({Outcome.SENT: 3, Outcome.RETRY: 3})]
    received = Counter(mail.message["X-Aftercare-Message"] for mail in smtp.wait_for(3))
    assert len(received) == 3 and set(received.values()) == {1}
    messages, attempts, entries = _rows(aftercare)
    sent = {m.id for m in messages.values() if m.status == "sent"}
    assert {f"{store.id}.{message_id}" for message_id in sent} == set(received)
    for message_id, message in messages.items():
        assert message.attempts == 1
        tried = {outcome: attempts[(message_id, outcome)] for outcome in ("sent", "retry")}
        if message_id in sent:
            assert message.sent_at == T0 and tried == {"sent": 1, "retry": 0} and entries[message_id] == 1
        else:
            assert message.status == "scheduled" and message.sent_at is None
            assert tried == {"sent": 0, "retry": 1} and entries[message_id] == 0


def test_a_send_whose_lease_passed_meanwhile_writes_nothing_over_the_new_holder(aftercare, smtp):
    """A worker stalls in its send past its lease; another claims the message and sends it. When the
    first one's send finally ends, its record finds the lease gone: the message keeps the second
    worker's one attempt, one attempt row and one timeline entry."""
    clock.freeze(T0)
    store = make_store(aftercare, smtp_port=smtp.port)
    ingest_order(aftercare, store, order_snapshot("1"))
    smtp.hold_after = 0
    slow, result = _run(make_dispatcher(aftercare, "slow"))
    assert smtp.holding.wait(timeout=120), "the slow worker never began its send"
    clock.advance(timedelta(seconds=aftercare.settings.dispatch_lease_seconds + 1))
    assert make_dispatcher(aftercare, "fast").run_until_idle() == Counter({Outcome.SENT: 1})
    smtp.released.set()
    slow.join(timeout=300)

    assert result == [Counter({Outcome.LOST_LEASE: 1})]
    messages, attempts, entries = _rows(aftercare)
    [message] = messages.values()
    assert message.status == "sent" and message.claimed_by == "fast" and message.attempts == 1
    assert attempts == Counter({(message.id, "sent"): 1}) and entries == Counter({message.id: 1})
    with aftercare.db.session() as session:
        assert session.scalar(select(func.count()).select_from(MessageAttempt)) == 1


def test_the_next_batch_is_claimed_and_checked_while_this_one_is_sent(aftercare, smtp):
    """The worker claims and re-checks its next batch while the server still holds the current
    batch's first send, so rendering never waits for the wire; every message still goes once, with
    one attempt and one timeline entry."""
    clock.freeze(T0)
    store = make_store(aftercare, smtp_port=smtp.port)
    for number in range(6):
        ingest_order(aftercare, store, order_snapshot(str(number), email=f"c{number}@example.test"))
    worker = make_dispatcher(aftercare, "w1")
    worker.batch_size = 2
    smtp.hold_after = 0
    thread, result = _run(worker)
    assert smtp.holding.wait(timeout=120), "the worker never began its first send"
    deadline = time.monotonic() + 60  # a bound on a busy machine, not a measure: it ends on the claim
    while count(aftercare, Message, status="sending", claimed_by="w1") < 4 and time.monotonic() < deadline:
        time.sleep(0.05)
    claimed_meanwhile = count(aftercare, Message, status="sending", claimed_by="w1")
    smtp.released.set()
    thread.join(timeout=300)

    assert claimed_meanwhile == 4  # the first batch's two and the next batch's two
    assert result == [Counter({Outcome.SENT: 6})]
    received = Counter(mail.message["X-Aftercare-Message"] for mail in smtp.wait_for(6))
    assert len(received) == 6 and set(received.values()) == {1}
    messages, attempts, entries = _rows(aftercare)
    assert {m.status for m in messages.values()} == {"sent"}
    assert set(attempts.values()) == {1} and len(attempts) == 6 and set(entries.values()) == {1}


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_a_batch_that_must_write_after_another_commit_is_checked_again_under_the_lock(aftercare, smtp):
    """On SQLite a batch is re-checked without the write lock, so a send's record is never held back
    by it. This batch has a cancelled order's message to write, and another connection commits
    between its first read and that write (here: at its first write): its reads may be out of date,
    SQLite refuses the write, and the batch is re-checked again holding the lock. The message is
    cancelled once, with one timeline entry; the others are sent once each."""
    clock.freeze(T0)
    store = make_store(aftercare, smtp_port=smtp.port)
    other = make_store(aftercare, name="Next Door")
    for number in range(3):
        ingest_order(aftercare, store, order_snapshot(str(number), email=f"c{number}@example.test"))
    with aftercare.db.session() as session:  # the cancellation lands without a refresh of the outbox
        session.execute(update(Order).where(Order.external_id == "1").values(status="cancelled"))
    seen: Counter = Counter()

    @event.listens_for(aftercare.db.engine, "before_cursor_execute")
    def commit_meanwhile(connection, cursor, statement, parameters, context, executemany):
        reading = connection.get_execution_options().get(DEFERRED_OPTION, False)
        writes = statement.lstrip().split(" ", 1)[0] in ("UPDATE", "INSERT", "DELETE")
        if reading and writes and not seen["committed"]:
            seen["committed"] += 1
            raw = aftercare.db.engine.raw_connection()  # the batch holds no lock: this writes at once
            elsewhere = raw.driver_connection
            try:
                elsewhere.execute("PRAGMA busy_timeout = 2000")
                elsewhere.execute("BEGIN IMMEDIATE")
                elsewhere.execute("UPDATE stores SET name = 'Next Door 2' WHERE id = ?", (other.id,))
                elsewhere.execute("COMMIT")
            finally:
                elsewhere.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_SECONDS * 1000}")
                raw.close()

    try:
        outcomes = make_dispatcher(aftercare, "w1").run_until_idle()
    finally:
        event.remove(aftercare.db.engine, "before_cursor_execute", commit_meanwhile)

    assert seen["committed"] == 1
    assert outcomes == Counter({Outcome.SENT: 2, Outcome.CANCELLED: 1})
    received = Counter(mail.message["X-Aftercare-Message"] for mail in smtp.wait_for(2))
    assert len(received) == 2 and set(received.values()) == {1}
    with aftercare.db.session() as session:
        cancelled = session.scalars(select(Message).join(Order).where(Order.external_id == "1")).one()
        kinds = Counter(
            session.scalars(select(TimelineEntry.kind).where(TimelineEntry.order_id == cancelled.order_id))
        )
        assert session.get(Store, other.id).name == "Next Door 2"  # the other connection did not wait
    assert cancelled.status == "cancelled" and cancelled.reason == "the order was cancelled"
    assert kinds["cancelled"] == 1 and kinds["sent"] == 0
