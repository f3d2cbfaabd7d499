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
_LABEL = re.compile(r"[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?", re.IGNORECASE)
SITE_MAX = 255  # Store.external_id


def sign(body: bytes, secret: str) -> str:
    """The signature WooCommerce puts on ``body`` (``WC_Webhook::generate_signature``)."""
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def site_id(url: str) -> str:
    """A store's identity: its site URL, lower-cased scheme and host, no trailing slash.

    Raises PayloadError for anything that is not an absolute http(s) URL of a host that can exist
    (DNS labels of at most 63 characters, 253 in all; HTTP libraries crash on longer ones), or that
    does not fit the store's column."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port  # raises ValueError for "host:notaport"
    except ValueError as exc:
        raise PayloadError(f"not a site URL: {url[:100]!r}") from exc
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise PayloadError(f"not a site URL: {url[:100]!r}")
    host = parts.hostname.lower()
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    elif not _host_name(host):
        raise PayloadError(f"not a host name: {host[:100]!r}")
    netloc = f"{host}:{port}" if port else host
    site = f"{parts.scheme.lower()}://{netloc}{parts.path.rstrip('/')}"
    if len(site) > SITE_MAX or not site.isprintable():
        raise PayloadError(f"not a usable site URL: {site[:100]!r}")
    return site


def _host_name(host: str) -> bool:
    try:
        ascii_host = host.encode("idna").decode("ascii")  # an Arabic domain becomes xn--...
    except UnicodeError:  # a label over 63 characters, or an empty one
        return False
    return len(ascii_host) <= 253 and all(_LABEL.fullmatch(label) for label in ascii_host.split("."))


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
    signed = bool(secret) and given.isascii() and hmac.compare_digest(sign(request.body, secret or ""), given)
    if not given or not signed:  # (compare_digest raises on a non-ASCII header: refused first)
        raise SignatureError("X-WC-Webhook-Signature does not match the body")
    topic = request.headers.get(TOPIC_HEADER, "").strip()
    delivery_id = request.headers.get(DELIVERY_HEADER, "").strip()
    if not topic or not delivery_id:
        raise PayloadError(f"missing {TOPIC_HEADER} or {DELIVERY_HEADER} header")
    # WooCommerce sends no trigger time; the payload's date_modified_gmt orders deliveries instead.
    return Delivery(topic=topic, delivery_id=delivery_id, body=request.body)
