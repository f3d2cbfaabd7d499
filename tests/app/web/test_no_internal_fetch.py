"""In production no route opens a connection to our own network, signed in or not (issue 12).

Every route of ``app.url_map`` (so a route added later is covered too) is called, anonymously and
signed in, with internal addresses in every field that takes one: the store address, the SMTP host and
port, the webhook endpoint, the sign-in form's address, and a signed key callback naming an internal
site. The signed-in store's own saved settings point there too (saved before the rule, or a name that
has moved since), for the routes that use them: test connection, send a test, email a sign-in link. A
witness socket listens on 127.0.0.1 (and ::1) at the port all of them name, and must never accept.
"""

from __future__ import annotations

import html
import re
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from app import Services, create_app, services, signing
from app.models import Store
from connectors import netguard
from connectors.woocommerce.client import Credentials
from tests.conftest import SECRET_KEY, settings_for
from tests.helpers import make_store
from tests.routes import routes

# Loopback spelled every way a resolver accepts, and the other internal ranges.
LOOPBACK = ["127.0.0.1", "127.1", "0x7f000001", "2130706433", "0177.0.0.1", "localhost", "[::1]"]
INTERNAL = ["[::ffff:127.0.0.1]", "10.0.0.1", "169.254.169.254", "0.0.0.0"]  # noqa: S104
REFUSED = "is not a public internet address Aftercare may connect to"
# The routes given an address (by a form, or the callback's JSON), which must say why they refuse it.
TAKES_AN_ADDRESS = {
    ("POST", "/connect/woocommerce/authorize"): "form",
    ("POST", "/connect/woocommerce/keys"): "form",
    ("POST", "/connect/woocommerce/callback"): "json",
    ("POST", "/admin/sending/channels/smtp"): "form",
}
ARGUMENTS = {"platform": "woocommerce", "step": "thank_you", "locale": "en", "name": "smtp"}
HTTPS = "https://localhost"  # the session cookie is Secure in production


class Witness:
    """Listening sockets on loopback that count every connection accepted."""

    def __init__(self) -> None:
        self.accepted: list[Any] = []
        self.sockets = [socket.create_server(("127.0.0.1", 0))]
        self.port = self.sockets[0].getsockname()[1]
        try:
            self.sockets.append(socket.create_server(("::1", self.port), family=socket.AF_INET6))
        except OSError:
            pass  # no IPv6 loopback on this machine: [::1] then reaches nothing anyway
        for sock in self.sockets:
            sock.settimeout(0.2)
            threading.Thread(target=self._accept, args=(sock,), daemon=True).start()

    def _accept(self, sock: socket.socket) -> None:
        while sock.fileno() != -1:
            try:
                conn, peer = sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.accepted.append(peer)
            conn.close()

    def close(self) -> None:
        for sock in self.sockets:
            sock.close()


@pytest.fixture
def witness() -> Iterator[Witness]:
    listening = Witness()
    yield listening
    listening.close()


@pytest.fixture
def production(database_url: str, tmp_path: Path) -> Iterator[Flask]:
    settings = settings_for(
        database_url,
        tmp_path,
        environment="production",
        public_url="https://aftercare.example",
        connect_rate_limit="100000 per minute",  # the limit is tested on its own; here every call counts
        shopify_client_id="0123456789abcdef0123456789abcdef",
        shopify_client_secret="shopify-secret-" + "s" * 20,
    )
    application = create_app(settings)
    yield application
    services(application).db.dispose()
    netguard.configure(public_only=False)  # what the test apps' factory sets; tests without an app use it


def the_merchant(aftercare: Services, port: int) -> Store:
    """A WooCommerce store whose saved address, SMTP server and webhook all lead to the witness."""
    site = f"http://127.0.0.1:{port}"
    return make_store(
        aftercare,
        platform="woocommerce",
        external_id=site,
        credentials=Credentials(site, "ck_x", "cs_x").to_json(),
        smtp_port=port,
        sender_email="owner@shop.example",
        channel="webhook",
        hook_url=f"https://127.0.0.1:{port}/hook",
        hook_secret="hook-secret",
    )


def fields(address: str, port: int) -> dict[str, Any]:
    """Every field of every form and JSON body that takes an address, all pointing at ``address``."""
    site = f"http://{address}:{port}"
    return {
        "site_url": site,
        "address": site,
        "consumer_key": "ck_witness",
        "consumer_secret": "cs_witness",
        "smtp.host": address.strip("[]"),
        "smtp.port": str(port),
        "smtp.security": "none",
        "smtp.from_email": "owner@shop.example",
        "webhook.url": f"https://{address}:{port}/hook",
        "webhook.secret": "hook-secret",
        # The key callback, as if WooCommerce posted keys for a connection started for this site.
        "key_id": 1,
        "user_id": signing.dumps(SECRET_KEY, "woocommerce-connect", {"site": site, "nonce": "n"}),
        "key_permissions": "read_write",
    }


