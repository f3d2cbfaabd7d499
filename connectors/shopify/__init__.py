"""Shopify: a public, embedded app. Webhooks (orders, fulfillments, carrier events, uninstall and the
mandatory compliance topics) are verified with Shopify's own ``shopifyapp`` package.

Not built yet (issue 3 stays open): token exchange and refresh, the App Home, Admin GraphQL sync with
its bulk backfill and reconcile, and write-back of ratings and discount codes."""

from __future__ import annotations

from connectors.base import Delivery, SignatureError, Snapshot, WebhookRequest
from connectors.shopify import translate, webhooks

PLATFORM = "shopify"


class ShopifyConnector:
    """The Connector for Shopify stores; see ``connectors.base.Connector`` for the contract."""

    platform = PLATFORM

    def __init__(self, client_secret: str = "", old_client_secret: str | None = None) -> None:
        self.client_secret = client_secret
        self.old_client_secret = old_client_secret

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
