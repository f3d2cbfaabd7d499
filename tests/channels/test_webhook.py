"""The signed outgoing webhook, to a receiver over loopback that checks the signature as a store's
system would; on SQLite and PostgreSQL."""

from __future__ import annotations

import functools
import hashlib
import hmac
import threading

import pytest
from flask import Flask, jsonify, request
from sqlalchemy import select

from app import clock
from app.models import Message
from channels.webhook import address_problem
from scheduler.dispatch import Outcome
from scheduler.jobs import make_dispatcher
from tests import helpers
from tests.fakes.serve import serving
from tests.helpers import T0, ingest_order, make_store

SECRET = "whsec-test-0123456789abcdef"
order_snapshot = functools.partial(helpers.order_snapshot, accepts_marketing=False)


class Receiver:
    """The store's own sending system: verifies like the README tells merchants to, then answers
    ``status``."""

    def __init__(self) -> None:
        self.status = 202
        self.received: list[dict] = []
        self.refused = 0
        self.lock = threading.Lock()

    def app(self) -> Flask:
        app = Flask("receiver")

        @app.post("/hooks/aftercare")
        def hook():  # noqa: ANN202
            timestamp = request.headers.get("X-Aftercare-Timestamp", "")
            expected = (
                "sha256="
                + hmac.new(
                    SECRET.encode(), timestamp.encode() + b"." + request.get_data(), hashlib.sha256
                ).hexdigest()
            )
            if not hmac.compare_digest(expected, request.headers.get("X-Aftercare-Signature", "")):
                self.refused += 1
                return jsonify(error="bad signature"), 401
            with self.lock:
                self.received.append(
                    {"key": request.headers["Idempotency-Key"], "timestamp": timestamp, **request.get_json()}
                )
            return jsonify(id=f"ext-{len(self.received)}"), self.status

        return app


@pytest.fixture
def receiver():
    hook = Receiver()
    with serving(hook.app()) as url:
        hook.url = f"{url}/hooks/aftercare"
        yield hook


def _store(aftercare, receiver, secret=SECRET):
    return make_store(aftercare, channel="webhook", hook_url=receiver.url, hook_secret=secret)


def _message(aftercare):
    with aftercare.db.session() as session:
        return session.scalars(select(Message)).one()


def test_every_part_is_posted_signed_and_their_id_kept(aftercare, receiver):
    clock.freeze(T0)
    store = _store(aftercare, receiver)
    ingest_order(
        aftercare, store, order_snapshot("1001", first_name="ليلى", locale="ar", phone="+966501234567")
    )
    assert make_dispatcher(aftercare, "w1").run_until_idle() == {Outcome.SENT: 1}
    [posted] = receiver.received
    assert posted["step"] == "thank_you" and posted["kind"] == "transactional" and posted["locale"] == "ar"
    assert posted["to"] == {"email": "layla@example.test", "phone": "+966501234567", "name": "ليلى Haddad"}
    assert posted["order"] == "1001" and posted["timestamp"] == str(int(T0.timestamp()))
    assert (
        'dir="rtl"' in posted["html"]
        and "ليلى" in posted["text"]
        and posted["short"].startswith("Tea & Things:")
    )
    message = _message(aftercare)
    assert posted["key"] == posted["id"] == f"<aftercare.{store.id}.{message.id}@tea-and-things.example>"
    assert (message.status, message.channel, message.provider_message_id) == ("sent", "webhook", "ext-1")


def test_a_wrong_secret_makes_messages_wait_and_errors_are_sorted(aftercare, receiver):
    clock.freeze(T0)
    store = _store(aftercare, receiver, secret="an-old-secret")
    ingest_order(aftercare, store, order_snapshot("1001"))
    assert make_dispatcher(aftercare, "w1").run_until_idle() == {Outcome.CHANNEL_DOWN: 1}
    assert receiver.refused == 1 and receiver.received == []
    waiting = _message(aftercare)
    assert waiting.status == "scheduled" and waiting.attempts == 0 and "current secret" in waiting.reason


@pytest.mark.parametrize(
    ("status", "outcome"), [(503, Outcome.RETRY), (429, Outcome.RETRY), (422, Outcome.FAILED)]
)
def test_their_answers_decide_retry_or_failure(aftercare, receiver, status, outcome):
    clock.freeze(T0)
    receiver.status = status
    store = _store(aftercare, receiver)
    ingest_order(aftercare, store, order_snapshot("1001"))
    assert make_dispatcher(aftercare, "w1").run_until_idle() == {outcome: 1}
    assert _message(aftercare).status == ("failed" if outcome is Outcome.FAILED else "scheduled")


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("https://127.0.0.1/hook", "not a public internet address"),
        ("https://169.254.169.254/latest/meta-data", "not a public internet address"),
        ("https://10.1.2.3/hook", "not a public internet address"),
        ("https://localhost/hook", "not a public internet address"),
        ("http://203.0.113.7/hook", "must use https"),
        ("ftp://example.com/hook", "http(s) address"),
        ("https:///nohost", "http(s) address"),
    ],
)
def test_in_production_the_hook_must_be_public_https(url, problem):
    assert problem in (address_problem(url, public_only=True) or "")
    if problem != "http(s) address":
        assert address_problem(url, public_only=False) is None
