"""Plans: Shopify's Billing API against the fake Admin API (the mutations run on the published
schema), the operator's signed hook over loopback, the monthly volume checked when sending, and a
store over its plan told, never cut off mid-journey."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from app import clock
from app.billing import plans, providers, state
from app.models import Message, Store
from connectors.shopify import ShopifyConnector
from connectors.shopify.client import ShopCredentials
from scheduler import jobs
from scheduler.jobs import make_dispatcher
from tests.fakes import billing as billing_operator
from tests.fakes.shopify import FakeShopify, VirtualClock
from tests.helpers import T0, ingest_order, make_store, order_snapshot

TOKEN = "shpat_" + "b" * 32


@pytest.fixture
def shopify():
    fake = FakeShopify(access_tokens={TOKEN}, restore_rate=5000.0, clock=VirtualClock())
    with fake.serving():
        yield fake


def shopify_store(aftercare, fake):
    return make_store(
        aftercare,
        platform="shopify",
        external_id=fake.shop,
        credentials=ShopCredentials(fake.shop, TOKEN).to_json(),
    )


def billing_for(fake):
    connector = ShopifyConnector(
        client_secret="unused", http_client=fake.client(), sleep=fake.clock.sleep, clock=fake.clock
    )
    return providers.ShopifyBilling(connector, test=True)


@pytest.mark.any_database
def test_a_paid_plan_starts_only_once_shopify_says_the_merchant_approved_it(aftercare, shopify):
    """appSubscriptionCreate makes a pending test charge with a trial; approving it in Shopify (read
    back from currentAppInstallation, not believed from the return link) puts the store on the plan."""
    store = shopify_store(aftercare, shopify)
    billing = billing_for(shopify)
    with aftercare.db.session() as db:
        mine = db.get(Store, store.id)
        url = billing.subscribe(mine, plans.PLANS["growth"], "https://app.example/shopify")
        assert url.endswith("/confirm_recurring_application_charge")
        assert mine.plan == "free" and mine.plan_pending == "growth"
        assert billing.confirm(mine, "1") is False  # not approved yet: nothing changes
        assert mine.plan == "free"
    created = shopify.subscriptions[0]
    assert created["test"] is True and created["trialDays"] == 14 and created["name"] == "Aftercare Growth"
    price = created["lineItems"][0]["plan"]["appRecurringPricingDetails"]["price"]
    assert price == {"amount": "19.00", "currencyCode": "USD"}
    with aftercare.db.session() as db:
        mine = db.get(Store, store.id)
        mine.plan_pending = "growth"  # (confirm() above read Shopify: still pending, so declined)
        mine.subscription_ref = created["id"]
    shopify.merchant_answers(created["id"], approve=True)
    with aftercare.db.session() as db:
        mine = db.get(Store, store.id)
        assert billing.confirm(mine, "1") is True
        assert (mine.plan, mine.plan_pending, mine.subscription_ref) == ("growth", None, created["id"])
        assert mine.trial_ends_at is not None


@pytest.mark.any_database
def test_a_charge_cancelled_in_shopify_puts_the_store_back_on_the_free_plan(aftercare, shopify):
    store = shopify_store(aftercare, shopify)
    billing = billing_for(shopify)
    with aftercare.db.session() as db:
        billing.subscribe(db.get(Store, store.id), plans.PLANS["scale"], "https://app.example/shopify")
    shopify.merchant_answers(shopify.subscriptions[0]["id"], approve=True)
    with aftercare.db.session() as db:
        mine = db.get(Store, store.id)
        billing.refresh(mine)
        assert mine.plan == "scale"
    shopify.subscriptions[0]["status"] = "FROZEN"  # the shop stopped paying its Shopify bill
    with aftercare.db.session() as db:
        mine = db.get(Store, store.id)
        billing.refresh(mine)
        assert (mine.plan, mine.plan_status) == ("free", "cancelled")


@pytest.mark.any_database
def test_choosing_the_free_plan_cancels_the_charge_and_uninstalling_ends_the_plan(aftercare, shopify):
    from app import stores

    store = shopify_store(aftercare, shopify)
    billing = billing_for(shopify)
    with aftercare.db.session() as db:
        billing.subscribe(db.get(Store, store.id), plans.PLANS["growth"], "https://app.example/shopify")
    shopify.merchant_answers(shopify.subscriptions[0]["id"], approve=True)
    with aftercare.db.session() as db:
        mine = db.get(Store, store.id)
        billing.refresh(mine)
        assert billing.subscribe(mine, plans.FREE, "https://app.example/shopify") is None
        assert mine.plan == "free" and shopify.subscriptions[0]["status"] == "CANCELLED"
        mine.plan = "growth"
        stores.uninstall(db, mine)
    assert jobs.end_departed_plans(aftercare, "w1") == 1  # Shopify ended the charge itself
    with aftercare.db.session() as db:
        mine = db.get(Store, store.id)
        assert mine.plan == "free" and mine.plan_status == "cancelled"


@pytest.fixture
def operator():
    """The operator's billing system on loopback: checks the signature, answers pending then active."""
    with billing_operator.serving() as running:
        yield running.url, running.seen, running.answers


