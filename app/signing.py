"""Signed, expiring tokens for links we hand out (merchant sign-in, customer one-click answers).

One serializer per purpose (the salt), so a token made for one link cannot open another. Tokens age
by app.clock, so expiry follows the same "now" as everything else.
"""

from __future__ import annotations

import functools
from typing import Any

from itsdangerous import BadSignature, SignatureExpired, TimestampSigner, URLSafeTimedSerializer

from app import clock


class TokenInvalid(Exception):
    """Tampered with, made for another purpose, or expired; the message says which, for a person."""


class _ClockSigner(TimestampSigner):
    def get_timestamp(self) -> int:
        return int(clock.now().timestamp())


@functools.lru_cache(maxsize=64)
def _serializer(secret: str, purpose: str) -> URLSafeTimedSerializer:
    """Kept per secret and purpose: a message signs a dozen links, a batch hundreds of messages."""
    return URLSafeTimedSerializer(secret, salt=f"aftercare.{purpose}", signer=_ClockSigner)


def dumps(secret: str, purpose: str, payload: Any) -> str:
    return _serializer(secret, purpose).dumps(payload)


def loads(secret: str, purpose: str, token: str, max_age_seconds: int) -> Any:
    serializer = _serializer(secret, purpose)
    try:
        return serializer.loads(token, max_age=max_age_seconds)
    except SignatureExpired as exc:
        raise TokenInvalid("this link has expired") from exc
    except BadSignature as exc:
        raise TokenInvalid("this link is not valid") from exc
