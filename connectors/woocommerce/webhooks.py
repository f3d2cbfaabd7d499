"""How a WooCommerce store signs and identifies its webhook deliveries.

WooCommerce (``WC_Webhook::deliver``) sends ``X-WC-Webhook-Signature`` = base64(HMAC-SHA256(raw body,
secret)), names itself in ``X-WC-Webhook-Source`` (the site URL with a trailing slash) and gives each
delivery an ``X-WC-Webhook-Delivery-ID``. The body escapes non-ASCII as ``\\uXXXX``, so the signature
is checked on the bytes received, never on re-serialised JSON.

When a webhook is created WooCommerce first posts an unsigned form (``webhook_id=N``) and disables the
webhook unless it gets a 2xx back: that ping is answered and not stored.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from urllib.parse import urlsplit

from connectors.base import Delivery, PayloadError, SignatureError, WebhookRequest

SOURCE_HEADER = "X-WC-Webhook-Source"
TOPIC_HEADER = "X-WC-Webhook-Topic"
SIGNATURE_HEADER = "X-WC-Webhook-Signature"
DELIVERY_HEADER = "X-WC-Webhook-Delivery-ID"
WEBHOOK_ID_HEADER = "X-WC-Webhook-ID"

_PING = re.compile(rb"webhook_id=\d+")


def sign(body: bytes, secret: str) -> str:
    """The signature WooCommerce puts on ``body`` (``WC_Webhook::generate_signature``)."""
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def site_id(url: str) -> str:
    """A store's identity: its site URL, lower-cased scheme and host, no trailing slash.

    Raises PayloadError for anything that is not an absolute http(s) URL."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port  # raises ValueError for "host:notaport"
    except ValueError as exc:
        raise PayloadError(f"not a site URL: {url!r}") from exc
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise PayloadError(f"not a site URL: {url!r}")
    host = parts.hostname.lower()
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    netloc = f"{host}:{port}" if port else host
    return f"{parts.scheme.lower()}://{netloc}{parts.path.rstrip('/')}"


def is_ping(request: WebhookRequest) -> bool:
    """The unsigned ``webhook_id=N`` form WooCommerce sends when a webhook is created."""
    return (
        request.content_type == "application/x-www-form-urlencoded"
        and SIGNATURE_HEADER not in request.headers
        and _PING.fullmatch(request.body.strip()) is not None
    )


def store_ref(request: WebhookRequest) -> str:
    source = request.headers.get(SOURCE_HEADER, "").strip()
    if not source:
        raise PayloadError(f"missing {SOURCE_HEADER} header")
    return site_id(source)


def verify(request: WebhookRequest, secret: str | None) -> Delivery:
    """Check the HMAC over the raw bytes, then read the delivery headers."""
    given = request.headers.get(SIGNATURE_HEADER, "").strip()
    if not secret or not given or not hmac.compare_digest(sign(request.body, secret), given):
        raise SignatureError("X-WC-Webhook-Signature does not match the body")
    topic = request.headers.get(TOPIC_HEADER, "").strip()
    delivery_id = request.headers.get(DELIVERY_HEADER, "").strip()
    if not topic or not delivery_id:
        raise PayloadError(f"missing {TOPIC_HEADER} or {DELIVERY_HEADER} header")
    # WooCommerce sends no trigger time; the payload's date_modified_gmt orders deliveries instead.
    return Delivery(topic=topic, delivery_id=delivery_id, body=request.body)