@pytest.mark.any_database
def test_woocommerce_stores_get_the_same_plans_through_the_operators_signed_hook(aftercare, operator):
    url, seen, _ = operator
    settings = aftercare.settings.model_copy(
        update={"billing_hook_url": url, "billing_hook_secret": billing_operator.SECRET}
    )
    store = make_store(aftercare, platform="woocommerce", external_id="https://shop.example")
    billing = providers.provider(settings, store, {})
    with aftercare.db.session() as db:
        mine = db.get(Store, store.id)
        assert billing.subscribe(mine, plans.PLANS["growth"], "https://app.example/admin/billing/return") == (
            "https://pay.example/op-1"
        )
        assert mine.plan_pending == "growth" and mine.plan == "free"
        assert billing.confirm(mine, None) is True
        assert mine.plan == "growth"
    assert [p["event"] for p in seen] == ["subscribe", "status"]
    assert seen[0]["plan"] == {
        "key": "growth",
        "title": "Growth",
        "price": "19.00",
        "currency": "USD",
        "monthly_messages": 3000,
        "trial_days": 14,
    }
    assert seen[0]["store"]["platform"] == "woocommerce" and seen[0]["test"] is True


@pytest.mark.any_database
def test_a_hook_that_cannot_be_reached_changes_nothing(aftercare):
    settings = aftercare.settings.model_copy(update={"billing_hook_url": "http://127.0.0.1:1/billing"})
    store = make_store(aftercare, platform="woocommerce", external_id="https://shop.example")
    with aftercare.db.session() as db:
        mine = db.get(Store, store.id)
        with pytest.raises(providers.BillingError):
            providers.provider(settings, mine, {}).subscribe(mine, plans.PLANS["scale"], "https://x.example/")
        assert (mine.plan, mine.plan_pending) == ("free", None)


def test_over_its_plan_a_store_keeps_every_journey_under_way():
    gate = state.Gate(plans.FREE, 301, T0)
    assert gate.allows("transactional", T0 + timedelta(days=3))  # order updates always go
    assert gate.allows("review", T0 - timedelta(days=2))  # a journey that began before: carries on
    assert gate.allows("marketing", T0 + timedelta(hours=2))  # within the day's grace
    assert not gate.allows("marketing", T0 + timedelta(days=2))  # a new journey after being told
    assert state.Gate(plans.FREE, 12, None).allows("marketing", T0 + timedelta(days=9))


def test_the_sender_checks_the_volume_and_tells_the_store_once(aftercare, smtp):
    """Checked when sending: the message past the free tier's volume goes, the store is told once
    (the pages' banner and one email to the store), and nothing already planned is cancelled."""
    clock.freeze(T0)
    store = make_store(aftercare, smtp_port=smtp.port, plan="free")
    ingest_order(aftercare, store, order_snapshot("2001", accepts_marketing=True))
    with aftercare.db.session() as db:
        db.execute(Message.__table__.update().where(Message.store_id == store.id).values(send_at=T0))
    with aftercare.db.session() as db:
        mine = db.get(Store, store.id)
        assert state.gate(db, mine, None).told_at is None
        plans.PLANS["free"] = plans.Plan(
            "free", "Free", 0, plans.FREE.price
        )  # a tier of nothing: over at once
    try:
        dispatcher = make_dispatcher(aftercare, "w1")
        dispatcher.run_until_idle()
        dispatcher.run_until_idle()  # the worker's next round: the alert planned in the first
    finally:
        plans.PLANS["free"] = plans.FREE
    with aftercare.db.session() as db:
        mine = db.get(Store, store.id)
        assert mine.over_plan_told_at is not None and state.notice(mine) == "over"
        steps = dict(
            db.execute(select(Message.step, Message.status).where(Message.store_id == store.id)).all()
        )
    assert steps["thank_you"] == "sent" and steps["plan_alert"] == "sent"
    assert "over its plan" in "\n".join(m.message["Subject"] for m in smtp.received)
