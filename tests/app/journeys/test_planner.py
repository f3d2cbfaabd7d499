"""The thank-you step of the pure planner, table-driven."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.journeys.planner import JourneySettings, OrderState, StepSettings, Verdict, plan
from connectors.base import OrderStatus
from tests.helpers import T0


def state(**changes) -> OrderState:
    values = {
        "order_id": 7,
        "number": "#1007",
        "status": OrderStatus.PAID,
        "placed_at": T0,
        "paid_at": T0 + timedelta(minutes=2),
        "cash_on_delivery": False,
        "recipient": "sara@example.test",
    }
    return OrderState(**{**values, **changes})


CASES = [
    # (description, state changes, now, verdict, send_at, reason fragment)
    (
        "paid card order: thanked when paid",
        {},
        T0,
        Verdict.SEND,
        T0 + timedelta(minutes=2),
        "paid on 3 Nov 2026",
    ),
    (
        "cash on delivery: thanked when placed",
        {"status": OrderStatus.PENDING, "paid_at": None, "cash_on_delivery": True},
        T0,
        Verdict.SEND,
        T0,
        "cash on delivery",
    ),
    (
        "unpaid card order waits",
        {"status": OrderStatus.PENDING, "paid_at": None},
        T0,
        Verdict.WAIT,
        None,
        "waiting for the payment",
    ),
    ("cancelled", {"status": OrderStatus.CANCELLED}, T0, Verdict.SKIP, None, "cancelled"),
    ("refunded", {"status": OrderStatus.REFUNDED}, T0, Verdict.SKIP, None, "refunded"),
    ("failed payment", {"status": OrderStatus.FAILED}, T0, Verdict.SKIP, None, "payment failed"),
    ("no address", {"recipient": None}, T0, Verdict.SKIP, None, "no email address"),
    ("redacted customer", {"customer_redacted": True}, T0, Verdict.SKIP, None, "erased"),
    ("backfilled old order", {}, T0 + timedelta(days=3), Verdict.SKIP, None, "too late"),
    (
        "completed order still thanked",
        {"status": OrderStatus.COMPLETED},
        T0,
        Verdict.SEND,
        T0 + timedelta(minutes=2),
        "paid",
    ),
]


@pytest.mark.parametrize(
    ("description", "changes", "now", "verdict", "send_at", "reason"), CASES, ids=[case[0] for case in CASES]
)
def test_thank_you(description, changes, now, verdict, send_at, reason):
    [decision] = plan(state(**changes), JourneySettings(), {}, now)
    assert decision.step == "thank_you"
    assert decision.dedupe_key == "order:7:thank_you"
    assert decision.verdict is verdict
    assert decision.send_at == send_at
    assert reason in decision.reason


def test_step_turned_off_is_skipped():
    settings = JourneySettings(steps={"thank_you": StepSettings(enabled=False)})
    [decision] = plan(state(), settings, {}, T0)
    assert decision.verdict is Verdict.SKIP and "turned this step off" in decision.reason


def test_merchant_delay_moves_the_send():
    settings = JourneySettings(steps={"thank_you": StepSettings(delay=timedelta(hours=1))})
    [decision] = plan(state(), settings, {}, T0)
    assert decision.send_at == T0 + timedelta(hours=1, minutes=2)
