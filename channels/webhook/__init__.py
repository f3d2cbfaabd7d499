"""A signed POST to the store's own system, for stores that send through something of their own.

The body is JSON: the message (ids, step, kind, language), the recipient (email, phone, name), and
every rendered part (subject, HTML, text, short text). Headers:

- ``X-Aftercare-Timestamp``: seconds since the epoch when it was signed;
- ``X-Aftercare-Signature``: ``sha256=`` + hex HMAC-SHA256 of ``"<timestamp>.<body>"`` with the
  store's hook secret. Their side recomputes it (``sign`` below), compares in constant time, and
  refuses old timestamps, so a captured request cannot be replayed later;
- ``Idempotency-Key``: our Message-ID, the same on a retry, so their side can drop a duplicate.

2xx is delivered. 401/403 or an unreachable endpoint mean the store's channel is down (messages wait);
408, 429 and 5xx are retried; any other 4xx is a refusal of this message. In production the endpoint
must be a public https address: a hook pointed at our own network is refused when saved and again when
posted to, by the same check that guards every connection (``connectors.netguard``), and the post goes
to the address that was checked (no SSRF through us, no DNS rebinding).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import ClassVar
from urllib.parse import urlsplit

import requests
from pydantic import Field, ValidationInfo, field_validator

from app import clock
from channels.base import (
    ChannelDown,
    ChannelSettings,
    Outgoing,
    PermanentChannelError,
    Reach,
    StoreContext,
    TransientChannelError,
)
from connectors import netguard

TIMEOUT = (5, 15)
SIGNATURE_HEADER = "X-Aftercare-Signature"
TIMESTAMP_HEADER = "X-Aftercare-Timestamp"


def sign(secret: str, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def payload(outgoing: Outgoing) -> dict[str, object]:
    return {
        "id": outgoing.message_id,
        "step": outgoing.step,
        "kind": outgoing.kind,
        "locale": outgoing.locale,
        "order": outgoing.order_ref,
        "to": {"email": outgoing.to_address or None, "phone": outgoing.to_phone, "name": outgoing.to_name},
        "subject": outgoing.subject,
        "html": outgoing.html,
        "text": outgoing.text,
        "short": outgoing.short,
        "headers": dict(outgoing.headers),
    }


class WebhookSettings(ChannelSettings):
    url: str = Field(min_length=1, max_length=2048, title="Your sending endpoint (webhook)")
    secret: str = Field(
        min_length=1, max_length=256, title="Signing secret", json_schema_extra={"secret": True}
    )

    @field_validator("url")
    @classmethod
    def _address(cls, value: str, info: ValidationInfo) -> str:
        problem = address_problem(value, public_only=bool((info.context or {}).get("public_only")))
        if problem:
            raise ValueError(problem[0].upper() + problem[1:] + ".")
        return value


class WebhookChannel:
    name: ClassVar[str] = "webhook"
    title: ClassVar[str] = "Your own system (signed webhook)"
    reaches: ClassVar[Reach] = "email"
    Settings: ClassVar[type[ChannelSettings] | None] = WebhookSettings

    def __init__(self, *, public_only: bool) -> None:
        self.public_only = public_only
        self.session = netguard.session(public_only=public_only)

    @classmethod
    def configured(cls, store: StoreContext) -> bool:
        return store.of(cls.name, WebhookSettings) is not None

    def send(self, store: StoreContext, outgoing: Outgoing) -> str:
        hook = store.of(self.name, WebhookSettings)
        if hook is None:
            raise ChannelDown("the store has no sending endpoint set")
        problem = address_problem(hook.url, public_only=self.public_only)
        if problem:
            raise ChannelDown(problem)
        body = json.dumps(payload(outgoing), ensure_ascii=False).encode()
        timestamp = str(int(clock.now().timestamp()))
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            TIMESTAMP_HEADER: timestamp,
            SIGNATURE_HEADER: sign(hook.secret, timestamp, body),
            "Idempotency-Key": outgoing.message_id,
        }
        try:
            response = self.session.post(
                hook.url, data=body, headers=headers, timeout=TIMEOUT, allow_redirects=False
            )
        except netguard.AddressRefused as exc:
            raise ChannelDown(f"the store's endpoint was not used: {exc}") from exc
        except requests.RequestException as exc:
            raise ChannelDown(f"the store's endpoint could not be reached: {exc}") from exc
        said = f"the store's endpoint answered {response.status_code}"
        if 200 <= response.status_code < 300:
            return _their_id(response) or outgoing.message_id
        if response.status_code in (401, 403):
            raise ChannelDown(f"{said}: does it have the current secret?")
        if response.status_code in (408, 429) or response.status_code >= 500:
            raise TransientChannelError(said)
        raise PermanentChannelError(f"{said}: {response.text[:200]}")


def _their_id(response: requests.Response) -> str | None:
    try:
        data = response.json()
    except ValueError:
        return None
    value = data.get("id") if isinstance(data, dict) else None
    return str(value) if isinstance(value, str | int) else None


def address_problem(url: str, *, public_only: bool) -> str | None:
    """Why we will not post to ``url``, or None. With ``public_only`` it must be https and resolve only
    to public addresses (``connectors.netguard``: not our own network, not cloud metadata)."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return "the sending endpoint must be an http(s) address"
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "the sending endpoint must be an http(s) address"
    if not public_only:
        return None
    if parts.scheme != "https":
        return "the sending endpoint must use https"
    return netguard.check(parts.hostname, port or 443, public_only=True)
