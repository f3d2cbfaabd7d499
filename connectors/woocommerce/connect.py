"""Connecting a store: WooCommerce's app-authentication flow, or keys the merchant pastes, checked at once.

App authentication (``/wc-auth/v1/authorize``): we send the merchant to their store with our
``app_name``, the ``scope``, a ``user_id`` of our own, and two URLs. After the merchant approves,
WooCommerce POSTs ``{key_id, user_id, consumer_key, consumer_secret, key_permissions}`` as JSON to the
``callback_url`` (which it requires to be https) and then sends the merchant to ``return_url`` with
``success`` and ``user_id``. Our ``user_id`` is a signed token naming the site, so a callback cannot
attach keys to a store nobody asked to connect.

Every check answers with a sentence a merchant can act on (``ConnectProblem``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import requests

from connectors import netguard
from connectors.base import AuthError, ConnectorError, PayloadError, PermissionRefused, json_object
from connectors.woocommerce.client import (
    API_VERSION,
    READ_ONLY_REASON,
    READ_WRITE_FIX,
    TRACKING_NAMESPACES,
    WooClient,
)
from connectors.woocommerce.webhooks import site_id

SCOPE = "read_write"
TOPICS = ("order.created", "order.updated", "order.deleted", "order.restored", "product.updated")
INDEX_TIMEOUT = 10.0
READ_ONLY = "These keys can read but not write. Aftercare needs Read/Write keys to set up its webhooks."


class ConnectProblem(Exception):
    """The store cannot be connected as given; the message says what the merchant should do."""


@dataclass(frozen=True)
class SiteInfo:
    """What a store's REST index says about it."""

    url: str  # as site_id() normalises it: the store's identity
    name: str
    timezone: str | None
    namespaces: tuple[str, ...]

    @property
    def tracking_namespace(self) -> str | None:
        return next((ns for ns in TRACKING_NAMESPACES if ns in self.namespaces), None)


@dataclass(frozen=True)
class KeyGrant:
    """What WooCommerce posts to the callback URL."""

    key_id: int
    user_id: str
    consumer_key: str
    consumer_secret: str
    permissions: str


def authorize_url(site_url: str, *, app_name: str, user_id: str, return_url: str, callback_url: str) -> str:
    query = urlencode(
        {
            "app_name": app_name,
            "scope": SCOPE,
            "user_id": user_id,
            "return_url": return_url,
            "callback_url": callback_url,
        }
    )
    return f"{site_url}/wc-auth/v1/authorize?{query}"


def parse_grant(body: bytes) -> KeyGrant:
    """The callback's JSON body; PayloadError when it is not what WooCommerce sends."""
    data = json_object(body)  # not JSON, or nested thousands deep: PayloadError
    try:
        grant = KeyGrant(
            key_id=int(data["key_id"]),
            user_id=str(data["user_id"]),
            consumer_key=str(data["consumer_key"]),
            consumer_secret=str(data["consumer_secret"]),
            permissions=str(data.get("key_permissions", "")),
        )
    except (ValueError, KeyError, TypeError) as exc:
        raise PayloadError(f"not a WooCommerce key grant: {exc}") from exc
    if not grant.consumer_key.startswith("ck_") or not grant.consumer_secret.startswith("cs_"):
        raise PayloadError("not a WooCommerce key grant: keys must start with ck_ and cs_")
    return grant


def inspect_site(url: str) -> SiteInfo:
    """Find the store's REST index and check WooCommerce's API is usable there. Raises ConnectProblem."""
    try:
        site = site_id(url if "://" in url else f"https://{url}")
    except PayloadError as exc:
        raise ConnectProblem("Enter your store's address, like https://shop.example.com.") from exc
    index = _get_json(f"{site}/wp-json/")
    if index is None or not isinstance(index.body, dict) or index.status == 404:
        plain = _get_json(f"{site}/?rest_route=/")
        if plain is not None and isinstance(plain.body, dict) and "namespaces" in plain.body:
            raise ConnectProblem(
                "Your store's permalinks are set to Plain, and WooCommerce's API needs pretty permalinks. "
                "In WordPress, open Settings → Permalinks, choose any structure other than Plain, and save."
            )
        if index is None and plain is None:
            raise ConnectProblem(
                f"Nothing answered at {site}. Check the address and that the site is online."
            )
        raise ConnectProblem(f"{site} does not look like a WordPress site. Check the address.")
    body = index.body
    if index.status in (401, 403) or "namespaces" not in body:
        raise ConnectProblem(
            "Your store's REST API is switched off (often by a security plugin). Allow the REST API for "
            f"WooCommerce, then try again. The store said: {body.get('message') or index.status}."
        )
    namespaces = tuple(str(name) for name in body.get("namespaces") or ())
    if API_VERSION not in namespaces:
        raise ConnectProblem(
            "WordPress answered, but WooCommerce's API is not there. Is WooCommerce installed and active?"
        )
    return SiteInfo(
        url=site,
        name=str(body.get("name") or site),
        timezone=str(body.get("timezone_string") or "") or None,
        namespaces=namespaces,
    )


