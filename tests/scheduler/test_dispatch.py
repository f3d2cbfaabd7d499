"""The dispatcher against a real SMTP server on loopback, on SQLite and PostgreSQL."""

from __future__ import annotations

import functools
import threading
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from app import clock, ingest
from app.models import Message, Order, Store, Suppression
from connectors.base import OrderStatus
from scheduler.dispatch import Outcome, retry_delay
from scheduler.jobs import make_dispatcher
from tests import helpers
from tests.fakes.smtp import SmtpSink, WaitingServer
from tests.helpers import T0, count, ingest_order, make_store

# These tests are about sending one message: orders whose customers declined marketing get only
# the thank-you in the window the tests look at.
order_snapshot = functools.partial(helpers.order_snapshot, accepts_marketing=False)


def _message(aftercare, **where) -> Message:
    with aftercare.db.session() as session:
        query = select(Message)
        for column, value in where.items():
            query = query.where(getattr(Message, column) == value)
        return session.scalars(query).one()


def test_due_thank_you_is_sent_by_smtp(aftercare, smtp):
    clock.freeze(T0)
    store = make_store(aftercare, smtp_port=smtp.port)
    ingest_order(aftercare, store, order_snapshot("1001", first_name="Layla"))
    outcomes = make_dispatcher(aftercare, "w1").run_until_idle()
    assert outcomes == Counter({Outcome.SENT: 1})
    [mail] = smtp.wait_for(1)
    assert mail.rcpt_tos == ["layla@example.test"]
    assert mail.message["Subject"] == "Thank you for your order #1001, Layla"
    assert mail.message["From"] == "Tea & Things <hello@tea-and-things.example>"
    assert mail.message["Message-ID"].startswith("<aftercare.")
    message = _message(aftercare)
    assert message.status == "sent" and message.sent_at == T0 and message.attempts == 1
    assert message.recipient == "layla@example.test"


def test_a_run_of_several_batches_sends_over_one_smtp_connection(aftercare, smtp):
    """The store's server sees one conversation for the whole run, not one per batch."""
    clock.freeze(T0)
    store = make_store(aftercare, smtp_port=smtp.port)
    for number in range(5):
        email = f"customer{number}@example.test"
        ingest_order(aftercare, store, order_snapshot(f"10{number:02d}", email=email))
    dispatcher = make_dispatcher(aftercare, "w1")
    dispatcher.batch_size = 2
    assert dispatcher.run_until_idle() == Counter({Outcome.SENT: 5})
    assert len(smtp.wait_for(5)) == 5
    assert len(smtp.peers) == 1


def test_each_message_of_a_batch_has_its_envelope_sent_with_the_data_before_it(aftercare):
    """Within a batch, the next message's envelope reaches the store's server with the previous
    message's data, before the server has answered it: one round trip a message over a distant
    server (``channels.smtp.server``). Each message still arrives once, to its own customer, over
    one connection (fails without the dispatcher naming the next message: the server sees each
    envelope only after answering the data before it)."""
    server = WaitingServer()
    server.start()
    clock.freeze(T0)
    store = make_store(aftercare, smtp_port=server.port)
    emails = [f"customer{number}@example.test" for number in range(3)]
    for number, email in enumerate(emails):
        ingest_order(aftercare, store, order_snapshot(f"10{number:02d}", email=email))
    assert make_dispatcher(aftercare, "w1").run_until_idle() == Counter({Outcome.SENT: 3})
    server.join(timeout=60)
    assert server.behind == [True, True, False]  # nothing follows the last
    assert sorted(server.recipients) == [f"<{email}>".encode() for email in emails]
    assert len(server.bodies) == 3


def test_message_not_due_yet_waits(aftercare, smtp):
    clock.freeze(T0)
    store = make_store(aftercare, smtp_port=smtp.port)
    ingest_order(aftercare, store, order_snapshot(placed_at=T0 + timedelta(hours=1)))
    assert make_dispatcher(aftercare, "w1").run_until_idle() == Counter()
    clock.freeze(T0 + timedelta(hours=1))
    assert make_dispatcher(aftercare, "w1").run_until_idle() == Counter({Outcome.SENT: 1})


def test_order_cancelled_after_scheduling_is_not_sent(aftercare, smtp):
    """The planner is asked again at send time (invariant 4)."""
    clock.freeze(T0)
    store = make_store(aftercare, smtp_port=smtp.port)
    ingest_order(aftercare, store, order_snapshot())
    with aftercare.db.session() as session:  # the cancellation lands without a refresh of the outbox
        session.execute(update(Order).values(status=OrderStatus.CANCELLED.value))
    assert make_dispatcher(aftercare, "w1").run_until_idle() == Counter({Outcome.CANCELLED: 1})
    assert smtp.wait_for(1, timeout=0.3) == []
    message = _message(aftercare)
    assert message.status == "cancelled" and message.reason == "the order was cancelled"


