"""The planner: order state + store settings + message history -> what this order should get.

Pure: no database, no clock, no I/O; everything it may know arrives in :class:`OrderState` and
:class:`Context`. It is asked when an order changes and again just before every send (invariant 4),
so a cancellation, a delivery problem or an unsubscribe that lands after scheduling still stops or
holds the message. Every decision carries its reason (``reasons.Reason``, a code with parameters,
worded in the merchant's language when shown): that is what the merchant reads.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum

from app.journeys import timing
from app.journeys.config import DEFAULT, JourneyConfig
from app.journeys.reasons import Reason
from app.journeys.steps import CONSENT_FOR_CHANNEL, PREVIOUS_STEP, STEPS, Anchor, Kind, Step
from connectors.base import OrderStatus, ShipmentStatus

STOPPED_ORDER = {
    OrderStatus.CANCELLED: "order_cancelled",
    OrderStatus.REFUNDED: "order_refunded",
    OrderStatus.FAILED: "payment_failed",
}
PROBLEMS = frozenset(
    {
        ShipmentStatus.ATTEMPTED_DELIVERY,
        ShipmentStatus.DELAYED,
        ShipmentStatus.FAILURE,
        ShipmentStatus.NO_MOVEMENT,
    }
)


class Verdict(StrEnum):
    SEND = "send"  # schedule (or keep) the message for ``send_at``
    WAIT = "wait"  # not yet: its anchor has not happened
    HOLD = "hold"  # not now, for a reason that may clear (a delivery problem, a pause)
    SKIP = "skip"  # never, for the reason given


# --- what the planner may know ---------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    event_id: str
    status: ShipmentStatus
    at: datetime


@dataclass(frozen=True)
class ShipmentState:
    shipment_id: int
    status: ShipmentStatus
    has_tracking: bool
    shipped_at: datetime | None = None
    out_for_delivery_at: datetime | None = None
    delivered_at: datetime | None = None
    problem: Problem | None = None  # the latest problem event, when it is the parcel's current state


@dataclass(frozen=True)
class LineState:
    product_id: str | None
    title: str
    quantity: int
    refunded_quantity: int = 0
    review_delay: timedelta | None = None  # a per-product override, e.g. tag "review-delay:21d"
    reviewed: bool = False

    @property
    def kept(self) -> bool:
        return self.quantity - self.refunded_quantity > 0


@dataclass(frozen=True)
class CustomerState:
    recipient: str | None  # where the message would go; None when the customer left no address
    zone: str = "UTC"
    country: str | None = None
    marketing_consent: bool = False  # email marketing consent
    consented: frozenset[str] = frozenset()  # every channel (email, sms, whatsapp) they agreed to
    unsubscribed: frozenset[str] = frozenset()  # kinds: service, review, marketing
    marketing_paused: Reason | None = None  # why, e.g. an unhappy check-in answer
    redacted: bool = False
    suppressed: bool = False  # the address bounced or complained: nothing at all goes to it

    @property
    def marketing_channels(self) -> frozenset[str]:
        """The consent channels marketing may use for this person."""
        return self.consented | ({"email"} if self.marketing_consent else set())


@dataclass(frozen=True)
class ReviewGroup:
    """The customer's orders close enough in time to share one review request, sent with the latest."""

    lead_order_id: int
    lead_number: str
    order_ids: tuple[int, ...]
    shipments: tuple[tuple[ShipmentState, ...], ...]  # each order's parcels: the request waits for all
    lines: tuple[LineState, ...]  # every order's lines


@dataclass(frozen=True)
class Rebuy:
    """What of this order the store's customers buy again, and when this customer would: the
    shortest median re-purchase interval among its products; ``bought_again_at`` when the contact has
    since bought one of them again (that later order carries the reminder)."""

    days: float
    products: tuple[str, ...]
    bought_again_at: datetime | None = None


@dataclass(frozen=True)
class OrderState:
    order_id: int
    number: str
    status: OrderStatus
    placed_at: datetime
    paid_at: datetime | None
    cash_on_delivery: bool
    customer: CustomerState
    shipments: tuple[ShipmentState, ...] = ()
    lines: tuple[LineState, ...] = ()
    check_in_answer: str | None = None  # "happy" | "unhappy"
    ordered_again_at: datetime | None = None
    has_recommendations: bool = True
    rebuy: Rebuy | None = None
    review_group: ReviewGroup | None = None
    store_uninstalled: bool = False
    removed: bool = False  # the store deleted (trashed) the order


