"""How Shopify signs and identifies its webhook deliveries.

One app-wide secret signs every delivery (``X-Shopify-Hmac-Sha256``: the base64 HMAC-SHA256 of the raw
body, as Shopify documents it); during a secret rotation the old one is still accepted. The check is
``hmac.compare_digest`` over that digest, which is what ``shopifyapp``'s ``verify_webhook_req`` does
too; that function also parses and re-serialises the whole body to redact its log, which doubled the
cost of answering a webhook, so the hot path does without it (the App Home and token exchange still
go through ``shopifyapp``). ``X-Shopify-Event-Id`` is the same on every retry of
one event, so it is the key duplicates are dropped by; ``X-Shopify-Triggered-At`` orders deliveries.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from datetime import datetime

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
        request.body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SignatureError("the body is not UTF-8, so it was not signed by Shopify") from exc
    if not request.headers.get(HMAC_HEADER, "").isascii():  # base64 is ASCII
        raise SignatureError(f"{HMAC_HEADER} is not a base64 signature")
    if not _signed(request.body, request.headers.get(HMAC_HEADER, ""), client_secret, old_client_secret):
        raise SignatureError("Shopify webhook not verified: invalid_hmac")
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
    """Shopify's signature: base64 HMAC-SHA256 of the raw body with the app's secret (or the old one
    during a rotation), compared in constant time."""
    for secret in filter(None, secrets):
        expected = base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()
        if hmac.compare_digest(expected, given.strip()):
            return True
    return False
