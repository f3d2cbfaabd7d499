"""A simulated store: realistic orders, signed webhooks, a mail server. For the demo and the tests."""

from __future__ import annotations

from connectors.base import Delivery, Snapshot, WebhookRequest
from connectors.sandbox import translate, webhooks

PLATFORM = "sandbox"


class SandboxConnector:
    """The Connector for sandbox stores; see ``connectors.base.Connector`` for the contract."""

    platform = PLATFORM
    per_store_secret = True

    def is_ping(self, request: WebhookRequest) -> bool:
        return False  # the sandbox never sends unsigned requests

    def store_ref(self, request: WebhookRequest) -> str:
        return webhooks.store_ref(request)

    def verify_webhook(self, request: WebhookRequest, store_secret: str | None) -> Delivery:
        return webhooks.verify(request, store_secret)

    def translate(self, delivery: Delivery) -> list[Snapshot]:
        return translate.translate(delivery.topic, delivery.body)
