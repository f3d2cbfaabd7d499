"""Shopify: a public, embedded app, installed by Shopify from ``shopify.app.toml``.

``webhooks.py`` verifies deliveries with Shopify's own ``shopifyapp``; ``translate.py`` turns webhook
payloads and Admin GraphQL nodes into snapshots; ``tokens.py`` exchanges and refreshes expiring offline
tokens; ``client.py`` calls the Admin GraphQL API inside its cost limit; ``backfill.py`` reads bulk
operation results. The embedded App Home's views live in ``app/web/connect/shopify.py`` and reach
Shopify through this connector's ``EmbeddedAdmin`` methods."""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from shopify_app import RequestInput, app_home_patch_id_token, verify_app_home_req, verify_app_proxy_req

from connectors.base import (
    Change,
    Delivery,
    EmbeddedCheck,
    HttpAnswer,
    HttpRequest,
    OfferRequest,
    PayloadError,
    ReviewToPublish,
    SignatureError,
    Snapshot,
    StoreReview,
    WebhookRequest,
)
from connectors.shopify import backfill, queries, storefront, tokens, translate, webhooks
from connectors.shopify.client import CodeTaken, ShopCredentials, ShopifyClient

log = logging.getLogger(__name__)
BULK_AFTER = timedelta(days=1)  # a poll reaching further back than this runs as one bulk operation
PRODUCTS_PAGE = 50

PLATFORM = "shopify"
EMBEDDED_HINTS = ("id_token", "embedded", "host", "shop")
RETRY_HEADER = "X-Shopify-Retry-Invalid-Session-Request"  # App Bridge retries with a fresh token