@dataclass(frozen=True)
class Past:
    """A message already in the outbox for this order."""

    status: str
    send_at: datetime
    sent_at: datetime | None = None


@dataclass(frozen=True)
class Context:
    now: datetime
    config: JourneyConfig = DEFAULT
    history: Mapping[str, Past] = field(default_factory=dict)  # this order's messages by dedupe key
    # Times of the customer's other non-transactional messages (any order), by dedupe key; the
    # frequency cap keeps new ones away from these.
    busy: Mapping[str, datetime] = field(default_factory=dict)
    # The sending channels of each step, in the store's order of preference (``reconcile.channels_for``);
    # a step not named sends by email.
    channels: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class Decision:
    step: str
    kind: Kind
    dedupe_key: str
    verdict: Verdict
    reason: Reason
    send_at: datetime | None = None
    shipment_id: int | None = None
    members: tuple[int, ...] = ()  # a merged review request: every order it covers
    # A marketing message: the step's channels the customer agreed to marketing on, the only ones it
    # may go through (empty: no such limit).
    channels: tuple[str, ...] = ()


# --- the plan --------------------------------------------------------------------------------------


def plan(state: OrderState, ctx: Context) -> list[Decision]:
    """One decision per step (per shipment for tracking steps), in journey order."""
    planner = _Planner(state, ctx)
    decisions = [planner.thank_you()]
    for shipment in state.shipments:
        decisions.extend(planner.tracking(shipment))
    for name in ("check_in", "review_request", "review_reminder", "cross_sell", "buy_again", "win_back"):
        decisions.append(getattr(planner, name)())
    return [planner.consented(decision) for decision in planner.capped(decisions)]


def consented_channels(customer: CustomerState, ctx: Context, step: str) -> tuple[str, ...]:
    """The step's sending channels whose consent channel this customer agreed to marketing on."""
    agreed = customer.marketing_channels
    return tuple(
        name
        for name in ctx.channels.get(step) or ("smtp",)
        if CONSENT_FOR_CHANNEL.get(name, "email") in agreed
    )


def by_key(decisions: list[Decision]) -> dict[str, Decision]:
    return {decision.dedupe_key: decision for decision in decisions}


def order_key(order_id: int, step: str) -> str:
    return f"order:{order_id}:{step}"


R = Reason.of


