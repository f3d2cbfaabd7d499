"""Every store sends from its first order: a new Shopify store with no settings at all gets its
thank-you through the operator's relay (aiosmtpd on loopback), From the store's name at the sending
domain, Reply-To the store's own address. Without a relay its messages wait, and every merchant page
says how many and what fixes it."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import lxml.html
import pytest
from sqlalchemy import select

from app import clock, create_app, services, stores
from app.models import ChannelSetting, Message, Store
from connectors.shopify import ShopifyConnector
from scheduler.dispatch import Outcome
from scheduler.jobs import make_dispatcher
from tests.conftest import settings_for
from tests.connectors.shopify.conftest import APP_SECRET, SHOP, post, sample
from tests.connectors.shopify.test_app_home import CLIENT_ID, id_token, open_app_home
from tests.fakes.shopify import FakeShopify
from tests.helpers import T0, ingest_order, make_store, order_snapshot, signed_in

SENDING = "mail.aftercare.test"


def _app(database_url, tmp_path, **overrides):
    return create_app(settings_for(database_url, tmp_path, shopify_client_secret=APP_SECRET, **overrides))


@pytest.fixture
def app(database_url, tmp_path, smtp):
    application = _app(
        database_url, tmp_path, platform_smtp_url=f"smtp://127.0.0.1:{smtp.port}", sending_domain=SENDING
    )
    yield application
    services(application).db.dispose()


def _new_shopify_store(aftercare):
    """As the App Home's first opening leaves it: a name and a token, nothing else."""
    credentials = json.dumps({"shop": SHOP, "access_token": "shpat_x"})
    with aftercare.db.session() as session:
        store, created = stores.connect(session, "shopify", SHOP, name="Super Toys", credentials=credentials)
        assert created
        return store


def _live_order():
    order = sample("orders_create")
    order.update({"cancelled_at": None, "cancel_reason": None, "financial_status": "paid"})
    return order


def test_a_new_shopify_store_sends_its_thank_you_through_the_default_sender(aftercare, live_server, smtp):
    clock.freeze(datetime(2022, 1, 1, 1, 0, tzinfo=UTC))  # Shopify's sample order is of 2021-12-31
    store = _new_shopify_store(aftercare)
    with aftercare.db.session() as session:
        assert session.scalars(select(ChannelSetting)).all() == []  # nothing set up
    assert post(aftercare, live_server, "orders/create", _live_order()).status_code == 200
    outcomes = make_dispatcher(aftercare, "w1").run_until_idle()
    assert outcomes[Outcome.SENT] == 1
    [received] = smtp.wait_for(1)
    assert received.message["From"] == f"Super Toys <store-{store.id}@{SENDING}>"
    assert received.rcpt_tos == ["jon@example.com"] and received.mail_from == f"store-{store.id}@{SENDING}"
    assert received.message["Message-ID"].endswith(f"@{SENDING}>")
    assert "Reply-To" not in received.message  # the store gave no address yet
    with aftercare.db.session() as session:
        [message] = session.scalars(select(Message).where(Message.status == "sent")).all()
        assert (message.step, message.channel) == ("thank_you", "smtp")


def test_a_shop_installed_from_the_app_home_sends_its_first_thank_you_with_replies_to_the_shop(
    aftercare, live_server, smtp
):
    """The whole first day: Shopify opens the App Home (ID token, token exchange, the shop's profile
    read), an order arrives by signed webhook, and its thank-you leaves through the relay From the
    shop's name, Reply-To the shop's contact email, with nothing typed into any form."""
    fake = FakeShopify(shop=SHOP, client_id=CLIENT_ID, client_secret=APP_SECRET)
    with fake.serving():
        aftercare.connectors["shopify"] = ShopifyConnector(
            client_id=CLIENT_ID, client_secret=APP_SECRET, http_client=fake.client()
        )
        home = open_app_home(live_server, SHOP, id_token(SHOP))
        assert home.status_code == 200 and 'id="checklist"' in home.text
        with aftercare.db.session() as session:
            store = session.scalars(select(Store).where(Store.external_id == SHOP)).one()
            assert session.scalars(select(ChannelSetting)).all() == []  # nothing set up
            store_id, shop_name = store.id, store.name
        now = clock.now().replace(microsecond=0).isoformat()
        order = {**_live_order(), "created_at": now, "updated_at": now, "processed_at": now}
        assert post(aftercare, live_server, "orders/create", order).status_code == 200
        assert make_dispatcher(aftercare, "w1").run_until_idle()[Outcome.SENT] == 1
    [received] = smtp.wait_for(1)
    assert shop_name == "Aftercare Test Shop"  # read from Shopify at install
    assert received.message["From"] == f"{shop_name} <store-{store_id}@{SENDING}>"
    assert received.message["Reply-To"] == "owner@aftercare-test.example"  # the shop's contactEmail
    assert received.rcpt_tos == ["jon@example.com"]


