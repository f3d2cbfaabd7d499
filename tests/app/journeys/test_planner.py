"""The pure planner, table-driven: every step, anchor, fallback, window, zone, cap and hold."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, time, timedelta

import pytest

from app.journeys.config import JourneyConfig, StepConfig
from app.journeys.planner import (
    Context,
    CustomerState,
    Decision,
    LineState,
    OrderState,
    Past,
    Problem,
    ReviewGroup,
    ShipmentState,
    Verdict,
    plan,
)
from app.journeys.reasons import Reason
from app.journeys.steps import Anchor
from connectors.base import OrderStatus, ShipmentStatus

T0 = datetime(2026, 11, 3, 9, 30, tzinfo=UTC)  # a Tuesday; 12:30 in Riyadh
DAY = timedelta(days=1)
SHIPPED = T0 + DAY
DELIVERED = T0 + 3 * DAY  # Friday 6 Nov, 09:30 UTC, 12:30 in Riyadh


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def customer(**changes) -> CustomerState:
    base = CustomerState(
        recipient="sara@example.test", zone="Asia/Riyadh", country="SA", marketing_consent=True
    )
    return replace(base, **changes)


def parcel(**changes) -> ShipmentState:
    base = ShipmentState(1, ShipmentStatus.DELIVERED, True, shipped_at=SHIPPED, delivered_at=DELIVERED)
    return replace(base, **changes)


def state(**changes) -> OrderState:
    base = OrderState(
        order_id=7,
        number="#1007",
        status=OrderStatus.PAID,
        placed_at=T0,
        paid_at=T0,
        cash_on_delivery=False,
        customer=customer(),
        shipments=(parcel(),),
        lines=(LineState("p1", "Green Tea", 1),),
    )
    return replace(base, **changes)


def decision(order: OrderState, key: str, now: datetime = T0, **ctx) -> Decision:
    found = {d.dedupe_key: d for d in plan(order, Context(now=now, **ctx))}
    return found[key]


def step(order: OrderState, name: str, now: datetime = T0, **ctx) -> Decision:
    return decision(order, f"order:7:{name}", now, **ctx)


# --- each step at its default anchor and delay --------------------------------------------------

STEP_CASES = [
    ("thank_you", state(), Verdict.SEND, T0, "order paid on 3 Nov"),
    (
        "thank_you",
        state(status=OrderStatus.PENDING, paid_at=None, cash_on_delivery=True),
        Verdict.SEND,
        T0,
        "cash on delivery",
    ),
    (
        "thank_you",
        state(status=OrderStatus.PENDING, paid_at=None),
        Verdict.WAIT,
        None,
        "waiting for the payment",
    ),
    ("check_in", state(), Verdict.SEND, DELIVERED + 3 * DAY, "delivered on 6 Nov"),
    ("review_request", state(), Verdict.SEND, DELIVERED + 7 * DAY, "delivered on 6 Nov"),
    ("cross_sell", state(), Verdict.SEND, DELIVERED + 14 * DAY, "delivered on 6 Nov"),
    ("win_back", state(), Verdict.SEND, T0 + 30 * DAY, "order placed on 3 Nov"),
    ("check_in", state(shipments=()), Verdict.WAIT, None, "waiting for the delivery"),
    ("review_reminder", state(), Verdict.WAIT, None, "waiting for the review request to be sent"),
]


@pytest.mark.parametrize(
    ("name", "order", "verdict", "send_at", "reason"),
    STEP_CASES,
    ids=[f"{case[0]}-{index}" for index, case in enumerate(STEP_CASES)],
)
def test_order_steps(name, order, verdict, send_at, reason):
    result = step(order, name)
    assert result.verdict is verdict
    assert result.send_at == send_at
    assert reason in str(result.reason)


def test_review_reminder_follows_the_sent_request():
    sent = T0 + 10 * DAY
    history = {"order:7:review_request": Past("sent", sent, sent)}
    result = step(state(), "review_reminder", now=sent, history=history)
    assert result.verdict is Verdict.SEND and result.send_at == sent + 5 * DAY
    reviewed = state(lines=(LineState("p1", "Green Tea", 1, reviewed=True),))
    assert step(reviewed, "review_reminder", now=sent, history=history).verdict is Verdict.SKIP


def test_delivered_falls_back_to_shipped_plus_configured_days():
    unscanned = state(shipments=(parcel(status=ShipmentStatus.IN_TRANSIT, delivered_at=None),))
    result = step(unscanned, "review_request")
    assert result.send_at == SHIPPED + 10 * DAY + 7 * DAY
    assert "assumed delivered" in str(result.reason)
    config = JourneyConfig(delivered_fallback_days=4)
    assert step(unscanned, "check_in", config=config).send_at == SHIPPED + 4 * DAY + 3 * DAY


def test_split_shipments_wait_for_the_last_parcel_but_track_each():
    first = parcel(shipment_id=1, delivered_at=DELIVERED)
    second = parcel(
        shipment_id=2, shipped_at=SHIPPED + DAY, status=ShipmentStatus.IN_TRANSIT, delivered_at=None
    )
    order = state(shipments=(first, second))
    assert step(order, "check_in").send_at == SHIPPED + DAY + 10 * DAY + 3 * DAY  # second parcel's fallback
    both = state(
        shipments=(first, replace(second, delivered_at=DELIVERED + DAY, status=ShipmentStatus.DELIVERED))
    )
    assert step(both, "check_in").send_at == DELIVERED + DAY + 3 * DAY
    keys = [d.dedupe_key for d in plan(both, Context(now=T0))]
    assert "shipment:1:delivered" in keys and "shipment:2:delivered" in keys
    assert keys.count("order:7:check_in") == 1 and keys.count("order:7:review_request") == 1


# --- tracking steps -----------------------------------------------------------------------------


def test_tracking_messages_per_parcel():
    moving = parcel(
        status=ShipmentStatus.OUT_FOR_DELIVERY, delivered_at=None, out_for_delivery_at=T0 + 2 * DAY
    )
    order = state(shipments=(moving,))
    assert decision(order, "shipment:1:shipped").send_at == SHIPPED
    assert decision(order, "shipment:1:out_for_delivery").send_at == T0 + 2 * DAY
    delivered = state()
    assert decision(delivered, "shipment:1:delivered").send_at == DELIVERED
    assert decision(delivered, "shipment:1:shipped").verdict is Verdict.SKIP  # already delivered
    untracked = state(
        shipments=(parcel(has_tracking=False, delivered_at=None, status=ShipmentStatus.IN_TRANSIT),)
    )
    assert "no tracking number" in str(decision(untracked, "shipment:1:shipped").reason)


def test_transactional_steps_ignore_the_window_unless_told_otherwise():
    night = at("2026-11-04T23:00:00+00:00")  # 02:00 in Riyadh
    order = state(paid_at=night, placed_at=night)
    assert step(order, "thank_you", now=night).send_at == night
    config = JourneyConfig(steps={"thank_you": StepConfig(bypass_window=False)})
    assert step(order, "thank_you", now=night, config=config).send_at == at("2026-11-05T09:00:00+03:00")


# --- holds and stops ----------------------------------------------------------------------------

PROBLEM = Problem("evt-9", ShipmentStatus.ATTEMPTED_DELIVERY, T0 + 2 * DAY)
TROUBLED = state(
    shipments=(parcel(status=ShipmentStatus.ATTEMPTED_DELIVERY, delivered_at=None, problem=PROBLEM),)
)


@pytest.mark.parametrize("name", ["check_in", "review_request", "cross_sell"])
def test_delivery_problem_holds_later_steps(name):
    result = step(TROUBLED, name)
    assert result.verdict is Verdict.HOLD
    assert str(result.reason) == "held: the parcel reported a failed delivery attempt on 5 Nov"


def test_delivery_problem_message_names_the_event():
    result = decision(TROUBLED, "shipment:1:delivery_problem:evt-9")
    assert result.verdict is Verdict.SEND and result.send_at == T0 + 2 * DAY


STOP_CASES = [
    (
        "cancelled",
        state(status=OrderStatus.CANCELLED),
        ["thank_you", "check_in", "review_request", "win_back"],
        "the order was cancelled",
    ),
    (
        "refunded",
        state(status=OrderStatus.REFUNDED),
        ["review_request", "cross_sell"],
        "the order was refunded",
    ),
    (
        "unsubscribed from reviews",
        state(customer=customer(unsubscribed=frozenset({"review"}))),
        ["review_request", "review_reminder"],
        "unsubscribed from review emails",
    ),
    (
        "no marketing consent",
        state(customer=customer(marketing_consent=False)),
        ["cross_sell", "win_back"],
        "not agreed to marketing",
    ),
    (
        "unhappy check-in",
        state(
            customer=customer(
                marketing_paused=Reason.of(
                    "unhappy_check_in", number="#1007", at=datetime(2026, 11, 9, tzinfo=UTC)
                )
            )
        ),
        ["cross_sell", "win_back"],
        "marketing is paused for this customer: they said order #1007 was not right on 9 Nov",
    ),
    ("redacted", state(customer=customer(redacted=True)), ["thank_you", "check_in"], "erased"),
    (
        "bounced",
        state(customer=customer(suppressed=True)),
        ["thank_you", "review_request"],
        "suppression list",
    ),
    ("uninstalled", state(store_uninstalled=True), ["thank_you", "check_in", "win_back"], "uninstalled"),
    (
        "all items refunded",
        state(lines=(LineState("p1", "Green Tea", 1, refunded_quantity=1),)),
        ["review_request"],
        "returned or refunded",
    ),
    (
        "already reviewed",
        state(lines=(LineState("p1", "Green Tea", 1, reviewed=True),)),
        ["review_request"],
        "already reviewed",
    ),
    ("ordered again", state(ordered_again_at=T0 + 9 * DAY), ["win_back"], "ordered again on 12 Nov"),
    ("nothing to recommend", state(has_recommendations=False), ["cross_sell"], "nothing to recommend"),
]


@pytest.mark.parametrize(
    ("label", "order", "names", "reason"), STOP_CASES, ids=[case[0] for case in STOP_CASES]
)
def test_stops(label, order, names, reason):
    for name in names:
        result = step(order, name)
        assert result.verdict is Verdict.SKIP, name
        assert reason in str(result.reason), name


def test_service_step_survives_a_review_unsubscribe():
    order = state(customer=customer(unsubscribed=frozenset({"review"})))
    assert step(order, "check_in").verdict is Verdict.SEND


def test_refunded_item_is_left_out_but_the_rest_is_asked_about():
    order = state(lines=(LineState("p1", "Green Tea", 1, refunded_quantity=1), LineState("p2", "Teapot", 1)))
    assert step(order, "review_request").verdict is Verdict.SEND


def test_too_late_is_skipped_not_sent():
    result = step(state(), "thank_you", now=T0 + 3 * DAY)
    assert (
        result.verdict is Verdict.SKIP
        and result.reason.code == "too_late"
        and str(result.reason).startswith("too late")
    )


# --- per-store settings -------------------------------------------------------------------------


def test_merchant_settings_change_anchor_delay_and_switch_steps_off():
    config = JourneyConfig(
        steps={
            "check_in": StepConfig(delay_minutes=2 * 24 * 60),
            "review_request": StepConfig(anchor=Anchor.SHIPPED, delay_minutes=14 * 24 * 60),
            "cross_sell": StepConfig(enabled=False),
        }
    )
    assert step(state(), "check_in", config=config).send_at == DELIVERED + 2 * DAY
    assert step(state(), "review_request", config=config).send_at == at("2026-11-18T09:30:00+00:00")
    assert (
        step(state(), "cross_sell", config=config).reason.code == "step_off"
        and str(step(state(), "cross_sell", config=config).reason) == "the merchant turned this step off"
    )


def test_product_tag_lengthens_the_review_delay():
    order = state(lines=(LineState("p1", "Hand Cream", 1, review_delay=21 * DAY), LineState("p2", "Mug", 1)))
    result = step(order, "review_request")
    assert result.send_at == DELIVERED + 21 * DAY
    assert "longer wait before reviews" in str(result.reason)


def test_orders_close_together_share_one_review_request():
    lines = (LineState("p1", "Green Tea", 1), LineState("p9", "Teapot", 1))
    later_delivery = parcel(shipment_id=5, delivered_at=DELIVERED + 2 * DAY)
    group = ReviewGroup(
        lead_order_id=9,
        lead_number="#1009",
        order_ids=(7, 9),
        shipments=((parcel(),), (later_delivery,)),
        lines=lines,
    )
    follower = step(state(review_group=group), "review_request")
    assert follower.verdict is Verdict.SKIP and "merged into the review request for order #1009" in str(
        follower.reason
    )
    lead = state(order_id=9, number="#1009", review_group=group, shipments=(later_delivery,))
    result = decision(lead, "order:9:review_request")
    assert result.send_at == DELIVERED + 2 * DAY + 7 * DAY


# --- windows, zones, quiet days, holidays -------------------------------------------------------

ZONE_CASES = [
    # (customer zone, country, ideal instant, expected instant): default window 09:00-20:00 local
    (
        "Asia/Riyadh",
        "SA",
        "2026-11-10T20:00:00+00:00",
        "2026-11-11T09:00:00+03:00",
    ),  # 23:00 local -> next 09:00
    ("Asia/Tehran", "IR", "2026-11-10T04:00:00+00:00", "2026-11-10T09:00:00+03:30"),  # 07:30 local, no DST
    ("America/Los_Angeles", "US", "2026-10-31T13:00:00+00:00", "2026-10-31T09:00:00-07:00"),  # 06:00 PDT
    (
        "America/Los_Angeles",
        "US",
        "2026-11-01T14:00:00+00:00",
        "2026-11-01T09:00:00-08:00",
    ),  # 06:00 PST, after
    (
        "Pacific/Auckland",
        "NZ",
        "2026-09-26T17:00:00+00:00",
        "2026-09-27T09:00:00+13:00",
    ),  # 05:00 NZST -> NZDT day
    (
        "Pacific/Auckland",
        "NZ",
        "2026-09-26T06:00:00+00:00",
        "2026-09-26T18:00:00+12:00",
    ),  # 18:00 NZST: in window
]


@pytest.mark.parametrize(("zone", "country", "ideal", "expected"), ZONE_CASES)
def test_window_in_the_customers_local_time(zone, country, ideal, expected):
    ideal_at = at(ideal)
    delivered = ideal_at - 3 * DAY  # check-in: delivered + 3 days lands on the ideal instant
    order = state(
        customer=customer(zone=zone, country=country),
        shipments=(parcel(delivered_at=delivered, shipped_at=delivered - DAY),),
    )
    result = step(order, "check_in", now=delivered)
    assert result.send_at == at(expected)


def test_quiet_days_and_public_holidays_move_to_the_next_sending_day():
    friday = JourneyConfig(quiet_days=(4,))  # Friday
    ideal = at("2026-11-13T10:00:00+03:00")  # a Friday in Riyadh
    order = state(shipments=(parcel(delivered_at=ideal - 3 * DAY),))
    assert step(order, "check_in", now=T0, config=friday).send_at == at("2026-11-14T09:00:00+03:00")
    national_day = at("2026-09-23T12:00:00+03:00")  # Saudi National Day
    order = state(
        placed_at=national_day - 3 * DAY,
        paid_at=national_day - 3 * DAY,
        shipments=(parcel(delivered_at=national_day - 3 * DAY, shipped_at=national_day - 4 * DAY),),
    )
    holidays = JourneyConfig(skip_public_holidays=True)
    assert step(order, "check_in", now=national_day - 4 * DAY, config=holidays).send_at == at(
        "2026-09-24T09:00:00+03:00"
    )
    assert step(order, "check_in", now=national_day - 4 * DAY).send_at == national_day  # off by default


def test_custom_window():
    config = JourneyConfig(window_start=time(10, 0), window_end=time(12, 0))
    result = step(state(), "check_in", config=config)  # ideal 12:30 Riyadh on Monday 9 Nov
    assert result.send_at == at("2026-11-10T10:00:00+03:00")
    assert "send window" in str(result.reason)


# --- frequency cap ------------------------------------------------------------------------------


def test_cap_defers_to_the_next_free_slot_never_drops():
    ideal = DELIVERED + 3 * DAY  # Monday 9 Nov, 12:30 in Riyadh
    busy = {"order:3:cross_sell": ideal - timedelta(hours=2)}
    result = step(state(), "check_in", busy=busy)
    assert result.verdict is Verdict.SEND
    assert result.send_at == at("2026-11-10T09:00:00+03:00")  # 10:30 local + 16 h = 02:30, then 09:00
    assert "at most one message" in str(result.reason)


def test_cap_spaces_this_orders_own_steps():
    config = JourneyConfig(steps={"review_request": StepConfig(delay_minutes=3 * 24 * 60 + 60)})
    result = step(state(), "review_request", config=config)  # one hour after the check-in
    assert result.send_at - step(state(), "check_in").send_at >= timedelta(hours=16)


def test_cap_of_zero_turns_it_off():
    busy = {"order:3:cross_sell": DELIVERED + 3 * DAY}
    config = JourneyConfig(frequency_cap_hours=0)
    assert step(state(), "check_in", busy=busy, config=config).send_at == DELIVERED + 3 * DAY


def test_the_reminder_goes_while_one_item_is_left_to_review_and_stops_when_none_is():
    """One reviewed item drops out of the reminder (its message lists the others); every item
    reviewed skips it."""
    sent = T0 + timedelta(days=12)
    history = {"order:7:review_request": Past("sent", sent, sent)}
    one_left = state(lines=(LineState("p1", "Green Tea", 1, reviewed=True), LineState("p2", "Oud Candle", 1)))
    assert step(one_left, "review_reminder", now=sent, history=history).verdict is Verdict.SEND
    none_left = state(
        lines=(
            LineState("p1", "Green Tea", 1, reviewed=True),
            LineState("p2", "Oud Candle", 1, reviewed=True),
        )
    )
    decided = step(none_left, "review_reminder", now=sent, history=history)
    assert decided.verdict is Verdict.SKIP and decided.reason.code == "every_item_reviewed"
