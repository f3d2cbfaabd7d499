"""A new merchant's first hour, end to end in Debian's Chromium against the app on loopback: sign in,
follow the checklist (sender, journey, a test to themselves, go live), reword the review request in
the block editor in Arabic with the preview beside it, and see the sandbox customers' clicks, their
rating left on our review page and the revenue of their orders after a click on the dashboard."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from app import clock
from app.links import Links
from app.models import Message, Review, Store
from app.web.admin.auth import login_url
from connectors.sandbox.customers import Odds, Readers
from connectors.sandbox.reviewers import Reviewers
from scheduler.jobs import make_dispatcher
from tests.app.journeys.test_schedule import DAY
from tests.helpers import T0, drain, make_store, simulated


@pytest.mark.browser
@pytest.mark.any_database
def test_a_new_merchants_first_hour(aftercare, live_server, chromium, smtp, tmp_path):
    clock.freeze(T0)
    settings = aftercare.settings.model_copy(update={"public_url": live_server})
    store = make_store(
        aftercare,
        name="دار العود",
        timezone="Asia/Riyadh",
        smtp_port=smtp.port,
        sender_email=None,
        reply_to="owner@dar-al-oud.example",  # the store's own address, read from the store at connect
    )
    context = chromium.new_context(viewport={"width": 1100, "height": 900})
    page = context.new_page()
    page.goto(login_url(settings, store.id))
    expect(page).to_have_url(f"{live_server}/admin/setup")
    page.goto(f"{live_server}/admin/setup?lang=ar")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    expect(page.locator("#setup-count")).to_contain_text("0 من 4")

    # 1. the sender: the checklist's link leads to the Sending page, where they give their own server
    page.locator("#setup-sender a").click()
    expect(page).to_have_url(f"{live_server}/admin/sending#sender")
    form = page.locator("#channel-smtp")
    form.locator('[id="smtp.from_email"]').fill("owner@dar-al-oud.example")
    form.locator('[id="smtp.host"]').fill("127.0.0.1")
    form.locator('[id="smtp.port"]').fill(str(smtp.port))
    form.locator('[id="smtp.security"]').select_option("none")
    form.locator("button[type=submit]").first.click()
    expect(page.get_by_role("status").first).to_be_visible()
    page.goto(f"{live_server}/admin/journey")  # the journey, looked at and saved
    page.get_by_role("button", name="احفظ وطبّق على الرسائل المجدولة").click()
    expect(page.get_by_role("status").first).to_contain_text("حُفظ")
    page.goto(f"{live_server}/admin/setup")
    expect(page.locator("#setup-sender")).to_have_class("done")
    expect(page.locator("#setup-journey")).to_have_class("done")  # the journey was looked at and saved

    # 2. the review request, reworded in the block editor, in Arabic, with the live preview
    page.locator("#setup-test a").click()
    expect(page).to_have_url(f"{live_server}/admin/templates/review_request/ar")
    expect(page.locator("fieldset.block")).not_to_have_count(0)
    heading = page.locator('fieldset.block[data-kind="heading"] input[type=text]').first
    expect(heading).to_have_attribute("dir", "rtl")
    heading.fill("رأيك يهمنا يا {{ customer.first_name }}")
    frame = page.frame_locator("#preview-frame")
    expect(frame.locator("h1")).to_contain_text("رأيك يهمنا يا")  # the preview follows as they type
    page.get_by_role("button", name="+ زر").click()  # add a button block: server-side, no save yet
    expect(page.locator('fieldset.block[data-kind="button"]')).to_have_count(1)
    page.locator('fieldset.block[data-kind="button"] input[type=text]').fill("اكتب تقييمك الآن")
    page.locator('fieldset.block[data-kind="button"] select').select_option("review")
    page.locator("#save").click()
    expect(page.get_by_role("status").first).to_contain_text("حُفظ")
    page.locator("details.more summary").first.click()
    expect(page.locator("#compiled")).to_have_attribute("dir", "ltr")  # the code reads left to right
    expect(page.locator("#compiled")).to_contain_text('<a class="button"')

    # 3. a test to themselves, as their customers will get it
    page.locator("#send-test").click()
    expect(page.get_by_role("status").first).to_contain_text("owner@dar-al-oud.example")
    [test] = smtp.wait_for(1)
    assert test.rcpt_tos == ["owner@dar-al-oud.example"] and "[تجربة]" in test.message["Subject"]
    assert "رأيك يهمنا يا" in test.message.get_body(("html",)).get_content()

    # 4. go live
    page.goto(f"{live_server}/admin/setup")
    expect(page.locator("#setup-test")).to_have_class("done")
    page.locator("#go-live button").click()
    expect(page).to_have_url(f"{live_server}/admin/activity")
    expect(page.locator("#setup-banner")).to_have_count(0)  # done: the checklist steps aside

    # 5. the sandbox's customers: an order, its emails, their clicks and an order after a click
    sandbox = simulated(store, live_server, seed=5)
    for product in sandbox.catalog_payloads():
        sandbox.deliver("product.updated", product)
    order = sandbox.new_order(status="paid")
    sandbox.deliver("order.created", order)
    shipped = sandbox.shipment(order, "in_transit", at=T0 + DAY / 2)  # its email links to our tracking page
    sandbox.deliver("shipment.updated", shipped)
    drain(aftercare)
    dispatcher = make_dispatcher(aftercare, "w1")
    dispatcher.links = Links(settings)
    clock.freeze(T0 + DAY / 2 + timedelta(hours=1))
    dispatcher.run_until_idle()
    sandbox.deliver("shipment.updated", sandbox.shipment(order, "delivered", at=T0 + DAY, previous=shipped))
    drain(aftercare)
    clock.freeze(T0 + 9 * DAY)
    dispatcher.run_until_idle()
    with aftercare.db.session() as db:
        due = db.scalar(select(Message.send_at).where(Message.step == "review_request"))
    clock.freeze(due + timedelta(minutes=1))
    dispatcher.run_until_idle()
    for number, mail in enumerate(smtp.received[1:]):
        (tmp_path / f"{number:03d}.eml").write_bytes(mail.raw)
    clock.advance(timedelta(hours=1))
    readers = Readers(
        tmp_path, live_server, random.Random(1), lambda address: again.append(address), Odds(1, 1, 1, 1, 1)
    )
    again: list[str] = []
    readers.round()
    assert again == [order["customer"]["email"]]
    clock.advance(timedelta(minutes=20))  # they come back to the store a little later
    sandbox.deliver("order.created", sandbox.new_order(status="paid", returning=again[0]))
    drain(aftercare)
    # the review request's stars, rated on our own review page as the sandbox's customers rate them
    asking = [mail.message for mail in smtp.received if mail.message["X-Aftercare-Step"] == "review_request"]
    reviewer = Reviewers(random.Random(2), rates={"rating": 1.0, "words": 1.0, "photo": 0.0, "nps": 0.0})
    actions = reviewer.decide(asking[0])
    assert actions and all(action.url.startswith(f"{live_server}/rv/") for action in actions)
    reviewer.perform(actions[:1])
    with aftercare.db.session() as db:
        assert db.scalar(select(func.count(Review.id)).where(Review.store_id == store.id)) == 1
        assert db.get(Store, store.id).setup

    page.goto(f"{live_server}/admin/dashboard?lang=ar")
    expect(page.locator("#total-clicks")).not_to_have_text("0")
    expect(page.locator("#total-orders")).to_have_text("1")
    expect(page.locator("#total-reviews")).to_have_text("1")
    expect(page.locator(".revenue")).not_to_have_count(0)
    context.close()
