"""WooCommerce: REST API v3 with the store's own keys, signed webhooks, and reconcile by polling."""

from __future__ import annotations

from connectors.base import Delivery, Snapshot, WebhookRequest
from connectors.woocommerce import translate, webhooks

PLATFORM = "woocommerce"


class WooCommerceConnector:
    """The Connector for WooCommerce stores; see ``connectors.base.Connector`` for the contract."""

    platform = PLATFORM

    def is_ping(self, request: WebhookRequest) -> bool:
        return webhooks.is_ping(request)

    def store_ref(self, request: WebhookRequest) -> str:
        return webhooks.store_ref(request)

    def verify_webhook(self, request: WebhookRequest, store_secret: str | None) -> Delivery:
        return webhooks.verify(request, store_secret)

    def translate(self, delivery: Delivery) -> list[Snapshot]:
        return translate.translate(delivery.topic, delivery.body)
