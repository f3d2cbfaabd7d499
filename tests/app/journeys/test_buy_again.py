"""The buy-again step in the pure planner: at the product's own interval, like every marketing step."""

from __future__ import annotations

from dataclasses import replace

import pytest

from app.journeys.config import JourneyConfig, StepConfig
from app.journeys.planner import Context, Rebuy, Verdict, plan
from app.journeys.reasons import words
from tests.app.journeys.test_planner import DAY, T0, customer, state

pytestmark = pytest.mark.any_database


DEFAULTS = JourneyConfig()


def buy_again(order, now=T0, config=DEFAULTS):
    return next(d for d in plan(order, Context(now=now, config=config)) if d.step == "buy_again")


def test_a_rebought_product_is_due_at_its_median_interval():
    """Tea re-bought every 30 days: the reminder goes 30 days after the order, in the send window."""
    decision = buy_again(state(rebuy=Rebuy(30.0, ("p1",))))
    assert decision.verdict is Verdict.SEND
    assert T0 + 30 * DAY <= decision.send_at < T0 + 31 * DAY
    assert decision.dedupe_key == "order:7:buy_again"
    assert "re-buy it every 30 days" in words(decision.reason)
    assert "30 يومًا" in words(decision.reason, "ar") and "۳۰" in words(decision.reason, "fa")


def test_off_for_products_bought_once():
    """Nothing in the order is re-bought by the store's customers: the step is skipped, and says why."""
    decision = buy_again(state(rebuy=None))
    assert decision.verdict is Verdict.SKIP
    assert words(decision.reason) == "nothing in this order is something the store's customers buy again"


def test_bought_again_since_skips_it():
    """The customer already re-ordered: the later order carries the reminder, this one does not."""
    decision = buy_again(state(rebuy=Rebuy(30.0, ("p1",), bought_again_at=T0 + 20 * DAY)))
    assert decision.verdict is Verdict.SKIP
    assert words(decision.reason).startswith("the customer bought it again on")


@pytest.mark.parametrize(
    ("change", "said"),
    [
        ({"customer": customer(marketing_consent=False)}, "marketing"),
        ({"customer": customer(unsubscribed=frozenset({"marketing"}))}, "unsubscribed"),
    ],
)
def test_consent_rules_like_every_marketing_step(change, said):
    decision = buy_again(replace(state(rebuy=Rebuy(30.0, ("p1",))), **change))
    assert decision.verdict is Verdict.SKIP
    assert said in words(decision.reason)


def test_the_merchant_can_turn_it_off_or_set_the_delay():
    off = JourneyConfig(steps={"buy_again": StepConfig(enabled=False)})
    assert buy_again(state(rebuy=Rebuy(30.0, ("p1",))), config=off).verdict is Verdict.SKIP
    fixed = JourneyConfig(steps={"buy_again": StepConfig(delay_minutes=10 * 24 * 60)})
    decision = buy_again(state(rebuy=Rebuy(30.0, ("p1",))), config=fixed)
    assert T0 + 10 * DAY <= decision.send_at < T0 + 11 * DAY


def test_the_frequency_cap_moves_it_never_drops_it():
    """Due the same day as the come-back offer: one of the two moves past the cap."""
    order = state(rebuy=Rebuy(30.0, ("p1",)))
    decisions = {d.step: d for d in plan(order, Context(now=T0))}
    gap = abs(decisions["buy_again"].send_at - decisions["win_back"].send_at)
    assert gap.total_seconds() >= 16 * 3600
