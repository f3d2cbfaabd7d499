"""The operator's own billing hook, for platforms without a billing API (WooCommerce, the sandbox).

Each change of plan is POSTed as JSON to ``billing_hook_url``::

    {"event": "subscribe" | "cancel" | "status", "store": {"id", "platform", "external_id", "name"},
     "plan": {"key", "title", "price", "currency", "monthly_messages", "trial_days"},
     "return_url": "...", "test": true}

signed as the webhook channel signs (``X-Aftercare-Timestamp``, ``X-Aftercare-Signature: sha256=``
HMAC-SHA256 of ``"<timestamp>.<body>"``). The operator answers ``{"status": "active" | "pending" |
"declined" | "cancelled", "ref": "...", "confirmation_url": "..."}``; ``pending`` sends the merchant to
``confirmation_url`` to pay, and they come back to ``return_url``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from dataclasses import dataclass
from typing import Any

import httpx

TIMEOUT_SECONDS = 10.0
STATUSES = frozenset({"active", "pending", "declined", "cancelled"})


class HookError(Exception):
    """The hook could not be reached or answered something else than the contract says."""


@dataclass(frozen=True)
class HookAnswer:
    status: str
    ref: str | None
    confirmation_url: str | None


def sign(secret: str, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def post(url: str, secret: str, payload: dict[str, Any], client: httpx.Client | None = None) -> HookAnswer:
    body = json.dumps(payload, separators=(",", ":"), sort_keys=True).encode()
    timestamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/json",
        "X-Aftercare-Timestamp": timestamp,
        "X-Aftercare-Signature": sign(secret, timestamp, body),
    }
    try:
        if client is not None:
            response = client.post(url, content=body, headers=headers, timeout=TIMEOUT_SECONDS)
        else:
            with httpx.Client(trust_env=False, follow_redirects=False) as own:
                response = own.post(url, content=body, headers=headers, timeout=TIMEOUT_SECONDS)
    except httpx.HTTPError as exc:
        raise HookError(f"the billing hook could not be reached ({type(exc).__name__})") from exc
    if response.status_code // 100 != 2:
        raise HookError(f"the billing hook answered {response.status_code}")
    try:
        answer = response.json()
    except ValueError as exc:
        raise HookError("the billing hook's answer is not JSON") from exc
    status = answer.get("status") if isinstance(answer, dict) else None
    if status not in STATUSES:
        raise HookError(f"the billing hook answered an unknown status {status!r}")
    url_back = answer.get("confirmation_url")
    if status == "pending" and not (
        isinstance(url_back, str) and url_back.startswith(("https://", "http://"))
    ):
        raise HookError("the billing hook answered pending without a confirmation_url")
    ref = answer.get("ref")
    return HookAnswer(
        status, str(ref) if ref is not None else None, url_back if status == "pending" else None
    )
