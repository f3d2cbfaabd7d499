"""The sandbox's customers read their email: they open it, click, answer the check-in and come back
to order again, over real HTTP to the app on loopback, and never request another origin."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
from sqlalchemy import select

from app import clock
from app.links import Links
from app.models import Click, Message
from connectors.sandbox.customers import Odds, Readers
from scheduler.jobs import make_dispatcher
from tests.app.journeys.test_schedule import DAY
from tests.helpers import T0, count, drain, make_store, simulated


@pytest.mark.any_database
def test_customers_click_answer_the_check_in_and_order_again(aftercare, live_server, smtp, tmp_path):
    clock.freeze(T0)
    settings = aftercare.settings.model_copy(update={"public_url": live_server})
    store = make_store(aftercare, smtp_port=smtp.port)
    sandbox = simulated(store, live_server, seed=5)
    for product in sandbox.catalog_payloads():  # the store's products, with their pages
        sandbox.deliver("product.updated", product)
    order = sandbox.new_order(status="paid")
    sandbox.deliver("order.created", order)
    shipped = sandbox.shipment(order, "in_transit", at=T0 + DAY / 2)  # its email links to our tracking page
    sandbox.deliver("shipment.updated", shipped)
    drain(aftercare)
    dispatcher = make_dispatcher(aftercare, "w1")
    dispatcher.links = Links(settings)  # the links in the emails point at the app on loopback
    clock.freeze(T0 + DAY / 2 + timedelta(hours=1))
    dispatcher.run_until_idle()
    sandbox.deliver("shipment.updated", sandbox.shipment(order, "delivered", at=T0 + DAY, previous=shipped))
    drain(aftercare)
    clock.freeze(T0 + 9 * DAY)  # past the check-in and the review request
    dispatcher.run_until_idle()
    with aftercare.db.session() as db:  # the review request, wherever the cap and window put it
        due = db.scalar(select(Message.send_at).where(Message.step == "review_request"))
    clock.freeze(due + timedelta(minutes=1))
    dispatcher.run_until_idle()
    for number, mail in enumerate(smtp.wait_for(5)):
        (tmp_path / f"{number:03d}.eml").write_bytes(mail.raw)
    again: list[str] = []
    readers = Readers(tmp_path, live_server, random.Random(1), again.append, Odds(1, 1, 1, 1, 1))
    done = readers.round()
    assert done["read"] >= 2 and done["checked_in"] == 1 and done["clicked"] >= 1
    assert count(aftercare, Click) >= 1
    assert again == [order["customer"]["email"]]  # a customer who clicked orders again
    assert readers.round()["read"] == 0  # each email is read once