def check_keys(client: WooClient) -> None:
    """One authenticated read, so wrong keys are reported now rather than at the first sync; then
    one harmless write (``check_write``)."""
    try:
        client.check_access()
    except AuthError as exc:
        raise ConnectProblem(
            "Your store refused these keys. In WooCommerce → Settings → Advanced → REST API, create a key "
            "with Read/Write permission and copy the consumer key and secret whole."
        ) from exc
    except ConnectorError as exc:
        raise ConnectProblem(f"Your store could not be reached with these keys: {exc}") from exc
    check_write(client)


def check_write(client: WooClient) -> None:
    """Read-only keys are refused on every connect, not only when a webhook has to be written: a store
    reconnected with them would otherwise replace good keys and lose its webhooks later."""
    try:
        client.check_write_access()
    except AuthError as exc:
        raise ConnectProblem(READ_ONLY) from exc
    except PayloadError:
        pass  # a route a plugin hides: the webhook set-up that follows writes anyway and says so
    except ConnectorError as exc:
        raise ConnectProblem(f"Your store could not be reached with these keys: {exc}") from exc


@dataclass(frozen=True)
class WebhookReport:
    created: tuple[str, ...] = ()
    reactivated: tuple[str, ...] = ()

    def __str__(self) -> str:
        parts = []
        if self.created:
            parts.append(f"created {', '.join(self.created)}")
        if self.reactivated:
            parts.append(f"re-enabled {', '.join(self.reactivated)}")
        return "; ".join(parts) or "all webhooks active"


def ensure_webhooks(
    client: WooClient, delivery_url: str, secret: str, topics: Iterable[str] = TOPICS
) -> WebhookReport:
    """Every topic has an active webhook to ``delivery_url`` signed with ``secret``.

    WooCommerce disables a webhook after repeated failed deliveries (and at creation when the ping
    fails) and never tells anyone: this finds such webhooks and turns them back on. Raises
    PermissionRefused when the keys may read the webhooks but not write them (the merchant made them
    read-only), AuthError when they are refused altogether."""
    existing = [hook for hook in client.webhooks() if hook.get("delivery_url") == delivery_url]
    created, reactivated = [], []
    try:
        for topic in topics:
            hooks = [hook for hook in existing if hook.get("topic") == topic]
            if not hooks:
                client.create_webhook(f"Aftercare {topic}", topic, delivery_url, secret)
                created.append(topic)
                continue
            hook = hooks[0]
            if hook.get("status") != "active" or hook.get("secret") not in (None, secret):
                client.update_webhook(int(hook["id"]), {"status": "active", "secret": secret})
                reactivated.append(topic)
    except PermissionRefused:
        raise
    except AuthError as exc:  # the same keys just read the webhooks: it is the write they refused
        raise PermissionRefused(READ_ONLY_REASON, READ_WRITE_FIX) from exc
    return WebhookReport(tuple(created), tuple(reactivated))


@dataclass(frozen=True)
class _Answer:
    status: int
    body: Any


def _get_json(url: str) -> _Answer | None:
    """GET without credentials; None when nothing answered. An address we may not connect to (in
    production: our own network) is a ConnectProblem, whatever is or is not there."""
    try:
        with netguard.session() as http:
            response = http.get(url, timeout=INDEX_TIMEOUT, headers={"Accept": "application/json"})
    except netguard.AddressRefused as exc:
        raise ConnectProblem(
            f"{exc}. Enter your store's public address, like https://shop.example.com."
        ) from exc
    except requests.RequestException:
        return None
    try:
        return _Answer(response.status_code, response.json())
    except ValueError:
        return _Answer(response.status_code, None)
