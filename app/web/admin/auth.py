"""Merchant sign-in for pages outside a platform's admin: a signed, expiring link sets a session.

The link carries only the store id, signed with the app's secret key for this one purpose, so it
cannot be forged or reused for anything else, and stops working after
``admin_link_max_age_seconds``. The session cookie is HttpOnly, SameSite=Lax, Secure in production.
"""

from __future__ import annotations

from flask import abort, g, request
from flask_wtf.csrf import CSRFError, validate_csrf
from wtforms.validators import ValidationError

from app import signing
from app.config import Settings

PURPOSE = "admin-login"


class LinkInvalid(Exception):
    """The link was tampered with, made for another purpose, or has expired."""


def login_token(settings: Settings, store_id: int) -> str:
    return signing.dumps(settings.secret_key, PURPOSE, {"store": store_id})


def login_url(settings: Settings, store_id: int) -> str:
    return f"{settings.public_url.rstrip('/')}/admin/login?token={login_token(settings, store_id)}"


def store_from_token(settings: Settings, token: str) -> int:
    try:
        data = signing.loads(settings.secret_key, PURPOSE, token, settings.admin_link_max_age_seconds)
    except signing.TokenInvalid as exc:
        raise LinkInvalid(
            f"this sign-in link {'has expired' if 'expired' in str(exc) else 'is not valid'}"
        ) from exc
    if not isinstance(data, dict) or not isinstance(data.get("store"), int):
        raise LinkInvalid("this sign-in link is not valid")
    return data["store"]


def require_csrf() -> None:
    """A write from the merchant's pages carries the session's CSRF token (``X-CSRFToken``, given by
    ``/admin/api/session``, or the form's ``csrf_token``); anything else is refused with 400 before it
    changes anything. A request proved by an ID token in its Authorization header needs none: no
    other site can make a browser send that header."""
    from app.web.admin.routes import signed_in_store_id  # routes imports this module

    signed_in_store_id()  # who is asking decides whether a token is needed (and 401s a stranger first)
    if g.get("embedded"):
        return
    try:
        validate_csrf(request.headers.get("X-CSRFToken") or request.form.get("csrf_token", ""))
    except (ValidationError, CSRFError) as exc:
        abort(400, description=f"The page's security token is missing or stale ({exc}); reload the page.")