class ShopifyConnector:
    """The Connector for Shopify stores; see ``connectors.base.Connector`` for the contract."""

    platform = PLATFORM
    per_store_secret = False  # one app secret signs every shop's webhooks

    def __init__(
        self,
        client_secret: str = "",
        old_client_secret: str | None = None,
        *,
        client_id: str = "",
        http_client: httpx.Client | None = None,
        bulk_poll_seconds: float = backfill.POLL_SECONDS,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """``sleep`` and ``clock`` are how the client waits for query points and a bulk operation's
        polls (tests pass a virtual clock, so nothing waits)."""
        self.client_id = client_id
        self.client_secret = client_secret
        self.old_client_secret = old_client_secret
        self.app_config = tokens.app_config(client_id, client_secret, old_client_secret)
        self.http_client = http_client  # tests route Shopify's hosts to a fake on loopback
        self.bulk_poll_seconds = bulk_poll_seconds
        self.sleep = sleep
        self.clock = clock

    # --- EmbeddedAdmin ----------------------------------------------------------------------------

    @property
    def configured(self) -> bool:
        return bool(self.client_id and self.client_secret)

    def claims_embedded(self, request: HttpRequest, args: Mapping[str, str]) -> bool:
        """A fetch from the embedded app carries ``Authorization: Bearer``, a page load ``id_token``
        and Shopify's other hints in its query."""
        bearer = request.headers.get("Authorization", "").startswith("Bearer ")
        return self.configured and (bearer or any(hint in args for hint in EMBEDDED_HINTS))

    def verify_embedded(self, request: HttpRequest, args: Mapping[str, str], patch_url: str) -> EmbeddedCheck:
        """The App Bridge ID token checked by ``verify_app_home_req``; a stale or forged one gets
        shopifyapp's answer: a 401 with ``X-Shopify-Retry-Invalid-Session-Request`` that App Bridge
        retries with a fresh token, or the patch page for a page load."""
        try:
            result = verify_app_home_req(_library_request(request), self.app_config, patch_url)
        except (AttributeError, TypeError, ValueError):  # shopifyapp reads the claims unchecked: a
            # signed token whose dest is no URL (a number, "http://[") is refused like a forged one
            return EmbeddedCheck(shop=None, answer=HttpAnswer(401, {RETRY_HEADER: "1"}, "Unauthorized"))
        answer = _answer(result.response)
        if not result.ok:
            return EmbeddedCheck(shop=None, answer=answer)
        shop = f"{result.shop}.myshopify.com"
        if not webhooks.SHOP_DOMAIN.fullmatch(shop):  # signed, but no shop is called that (a label over 63)
            return EmbeddedCheck(
                shop=None, answer=HttpAnswer(400, {}, "This is not a Shopify shop's address.")
            )
        query = {"shop": shop, "embedded": "1"}
        if args.get("host"):
            query["host"] = args["host"]
        return EmbeddedCheck(
            shop=shop,
            answer=answer,
            id_token=result.id_token,
            headers=dict(answer.headers),
            query=query,
            api_key=self.client_id,
            refused=_answer(result.invalid_token_response) if result.invalid_token_response else None,
        )

    def patch_page(self, request: HttpRequest) -> HttpAnswer:
        """The page where App Bridge fetches a fresh ID token, then reloads the page it came from."""
        return _answer(app_home_patch_id_token(_library_request(request), self.app_config).response)

    def install(self, check: EmbeddedCheck) -> str:
        """An expiring offline token by token exchange (``tokens.exchange``)."""
        return tokens.exchange(self.app_config, check.id_token, self.http_client).to_json()

    def complementary(
        self, credentials: str, product_ids: list[str], on_credentials: Callable[[str], None] | None = None
    ) -> dict[str, tuple[str, ...]]:
        """The merchant's complementary products (``storefront.complementary``), creating the app's
        storefront access token the first time and handing the credentials holding it back."""
        held = ShopCredentials.from_json(credentials)
        token = held.storefront_token
        if not token:
            latest = [credentials]

            def keep(renewed: str) -> None:  # the access token may be renewed on the way
                latest[0] = renewed
                if on_credentials is not None:
                    on_credentials(renewed)

            token = storefront.create_token(self.client(credentials, keep))
            updated = dataclasses.replace(ShopCredentials.from_json(latest[0]), storefront_token=token)
            if on_credentials is not None:
                on_credentials(updated.to_json())
        return storefront.complementary(held.shop, token, product_ids, self.http_client)

    @staticmethod
    def reorder_url(store_ref: str, product_id: str, variant_id: str | None, quantity: int) -> str | None:
        """Shopify's cart permalink, ``https://{shop}/cart/{variant}:{quantity}``: a cart holding the
        variant, straight to checkout. A line without its variant (a custom line) gets none."""
        if not variant_id or not variant_id.isdigit():
            return None
        return f"https://{store_ref}/cart/{variant_id}:{max(int(quantity), 1)}"

    def is_ping(self, request: WebhookRequest) -> bool:
        return False  # Shopify has no unsigned ping

    def store_ref(self, request: WebhookRequest) -> str:
        return webhooks.store_ref(request)

    def verify_webhook(self, request: WebhookRequest, store_secret: str | None) -> Delivery:
        """Shopify signs with the app's secret, not a per-store one: ``store_secret`` is ignored."""
        if not self.client_secret:
            raise SignatureError("shopify_client_secret is not configured")
        return webhooks.verify(request, self.client_secret, self.old_client_secret)

    def translate(self, delivery: Delivery) -> list[Snapshot]:
        return translate.translate(delivery.topic, delivery.body)

    # --- Polling ---------------------------------------------------------------------------------

    def client(self, credentials: str, on_credentials: Callable[[str], None] | None = None) -> ShopifyClient:
        """A client whose token is renewed before it expires and whenever Shopify refuses it; each
        renewal is handed to ``on_credentials`` (the refresh token changes every time)."""
        current = [ShopCredentials.from_json(credentials)]

        def renew(force: bool) -> str:
            fresh = tokens.refresh(self.app_config, current[0], self.http_client, force=force)
            if fresh is not None:
                current[0] = fresh
                if on_credentials is not None:
                    on_credentials(fresh.to_json())
            return current[0].access_token

        token = renew(force=False)
        return ShopifyClient(
            current[0].shop,
            token,
            http_client=self.http_client,
            sleep=self.sleep,
            clock=self.clock,
            on_unauthorized=lambda: renew(force=True),
        )

    def changes_since(
        self, credentials: str, since: datetime, on_credentials: Callable[[str], None] | None = None
    ) -> Iterator[Change]:
        client = self.client(credentials, on_credentials)
        search = f"updated_at:>'{since.astimezone(UTC).strftime('%Y-%m-%dT%H:%M:%SZ')}'"
        if datetime.now(UTC) - since > BULK_AFTER:
            orders = backfill.orders_since(client, since, poll=self.bulk_poll_seconds, sleep=self.sleep)
        else:
            orders = client.paginate(
                queries.ORDERS, "orders", {"first": queries.ORDERS_PAGE, "query": search}
            )
        for node in orders:
            try:
                snapshots = translate.order_node(node)
            except PayloadError as exc:
                log.warning("shopify %s: order %s skipped: %s", client.shop, node.get("id"), exc)
                continue
            yield Change(snapshots[0].updated_at, snapshots)  # type: ignore[union-attr]
        for node in client.paginate(queries.PRODUCTS, "products", {"first": PRODUCTS_PAGE, "query": search}):
            try:
                product = translate.product_node(node)
            except PayloadError as exc:
                log.warning("shopify %s: product %s skipped: %s", client.shop, node.get("id"), exc)
                continue
            yield Change(product.updated_at, [product])

    def shop_profile(self, credentials: str) -> dict[str, str]:
        """The shop's name, contact email and time zone (empty strings where Shopify has none)."""
        shop = self.client(credentials).execute(queries.SHOP).get("shop") or {}
        return {key: str(shop.get(key) or "") for key in ("name", "contactEmail", "ianaTimezone")}

    def fire_flow_trigger(
        self,
        credentials: str,
        handle: str,
        payload: dict[str, Any],
        on_credentials: Callable[[str], None] | None = None,
    ) -> None:
        """``connectors.base.FlowTriggers``: one ``flowTriggerReceive``."""
        self.client(credentials, on_credentials).fire_flow_trigger(handle, payload)

    def ensure_webhooks(self, credentials: str, delivery_url: str, secret: str) -> str:
        """Shopify's subscriptions are declared in shopify.app.toml and kept by Shopify: nothing to do."""
        return "declared in shopify.app.toml"

    # --- Offers and consent ------------------------------------------------------------------------

    def create_offer(
        self, credentials: str, offer: OfferRequest, on_credentials: Callable[[str], None] | None = None
    ) -> str:
        """A basic code discount for the one customer account (every buyer, once, for a guest
        checkout), one use, until ``expires_at``. A code the shop already has is our own from an
        attempt whose answer was lost: its id is returned (needs the ``write_discounts`` scope)."""
        client = self.client(credentials, on_credentials)
        amount = offer.value if offer.kind == "amount" else None
        try:
            return client.create_discount_code(
                offer.code,
                offer.value if amount is None else None,
                customer_id=offer.customer_external_id,
                starts_at=offer.starts_at,
                ends_at=offer.expires_at,
                amount=amount,
                title=offer.title or None,
            )
        except CodeTaken:
            existing = client.discount_by_code(offer.code)
            if existing is None:
                raise
            return existing

    def write_consent(
        self,
        credentials: str,
        customer_external_id: str,
        channel: str,
        granted: bool,
        at: datetime,
        on_credentials: Callable[[str], None] | None = None,
    ) -> None:
        """``customerEmailMarketingConsentUpdate`` or ``customerSmsMarketingConsentUpdate`` (needs the
        ``write_customers`` scope). Shopify keeps no WhatsApp consent: nothing to tell it."""
        if channel == "whatsapp":
            return
        self.client(credentials, on_credentials).set_marketing_consent(
            customer_external_id, channel, granted, at
        )

    # --- StorefrontProxy --------------------------------------------------------------------------

    def verify_proxy(self, request: HttpRequest) -> str | None:
        """Shopify's documented app-proxy check, by ``shopifyapp``: the HMAC-SHA256 (hex, with the app
        secret, or the previous one while rotating) of the sorted ``key=value`` query parameters but
        ``signature``, and a timestamp at most 90 seconds old."""
        if not self.client_secret:
            return None
        try:
            result = verify_app_proxy_req(_library_request(request), self.app_config)
        except (AttributeError, TypeError, ValueError):
            return None
        if not result.ok or not result.shop:
            return None
        shop = f"{result.shop}.myshopify.com"
        return shop if webhooks.SHOP_DOMAIN.fullmatch(shop) else None

    # --- ReviewPublishing -----------------------------------------------------------------------
    # Shopify keeps no reviews of its own since Product Reviews was retired: the storefront shows ours
    # through the theme app block (extensions/), and each product carries the standard summary.

    def publish_review(self, credentials: str, review: ReviewToPublish) -> str:
        return ""

    def withdraw_review(self, credentials: str, review: ReviewToPublish) -> None:
        return None

    def publish_rating(self, credentials: str, product_id: str, average: float, count: int) -> None:
        client = self.client(credentials)
        if count:
            client.set_rating(product_id, average, count)
        else:
            client.clear_rating(product_id)

    def store_reviews(self, credentials: str, since: datetime) -> Iterator[StoreReview]:
        return iter(())


def _answer(res: Any) -> HttpAnswer:
    """shopifyapp's suggested response, as given."""
    return HttpAnswer(int(res.status), dict(res.headers or {}), res.body or "")


def _library_request(request: HttpRequest) -> RequestInput:
    return {"method": request.method, "headers": dict(request.headers), "url": request.url, "body": ""}
