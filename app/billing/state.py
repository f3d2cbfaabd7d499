"""The only writer of a store's plan columns, and the one place that says what being over a plan means.

Being over the plan's monthly volume never cuts a journey short: every order whose journey began
before the store was told keeps all of its messages, and transactional messages (thank-you, shipping,
delivery) always go. Orders placed more than ``GRACE`` after the store was told get their
transactional messages only, until the plan is raised or the month turns. The store is told on every
merchant page (``notice``) and once a month by email (a ``plan_alert`` message to the store).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app import clock, outbox
from app.billing import plans
from app.journeys import timing
from app.journeys.reasons import Reason
from app.journeys.steps import Kind
from app.models import Message, MessageStatus, Store

GRACE = timedelta(hours=24)
MERCHANT_STEPS = frozenset({"merchant_alert", "plan_alert"})  # to the store itself: never counted
CHECK_EVERY = timedelta(hours=1)  # how long a platform's answer about the subscription is trusted


def month_start(store: Store, now: datetime | None = None) -> datetime:
    """The first instant of the store's current calendar month, in UTC."""
    from zoneinfo import ZoneInfo

    zone = ZoneInfo(timing.safe_zone(store.timezone))
    local = (now or clock.now()).astimezone(zone)
    return local.replace(day=1, hour=0, minute=0, second=0, microsecond=0).astimezone(UTC)


def sent_this_month(session: Session, store: Store, now: datetime | None = None) -> int:
    """Messages sent to customers since the month began (the plan's volume)."""
    return int(
        session.scalar(
            select(func.count(Message.id)).where(
                Message.store_id == store.id,
                Message.status == MessageStatus.SENT,
                Message.sent_at >= month_start(store, now),
                Message.step.not_in(MERCHANT_STEPS),
            )
        )
        or 0
    )


def told_this_month(store: Store, now: datetime | None = None) -> bool:
    told = store.over_plan_told_at
    return told is not None and told >= month_start(store, now)


@dataclass(frozen=True)
class Gate:
    """What a batch of one store's messages may do, worked out once per batch."""

    plan: plans.Plan
    sent: int
    told_at: datetime | None  # when the store was told it is over its plan this month

    def allows(self, kind: str, journey_began: datetime) -> bool:
        """Whether a message of ``kind`` for a journey that began at ``journey_began`` may go."""
        if self.told_at is None or kind == Kind.TRANSACTIONAL:
            return True
        return journey_began <= self.told_at + GRACE


def gate(session: Session, store: Store, order_id: int | None) -> Gate:
    """Checked when sending: the month's volume against the plan; the first time it is passed this
    month the store is told (``told_at``), with an email about the order that passed it."""
    plan = plans.get(store.plan)
    sent = sent_this_month(session, store)
    if sent < plan.monthly_messages:
        return Gate(plan, sent, None)
    if not told_this_month(store):
        store.over_plan_told_at = clock.now()
        if order_id is not None:
            outbox.plan(
                session,
                store_id=store.id,
                order_id=order_id,
                step="plan_alert",
                kind=Kind.TRANSACTIONAL.value,
                dedupe_key=f"store:{store.id}:plan_alert:{month_start(store):%Y-%m}",
                channel="smtp",
                send_at=clock.now(),
                reason=Reason.of("over_plan_alert", plan=plan.title, limit=plan.monthly_messages),
            )
    return Gate(plan, sent, store.over_plan_told_at)


def notice(store: Store) -> str | None:
    """The English sentence for the banner on every page (the page translates it), or None."""
    if store.plan_pending:
        return "approve"
    if told_this_month(store):
        return "over"
    return None


# --- changes of plan -------------------------------------------------------------------------------


def start_pending(store: Store, plan: plans.Plan, ref: str | None) -> None:
    """A charge is waiting for the merchant's approval; the current plan stays until then."""
    store.plan_pending = plan.key
    store.subscription_ref = ref
    store.plan_checked_at = clock.now()


def activate(store: Store, plan: plans.Plan, ref: str | None, trial_days: int = 0) -> None:
    """The platform confirmed the charge (or the plan is free): the store is on ``plan`` now, and a
    store that was over its old plan is no longer told so."""
    previous = plans.get(store.plan)
    store.plan = plan.key
    store.plan_status = "active"
    store.plan_pending = None
    store.subscription_ref = ref
    store.plan_checked_at = clock.now()
    if trial_days and store.trial_ends_at is None:
        store.trial_ends_at = clock.now() + timedelta(days=trial_days)
    if plan.monthly_messages > previous.monthly_messages:
        store.over_plan_told_at = None


def lapse(store: Store, status: str = "cancelled") -> None:
    """The charge ended (declined, cancelled, frozen, uninstalled): back to the free tier."""
    store.plan = plans.FREE.key
    store.plan_status = status
    store.plan_pending = None
    store.subscription_ref = None
    store.plan_checked_at = clock.now()


def due_for_check(store: Store, now: datetime | None = None) -> bool:
    checked = store.plan_checked_at
    return checked is None or (now or clock.now()) - checked >= CHECK_EVERY


__all__ = ["Gate", "activate", "gate", "lapse", "notice", "sent_this_month", "start_pending"]
