"""How Shopify signs and identifies its webhook deliveries, checked with Shopify's own ``shopifyapp``.

One app-wide secret signs every delivery (``X-Shopify-Hmac-Sha256`` over the raw body); during a
secret rotation the old one is still accepted. ``X-Shopify-Event-Id`` is the same on every retry of
one event, so it is the key duplicates are dropped by; ``X-Shopify-Triggered-At`` orders deliveries.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from datetime import datetime

from shopify_app import verify_webhook_req

from connectors.base import Delivery, PayloadError, SignatureError, WebhookRequest

SHOP_HEADER = "X-Shopify-Shop-Domain"
TOPIC_HEADER = "X-Shopify-Topic"
EVENT_HEADER = "X-Shopify-Event-Id"
WEBHOOK_HEADER = "X-Shopify-Webhook-Id"
HMAC_HEADER = "X-Shopify-Hmac-Sha256"
TRIGGERED_HEADER = "X-Shopify-Triggered-At"
SHOP_SUFFIX = ".myshopify.com"
# A shop's handle is one DNS label: letters, digits and hyphens, at most 63 characters.
SHOP_DOMAIN = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.myshopify\.com")


def store_ref(request: WebhookRequest) -> str:
    shop = request.headers.get(SHOP_HEADER, "").strip().lower()
    if not SHOP_DOMAIN.fullmatch(shop):
        raise PayloadError(f"missing or invalid {SHOP_HEADER} header")
    return shop


def verify(request: WebhookRequest, client_secret: str, old_client_secret: str | None) -> Delivery:
    try:
        body = request.body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SignatureError("the body is not UTF-8, so it was not signed by Shopify") from exc
    if not request.headers.get(HMAC_HEADER, "").isascii():  # base64 is ASCII; the library would crash
        raise SignatureError(f"{HMAC_HEADER} is not a base64 signature")
    config = {"client_id": "unused-for-webhooks", "client_secret": client_secret}
    if old_client_secret:
        config["old_client_secret"] = old_client_secret
    headers = {name: value for name, value in request.headers.items()}
    try:
        result = verify_webhook_req({"method": "POST", "headers": headers, "url": "", "body": body}, config)
    except RecursionError:  # shopifyapp parses the body to redact its log: JSON nested thousands deep
        if _signed(request.body, request.headers.get(HMAC_HEADER, ""), client_secret, old_client_secret):
            raise PayloadError("body is nested too deeply") from None
        raise SignatureError("Shopify webhook not verified: invalid_hmac") from None
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
    # Delivery refuses a topic or id that does not fit the inbox and a time without a zone (400).
    return Delivery(topic=topic, delivery_id=delivery_id, body=request.body, triggered_at=triggered_at)


def _signed(body: bytes, given: str, *secrets: str | None) -> bool:
    """Shopify's signature (base64 HMAC-SHA256 of the raw body), for the one body shopifyapp cannot
    read; everything else is checked by shopifyapp itself."""
    for secret in filter(None, secrets):
        expected = base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()
        if hmac.compare_digest(expected, given.strip()):
            return True
    return False
