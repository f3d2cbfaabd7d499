"""How the sandbox store signs and identifies its webhook deliveries.

The scheme mirrors the real platforms on purpose (base64 HMAC-SHA256 of the raw body, a delivery id
that repeats on a re-delivery, a trigger time), so the demo exercises the same path and the same
failure modes as a real store.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import datetime

from connectors.base import Delivery, PayloadError, SignatureError, WebhookRequest

STORE_HEADER = "X-Sandbox-Store"
TOPIC_HEADER = "X-Sandbox-Topic"
DELIVERY_HEADER = "X-Sandbox-Delivery-Id"
TRIGGERED_HEADER = "X-Sandbox-Triggered-At"
SIGNATURE_HEADER = "X-Sandbox-Hmac-Sha256"


def sign(body: bytes, secret: str) -> str:
    """The signature a sandbox store puts on ``body``."""
    digest = hmac.new(secret.encode(), body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def store_ref(request: WebhookRequest) -> str:
    ref = request.headers.get(STORE_HEADER, "").strip()
    if not ref:
        raise PayloadError(f"missing {STORE_HEADER} header")
    return ref


def verify(request: WebhookRequest, secret: str | None) -> Delivery:
    """Check the HMAC over the raw bytes, then read the delivery headers."""
    given = request.headers.get(SIGNATURE_HEADER, "")
    if not secret or not given or not _same(sign(request.body, secret), given):
        raise SignatureError("signature does not match the body")
    topic = request.headers.get(TOPIC_HEADER, "").strip()
    delivery_id = request.headers.get(DELIVERY_HEADER, "").strip()
    if not topic or not delivery_id:
        raise PayloadError(f"missing {TOPIC_HEADER} or {DELIVERY_HEADER} header")
    triggered_at = None
    if raw := request.headers.get(TRIGGERED_HEADER):
        try:
            triggered_at = datetime.fromisoformat(raw)
        except ValueError as exc:
            raise PayloadError(f"{TRIGGERED_HEADER} is not an ISO 8601 time") from exc
    return Delivery(topic=topic, delivery_id=delivery_id, body=request.body, triggered_at=triggered_at)


def _same(expected: str, given: str) -> bool:
    """Constant-time comparison that also refuses a non-ASCII header (compare_digest raises on it)."""
    return given.isascii() and hmac.compare_digest(expected, given)
