"""The embedded App Home: ID token verified by shopifyapp, token exchange on install, CSP and App Bridge;
and expiring tokens renewed before and during a sync."""

from __future__ import annotations

import time
import tomllib
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import jwt
import pytest
from sqlalchemy import select

from app import sync
from app.billing import plans, providers
from app.models import Message, Order, Store
from connectors.shopify import ShopifyConnector, queries, translate
from connectors.shopify.client import ShopCredentials
from tests.connectors import loopback
from tests.connectors.shopify.conftest import APP_SECRET
from tests.fakes.shopify import FakeShopify
from tests.helpers import count

CLIENT_ID = "0123456789abcdef0123456789abcdef"
NOW = datetime.now(UTC).replace(microsecond=0)


@pytest.fixture
def shopify(aftercare):
    fake = FakeShopify(client_id=CLIENT_ID, client_secret=APP_SECRET, restore_rate=5000.0)
    with fake.serving():
        aftercare.connectors["shopify"] = ShopifyConnector(
            client_id=CLIENT_ID, client_secret=APP_SECRET, http_client=fake.client(), bulk_poll_seconds=0.05
        )
        yield fake


def id_token(shop: str, secret: str = APP_SECRET, audience: str = CLIENT_ID) -> str:
    """What App Bridge puts in the App Home URL: a session token signed with the app's secret."""
    now = int(time.time())
    claims = {
        "iss": f"https://{shop}/admin",
        "dest": f"https://{shop}",
        "aud": audience,
        "sub": "74",
        "exp": now + 60,
        "nbf": now - 5,
        "iat": now - 5,
        "jti": str(uuid.uuid4()),
        "sid": "session-1",
    }
    return jwt.encode(claims, secret, algorithm="HS256")


def open_app_home(live_server, shop, token=None, extra=None, **headers):
    params = {
        "shop": shop,
        "host": "YWRtaW4uc2hvcGlmeS5jb20vc3RvcmUvdGVzdA",
        "embedded": "1",
        **(extra or {}),
    }
    if token:
        params["id_token"] = token
    return loopback.get(f"{live_server}/shopify", params=params, headers=headers, allow_redirects=False)


def the_store(aftercare, shop):
    with aftercare.db.session() as session:
        store = session.scalars(select(Store).where(Store.external_id == shop)).one()
        session.expunge(store)
        return store


def test_the_first_app_home_visit_installs_the_shop_with_an_expiring_token(aftercare, live_server, shopify):
    page = open_app_home(live_server, shopify.shop, id_token(shopify.shop))
    assert page.status_code == 200, page.text
    assert page.headers["Content-Security-Policy"].startswith(
        f"frame-ancestors https://{shopify.shop} https://admin.shopify.com"
    )
    head = page.text.split("</head>")[0]
    assert f'<meta name="shopify-api-key" content="{CLIENT_ID}">' in head
    assert '<script src="https://cdn.shopify.com/shopifycloud/app-bridge.js"></script>' in head
    assert 'id="checklist"' in page.text  # a new shop first meets the setup checklist, embedded
    assert "<ui-nav-menu>" in page.text  # the sections in the admin's own sidebar (App Bridge)
    store = the_store(aftercare, shopify.shop)
    credentials = ShopCredentials.from_json(store.credentials)
    assert store.status == "active" and credentials.access_token in shopify.access_tokens
    assert (store.name, store.reply_to, store.timezone) == (  # replies to its emails reach the merchant
        "Aftercare Test Shop",
        "owner@aftercare-test.example",
        "Asia/Riyadh",
    )
    assert credentials.refresh_token in shopify.refresh_tokens and credentials.expires_at
    with aftercare.db.engine.connect() as connection:
        raw = connection.exec_driver_sql("SELECT credentials FROM stores").scalar_one()
    assert credentials.access_token not in raw and credentials.refresh_token not in raw  # encrypted at rest
    assert open_app_home(live_server, shopify.shop, id_token(shopify.shop)).status_code == 200
    assert shopify.exchanges == 1  # a shop with a good token is not exchanged again


def test_every_app_home_visit_reads_the_subscription_back_from_shopify(aftercare, live_server, shopify):
    """Back from approving the charge (``charge_id``), the App Home believes only Shopify's answer:
    approved, the plan starts; later cancelled in Shopify, the next visit ends it."""
    open_app_home(live_server, shopify.shop, id_token(shopify.shop))
    with aftercare.db.session() as session:
        store = session.scalars(select(Store).where(Store.external_id == shopify.shop)).one()
        billing = providers.provider(aftercare.settings, store, aftercare.connectors)
        billing.subscribe(store, plans.PLANS["growth"], "https://x.example/")
    ref = shopify.subscriptions[0]["id"]
    shopify.merchant_answers(ref, approve=True)
    assert (
        open_app_home(live_server, shopify.shop, id_token(shopify.shop), {"charge_id": "1"}).status_code
        == 200
    )
    assert the_store(aftercare, shopify.shop).plan == "growth"
    shopify.subscriptions[0]["status"] = "CANCELLED"
    with aftercare.db.session() as session:  # an hour later: due for another look
        session.scalars(select(Store).where(Store.external_id == shopify.shop)).one().plan_checked_at = None
    open_app_home(live_server, shopify.shop, id_token(shopify.shop))
    assert the_store(aftercare, shopify.shop).plan == "free"


