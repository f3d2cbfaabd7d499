"""Merchant sign-in for pages outside a platform's admin: a signed, expiring link sets a session.

The link carries only the store id, signed with the app's secret key and a purpose-specific salt,
so it cannot be forged or reused for anything else, and stops working after
``admin_link_max_age_seconds``. The session cookie is HttpOnly, SameSite=Lax, Secure in production.
"""

from __future__ import annotations

from itsdangerous import BadSignature, SignatureExpired, TimestampSigner, URLSafeTimedSerializer

from app import clock
from app.config import Settings

SALT = "aftercare.admin-login"


class _ClockSigner(TimestampSigner):
    """Ages links by app.clock, so expiry follows the same "now" as everything else."""

    def get_timestamp(self) -> int:
        return int(clock.now().timestamp())


class LinkInvalid(Exception):
    """The link was tampered with, made for another purpose, or has expired."""


def _serializer(settings: Settings) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(settings.secret_key, salt=SALT, signer=_ClockSigner)


def login_token(settings: Settings, store_id: int) -> str:
    return _serializer(settings).dumps({"store": store_id})


def login_url(settings: Settings, store_id: int) -> str:
    return f"{settings.public_url.rstrip('/')}/admin/login?token={login_token(settings, store_id)}"


def store_from_token(settings: Settings, token: str) -> int:
    try:
        data = _serializer(settings).loads(token, max_age=settings.admin_link_max_age_seconds)
    except SignatureExpired as exc:
        raise LinkInvalid("this sign-in link has expired; ask for a new one") from exc
    except BadSignature as exc:
        raise LinkInvalid("this sign-in link is not valid") from exc
    if not isinstance(data, dict) or not isinstance(data.get("store"), int):
        raise LinkInvalid("this sign-in link is not valid")
    return data["store"]