def test_paused_store_keeps_its_messages_until_resumed(aftercare, smtp):
    clock.freeze(T0)
    store = make_store(aftercare, smtp_port=smtp.port, status="paused")
    ingest_order(aftercare, store, order_snapshot())
    assert make_dispatcher(aftercare, "w1").run_until_idle() == Counter()
    assert _message(aftercare).status == "scheduled"


def test_address_that_bounced_after_scheduling_is_not_written_to(aftercare, smtp):
    """A hard bounce recorded after the thank-you was scheduled cancels it at send time."""
    clock.freeze(T0)
    store = make_store(aftercare, smtp_port=smtp.port)
    ingest_order(aftercare, store, order_snapshot())
    assert _message(aftercare).status == "scheduled"
    with aftercare.db.session() as session:
        session.add(
            Suppression(store_id=store.id, address="layla@example.test", kind="all", reason="hard_bounce")
        )
    assert make_dispatcher(aftercare, "w1").run_until_idle() == Counter({Outcome.CANCELLED: 1})
    assert _message(aftercare).reason == "the customer's address is on the suppression list"
    assert smtp.wait_for(1, timeout=0.3) == []


def test_temporary_refusal_is_retried_with_backoff(aftercare, smtp):
    clock.freeze(T0)
    store = make_store(aftercare, smtp_port=smtp.port)
    ingest_order(aftercare, store, order_snapshot())
    smtp.refuse_with = "451 4.3.0 try again later"
    assert make_dispatcher(aftercare, "w1").run_until_idle() == Counter({Outcome.RETRY: 1})
    message = _message(aftercare)
    assert message.status == "scheduled" and message.attempts == 1
    assert T0 + timedelta(seconds=30) <= message.send_at <= T0 + timedelta(seconds=90)
    assert "451" in message.reason
    smtp.refuse_with = None
    clock.freeze(message.send_at)
    assert make_dispatcher(aftercare, "w1").run_until_idle() == Counter({Outcome.SENT: 1})
    assert _message(aftercare).attempts == 2


def test_permanent_refusal_fails_with_the_reason(aftercare, smtp):
    clock.freeze(T0)
    store = make_store(aftercare, smtp_port=smtp.port)
    ingest_order(aftercare, store, order_snapshot())
    smtp.refuse_with = "550 5.1.1 no such user"
    assert make_dispatcher(aftercare, "w1").run_until_idle() == Counter({Outcome.FAILED: 1})
    message = _message(aftercare)
    assert message.status == "failed" and "550" in message.reason


def test_a_hard_bounce_suppresses_the_address_so_nothing_more_is_sent_to_it(aftercare, smtp):
    clock.freeze(T0)
    store = make_store(aftercare, smtp_port=smtp.port)
    ingest_order(aftercare, store, order_snapshot("1"))
    smtp.refuse_with = "550 5.1.1 no such user"
    make_dispatcher(aftercare, "w1").run_until_idle()
    with aftercare.db.session() as session:
        [bounce] = session.scalars(select(Suppression)).all()
        assert (bounce.address, bounce.kind, bounce.reason) == ("layla@example.test", "all", "hard_bounce")
    smtp.refuse_with = None
    ingest_order(aftercare, store, order_snapshot("2"))  # the same customer orders again
    assert make_dispatcher(aftercare, "w1").run_until_idle() == Counter()
    assert smtp.wait_for(1, timeout=0.3) == []


def test_a_temporary_recipient_refusal_is_no_bounce(aftercare, smtp):
    clock.freeze(T0)
    store = make_store(aftercare, smtp_port=smtp.port)
    ingest_order(aftercare, store, order_snapshot())
    smtp.refuse_with = "450 4.2.1 mailbox busy"
    assert make_dispatcher(aftercare, "w1").run_until_idle() == Counter({Outcome.RETRY: 1})
    assert count(aftercare, Suppression) == 0


def test_store_whose_mail_server_is_down_sends_everything_when_it_recovers(aftercare, smtp):
    """A day of outage: messages wait without using up attempts, then all go, each once."""
    clock.freeze(T0)
    store = make_store(aftercare, smtp_port=smtp.port)
    for number in range(5):
        ingest_order(aftercare, store, order_snapshot(str(number), email=f"c{number}@example.test"))
    smtp.stop()
    dispatcher = make_dispatcher(aftercare, "w1")
    first = dispatcher.run_until_idle()
    assert first == Counter({Outcome.CHANNEL_DOWN: 5})  # one refused connection, the rest not tried
    for _ in range(24):  # far more rounds than dispatch_max_attempts
        clock.advance(timedelta(hours=1))
        assert set(dispatcher.run_until_idle()) <= {Outcome.CHANNEL_DOWN}
    with aftercare.db.session() as session:
        assert set(session.scalars(select(Message.attempts))) == {0}
        assert set(session.scalars(select(Message.status))) == {"scheduled"}
    recovered = SmtpSink(port=smtp.port).start()  # the same server comes back
    try:
        clock.advance(timedelta(hours=1))
        assert dispatcher.run_until_idle() == Counter({Outcome.SENT: 5})
        assert sorted(mail.rcpt_tos[0] for mail in recovered.wait_for(5)) == [
            f"c{n}@example.test" for n in range(5)
        ]
    finally:
        recovered.stop()


