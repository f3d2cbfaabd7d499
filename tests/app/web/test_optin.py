"""Our double opt-in: the thank-you's "Yes, send me offers", recorded with its proof when the button
is pressed, and what it opens: a WooCommerce customer (whose store records no consent) who clicks it
gets the cross-sell. Unsubscribing and opting in are written back to Shopify's customer consent."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from app import clock, ingest, privacy
from app.links import Links
from app.models import Consent, Message, MessageStatus, Order, Store
from connectors.shopify import translate as shopify_translate
from connectors.woocommerce import translate as woo_translate
from scheduler import jobs
from scheduler.jobs import make_dispatcher
from tests.connectors.shopify.test_sync import connector, credentials, shopify  # noqa: F401 - fixture
from tests.connectors.woocommerce.conftest import connected_store, shop, shop_key  # noqa: F401 - fixtures
from tests.fakes.shopify import make_order
from tests.fakes.woocommerce import capture
from tests.helpers import make_store

COMPLETED = capture("GET_order_completed")["body"]  # order 15: Mohammed in Riyadh, no plugin opt-in
_PENDING = capture("GET_orders_page1_per_page2")["body"][1]  # order 17: someone else's hoodie, unpaid
# ... and paid for: only paid orders teach the store's recommendations what its customers buy
OTHER = {**_PENDING, "status": "processing", "date_paid_gmt": _PENDING["date_created_gmt"]}
PRODUCTS = capture("GET_products")["body"]


def path(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}" if parts.query else parts.path


def messages(aftercare, step: str) -> list[Message]:
    with aftercare.db.session() as session:
        rows = session.scalars(select(Message).where(Message.step == step)).all()
        for row in rows:
            session.expunge(row)
        return list(rows)


@pytest.fixture
def woo_store(aftercare, shop, shop_key, smtp):  # noqa: F811 - the fixtures above
    placed = woo_translate.order(COMPLETED)[0].placed_at
    clock.freeze(placed + timedelta(minutes=2))
    store = connected_store(aftercare, shop, shop_key, smtp_port=smtp.port, default_locale="ar")
    with aftercare.db.session() as session:
        row = session.get(Store, store.id)
        ingest.apply_all(session, row, [woo_translate.product(p) for p in PRODUCTS])
        ingest.apply_all(session, row, woo_translate.order(OTHER))
        ingest.apply_all(session, row, woo_translate.order(COMPLETED))
    return store


def test_a_woocommerce_customer_who_clicks_the_opt_in_gets_the_cross_sell(aftercare, app, woo_store, smtp):
    assert messages(aftercare, "cross_sell") == []  # WooCommerce said nothing: no marketing
    make_dispatcher(aftercare, "w1").run_until_idle()
    [mail] = [
        m
        for m in smtp.wait_for(1)
        if m.message["X-Aftercare-Step"] == "thank_you" and m.rcpt_tos == ["mohammed.alotaibi@example.test"]
    ]
    html = mail.message.get_body(("html",)).get_content()
    assert "نعم، أرسلوا إليّ العروض" in html  # the customer's language (the store writes in Arabic)
    link = re.search(r'href="([^"]+)">نعم، أرسلوا إليّ العروض', html).group(1)
    client = app.test_client()
    assert "/optin/" in link  # our own page: not wrapped in a tracked redirect
    page = client.get(path(link))
    assert page.status_code == 200 and 'dir="rtl"' in page.text and "رموز الخصم" in page.text
    with aftercare.db.session() as session:
        assert session.scalars(select(Consent)).all() == []  # opening the page (a mail scanner) is no yes
    answered = client.post(path(link), data={"channel": "email"})
    assert answered.status_code == 200 and "شكرًا لك" in answered.text
    with aftercare.db.session() as session:
        [proof] = session.scalars(select(Consent)).all()
    assert (proof.address, proof.channel, proof.granted) == ("mohammed.alotaibi@example.test", "email", True)
    assert proof.source == "aftercare_opt_in" and proof.recorded_at == clock.now()
    assert "نعم، أرسلوا إليّ عروض" in proof.words and "mohammed.alotaibi@example.test" in proof.words
    assert proof.write_back is False  # WooCommerce keeps no consent of its own to tell
    [cross_sell] = messages(aftercare, "cross_sell")
    assert cross_sell.status == MessageStatus.SCHEDULED
    clock.freeze(cross_sell.send_at + timedelta(minutes=1))
    make_dispatcher(aftercare, "w1").run_until_idle()
    sent = [m for m in smtp.wait_for(len(smtp.received) + 1) if m.message["X-Aftercare-Step"] == "cross_sell"]
    assert sent and sent[0].rcpt_tos == ["mohammed.alotaibi@example.test"]
    assert "Hoodie" in sent[0].message.get_body(("html",)).get_content()


def test_the_opt_in_page_is_whole_in_each_language_and_refuses_bad_input(aftercare, app, woo_store):
    client = app.test_client()
    with aftercare.db.session() as session:
        order = session.scalars(select(Order).where(Order.external_id == "15")).one()
        order_id = order.id
    link = Links(aftercare.settings).optin(woo_store.id, order_id)
    for locale, words in (("en", "Yes, send me offers"), ("fa", "بله، پیشنهادها را بفرستید"), ("ar", "نعم")):
        with aftercare.db.session() as session:
            session.get(Order, order_id).locale = locale
        page = client.get(path(link))
        assert page.status_code == 200 and words in page.text and f'lang="{locale}"' in page.text
    assert client.post(path(link), data={}).status_code == 400  # nothing ticked: nothing recorded
    assert client.post(path(link), data={"channel": "carrier-pigeon"}).status_code == 400
    assert client.get("/optin/not-a-token").status_code == 400
    with aftercare.db.session() as session:
        assert session.scalars(select(Consent)).all() == []


def test_the_data_export_shows_the_consent_with_its_proof(aftercare, app, woo_store):
    with aftercare.db.session() as session:
        order_id = session.scalars(select(Order.id).where(Order.external_id == "15")).one()
    link = Links(aftercare.settings).optin(woo_store.id, order_id)
    app.test_client().post(path(link), data={"channel": "email"})
    with aftercare.db.session() as session:
        data = privacy.export(
            session, session.get(Store, woo_store.id), None, "mohammed.alotaibi@example.test"
        )
    [consent] = data["marketing_consent"]
    assert consent["channel"] == "email" and consent["granted"] is True
    assert consent["source"] == "aftercare_opt_in" and consent["words"] and consent["recorded_at"]
    json.dumps(data)  # JSON as it stands


def test_unsubscribing_and_opting_in_are_written_back_to_shopify(aftercare, app, shopify):  # noqa: F811
    aftercare.connectors["shopify"] = connector(shopify)
    node = make_order(5000001, clock.now())
    shopify.customers["gid://shopify/Customer/5000001"] = dict(node["customer"])
    store = make_store(
        aftercare, platform="shopify", external_id=shopify.shop, credentials=credentials(shopify)
    )
    with aftercare.db.session() as session:
        ingest.apply_all(session, session.get(Store, store.id), shopify_translate.order_node(node))
        order_id = session.scalars(select(Order.id)).one()
    client = app.test_client()
    unsubscribe = Links(aftercare.settings).unsubscribe(store.id, order_id, "marketing")
    answer = client.post(path(unsubscribe), data="List-Unsubscribe=One-Click")
    assert answer.status_code == 200
    with aftercare.db.session() as session:
        [withdrawn] = session.scalars(select(Consent).where(Consent.channel == "email")).all()
    assert withdrawn.granted is False and withdrawn.source == "aftercare_unsubscribe" and withdrawn.write_back
    assert jobs.write_back_consent(aftercare, "w1") == 1
    [told] = shopify.consent_updates
    assert told["customerId"] == "gid://shopify/Customer/5000001"
    assert told["emailMarketingConsent"]["marketingState"] == "UNSUBSCRIBED"
    clock.freeze(clock.now() + timedelta(minutes=5))
    client.post(path(Links(aftercare.settings).optin(store.id, order_id)), data={"channel": "email"})
    assert jobs.write_back_consent(aftercare, "w1") == 1
    assert shopify.consent_updates[-1]["emailMarketingConsent"]["marketingState"] == "SUBSCRIBED"
    assert shopify.consent_updates[-1]["emailMarketingConsent"]["marketingOptInLevel"] == "CONFIRMED_OPT_IN"
    assert jobs.write_back_consent(aftercare, "w1") == 0  # told once
    with aftercare.db.session() as session:
        rows = session.scalars(select(Consent)).all()
    assert all(not row.write_back and row.written_back_at for row in rows if row.channel == "email")