class _Planner:
    def __init__(self, state: OrderState, ctx: Context) -> None:
        self.state = state
        self.ctx = ctx
        self.config = ctx.config
        self.refusals: dict[str, Reason | None] = {}  # ``_refusal`` by step: asked again by later rules

    # --- order steps -------------------------------------------------------------------------------

    def thank_you(self) -> Decision:
        step, state = STEPS["thank_you"], self.state
        key = order_key(state.order_id, step.name)
        if refusal := self._refusal(step) or self._stopped():
            return self._decide(step, key, Verdict.SKIP, refusal)
        anchor = self._anchor_time(step.name)
        if anchor is None:
            return self._decide(step, key, Verdict.WAIT, R("waiting_payment"))
        return self._timed(step, key, *anchor)

    def check_in(self) -> Decision:
        return self._after_delivery(STEPS["check_in"])

    def review_request(self) -> Decision:
        step, state = STEPS["review_request"], self.state
        key = order_key(state.order_id, step.name)
        group = state.review_group
        if group and group.lead_order_id != state.order_id:
            return self._decide(step, key, Verdict.SKIP, R("merged_into", number=group.lead_number))
        lines = group.lines if group else state.lines
        to_review = [line for line in lines if line.kept and not line.reviewed]
        if refusal := self._refusal(step) or self._stopped():
            return self._decide(step, key, Verdict.SKIP, refusal)
        if not to_review:
            everything = (
                "every_item_returned" if not any(line.kept for line in lines) else "every_item_reviewed"
            )
            return self._decide(step, key, Verdict.SKIP, R(everything))
        extra = max((line.review_delay for line in to_review if line.review_delay), default=None)
        decision = self._after_delivery(step, extra_delay=extra, group=group)
        return replace(decision, members=group.order_ids) if group else decision

    def review_reminder(self) -> Decision:
        step, state = STEPS["review_reminder"], self.state
        key = order_key(state.order_id, step.name)
        request = self.ctx.history.get(order_key(state.order_id, PREVIOUS_STEP[step.name]))
        lines = state.review_group.lines if state.review_group else state.lines
        if refusal := self._refusal(step) or self._stopped():
            return self._decide(step, key, Verdict.SKIP, refusal)
        if state.review_group and state.review_group.lead_order_id != state.order_id:
            return self._decide(step, key, Verdict.SKIP, R("merged_reminder"))
        kept = [line for line in lines if line.kept]
        if kept and all(line.reviewed for line in kept):
            # One reviewed item drops out of the reminder (compose lists only the others); the reminder
            # goes altogether when none is left.
            return self._decide(step, key, Verdict.SKIP, R("every_item_reviewed"))
        if request is None or request.status != "sent" or request.sent_at is None:
            if request is not None and request.status == "cancelled":
                return self._decide(step, key, Verdict.SKIP, R("review_request_not_sent"))
            return self._decide(step, key, Verdict.WAIT, R("waiting_review_request"))
        if hold := self._problem_hold():
            return self._decide(step, key, Verdict.HOLD, hold)
        return self._timed(step, key, request.sent_at, R("review_request_sent", at=request.sent_at))

    def cross_sell(self) -> Decision:
        step = STEPS["cross_sell"]
        if not self.state.has_recommendations:
            key = order_key(self.state.order_id, step.name)
            return self._decide(step, key, Verdict.SKIP, R("nothing_to_recommend"))
        return self._after_delivery(step)

    def buy_again(self) -> Decision:
        step, state = STEPS["buy_again"], self.state
        key = order_key(state.order_id, step.name)
        if refusal := self._refusal(step) or self._stopped():
            return self._decide(step, key, Verdict.SKIP, refusal)
        rebuy = state.rebuy
        if rebuy is None or not rebuy.products:
            return self._decide(step, key, Verdict.SKIP, R("not_rebought"))
        if rebuy.bought_again_at is not None:
            return self._decide(step, key, Verdict.SKIP, R("bought_again_since", at=rebuy.bought_again_at))
        anchor = self._anchor_time(step.name)
        if anchor is None:
            return self._decide(step, key, Verdict.WAIT, self._waiting(step.name))
        at, _ = anchor
        why = R("rebuy_due", days=round(rebuy.days), at=at)
        configured = self.config.step(step.name).delay_minutes is not None
        return self._timed(step, key, at, why, delay=None if configured else timedelta(days=rebuy.days))

    def win_back(self) -> Decision:
        step, state = STEPS["win_back"], self.state
        key = order_key(state.order_id, step.name)
        if refusal := self._refusal(step) or self._stopped():
            return self._decide(step, key, Verdict.SKIP, refusal)
        if state.ordered_again_at is not None:
            return self._decide(step, key, Verdict.SKIP, R("ordered_again", at=state.ordered_again_at))
        anchor = self._anchor_time(step.name)
        if anchor is None:
            return self._decide(step, key, Verdict.WAIT, self._waiting(step.name))
        return self._timed(step, key, *anchor)

    # --- tracking steps, one set per shipment -------------------------------------------------------

    def tracking(self, shipment: ShipmentState) -> list[Decision]:
        decisions = []
        prefix = f"shipment:{shipment.shipment_id}"
        delivered = shipment.delivered_at is not None
        events = [
            ("shipped", shipment.shipped_at, "parcel_left", not shipment.has_tracking),
            ("out_for_delivery", shipment.out_for_delivery_at, "out_for_delivery", False),
            ("delivered", shipment.delivered_at, "carrier_delivered", False),
        ]
        for name, at, code, no_tracking in events:
            step = STEPS[name]
            key = f"{prefix}:{name}"
            if at is None:
                continue
            if refusal := self._refusal(step):
                decisions.append(self._decide(step, key, Verdict.SKIP, refusal, shipment))
            elif no_tracking:
                decisions.append(self._decide(step, key, Verdict.SKIP, R("no_tracking"), shipment))
            elif delivered and name != "delivered":
                decisions.append(self._decide(step, key, Verdict.SKIP, R("already_delivered"), shipment))
            else:
                decisions.append(self._timed(step, key, at, R(code, at=at), shipment))
        if shipment.problem is not None and not delivered:
            step, problem = STEPS["delivery_problem"], shipment.problem
            key = f"{prefix}:delivery_problem:{problem.event_id}"
            if refusal := self._refusal(step):
                decisions.append(self._decide(step, key, Verdict.SKIP, refusal, shipment))
            else:
                why = R("carrier_problem", problem=problem.status.value, at=problem.at)
                decisions.append(self._timed(step, key, problem.at, why, shipment))
        return decisions

    # --- shared rules --------------------------------------------------------------------------------

    def _after_delivery(
        self, step: Step, extra_delay: timedelta | None = None, group: ReviewGroup | None = None
    ) -> Decision:
        state = self.state
        key = order_key(state.order_id, step.name)
        if refusal := self._refusal(step) or self._stopped():
            return self._decide(step, key, Verdict.SKIP, refusal)
        if hold := self._problem_hold():
            return self._decide(step, key, Verdict.HOLD, hold)
        anchor = self._anchor_time(step.name, group)
        if anchor is None:
            return self._decide(step, key, Verdict.WAIT, self._waiting(step.name))
        return self._timed(step, key, *anchor, extra_delay=extra_delay)

    def _refusal(self, step: Step) -> Reason | None:
        """Why this customer must not get this step at all, whatever the order does."""
        if step.name not in self.refusals:
            self.refusals[step.name] = self._refuse(step)
        return self.refusals[step.name]

    def _refuse(self, step: Step) -> Reason | None:
        state, customer = self.state, self.state.customer
        if not self.config.step(step.name).enabled:
            return R("step_off")
        if state.store_uninstalled:
            return R("store_uninstalled")
        if customer.redacted:
            return R("redacted")
        if customer.suppressed:
            return R("suppressed")
        if not customer.recipient:
            return R("no_address")
        if step.kind is not Kind.TRANSACTIONAL and step.kind.value in customer.unsubscribed:
            return R("unsubscribed", kind=step.kind.value)
        if step.kind is Kind.MARKETING:
            if not consented_channels(customer, self.ctx, step.name):
                return R("no_marketing_consent")
            if customer.marketing_paused:
                return R("marketing_paused", because=customer.marketing_paused)
        return None

    def _stopped(self) -> Reason | None:
        if self.state.removed:
            return R("order_deleted")
        code = STOPPED_ORDER.get(self.state.status)
        return R(code) if code else None

    def _problem_hold(self) -> Reason | None:
        problems = [
            s.problem for s in self.state.shipments if s.problem is not None and s.delivered_at is None
        ]
        if not problems:
            return None
        latest = max(problems, key=lambda problem: problem.at)
        return R("parcel_problem", problem=latest.status.value, at=latest.at)

    def _anchor_time(self, name: str, group: ReviewGroup | None = None) -> tuple[datetime, Reason] | None:
        state = self.state
        anchor = self.config.anchor(name)
        if anchor is Anchor.PLACED:
            return state.placed_at, R("order_placed", at=state.placed_at)
        if anchor is Anchor.PAID:
            if state.paid_at is not None:
                return state.paid_at, R("order_paid", at=state.paid_at)
            if state.cash_on_delivery:
                return state.placed_at, R("order_placed_cod", at=state.placed_at)
            return None
        if anchor is Anchor.SHIPPED:
            shipped = [s.shipped_at for s in state.shipments if s.shipped_at]
            return (min(shipped), R("order_shipped", at=min(shipped))) if shipped else None
        if anchor is Anchor.DELIVERED:
            if group is not None:
                arrivals = [self._delivered(shipments) for shipments in group.shipments]
                if any(arrival is None for arrival in arrivals):
                    return None
                last = max(arrival[0] for arrival in arrivals if arrival is not None)
                return last, R("group_arrived", at=last)
            return self._delivered(state.shipments)
        return None  # PREVIOUS is handled by the step that uses it

    def _delivered(self, shipments: tuple[ShipmentState, ...]) -> tuple[datetime, Reason] | None:
        """When every parcel arrived; a parcel with no delivery scan counts as delivered
        ``delivered_fallback_days`` after it shipped."""
        if not shipments:
            return None
        times, assumed = [], False
        for shipment in shipments:
            if shipment.delivered_at is not None:
                times.append(shipment.delivered_at)
            elif shipment.shipped_at is not None:
                times.append(shipment.shipped_at + timedelta(days=self.config.delivered_fallback_days))
                assumed = True
            else:
                return None
        at = max(times)
        if assumed:
            return at, R("assumed_delivered", at=at, days=self.config.delivered_fallback_days)
        return at, R("delivered", at=at)

    def _waiting(self, name: str) -> Reason:
        anchor = self.config.anchor(name)
        code = {
            Anchor.PAID: "waiting_payment",
            Anchor.SHIPPED: "waiting_shipment",
            Anchor.DELIVERED: "waiting_delivery",
        }.get(anchor, "waiting")
        return R(code)

    def _timed(
        self,
        step: Step,
        key: str,
        anchor: datetime,
        why: Reason,
        shipment: ShipmentState | None = None,
        extra_delay: timedelta | None = None,
        delay: timedelta | None = None,
    ) -> Decision:
        """SEND at anchor + delay, moved into the window and past the frequency cap; or SKIP if late.
        ``delay`` replaces the step's (a buy-again reminder waits for its product's interval)."""
        ctx, customer = self.ctx, self.state.customer
        delay = self.config.delay(step.name) if delay is None else delay
        if extra_delay is not None and extra_delay > delay:
            delay = extra_delay
            why = why.with_(longer_delay=True)
        ideal = anchor + delay
        past = ctx.history.get(key)
        if past is not None and past.status in ("sent", "sending"):
            return self._decide(step, key, Verdict.SEND, why, shipment, past.send_at)
        if ctx.now - ideal > step.max_lateness:
            return self._decide(step, key, Verdict.SKIP, R("too_late", because=why), shipment)
        candidate = max(ideal, ctx.now)
        place = (customer.zone, self.config, customer.country)
        send_at = (
            candidate if self.config.bypasses_window(step.name) else timing.next_in_window(candidate, *place)
        )
        if send_at > candidate:
            why = why.with_(window=True)
        return self._decide(step, key, Verdict.SEND, why, shipment, send_at)

    def consented(self, decision: Decision) -> Decision:
        """A marketing message names the channels it may go through: consent is per channel."""
        if decision.kind is not Kind.MARKETING or decision.verdict is not Verdict.SEND:
            return decision
        return replace(decision, channels=consented_channels(self.state.customer, self.ctx, decision.step))

    def capped(self, decisions: list[Decision]) -> list[Decision]:
        """Apply the frequency cap to the non-transactional messages still to be sent, earliest
        first: a message that would come too soon after another (sent, or planned earlier) moves to
        the next free slot inside the window; none is ever dropped."""
        customer, ctx = self.state.customer, self.ctx
        taken = dict(ctx.busy)

        def still_to_send(decision: Decision) -> bool:
            past = ctx.history.get(decision.dedupe_key)
            return (
                decision.verdict is Verdict.SEND
                and decision.kind is not Kind.TRANSACTIONAL
                and decision.send_at is not None
                and (past is None or past.status not in ("sent", "sending"))
            )

        pending = [decision for decision in decisions if still_to_send(decision)]
        moved: dict[str, Decision] = {}
        for decision in sorted(pending, key=lambda d: d.send_at or ctx.now):
            assert decision.send_at is not None  # noqa: S101 - filtered above
            others = [moment for key, moment in taken.items() if key != decision.dedupe_key]
            window = (
                None
                if self.config.bypasses_window(decision.step)
                else (customer.zone, self.config, customer.country)
            )
            send_at = timing.first_free_slot(decision.send_at, others, self.config.frequency_cap, window)
            taken[decision.dedupe_key] = send_at
            if send_at != decision.send_at:
                reason = decision.reason.with_(capped=True)
                moved[decision.dedupe_key] = replace(decision, send_at=send_at, reason=reason)
        return [moved.get(decision.dedupe_key, decision) for decision in decisions]

    def _decide(
        self,
        step: Step,
        key: str,
        verdict: Verdict,
        reason: Reason,
        shipment: ShipmentState | None = None,
        send_at: datetime | None = None,
    ) -> Decision:
        return Decision(
            step.name, step.kind, key, verdict, reason, send_at, shipment.shipment_id if shipment else None
        )