def test_without_an_id_token_the_browser_is_sent_to_fetch_one(aftercare, live_server, shopify):
    first = open_app_home(live_server, shopify.shop)
    assert first.status_code == 302 and "/shopify/patch-id-token?" in first.headers["Location"]
    assert "shopify-reload=" in first.headers["Location"]
    patch = loopback.get(first.headers["Location"])
    assert patch.status_code == 200 and f'data-api-key="{CLIENT_ID}"' in patch.text
    assert count(aftercare, Store) == 0


@pytest.mark.parametrize(
    "token",
    [
        lambda shop: id_token(shop, secret="shpss_" + "9" * 32),  # signed by someone else
        lambda shop: id_token(shop, audience="another-app"),  # made for another app
        lambda shop: "not.a.jwt",
    ],
)
def test_a_forged_or_foreign_session_token_is_refused_and_nothing_is_installed(
    aftercare, live_server, shopify, token
):
    answer = open_app_home(live_server, shopify.shop, Authorization=f"Bearer {token(shopify.shop)}")
    assert answer.status_code == 401
    assert count(aftercare, Store) == 0 and shopify.exchanges == 0


def test_a_shop_reinstalling_after_an_uninstall_gets_a_new_token(aftercare, live_server, shopify):
    assert open_app_home(live_server, shopify.shop, id_token(shopify.shop)).status_code == 200
    with aftercare.db.session() as session:
        session.scalars(select(Store)).one().status = "uninstalled"
    assert open_app_home(live_server, shopify.shop, id_token(shopify.shop)).status_code == 200
    assert the_store(aftercare, shopify.shop).status == "active" and shopify.exchanges == 2


def installed(aftercare, live_server, shopify):
    assert open_app_home(live_server, shopify.shop, id_token(shopify.shop)).status_code == 200
    store = the_store(aftercare, shopify.shop)
    with aftercare.db.session() as session:
        session.get(Store, store.id).synced_until = NOW - timedelta(hours=2)
    return store


def test_a_token_expiring_mid_sync_is_refreshed_and_the_sync_completes(aftercare, live_server, shopify):
    store = installed(aftercare, live_server, shopify)
    shopify.add_orders(23, NOW - timedelta(minutes=90))  # five pages of orders
    shopify.expire_tokens_after_queries = 2
    result = sync.reconcile(aftercare, store.id)
    assert result.error is None and count(aftercare, Order) == 23
    assert shopify.refreshes == 1
    renewed = ShopCredentials.from_json(the_store(aftercare, shopify.shop).credentials)
    assert renewed.access_token in shopify.access_tokens and renewed.refresh_token in shopify.refresh_tokens


def test_a_token_about_to_expire_is_refreshed_before_the_sync(aftercare, live_server, shopify):
    store = installed(aftercare, live_server, shopify)
    current = ShopCredentials.from_json(store.credentials)
    soon = (datetime.now(UTC) + timedelta(minutes=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
    with aftercare.db.session() as session:
        session.get(Store, store.id).credentials = ShopCredentials(
            **{**current.__dict__, "expires_at": soon}
        ).to_json()
    assert sync.reconcile(aftercare, store.id).error is None
    assert shopify.refreshes == 1
    assert (
        ShopCredentials.from_json(the_store(aftercare, shopify.shop).credentials).access_token
        != current.access_token
    )


def test_a_revoked_refresh_token_disconnects_the_store_and_keeps_its_messages(
    aftercare, live_server, shopify
):
    store = installed(aftercare, live_server, shopify)
    shopify.add_orders(1, NOW - timedelta(minutes=30))
    with aftercare.db.session() as session:
        from app import ingest

        for snapshot in translate.order_node(shopify.orders[0]):
            ingest.apply_all(session, session.get(Store, store.id), [snapshot])
    scheduled = count(aftercare, Message, status="scheduled")
    assert scheduled > 0
    for token in list(shopify.access_tokens):
        shopify.expire(token)
    shopify.revoke_refresh_tokens()
    sync.reconcile(aftercare, store.id)
    row = the_store(aftercare, shopify.shop)
    assert row.status == "disconnected" and "refused" in row.sync_error
    assert count(aftercare, Message, status="scheduled") == scheduled


def test_the_app_toml_declares_every_topic_the_connector_reads_at_the_pinned_version():
    config = tomllib.loads((Path(__file__).resolve().parents[3] / "shopify.app.toml").read_text())
    assert config["webhooks"]["api_version"] == queries.API_VERSION
    declared = set()
    for subscription in config["webhooks"]["subscriptions"]:
        declared |= set(subscription.get("topics", ())) | set(subscription.get("compliance_topics", ()))
    used = {topic for topic in translate.TOPICS}
    assert declared == used
    assert config["embedded"] is True and config["application_url"].endswith("/shopify")


def test_a_store_with_no_configured_app_gets_a_clear_503(aftercare, live_server):
    aftercare.connectors["shopify"] = ShopifyConnector()
    answer = loopback.get(f"{live_server}/shopify")
    assert answer.status_code == 503 and "shopify_client_id" in answer.text
