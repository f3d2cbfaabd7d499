"""Connecting a store: WooCommerce's app authentication end to end, pasted keys, and every clear refusal."""

from __future__ import annotations

import json
import re

import pytest
import requests
from sqlalchemy import select

from app import signing
from app.models import Store
from connectors.woocommerce.client import Credentials
from tests.conftest import SECRET_KEY
from tests.connectors import loopback
from tests.fakes.ports import free_port
from tests.helpers import count


class Browser:
    """The merchant's browser: keeps cookies, follows nothing by itself."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.http = requests.Session()

    def form_token(self) -> str:
        page = self.http.get(f"{self.base}/connect/woocommerce")
        assert page.status_code == 200
        return re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)

    def post(self, path: str, **fields: str) -> requests.Response:
        data = {"csrf_token": self.form_token(), **fields}
        return self.http.post(f"{self.base}{path}", data=data, allow_redirects=False)

    def get(self, url: str) -> requests.Response:
        return self.http.get(url, allow_redirects=False)


def the_store(aftercare) -> Store:
    with aftercare.db.session() as session:
        store = session.scalars(select(Store)).one()
        session.expunge(store)
        return store


def assert_webhooks_registered(shop, live_server, store):
    hooks = sorted(shop.webhooks.values(), key=lambda hook: hook["topic"])
    assert [hook["topic"] for hook in hooks] == sorted(
        ["order.created", "order.updated", "order.deleted", "order.restored", "product.updated"]
    )
    for hook in hooks:
        assert hook["delivery_url"] == f"{live_server}/webhooks/woocommerce"
        assert hook["secret"] == store.webhook_secret
        assert (hook["status"], hook["ping_status"]) == ("active", 200)  # our app answered the ping


def test_app_authentication_connects_the_store_and_signs_the_merchant_in(aftercare, live_server, shop):
    """Address -> approve on the store -> keys posted to us -> back signed in, webhooks registered."""
    shop.require_https_callback = False  # WooCommerce insists on https; the loopback test runs http
    browser = Browser(live_server)
    start = browser.post("/connect/woocommerce/authorize", site_url=shop.url)
    assert start.status_code == 302
    authorize = start.headers["Location"]
    assert authorize.startswith(f"{shop.url}/wc-auth/v1/authorize?app_name=Aftercare&scope=read_write&")
    assert browser.get(authorize).status_code == 200  # the store's approve screen

    back = shop.approve(authorize)  # the store posts the keys to our callback, then redirects
    assert back.status_code == 302, back.text
    signed_in = browser.get(back.headers["Location"])
    assert signed_in.status_code == 302 and signed_in.headers["Location"].endswith("/admin/")
    assert shop.name in browser.get(f"{live_server}/admin/").text

    store = the_store(aftercare)
    assert (store.platform, store.external_id, store.status) == ("woocommerce", shop.url, "active")
    assert store.timezone == "Asia/Riyadh" and store.name == shop.name
    assert Credentials.from_json(store.credentials).consumer_key == shop.keys[0].consumer_key
    assert_webhooks_registered(shop, live_server, store)


def test_keys_are_stored_encrypted(aftercare, live_server, shop, shop_key):
    browser = Browser(live_server)
    response = browser.post(
        "/connect/woocommerce/keys",
        site_url=shop.url,
        consumer_key=shop_key.consumer_key,
        consumer_secret=shop_key.consumer_secret,
    )
    assert response.status_code == 302
    with aftercare.db.engine.connect() as connection:
        raw = connection.exec_driver_sql("SELECT credentials, webhook_secret FROM stores").one()
    assert shop_key.consumer_secret not in raw[0] and shop_key.consumer_key not in raw[0]
    assert_webhooks_registered(shop, live_server, the_store(aftercare))


def test_pasted_keys_connect_and_sign_in(aftercare, live_server, shop, shop_key):
    browser = Browser(live_server)
    response = browser.post(
        "/connect/woocommerce/keys",
        site_url=f"{shop.url}/",
        consumer_key=shop_key.consumer_key,
        consumer_secret=shop_key.consumer_secret,
    )
    assert response.status_code == 302 and response.headers["Location"].endswith("/admin/")
    assert the_store(aftercare).external_id == shop.url  # trailing slash normalised away


def test_connecting_again_keeps_the_store_and_its_webhooks(aftercare, live_server, shop, shop_key):
    browser = Browser(live_server)
    fields = {
        "site_url": shop.url,
        "consumer_key": shop_key.consumer_key,
        "consumer_secret": shop_key.consumer_secret,
    }
    assert browser.post("/connect/woocommerce/keys", **fields).status_code == 302
    assert browser.post("/connect/woocommerce/keys", **fields).status_code == 302
    assert count(aftercare, Store) == 1 and len(shop.webhooks) == 5


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        ("nothing_there", "Nothing answered at"),
        ("plain_permalinks", "permalinks are set to Plain"),
        ("rest_disabled", "REST API is switched off"),
        ("no_woocommerce", "Is WooCommerce installed and active?"),
        ("wrong_keys", "Your store refused these keys"),
        ("read_only_keys", "can read but not write"),
        ("not_a_url", "Enter your store&#39;s address"),
        ("host_label_over_63", "Enter your store&#39;s address"),
        ("keys_swapped", "starts with ck_"),
    ],
)
def test_a_store_that_cannot_be_connected_gets_a_clear_message_and_nothing_is_saved(
    aftercare, live_server, shop, shop_key, setup, message
):
    site, key, secret = shop.url, shop_key.consumer_key, shop_key.consumer_secret
    if setup == "nothing_there":
        site = f"http://127.0.0.1:{free_port()}"
    elif setup == "plain_permalinks":
        shop.pretty_permalinks = False
    elif setup == "rest_disabled":
        shop.rest_enabled = False
    elif setup == "no_woocommerce":
        shop.woocommerce_active = False
    elif setup == "wrong_keys":
        secret = "cs_" + "0" * 40
    elif setup == "read_only_keys":
        reader = shop.add_key("read")
        key, secret = reader.consumer_key, reader.consumer_secret
    elif setup == "not_a_url":
        site = "javascript:alert(1)"
    elif setup == "host_label_over_63":  # HTTP libraries crash on such a name: it was a 500
        site = f"https://{'a' * 64}.example"
    elif setup == "keys_swapped":
        key, secret = secret, key
    response = Browser(live_server).post(
        "/connect/woocommerce/keys", site_url=site, consumer_key=key, consumer_secret=secret
    )
    assert response.status_code == 400
    assert message in response.text
    assert count(aftercare, Store) == 0 and shop.webhooks == {}


def test_reconnecting_with_read_only_keys_is_refused_and_keeps_the_good_keys(
    aftercare, live_server, shop, shop_key
):
    """The webhooks already exist, so nothing had to be written: the keys' write access is checked on
    every connect all the same, with the message of the first time."""
    browser = Browser(live_server)
    good = {
        "site_url": shop.url,
        "consumer_key": shop_key.consumer_key,
        "consumer_secret": shop_key.consumer_secret,
    }
    assert browser.post("/connect/woocommerce/keys", **good).status_code == 302
    reader = shop.add_key("read")
    again = browser.post(
        "/connect/woocommerce/keys",
        site_url=shop.url,
        consumer_key=reader.consumer_key,
        consumer_secret=reader.consumer_secret,
    )
    assert again.status_code == 400 and "can read but not write" in again.text
    assert Credentials.from_json(the_store(aftercare).credentials).consumer_key == shop_key.consumer_key


def test_a_form_without_its_csrf_token_is_refused(aftercare, live_server, shop, shop_key):
    response = loopback.post(
        f"{live_server}/connect/woocommerce/keys",
        data={
            "site_url": shop.url,
            "consumer_key": shop_key.consumer_key,
            "consumer_secret": shop_key.consumer_secret,
        },
    )
    assert response.status_code == 400 and "Reload and try again" in response.text
    assert count(aftercare, Store) == 0


def grant(user_id: str, key) -> bytes:
    return json.dumps(
        {
            "key_id": 1,
            "user_id": user_id,
            "consumer_key": key.consumer_key,
            "consumer_secret": key.consumer_secret,
            "key_permissions": "read_write",
        }
    ).encode()


def test_a_callback_with_a_forged_user_id_connects_nothing(aftercare, live_server, shop, shop_key):
    """Someone posting keys for a site nobody asked to connect is refused."""
    forged = signing.dumps(
        "another-secret-key-" + "y" * 32, "woocommerce-connect", {"site": shop.url, "nonce": "n"}
    )
    response = loopback.post(f"{live_server}/connect/woocommerce/callback", data=grant(forged, shop_key))
    assert response.status_code == 400 and count(aftercare, Store) == 0


@pytest.mark.parametrize(
    "body",
    [b"not json", b"{}", b'{"key_id": 1, "user_id": "x", "consumer_key": "a", "consumer_secret": "b"}'],
)
def test_a_malformed_callback_is_refused(aftercare, live_server, body):
    response = loopback.post(f"{live_server}/connect/woocommerce/callback", data=body)
    assert response.status_code == 400 and count(aftercare, Store) == 0


def test_a_return_in_another_browser_does_not_sign_in(aftercare, live_server, shop, shop_key):
    user_id = signing.dumps(SECRET_KEY, "woocommerce-connect", {"site": shop.url, "nonce": "someone-else"})
    assert (
        loopback.post(
            f"{live_server}/connect/woocommerce/callback", data=grant(user_id, shop_key)
        ).status_code
        == 200
    )
    stranger = requests.Session()
    answer = stranger.get(
        f"{live_server}/connect/woocommerce/return?success=1&user_id={user_id}",
        allow_redirects=False,
    )
    assert answer.status_code == 401
    assert stranger.get(f"{live_server}/admin/").status_code == 401  # not signed in


def test_a_declined_approval_says_so(aftercare, live_server, shop):
    shop.require_https_callback = False
    browser = Browser(live_server)
    authorize = browser.post("/connect/woocommerce/authorize", site_url=shop.url).headers["Location"]
    user_id = re.search(r"user_id=([^&]+)", authorize).group(1)
    declined = browser.get(f"{live_server}/connect/woocommerce/return?success=0&user_id={user_id}")
    assert declined.status_code == 400 and "did not approve" in declined.text
    assert count(aftercare, Store) == 0
