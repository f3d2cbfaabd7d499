"""Buy again end to end: the store's own re-purchases set the interval, ingest plans the reminder,
and the message carries a one-click reorder link to the platform's cart."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from app import clock
from app.links import Links
from app.messages import compose
from app.messages.render import render
from app.models import Message, RecommendPick, Store
from app.recommend import model
from app.recommend.picks import earned
from tests.app.recommend.shop import days, order, product, write
from tests.helpers import make_store


def _rebuying_store(aftercare, **fields):
    store = make_store(aftercare, **fields)
    write(aftercare, store, product("100"), product("200"))
    start = clock.now() - days(200)
    for n in range(4):  # four customers re-buy coffee beans every 21 days; the mug is bought once
        for k in range(3):
            write(
                aftercare, store, order(["100"], email=f"r{n}@example.test", placed_at=start + days(21 * k))
            )
        write(aftercare, store, order(["200"], email=f"r{n}@example.test", placed_at=start))
    with aftercare.db.session() as session:
        model.build(session, session.get(Store, store.id))
    return store


def _message(aftercare, store, email):
    with aftercare.db.session() as session:
        return session.scalars(
            select(Message).where(
                Message.store_id == store.id, Message.step == "buy_again", Message.contact == email
            )
        ).first()


def test_a_rebought_product_gets_a_reminder_at_its_interval_with_a_cart_permalink(aftercare):
    store = _rebuying_store(aftercare, platform="shopify", external_id="dar-al-oud.myshopify.com")
    placed = clock.now()
    write(aftercare, store, order(["100", "200"], email="noor@example.test", variants={"100": "4242"}))
    message = _message(aftercare, store, "noor@example.test")
    assert message is not None and message.status == "scheduled"
    assert placed + timedelta(days=21) <= message.send_at < placed + timedelta(days=22)
    assert "every 21 days" in message.reason
    with aftercare.db.session() as session:
        row = session.get(Message, message.id)
        built = compose.build(session, session.get(Store, store.id), row, Links(aftercare.settings))
        items = built.context["recommendations"]
        assert [item["title"] for item in items] == ["Product 100"]  # the mug is not re-bought
        assert items[0]["reorder_url"] == "https://dar-al-oud.myshopify.com/cart/4242:1"
        for locale in ("en", "ar", "fa"):
            rendered = render("buy_again", locale, {**built.context, "locale": locale})
            assert "https://dar-al-oud.myshopify.com/cart/4242:1" in rendered.html
        picks = session.scalars(select(RecommendPick).where(RecommendPick.message_id == message.id)).all()
        assert [(p.product_external_id, p.reason_code) for p in picks] == [("100", "rec_rebought")]


@pytest.mark.parametrize(
    ("platform", "external_id", "link"),
    [
        ("woocommerce", "https://shop.example", "https://shop.example/?add-to-cart=100&quantity=1"),
        # the sandbox makes no reorder links (it is no ReorderLinks connector): the product's page
        ("sandbox", "sandbox-shop", "https://shop.example/p/100"),
    ],
)
def test_the_reorder_link_is_the_platforms_cart_or_else_the_product_page(
    aftercare, platform, external_id, link
):
    store = _rebuying_store(aftercare, platform=platform, external_id=external_id)
    write(aftercare, store, order(["100"], email="noor@example.test"))
    message = _message(aftercare, store, "noor@example.test")
    with aftercare.db.session() as session:
        row = session.get(Message, message.id)
        built = compose.build(session, session.get(Store, store.id), row, Links(aftercare.settings))
    assert built.context["recommendations"][0]["reorder_url"] == link


def test_off_for_an_order_of_products_bought_once_and_after_a_reorder(aftercare):
    store = _rebuying_store(aftercare)
    write(aftercare, store, order(["200"], email="sara@example.test"))
    assert _message(aftercare, store, "sara@example.test") is None
    write(aftercare, store, order(["100"], email="dana@example.test", placed_at=clock.now() - days(5)))
    first = _message(aftercare, store, "dana@example.test")
    assert first is not None and first.status == "scheduled"
    write(aftercare, store, order(["100"], email="dana@example.test"))  # she re-ordered on her own
    with aftercare.db.session() as session:
        statuses = {
            m.order_id: m.status
            for m in session.scalars(
                select(Message).where(Message.step == "buy_again", Message.contact == "dana@example.test")
            )
        }
    assert statuses[first.order_id] == "cancelled"
    assert sorted(statuses.values()) == ["cancelled", "scheduled"]


def test_revenue_is_counted_for_the_recommended_product_bought_after_the_message(aftercare):
    store = _rebuying_store(aftercare)
    write(aftercare, store, order(["100"], email="noor@example.test"))
    message = _message(aftercare, store, "noor@example.test")
    with aftercare.db.session() as session:
        row = session.get(Message, message.id)
        compose.build(session, session.get(Store, store.id), row, Links(aftercare.settings))
        row.status, row.sent_at = "sent", clock.now() + days(21)
    clock.freeze(clock.now() + days(23))
    write(aftercare, store, order(["100", "200"], email="noor@example.test"))
    with aftercare.db.session() as session:
        report = earned(session, session.get(Store, store.id), clock.now() - days(90), timedelta(days=7))
    assert [(e.product_id, e.sent, e.orders, str(e.revenue)) for e in report] == [("100", 1, 1, "12.50")]