def test_gives_up_after_max_attempts(aftercare, smtp):
    clock.freeze(T0)
    store = make_store(aftercare, smtp_port=smtp.port)
    ingest_order(aftercare, store, order_snapshot(placed_at=T0))
    smtp.refuse_with = "421 service not available"
    dispatcher = make_dispatcher(aftercare, "w1")
    dispatcher.max_attempts = 3
    results = []
    for _ in range(3):
        results.append(dispatcher.run_once())
        clock.advance(timedelta(minutes=10))
    assert results[-1] == Counter({Outcome.FAILED: 1})
    assert "gave up after 3 attempts" in _message(aftercare).reason


def test_expired_lease_is_recovered_by_another_worker(aftercare, smtp):
    """A worker that claimed and died: after the lease, another worker sends the message once."""
    clock.freeze(T0)
    store = make_store(aftercare, smtp_port=smtp.port)
    ingest_order(aftercare, store, order_snapshot())
    dead = make_dispatcher(aftercare, "dead")
    assert len(dead.claim()) == 1  # claimed, then the process died before sending
    survivor = make_dispatcher(aftercare, "alive")
    assert survivor.run_until_idle() == Counter()  # the lease still holds
    clock.advance(timedelta(seconds=aftercare.settings.dispatch_lease_seconds + 1))
    assert survivor.run_until_idle() == Counter({Outcome.SENT: 1})
    assert len(smtp.wait_for(1)) == 1
    message = _message(aftercare)
    assert message.claimed_by == "alive" and message.attempts == 1  # a claim alone is not an attempt


def test_late_worker_cannot_overwrite_the_outcome(aftercare, smtp):
    clock.freeze(T0)
    store = make_store(aftercare, smtp_port=smtp.port)
    ingest_order(aftercare, store, order_snapshot())
    slow = make_dispatcher(aftercare, "slow")
    [(message_id, _)] = slow.claim()
    clock.advance(timedelta(seconds=aftercare.settings.dispatch_lease_seconds + 1))
    assert make_dispatcher(aftercare, "fast").run_until_idle() == Counter({Outcome.SENT: 1})
    assert slow.deliver([message_id]) == Counter({Outcome.LOST_LEASE: 1})
    assert len(smtp.wait_for(2, timeout=0.5)) == 1


def test_retry_delay_grows_and_is_capped():
    import random

    rng = random.Random(1)
    delays = [retry_delay(attempt, rng).total_seconds() for attempt in range(1, 12)]
    assert 30 <= delays[0] <= 90
    assert 240 <= delays[3] <= 720
    assert all(delay <= 5400 for delay in delays)


@pytest.mark.slow
def test_two_workers_send_every_due_message_exactly_once(aftercare, smtp, backend):
    """Two dispatch workers racing over 1,000 due messages (200 on SQLite): each is sent exactly once."""
    total = 1000 if backend[0] == "postgresql" else 200
    clock.freeze(T0)
    store = make_store(aftercare, smtp_port=smtp.port, plan="scale")  # over the Free plan's 300
    with aftercare.db.session() as session:
        store_row = session.get(Store, store.id)
        for number in range(total):
            snapshot = order_snapshot(str(number), email=f"c{number}@example.test", items=1)
            ingest.apply_all(session, store_row, [snapshot])
    assert count(aftercare, Message, status="scheduled") == total

    workers = [make_dispatcher(aftercare, f"w{n}") for n in range(2)]
    for worker in workers:
        worker.batch_size = 25
    outcomes: list[Counter] = [Counter(), Counter()]
    barrier = threading.Barrier(2)

    def run(index: int) -> None:
        barrier.wait()
        outcomes[index] = workers[index].run_until_idle(max_batches=1000)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)

    received = smtp.wait_for(total, timeout=30)
    ids = Counter(mail.message["X-Aftercare-Message"] for mail in received)
    assert len(received) == total and len(ids) == total and set(ids.values()) == {1}
    assert outcomes[0][Outcome.SENT] + outcomes[1][Outcome.SENT] == total
    assert outcomes[0][Outcome.SENT] > 0 and outcomes[1][Outcome.SENT] > 0  # both really worked
    assert count(aftercare, Message, status="sent") == total
    with aftercare.db.session() as session:
        assert set(session.scalars(select(Message.attempts))) == {1}