def sign_in(app: Flask, store: Store) -> Any:
    from app.web.admin.auth import login_token

    client = app.test_client()
    settings = services(app).settings
    client.get("/admin/login", query_string={"token": login_token(settings, store.id)}, base_url=HTTPS)
    return client


def csrf(client: Any) -> str:
    """The CSRF token of this client's session (signed in: the API's; anonymous: the connect form's)."""
    answer = client.get("/admin/api/session", base_url=HTTPS)
    if answer.status_code == 200:
        return answer.get_json()["csrf_token"]
    page = client.get("/connect/woocommerce", base_url=HTTPS).get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


@pytest.mark.parametrize("address", LOOPBACK + INTERNAL)
def test_no_route_connects_to_our_own_network(production, witness, address):
    """Anonymous or signed in, by form or JSON, no answer is a 5xx, those that take an address say
    why they refuse it, and the witness never accepts a connection."""
    aftercare = services(production)
    store = the_merchant(aftercare, witness.port)
    body = fields(address, witness.port)
    called = 0
    for signed_in in (False, True):
        client = sign_in(production, store) if signed_in else production.test_client()
        for method, path in routes(production, ARGUMENTS):
            if signed_in and client.get("/admin/api/session", base_url=HTTPS).status_code == 401:
                client = sign_in(production, store)  # the sign-out routes ended the last session
            token = csrf(client)
            for kind in ("form", "json"):
                sent: dict[str, Any] = (
                    {"data": {**body, "csrf_token": token}} if kind == "form" else {"json": body}
                )
                answer = client.open(
                    path, method=method, base_url=HTTPS, headers={"X-CSRFToken": token}, **sent
                )
                called += 1
                said = f"{method} {path} ({kind}, {'signed in' if signed_in else 'anonymous'})"
                assert witness.accepted == [], f"{said} connected to the witness"
                assert answer.status_code < 500, f"{said} answered {answer.status_code}"
                if TAKES_AN_ADDRESS.get((method, path)) == kind and answer.status_code != 401:
                    assert 400 <= answer.status_code < 500, f"{said} answered {answer.status_code}"
                    assert REFUSED in answer.get_data(as_text=True), said
    assert called > 150  # the routes were found and every one was called
    assert witness.accepted == []


def test_the_key_callback_refuses_an_internal_site_with_a_sentence(production, witness):
    """The store's server-to-server callback names a site by a signed claim; an internal one is still
    refused before anything is fetched."""
    body = fields("127.0.0.1", witness.port)
    answer = production.test_client().post("/connect/woocommerce/callback", json=body, base_url=HTTPS)
    assert answer.status_code == 400 and REFUSED in answer.get_data(as_text=True)
    assert witness.accepted == []


def test_settings_that_name_an_internal_server_are_refused_field_by_field(production, witness):
    """Saving the SMTP or webhook settings with an internal address says so beside the field."""
    store = the_merchant(services(production), witness.port)
    client = sign_in(production, store)
    form = {**fields("127.1", witness.port), "csrf_token": csrf(client)}
    for channel, field in (("smtp", "smtp.host"), ("webhook", "webhook.url")):
        answer = client.post(f"/admin/sending/channels/{channel}", data=form, base_url=HTTPS)
        page = answer.get_data(as_text=True)
        assert answer.status_code == 422
        beside = page.split(f'name="{field}"')[1].split("</div>")[0]
        assert f"127.1 {REFUSED}." in beside, channel
    assert witness.accepted == []


def test_testing_the_smtp_connection_to_an_internal_server_is_refused(production, witness):
    """The saved SMTP server leads to loopback: the test connection answers 400 with the reason and
    does not knock (no port-scan oracle)."""
    store = the_merchant(services(production), witness.port)
    client = sign_in(production, store)
    answer = client.post("/admin/sending/test-smtp", data={"csrf_token": csrf(client)}, base_url=HTTPS)
    assert answer.status_code == 400
    assert f"The SMTP server could not be used: 127.0.0.1 {REFUSED}" in answer.get_data(as_text=True)
    assert witness.accepted == []


def test_a_name_that_does_not_resolve_gets_the_same_sentence(production, witness):
    """Nothing there, nothing listening, or something listening: one answer, so it is no oracle."""
    client = production.test_client()
    answers = set()
    for host in ("127.0.0.1", "127.0.0.2", "no-such-shop.invalid"):  # listening, closed, no such name
        form = {"site_url": f"http://{host}:{witness.port}", "csrf_token": csrf(client)}
        answer = client.post("/connect/woocommerce/authorize", data=form, base_url=HTTPS)
        said = re.search(r'<p role="alert" class="problem">(.*?)</p>', answer.get_data(as_text=True))
        answers.add((answer.status_code, html.unescape(said.group(1)).replace(host, "HOST")))
    assert answers == {
        (400, f"HOST {REFUSED}. Enter your store's public address, like https://shop.example.com.")
    }
    assert witness.accepted == []
