"""The planner: order state + store settings + message history -> what this order should get.

Pure: no database, no clock, no I/O. It is asked when an order changes and again just before every
send (invariant 4), so a cancellation that lands after scheduling still stops the message. Every
decision carries its reason in plain words, which is what the merchant reads in the timeline.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from app.journeys.steps import STEPS, Kind, Step
from connectors.base import OrderStatus

STOPPED_ORDER = {
    OrderStatus.CANCELLED: "the order was cancelled",
    OrderStatus.REFUNDED: "the order was refunded",
    OrderStatus.FAILED: "the payment failed",
}


class Verdict(StrEnum):
    SEND = "send"  # schedule (or keep) the message for ``send_at``
    WAIT = "wait"  # not yet: its anchor has not happened
    SKIP = "skip"  # never, for the reason given


@dataclass(frozen=True)
class OrderState:
    """What the planner may know about an order."""

    order_id: int
    number: str
    status: OrderStatus
    placed_at: datetime
    paid_at: datetime | None
    cash_on_delivery: bool
    recipient: str | None  # where the message would go; None when the customer left no address
    customer_redacted: bool = False


@dataclass(frozen=True)
class StepSettings:
    enabled: bool = True
    delay: timedelta | None = None  # None: the step's default


@dataclass(frozen=True)
class JourneySettings:
    steps: Mapping[str, StepSettings] = field(default_factory=dict)

    def for_step(self, step: Step) -> StepSettings:
        return self.steps.get(step.name, StepSettings())


@dataclass(frozen=True)
class Decision:
    step: str
    kind: Kind
    dedupe_key: str
    verdict: Verdict
    reason: str
    send_at: datetime | None = None


def plan(
    state: OrderState, settings: JourneySettings, history: Mapping[str, str], now: datetime
) -> list[Decision]:
    """One decision per step of the journey, in journey order.

    ``history`` maps the dedupe keys of this order's existing messages to their status; ``now`` is
    only used to refuse messages that would arrive absurdly late.
    """
    return [_thank_you(state, settings, now)]


def dedupe_key(state: OrderState, step: Step) -> str:
    return f"order:{state.order_id}:{step.name}"


def _thank_you(state: OrderState, settings: JourneySettings, now: datetime) -> Decision:
    step = STEPS["thank_you"]

    def decide(verdict: Verdict, reason: str, send_at: datetime | None = None) -> Decision:
        return Decision(step.name, step.kind, dedupe_key(state, step), verdict, reason, send_at)

    step_settings = settings.for_step(step)
    if not step_settings.enabled:
        return decide(Verdict.SKIP, "the merchant turned this step off")
    if state.customer_redacted:
        return decide(Verdict.SKIP, "the customer's data was erased at the store's request")
    if state.status in STOPPED_ORDER:
        return decide(Verdict.SKIP, STOPPED_ORDER[state.status])
    if not state.recipient:
        return decide(Verdict.SKIP, "the customer left no email address")

    if state.paid_at is not None:
        anchor, anchor_words = state.paid_at, "paid"
    elif state.cash_on_delivery:
        anchor, anchor_words = state.placed_at, "placed (cash on delivery)"
    else:
        return decide(Verdict.WAIT, "waiting for the payment")

    if now - anchor > step.max_lateness:
        return decide(Verdict.SKIP, f"too late: the order was {anchor_words} on {_when(anchor)}")
    delay = step_settings.delay if step_settings.delay is not None else step.delay
    return decide(Verdict.SEND, f"order {anchor_words} on {_when(anchor)}", anchor + delay)


def _when(moment: datetime) -> str:
    return moment.strftime("%-d %b %Y, %H:%M UTC")


def by_key(decisions: list[Decision]) -> dict[str, Decision]:
    return {decision.dedupe_key: decision for decision in decisions}
