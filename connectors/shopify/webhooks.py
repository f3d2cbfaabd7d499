"""How Shopify signs and identifies its webhook deliveries, checked with Shopify's own ``shopifyapp``.

One app-wide secret signs every delivery (``X-Shopify-Hmac-Sha256`` over the raw body); during a
secret rotation the old one is still accepted. ``X-Shopify-Event-Id`` is the same on every retry of
one event, so it is the key duplicates are dropped by; ``X-Shopify-Triggered-At`` orders deliveries.
"""

from __future__ import annotations

from datetime import datetime

from shopify_app import verify_webhook_req

from connectors.base import Delivery, PayloadError, SignatureError, WebhookRequest

SHOP_HEADER = "X-Shopify-Shop-Domain"
TOPIC_HEADER = "X-Shopify-Topic"
EVENT_HEADER = "X-Shopify-Event-Id"
WEBHOOK_HEADER = "X-Shopify-Webhook-Id"
TRIGGERED_HEADER = "X-Shopify-Triggered-At"
SHOP_SUFFIX = ".myshopify.com"


def store_ref(request: WebhookRequest) -> str:
    shop = request.headers.get(SHOP_HEADER, "").strip().lower()
    if not shop.endswith(SHOP_SUFFIX) or len(shop) <= len(SHOP_SUFFIX):
        raise PayloadError(f"missing or invalid {SHOP_HEADER} header")
    return shop


def verify(request: WebhookRequest, client_secret: str, old_client_secret: str | None) -> Delivery:
    try:
        body = request.body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SignatureError("the body is not UTF-8, so it was not signed by Shopify") from exc
    config = {"client_id": "unused-for-webhooks", "client_secret": client_secret}
    if old_client_secret:
        config["old_client_secret"] = old_client_secret
    headers = {name: value for name, value in request.headers.items()}
    result = verify_webhook_req({"method": "POST", "headers": headers, "url": "", "body": body}, config)
    if not result.ok:
        raise SignatureError(f"Shopify webhook not verified: {result.log.code}")
    topic = request.headers.get(TOPIC_HEADER, "").strip()
    delivery_id = (request.headers.get(EVENT_HEADER) or request.headers.get(WEBHOOK_HEADER) or "").strip()
    if not topic or not delivery_id:
        raise PayloadError(f"missing {TOPIC_HEADER} or {EVENT_HEADER} header")
    triggered_at = None
    if raw := request.headers.get(TRIGGERED_HEADER):
        try:
            triggered_at = datetime.fromisoformat(raw.replace("Z", "+00:00"))
        except ValueError as exc:
            raise PayloadError(f"{TRIGGERED_HEADER} is not an ISO 8601 time") from exc
    return Delivery(topic=topic, delivery_id=delivery_id, body=request.body, triggered_at=triggered_at)
