"""The operator's billing system (``app.billing.hook``'s other end) on loopback: it checks each
request's signature as the contract says, records the events, and answers what the test sets
(``pending`` with a confirmation address for a subscription, else ``active``; ``down`` makes it
answer 503, as a billing system being deployed does)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, request

from app.billing import hook
from tests.fakes import serve

SECRET = "op-secret"


@dataclass
class Operator:
    url: str = ""
    seen: list[dict[str, Any]] = field(default_factory=list)
    answers: dict[str, dict[str, Any]] = field(
        default_factory=lambda: {
            "subscribe": {"status": "pending", "ref": "op-1", "confirmation_url": "https://pay.example/op-1"}
        }
    )
    down: bool = False

    def events(self) -> list[str]:
        return [payload["event"] for payload in self.seen]


@contextmanager
def serving() -> Iterator[Operator]:
    operator = Operator()
    app = Flask("operator")

    @app.post("/billing")
    def billing() -> Any:
        if operator.down:
            return {"error": "deploying"}, 503
        body = request.get_data()
        expected = hook.sign(SECRET, request.headers["X-Aftercare-Timestamp"], body)
        if request.headers.get("X-Aftercare-Signature") != expected:
            return {"error": "bad signature"}, 401
        payload = json.loads(body)
        operator.seen.append(payload)
        return operator.answers.get(payload["event"], {"status": "active", "ref": "op-1"})

    with serve.serving(app) as url:
        operator.url = url + "/billing"
        yield operator
