"""WooCommerce never retries a delivery: polling catches what webhooks missed, and disabled webhooks
are switched back on. The app and the fake store talk over loopback HTTP."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from app import clock, stores, sync
from app.models import InboxEntry, Message, Order, OrderLine, Product, Shipment, Store
from app.web.admin import words
from connectors.woocommerce import WooCommerceConnector
from connectors.woocommerce.client import READ_ONLY_REASON, READ_WRITE_FIX
from scheduler import jobs
from tests.connectors.woocommerce.conftest import connected_store
from tests.fakes.woocommerce import capture
from tests.helpers import count, drain, signed_in

# The captures were recorded at about 07:07 UTC on 2026-11-23; the app's clock stands a little later.
RECORDED = datetime(2026, 11, 23, 7, 10, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _clock_after_the_recording():
    clock.freeze(RECORDED)


@pytest.fixture
def store(aftercare, shop, shop_key):
    return connected_store(aftercare, shop, shop_key, timezone="Asia/Riyadh")


def order_row(aftercare, external_id):
    with aftercare.db.session() as session:
        order = session.scalars(select(Order).where(Order.external_id == external_id)).one()
        session.expunge(order)
        return order


def store_row(aftercare, store_id):
    with aftercare.db.session() as session:
        row = session.get(Store, store_id)
        session.expunge(row)
        return row


def test_the_first_poll_backfills_the_stores_recent_orders_and_products(aftercare, shop, store):
    assert jobs.reconcile_stores(aftercare, "worker-1") > 0
    assert {o for o in ("15", "17", "18") if order_row(aftercare, o)} == {"15", "17", "18"}
    assert count(aftercare, Product) == 5
    assert store_row(aftercare, store.id).synced_until == datetime(2026, 11, 23, 7, 7, 1, tzinfo=UTC)
    # the cash-on-delivery guest order already has its thank-you planned
    assert count(aftercare, Message, order_id=order_row(aftercare, "18").id, step="thank_you") == 1


def test_a_missed_delivery_is_caught_by_the_next_poll(aftercare, shop, store, live_server):
    """The order is completed while our webhook fails: the next poll brings the change in."""
    jobs.reconcile_stores(aftercare, "worker-1")
    assert order_row(aftercare, "18").status == "paid"

    clock.advance(timedelta(minutes=30))
    guest = dict(shop.orders[18], status="completed", date_completed_gmt="2026-11-23T07:39:00")
    shop.set_order(guest, modified=datetime(2026, 11, 23, 7, 39, tzinfo=UTC))  # no delivery reaches us
    jobs.reconcile_stores(aftercare, "worker-1")

    order = order_row(aftercare, "18")
    assert order.status == "completed"
    with aftercare.db.session() as session:
        parcel = session.scalars(select(Shipment).where(Shipment.order_id == order.id)).one()
        assert parcel.status == "in_transit"
    assert count(aftercare, InboxEntry) == 0  # it came by polling, not by webhook
    # the poll asked only for changes since just before the last cursor
    last = [route for method, route in shop.requests_seen if route == "/wc/v3/orders"]
    assert len(last) >= 2


def test_a_change_in_the_same_second_as_the_cursor_is_not_missed(aftercare, shop, store):
    jobs.reconcile_stores(aftercare, "worker-1")
    cursor = store_row(aftercare, store.id).synced_until
    shop.set_order(dict(shop.orders[17], status="cancelled"), modified=cursor)  # same second as the cursor
    jobs.reconcile_stores(aftercare, "worker-1")
    assert order_row(aftercare, "17").status == "cancelled"


def test_polling_again_changes_nothing_and_sends_nothing_twice(aftercare, shop, store):
    jobs.reconcile_stores(aftercare, "worker-1")
    messages = count(aftercare, Message)
    assert jobs.reconcile_stores(aftercare, "worker-1") == 0
    assert count(aftercare, Message) == messages


def test_a_revoked_key_disconnects_the_store_and_keeps_its_messages(aftercare, shop, store):
    jobs.reconcile_stores(aftercare, "worker-1")
    scheduled = count(aftercare, Message, status="scheduled")
    assert scheduled > 0
    shop.keys.clear()  # the merchant revoked the key in WooCommerce
    jobs.reconcile_stores(aftercare, "worker-1")
    row = store_row(aftercare, store.id)
    assert row.status == "disconnected" and "refused our credentials" in row.sync_error
    assert count(aftercare, Message, status="scheduled") == scheduled  # waiting, not lost


def test_a_store_that_cannot_answer_keeps_its_cursor_and_is_polled_again(aftercare, shop, store):
    """Retries back off (through the connector's injected sleep: the test waits for nothing)."""
    waits: list[float] = []
    aftercare.connectors["woocommerce"] = WooCommerceConnector(sleep=waits.append)
    jobs.reconcile_stores(aftercare, "worker-1")
    before = store_row(aftercare, store.id)
    shop.fail_next = [503] * 20
    result = sync.reconcile(aftercare, store.id)
    after = store_row(aftercare, store.id)
    assert result.error and "503" in after.sync_error
    assert after.synced_until == before.synced_until and after.status == "active"
    assert len(waits) == 3 and waits == sorted(waits)  # four attempts, growing waits between them
    shop.fail_next = []
    assert sync.reconcile(aftercare, store.id).error is None
    assert store_row(aftercare, store.id).sync_error is None


def test_tracking_from_the_shipment_tracking_rest_api(aftercare, shop, store):
    shop.tracking_namespace = "wc-shipment-tracking/v3"
    shop.tracking[18] = [
        {
            "tracking_id": "7f4978c390ee633c6294ae0f258656f9",
            "tracking_provider": "SMSA Express",
            "tracking_link": "https://www.smsaexpress.com/trackingdetails?tracknumbers=290019315792",
            "tracking_number": "290019315792",
            "date_shipped": "2026-11-23",
        }
    ]
    jobs.reconcile_stores(aftercare, "worker-1")
    with aftercare.db.session() as session:
        parcel = session.scalars(
            select(Shipment).where(Shipment.order_id == order_row(aftercare, "18").id)
        ).one()
        assert (parcel.carrier, parcel.tracking_number) == ("SMSA Express", "290019315792")
        assert parcel.tracking_url.endswith("tracknumbers=290019315792")


def test_one_unreadable_order_does_not_stop_the_sync(aftercare, shop, store):
    shop.orders[99] = {"id": 99, "status": "processing", "date_modified_gmt": "2026-11-23T07:08:00"}
    jobs.reconcile_stores(aftercare, "worker-1")
    assert order_row(aftercare, "18").status == "paid"
    assert store_row(aftercare, store.id).sync_error is None


def test_missing_and_disabled_webhooks_are_restored(aftercare, shop, store, live_server):
    """WooCommerce disables a webhook after 5 failed deliveries and tells no one; we switch it back on."""
    assert jobs.check_webhooks(aftercare, "worker-1") == 1
    assert len(shop.webhooks) == 5 and all(h["status"] == "active" for h in shop.webhooks.values())
    updated = next(h for h in shop.webhooks.values() if h["topic"] == "order.updated")
    shop.ping_failures(updated["id"], 6)
    assert updated["status"] == "disabled"
    deleted = next(h for h in shop.webhooks.values() if h["topic"] == "product.updated")
    del shop.webhooks[deleted["id"]]

    assert shop.deliver("order.updated", shop.orders[15]) == []  # nothing is sent while disabled
    jobs.check_webhooks(aftercare, "worker-1")
    assert updated["status"] == "active" and updated["failure_count"] == 0
    assert sorted(h["topic"] for h in shop.webhooks.values()).count("product.updated") == 1
    assert shop.deliver("order.updated", shop.orders[15]) == [200]
    drain(aftercare)
    assert order_row(aftercare, "15").status == "completed"


def test_a_delivery_signed_by_the_fake_is_processed_like_the_captures(aftercare, shop, store, live_server):
    """The fake signs as WooCommerce does: a real delivery of an Arabic order arrives and is ingested."""
    jobs.check_webhooks(aftercare, "worker-1")
    assert shop.deliver("order.created", capture("GET_order_completed")["body"]) == [200]
    drain(aftercare)
    assert order_row(aftercare, "15").ship_city == "الرياض"


def test_uninstalled_stores_are_not_polled(aftercare, shop, store):
    with aftercare.db.session() as session:
        session.get(Store, store.id).status = "uninstalled"
    assert jobs.reconcile_stores(aftercare, "worker-1") == 0
    assert shop.requests_seen == []


def test_a_second_change_saved_in_the_same_second_is_still_applied(aftercare, shop, store):
    """WooCommerce keeps times to the second: processing then completed within one second share a
    modification time, and the later state must still win when it arrives."""
    jobs.reconcile_stores(aftercare, "worker-1")
    same_second = order_row(aftercare, "18").remote_updated_at
    shop.set_order(dict(shop.orders[18], status="completed"), modified=same_second)
    jobs.reconcile_stores(aftercare, "worker-1")
    assert order_row(aftercare, "18").status == "completed"


def order_lines(aftercare, external_id):
    with aftercare.db.session() as session:
        order = session.scalars(select(Order).where(Order.external_id == external_id)).one()
        lines = session.scalars(select(OrderLine).where(OrderLine.order_id == order.id)).all()
        return {line.external_id: line.refunded_quantity for line in lines}, order.total


def test_a_refund_read_when_polling_leaves_the_refunded_items_out_of_the_review_request(
    aftercare, shop, store
):
    """The order names its refunds; the poll reads what they refunded (GET /orders/<id>/refunds)."""
    from app.journeys.explain import explain

    jobs.reconcile_stores(aftercare, "worker-1")
    items = {line["id"]: line["quantity"] for line in shop.orders[15]["line_items"]}
    clock.advance(timedelta(minutes=30))
    shop.refund(15, items, reason="returned", modified=RECORDED + timedelta(minutes=25))  # the shipping kept
    jobs.reconcile_stores(aftercare, "worker-1")

    refunded, _ = order_lines(aftercare, "15")
    assert refunded == {str(line_id): units for line_id, units in items.items()}
    assert order_row(aftercare, "15").status == "completed"
    with aftercare.db.session() as session:
        order = session.scalars(select(Order).where(Order.external_id == "15")).one()
        review = {entry.step: entry for entry in explain(session, session.get(Store, store.id), order)}
    assert review["review_request"].status in ("skipped", "cancelled")
    assert "returned or refunded" in review["review_request"].reason


def test_a_partial_refund_marks_only_the_refunded_units(aftercare, shop, store):
    jobs.reconcile_stores(aftercare, "worker-1")
    first, second = shop.orders[15]["line_items"]
    before = order_lines(aftercare, "15")[1]
    shop.refund(15, {first["id"]: 1}, modified=RECORDED + timedelta(minutes=20))
    jobs.reconcile_stores(aftercare, "worker-1")
    refunded, total = order_lines(aftercare, "15")
    assert refunded == {str(first["id"]): 1, str(second["id"]): 0}
    assert total == before - Decimal(str(first["price"]))  # what is left, as Shopify's current total


def test_a_webhook_naming_refunds_without_their_lines_is_left_to_the_poll(
    aftercare, shop, store, live_server
):
    """Translating it would put the refunded item back in the review request; the poll reads it whole."""
    jobs.check_webhooks(aftercare, "worker-1")
    jobs.reconcile_stores(aftercare, "worker-1")
    first = shop.orders[15]["line_items"][0]["id"]
    refunded = shop.refund(15, {first: 1}, modified=RECORDED + timedelta(minutes=20))
    assert shop.deliver("order.updated", refunded) == [200]
    assert order_lines(aftercare, "15")[0][str(first)] == 0  # the delivery changed nothing
    jobs.reconcile_stores(aftercare, "worker-1")
    assert order_lines(aftercare, "15")[0][str(first)] == 1


def test_keys_made_read_only_put_the_store_in_needs_attention_without_an_error_each_run(
    app, aftercare, shop, shop_key, store, live_server, caplog
):
    """The merchant made Aftercare's key read-only after connecting: orders still arrive and messages
    still go, but a disabled webhook cannot be switched back on. The store says so on its pages, the
    hourly check logs no traceback, and the next good check clears it."""
    jobs.check_webhooks(aftercare, "worker-1")
    updated = next(h for h in shop.webhooks.values() if h["topic"] == "order.updated")
    shop.ping_failures(updated["id"], 6)  # WooCommerce disabled it
    shop_key.permissions = "read"

    with caplog.at_level(logging.INFO):
        for _ in range(2):
            jobs.check_webhooks(aftercare, "worker-1")
            jobs.reconcile_stores(aftercare, "worker-1")  # a good poll keeps what the merchant must do
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []
    row = store_row(aftercare, store.id)
    assert row.status == "active" and stores.attention(row) == stores.Attention(
        READ_ONLY_REASON, READ_WRITE_FIX
    )
    assert order_row(aftercare, "18").status == "paid"  # polling still works

    page = signed_in(app, aftercare, row).get("/admin/").get_data(as_text=True)
    assert "Needs attention" in page and "needs attention" in page and "Read/Write permission" in page
    arabic = signed_in(app, aftercare, row).get("/admin/?lang=ar").get_data(as_text=True)
    assert words.AR[READ_WRITE_FIX] in arabic and words.FA[READ_ONLY_REASON]

    shop_key.permissions = "read_write"  # the merchant followed the fix
    jobs.check_webhooks(aftercare, "worker-1")
    assert stores.attention(store_row(aftercare, store.id)) is None and updated["status"] == "active"


def test_a_store_that_disconnects_on_a_paid_plan_has_it_cancelled_through_the_billing_hook(
    aftercare, shop, store
):
    """WooCommerce has no billing of its own: the merchant's plan was taken through the operator's
    signed hook, and when the store leaves (its key revoked), the worker tells the hook to cancel
    and the store is on the free plan. A hook that is down changes nothing until it answers."""
    from app.billing import plans, providers
    from tests.fakes import billing as billing_operator

    with billing_operator.serving() as operator:
        aftercare.settings = aftercare.settings.model_copy(
            update={"billing_hook_url": operator.url, "billing_hook_secret": billing_operator.SECRET}
        )
        operator.answers["subscribe"] = {"status": "active", "ref": "op-7"}
        with aftercare.db.session() as session:
            row = session.get(Store, store.id)
            billing = providers.provider(aftercare.settings, row, aftercare.connectors)
            assert (
                billing.subscribe(row, plans.PLANS["growth"], "https://app.example/admin/billing/return")
                is None
            )
        assert store_row(aftercare, store.id).plan == "growth"
        assert jobs.end_departed_plans(aftercare, "worker-1") == 0  # connected: nothing to end

        shop.keys.clear()  # the merchant revoked the key in WooCommerce
        operator.down = True
        jobs.reconcile_stores(aftercare, "worker-1")
        assert store_row(aftercare, store.id).status == "disconnected"
        assert jobs.end_departed_plans(aftercare, "worker-1") == 0
        assert store_row(aftercare, store.id).plan == "growth"  # not ended yet: asked again next run

        operator.down = False
        assert jobs.end_departed_plans(aftercare, "worker-1") == 1
        assert operator.events() == ["subscribe", "cancel"]
        cancel = operator.seen[-1]
        assert cancel["store"]["platform"] == "woocommerce" and cancel["plan"]["key"] == "growth"
        row = store_row(aftercare, store.id)
        assert (row.plan, row.plan_status, row.subscription_ref) == ("free", "cancelled", None)
        assert jobs.end_departed_plans(aftercare, "worker-1") == 0  # told once


def test_a_store_uninstalled_on_a_paid_plan_has_it_cancelled_through_the_billing_hook(aftercare, store):
    from app.billing import providers
    from tests.fakes import billing as billing_operator

    with billing_operator.serving() as operator:
        aftercare.settings = aftercare.settings.model_copy(
            update={"billing_hook_url": operator.url, "billing_hook_secret": billing_operator.SECRET}
        )
        with aftercare.db.session() as session:
            row = session.get(Store, store.id)
            row.plan, row.subscription_ref = "scale", "op-9"
            stores.uninstall(session, row)
        assert providers.end_departed(aftercare.db, aftercare.settings, aftercare.connectors, store.id)
        assert operator.events() == ["cancel"] and operator.seen[0]["plan"]["key"] == "scale"
        assert store_row(aftercare, store.id).plan == "free"