def test_replies_go_to_the_stores_own_address(aftercare, smtp):
    clock.freeze(T0)
    store = make_store(aftercare, own_sender=False, reply_to="owner@tea.example")
    ingest_order(aftercare, store, order_snapshot())
    make_dispatcher(aftercare, "w1").run_until_idle()
    [received] = smtp.wait_for(1)
    assert received.message["Reply-To"] == "owner@tea.example"
    assert received.message["From"] == f"Tea & Things <store-{store.id}@{SENDING}>"


def test_a_store_with_its_own_server_sends_from_its_own_address(aftercare, smtp):
    """The relay and the store's server are both this sink here: the From tells them apart."""
    clock.freeze(T0)
    store = make_store(aftercare, smtp_port=smtp.port, reply_to="owner@tea.example")
    ingest_order(aftercare, store, order_snapshot())
    make_dispatcher(aftercare, "w1").run_until_idle()
    [received] = smtp.wait_for(1)
    assert received.message["From"] == "Tea & Things <hello@tea-and-things.example>"
    assert received.message["Reply-To"] == "owner@tea.example"


def test_the_test_message_goes_by_the_default_sender(app, aftercare, smtp):
    store = make_store(aftercare, own_sender=False, reply_to="owner@tea.example")
    client = signed_in(app, aftercare, store)
    page = client.get("/admin/sending").get_data(as_text=True)
    assert f"store-{store.id}@{SENDING}" in page
    token = (
        lxml.html.fromstring(page).xpath('//form[contains(@action, "/admin/sending/test")]//input')[0].value
    )
    answer = client.post("/admin/sending/test", data={"csrf_token": token}, follow_redirects=True)
    assert "A test was sent to owner@tea.example" in answer.get_data(as_text=True)
    [received] = smtp.wait_for(1)
    assert received.rcpt_tos == ["owner@tea.example"] and received.message["Subject"] == "[Test] Tea & Things"


def test_without_any_sender_messages_wait_and_every_page_says_so(database_url, tmp_path):
    application = _app(database_url, tmp_path)  # no relay configured
    aftercare = services(application)
    try:
        clock.freeze(T0)
        store = make_store(aftercare, own_sender=False, reply_to="owner@tea.example")
        ingest_order(aftercare, store, order_snapshot("1001"))
        ingest_order(aftercare, store, order_snapshot("1002", email="sam@example.test"))
        assert make_dispatcher(aftercare, "w1").run_until_idle() == {Outcome.CHANNEL_DOWN: 2}
        with aftercare.db.session() as session:
            waiting = session.scalars(select(Message).where(Message.store_id == store.id)).all()
        assert {(m.status, m.attempts) for m in waiting} == {("scheduled", 0)}
        client = signed_in(application, aftercare, store)
        for path, lang, words in (
            ("/admin/activity", "en", "2 messages are waiting: no sender is set up"),
            ("/admin/journey", "ar", "2 رسالة تنتظر: لم يُعدّ أي مرسِل"),
            ("/admin/sending", "fa", "۲ پیام منتظر است: هیچ فرستنده‌ای تنظیم نشده است"),
        ):
            page = client.get(path, query_string={"lang": lang}).get_data(as_text=True)
            banner = lxml.html.fromstring(page).get_element_by_id("waiting-banner")
            assert words in banner.text_content(), (path, banner.text_content())
            assert banner.xpath(".//a/@href")[0].endswith("/admin/sending#sender")
        with aftercare.db.session() as session:
            assert session.get(Store, store.id).status == "active"
    finally:
        aftercare.db.dispose()
