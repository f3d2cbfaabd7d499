"""AfterShip's webhook: the body signed with the account's webhook secret, base64 HMAC-SHA256 in the
``aftership-hmac-sha256`` header (https://www.aftership.com/docs/tracking/webhook/webhook-signature).
The body is ``{"event": "tracking_update", "msg": <tracking>, "ts": ...}``."""

from __future__ import annotations

import base64
import hashlib
import hmac

import orjson

from connectors.base import Headers
from tracking.aftership import translate
from tracking.base import BadPayload, BadSignature, Pushed

HEADER = "aftership-hmac-sha256"
EVENTS = frozenset({"tracking_update", "edd_revise"})


def sign(secret: str, body: bytes) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def verify(secret: str, body: bytes, headers: Headers) -> Pushed:
    given = next((value for name, value in headers.items() if name.lower() == HEADER), "")
    if not secret or not given or not hmac.compare_digest(sign(secret, body), given.strip()):
        raise BadSignature("the aftership-hmac-sha256 signature does not match the body")
    try:
        payload = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise BadPayload("the body is not JSON") from exc
    if not isinstance(payload, dict):
        raise BadPayload("the body is not an AfterShip webhook")
    if payload.get("event") not in EVENTS:
        return Pushed()  # other events (a test ping, returns, ...) carry no scans for us
    return Pushed((translate.tracking(payload.get("msg")),))
