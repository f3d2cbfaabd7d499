"""The journey through the real database: ingest -> outbox rows -> dispatcher, on both databases."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from app import clock
from app.models import Message, Product, Store
from connectors.base import OrderStatus, ProductSnapshot
from scheduler.dispatch import Outcome
from scheduler.jobs import make_dispatcher
from tests.helpers import (
    count,
    ingest_order,
    ingest_shipment,
    make_store,
    order_snapshot,
    shipment_snapshot,
)

T0 = datetime(2026, 11, 3, 9, 30, tzinfo=UTC)  # 12:30 in Riyadh, where the helper's customers live
DAY = timedelta(days=1)


def rows(aftercare, **where) -> dict[str, Message]:
    with aftercare.db.session() as session:
        query = select(Message)
        for column, value in where.items():
            query = query.where(getattr(Message, column) == value)
        return {message.dedupe_key: message for message in session.scalars(query)}


def by_step(aftercare, order_id: int | None = None) -> dict[str, Message]:
    return {m.step: m for m in rows(aftercare).values() if order_id is None or m.order_id == order_id}


def shipped_and_delivered(aftercare, store, external_id="1001", delivered=T0 + 3 * DAY):
    ingest_shipment(
        aftercare,
        store,
        shipment_snapshot(external_id, "in_transit", shipped_at=T0 + DAY, events=(("in_transit", T0 + DAY),)),
    )
    ingest_shipment(
        aftercare,
        store,
        shipment_snapshot(
            external_id,
            "delivered",
            shipped_at=T0 + DAY,
            at=delivered,
            events=(
                ("in_transit", T0 + DAY),
                ("out_for_delivery", delivered - timedelta(hours=3)),
                ("delivered", delivered),
            ),
        ),
    )


def test_parcel_updates_schedule_tracking_and_later_steps(aftercare):
    clock.freeze(T0)
    store = make_store(aftercare)
    ingest_order(aftercare, store, order_snapshot("1001"))
    shipped_and_delivered(aftercare, store)
    steps = by_step(aftercare)
    # out for delivery was reported together with the delivery: too late to announce; an empty store
    # has nothing to recommend
    assert set(steps) == {"thank_you", "shipped", "delivered", "check_in", "review_request", "win_back"}
    assert steps["check_in"].send_at == T0 + 6 * DAY and steps["check_in"].kind == "service"
    assert steps["review_request"].send_at == T0 + 10 * DAY
    assert steps["win_back"].send_at == T0 + 30 * DAY
    assert steps["shipped"].shipment_id is not None


def test_shipment_before_its_order_is_kept_and_retried(app, aftercare):
    """Deliveries arrive in any order: a parcel for an order we have not seen waits in the inbox."""
    from app import inbox
    from tests.helpers import simulated

    clock.freeze(T0)
    store = make_store(aftercare)
    sandbox = simulated(store)
    order = sandbox.new_order(status="paid")
    body, headers = sandbox.signed_request("shipment.updated", sandbox.shipment(order, "in_transit"))
    assert app.test_client().post("/webhooks/sandbox", data=body, headers=headers).status_code == 200
    assert inbox.process(aftercare.db, aftercare.connectors) == inbox.Processed(waiting=1)
    body, headers = sandbox.signed_request("order.created", order)
    app.test_client().post("/webhooks/sandbox", data=body, headers=headers)
    assert inbox.process(aftercare.db, aftercare.connectors).done == 1  # the order; the parcel waits
    assert "shipped" not in by_step(aftercare)
    clock.advance(timedelta(minutes=5))
    assert inbox.process(aftercare.db, aftercare.connectors) == inbox.Processed(done=1)
    assert "shipped" in by_step(aftercare)


def test_delivery_problem_holds_then_delivery_releases(aftercare):
    clock.freeze(T0)
    store = make_store(aftercare)
    ingest_order(aftercare, store, order_snapshot("1001"))
    ingest_shipment(aftercare, store, shipment_snapshot("1001", "in_transit", shipped_at=T0 + DAY))
    assert by_step(aftercare)["review_request"].status == "scheduled"  # on the fallback: shipped + 10 days
    attempt = T0 + 3 * DAY
    ingest_shipment(
        aftercare,
        store,
        shipment_snapshot(
            "1001",
            "attempted_delivery",
            shipped_at=T0 + DAY,
            at=attempt,
            events=(("attempted_delivery", attempt),),
        ),
    )
    steps = by_step(aftercare)
    assert steps["review_request"].status == "held"
    assert steps["review_request"].reason == "held: the parcel reported a failed delivery attempt on 6 Nov"
    assert steps["delivery_problem"].status == "scheduled"
    delivered = T0 + 4 * DAY
    ingest_shipment(
        aftercare,
        store,
        shipment_snapshot(
            "1001",
            "delivered",
            shipped_at=T0 + DAY,
            at=delivered,
            events=(("attempted_delivery", attempt), ("delivered", delivered)),
        ),
    )
    steps = by_step(aftercare)
    assert (
        steps["review_request"].status == "scheduled"
        and steps["review_request"].send_at == delivered + 7 * DAY
    )


def test_frequency_cap_spaces_messages_across_orders(aftercare):
    """Two orders a week apart, delivered the same day: their check-ins are 16 hours apart or more."""
    clock.freeze(T0)
    store = make_store(aftercare, journey='{"merge_review_days": 0}')
    first = order_snapshot("1", first_name="Sara")
    ingest_order(aftercare, store, first)
    ingest_order(
        aftercare, store, replace(order_snapshot("2", placed_at=T0 + 7 * DAY), customer=first.customer)
    )
    shipped_and_delivered(aftercare, store, "1", delivered=T0 + 10 * DAY)
    shipped_and_delivered(aftercare, store, "2", delivered=T0 + 10 * DAY + timedelta(hours=2))
    planned = sorted(m.send_at for m in rows(aftercare).values() if m.kind != "transactional")
    assert len(planned) == 6  # two check-ins, two review requests, two come-back offers
    assert all(
        later - earlier >= timedelta(hours=16) for earlier, later in zip(planned, planned[1:], strict=False)
    )


def test_orders_days_apart_share_one_review_request(aftercare, smtp):
    clock.freeze(T0)
    store = make_store(aftercare, smtp_port=smtp.port)
    first = order_snapshot("1", items=1)
    second = order_snapshot("2", items=2, placed_at=T0 + 2 * DAY)
    second = replace(second, customer=first.customer)
    ingest_order(aftercare, store, first)
    ingest_order(aftercare, store, second)
    shipped_and_delivered(aftercare, store, "1", delivered=T0 + 3 * DAY)
    shipped_and_delivered(aftercare, store, "2", delivered=T0 + 4 * DAY)
    reviews = [m for m in rows(aftercare).values() if m.step == "review_request"]
    assert len(reviews) == 1 and reviews[0].send_at == T0 + 11 * DAY
    clock.freeze(T0 + 11 * DAY)
    dispatcher = make_dispatcher(aftercare, "w1")
    for _ in range(20):
        dispatcher.run_until_idle()
        clock.advance(timedelta(hours=12))
    review_mail = [m for m in smtp.received if m.message["X-Aftercare-Step"] == "review_request"]
    assert len(review_mail) == 1
    text = review_mail[0].message.get_body(("plain",)).get_content()
    assert "Green Tea 1" in text and "Green Tea 2" in text


def test_new_order_cancels_the_previous_come_back_offer(aftercare):
    clock.freeze(T0)
    store = make_store(aftercare)
    first = order_snapshot("1")
    ingest_order(aftercare, store, first)
    assert by_step(aftercare)["win_back"].status == "scheduled"
    again = order_snapshot("2", placed_at=T0 + 12 * DAY)
    ingest_order(aftercare, store, replace(again, customer=first.customer))
    offers = {m.order_id: m for m in rows(aftercare).values() if m.step == "win_back"}
    statuses = sorted(m.status for m in offers.values())
    assert statuses == ["cancelled", "scheduled"]
    cancelled = next(m for m in offers.values() if m.status == "cancelled")
    assert cancelled.reason == "the customer ordered again on 15 Nov"


def test_product_tag_delays_the_review_request(aftercare):
    clock.freeze(T0)
    store = make_store(aftercare)
    with aftercare.db.session() as session:
        from app import ingest

        ingest.apply(
            session,
            session.get(Store, store.id),
            ProductSnapshot("101", "Hand Cream", T0, tags=("care", "review-delay:21d")),
        )
    ingest_order(aftercare, store, order_snapshot("1001", items=1))
    shipped_and_delivered(aftercare, store)
    assert by_step(aftercare)["review_request"].send_at == T0 + 3 * DAY + 21 * DAY


def test_unhappy_check_in_pauses_marketing_and_alerts_the_merchant(app, aftercare, smtp):
    clock.freeze(T0)
    store = make_store(aftercare, smtp_port=smtp.port, reply_to="owner@tea-and-things.example")
    with aftercare.db.session() as session:
        for n in range(3):
            session.add(
                Product(
                    store_id=store.id,
                    external_id=str(200 + n),
                    title=f"Teapot {n}",
                    in_stock=True,
                    remote_updated_at=T0,
                )
            )
    ingest_order(aftercare, store, order_snapshot("9", first_name="Nadia", items=1))
    # Omar has his own address: what one contact owns is never recommended to them, and Nadia's
    # cross-sell is the teapot Omar bought with the same hand cream.
    other = order_snapshot("10", first_name="Omar", items=1, email="omar@example.test")
    ingest_order(
        aftercare,
        store,
        other.__class__(
            **{
                **other.__dict__,
                "lines": other.lines
                + (
                    other.lines[0].__class__(
                        "x", "Teapot 0", 1, other.lines[0].unit_price, product_external_id="200"
                    ),
                ),
            }
        ),
    )
    shipped_and_delivered(aftercare, store, "9")
    assert "cross_sell" in by_step(aftercare, _order_id(aftercare, "9"))

    clock.freeze(T0 + 6 * DAY)
    dispatcher = make_dispatcher(aftercare, "w1")
    dispatcher.run_until_idle()
    check_in = next(m for m in smtp.received if m.message["X-Aftercare-Step"] == "check_in")
    html = check_in.message.get_body(("html",)).get_content()
    unhappy = re.search(r'href="([^"]+answer=unhappy)"', html).group(1).replace("&amp;", "&")
    path = unhappy.split("127.0.0.1:8000", 1)[1]

    client = app.test_client()
    page = client.get(path)
    assert page.status_code == 200 and b"Not quite" in page.data
    assert count(aftercare, Message, step="merchant_alert") == 0  # opening the link records nothing
    answered = client.post(path.split("?")[0], data={"answer": "unhappy"})
    assert answered.status_code == 200 and b"will be in touch" in answered.data
    assert (
        client.post(path.split("?")[0], data={"answer": "happy"}).status_code == 200
    )  # second answer: ignored

    order_9 = by_step(aftercare, _order_id(aftercare, "9"))
    assert (
        order_9["cross_sell"].status == "cancelled" and "marketing is paused" in order_9["cross_sell"].reason
    )
    assert order_9["win_back"].status == "cancelled"
    outcomes = dispatcher.run_until_idle()
    assert outcomes[Outcome.SENT] == 1, (
        outcomes,
        {k: (m.status, m.reason) for k, m in rows(aftercare).items()},
    )
    alert = next(m for m in smtp.received if m.message["X-Aftercare-Step"] == "merchant_alert")
    assert alert.rcpt_tos == ["owner@tea-and-things.example"] and "#9" in alert.message["Subject"]


def test_forged_check_in_link_changes_nothing(app, aftercare):
    client = app.test_client()
    assert client.get("/c/not-a-token?answer=unhappy").status_code == 400
    assert client.post("/c/not-a-token", data={"answer": "unhappy"}).status_code == 400


def test_journey_route_explains_every_step(app, aftercare):
    from app.web.admin.auth import login_token

    clock.freeze(T0)
    store = make_store(aftercare)
    other = make_store(aftercare, name="Other")
    ingest_order(aftercare, store, order_snapshot("1001"))
    ingest_order(aftercare, other, order_snapshot("2002"))
    ingest_shipment(aftercare, store, shipment_snapshot("1001", "in_transit", shipped_at=T0 + DAY))
    client = app.test_client()
    client.get("/admin/login", query_string={"token": login_token(aftercare.settings, store.id)})
    journey = client.get(f"/admin/api/orders/{_order_id(aftercare, '1001')}/journey").json["journey"]
    statuses = {entry["step"]: entry["status"] for entry in journey}
    assert statuses["thank_you"] == "scheduled" and statuses["shipped"] == "scheduled"
    reasons = {entry["step"]: entry["reason"] for entry in journey}
    assert "assumed delivered" in reasons["check_in"]
    assert client.get(f"/admin/api/orders/{_order_id(aftercare, '2002')}/journey").status_code == 404
    assert (
        app.test_client().get(f"/admin/api/orders/{_order_id(aftercare, '1001')}/journey").status_code == 401
    )


def test_cancelled_order_explains_what_was_skipped(aftercare):
    clock.freeze(T0)
    store = make_store(aftercare)
    ingest_order(aftercare, store, order_snapshot("1"))
    ingest_order(aftercare, store, order_snapshot("1", status=OrderStatus.CANCELLED, updated_at=T0 + DAY))
    entries = explained(aftercare, store)
    assert (
        entries["thank_you"].status == "cancelled"
        and entries["thank_you"].reason == "the order was cancelled"
    )
    assert entries["review_request"].status == "skipped"


def _order_id(aftercare, external_id: str) -> int:
    from app.models import Order

    with aftercare.db.session() as session:
        return session.scalars(select(Order.id).where(Order.external_id == external_id)).one()


def test_cross_sell_waits_for_delivery_before_asking_for_recommendations(aftercare):
    clock.freeze(T0)
    store = make_store(aftercare)
    ingest_order(aftercare, store, order_snapshot("1"))
    entries = explained(aftercare, store)
    assert (
        entries["cross_sell"].status == "waiting"
        and entries["cross_sell"].reason == "waiting for the delivery"
    )


def explained(aftercare, store) -> dict:
    """The journey of the store's only order, by step."""
    from app.journeys.explain import explain
    from app.models import Order

    with aftercare.db.session() as session:
        order = session.scalars(select(Order).where(Order.store_id == store.id)).one()
        return {entry.step: entry for entry in explain(session, session.get(Store, store.id), order)}


@pytest.mark.slow
def test_a_customer_with_many_orders_has_all_their_recent_orders_replanned_at_once(aftercare):
    """A new order re-plans every recent order of the same person in one set-based pass (the worker
    does it, not the webhook request), so a setting or a new order reaches all of them at once."""
    clock.freeze(T0)
    store = make_store(aftercare)
    customer = order_snapshot("1").customer
    for number in range(1, 15):
        placed = T0 + timedelta(minutes=number)
        ingest_order(
            aftercare, store, replace(order_snapshot(str(number), placed_at=placed), customer=customer)
        )
    with aftercare.db.session() as session:  # the merchant turns thank-you notes off
        session.get(Store, store.id).journey = '{"steps": {"thank_you": {"enabled": false}}}'
    new = replace(order_snapshot("15", placed_at=T0 + timedelta(minutes=15)), customer=customer)
    ingest_order(aftercare, store, new)

    def waiting_thank_yous() -> int:
        return sum(1 for m in rows(aftercare).values() if m.step == "thank_you" and m.status == "scheduled")

    assert waiting_thank_yous() == 0
