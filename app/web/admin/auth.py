"""Merchant sign-in for pages outside a platform's admin: a signed link, used once, starts a session.

The link carries the store id and a one-time value, signed with the app's secret key for this one
purpose, so it cannot be forged or reused for anything else; it stops working after
``admin_link_max_age_seconds``, and after its first use (the value is recorded, hashed, under a unique
constraint, so two browsers racing with one link cannot both get in). Using it starts a session: a
row in ``admin_sessions`` whose random key only the session cookie holds. Signing out ends that row,
"sign out everywhere" ends every row of the store, and a cookie whose row has ended opens nothing; a
session lasts Flask's ``PERMANENT_SESSION_LIFETIME`` (31 days) from sign-in at most, however the
cookie was kept. The cookie is HttpOnly, SameSite=Lax, Secure in production.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from flask import abort, current_app, g, request, session
from flask_wtf.csrf import CSRFError, validate_csrf
from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session
from wtforms.validators import ValidationError

from app import clock, signing
from app.config import Settings
from app.db import affected, insert_ignore
from app.models import AdminSession, SignInLinkUse, Store, is_id

PURPOSE = "admin-login"
SESSION_KEY = "session_key"
ENDED_KEPT = timedelta(days=30)  # ended sessions are kept a while, then pruned at a sign-in


class LinkInvalid(Exception):
    """The link was tampered with, made for another purpose, has expired or was used already."""


def login_token(settings: Settings, store_id: int) -> str:
    return signing.dumps(settings.secret_key, PURPOSE, {"store": store_id, "once": secrets.token_urlsafe(18)})


def login_url(settings: Settings, store_id: int) -> str:
    return f"{settings.public_url.rstrip('/')}/admin/login?token={login_token(settings, store_id)}"


def use_link(db: Session, settings: Settings, token: str) -> int:
    """The store a sign-in link is for, recording that it has now been used. Raises LinkInvalid."""
    try:
        data = signing.loads(settings.secret_key, PURPOSE, token, settings.admin_link_max_age_seconds)
    except signing.TokenInvalid as exc:
        expired = "expired" in str(exc)
        raise LinkInvalid(f"this sign-in link {'has expired' if expired else 'is not valid'}") from exc
    if not isinstance(data, dict) or not is_id(data.get("store")) or not data.get("once"):
        raise LinkInvalid("this sign-in link is not valid")
    store_id = data["store"]
    if db.get(Store, store_id) is None:
        raise LinkInvalid("this sign-in link is for a store that is no longer connected")
    now = clock.now()
    db.execute(delete(SignInLinkUse).where(SignInLinkUse.expires_at < now))
    first = insert_ignore(
        db,
        SignInLinkUse,
        {
            "store_id": store_id,
            "nonce_hash": _hash(str(data["once"])),
            "used_at": now,
            "expires_at": now + timedelta(seconds=settings.admin_link_max_age_seconds),
        },
    )
    if not first:
        raise LinkInvalid(
            "this sign-in link has been used already; each link signs in once. Ask for a new one at "
            "/admin/signin"
        )
    return store_id


def start_session(db: Session, store_id: int) -> None:
    """Sign this browser in to ``store_id`` with a session of its own (any earlier one is dropped)."""
    key = secrets.token_urlsafe(32)
    db.add(AdminSession(store_id=store_id, key_hash=_hash(key), created_at=clock.now()))
    stale = clock.now() - ENDED_KEPT
    db.execute(
        delete(AdminSession).where(
            AdminSession.store_id == store_id,
            or_(AdminSession.ended_at < stale, AdminSession.created_at < stale - _lifetime()),
        )
    )
    session.clear()
    session["store_id"], session[SESSION_KEY] = store_id, key


def session_store_id(db: Session) -> int | None:
    """The store whose live session this browser's cookie holds, or None (a stale cookie is cleared)."""
    store_id, key = session.get("store_id"), session.get(SESSION_KEY)
    if not is_id(store_id) or not isinstance(key, str):
        return None
    live = db.scalar(
        select(AdminSession.id).where(
            AdminSession.store_id == store_id,
            AdminSession.key_hash == _hash(key),
            AdminSession.ended_at.is_(None),
            AdminSession.created_at > clock.now() - _lifetime(),
        )
    )
    if live is None:
        session.clear()
        return None
    return store_id


def end_session(db: Session) -> None:
    """Sign this browser out: its session row ends, so a copy of the cookie opens nothing either."""
    key = session.get(SESSION_KEY)
    if isinstance(key, str):
        db.execute(
            update(AdminSession)
            .where(AdminSession.key_hash == _hash(key), AdminSession.ended_at.is_(None))
            .values(ended_at=clock.now())
        )
    session.clear()


def end_every_session(db: Session, store_id: int) -> int:
    """Sign every browser out of ``store_id``'s pages; how many sessions ended."""
    ended = db.execute(
        update(AdminSession)
        .where(AdminSession.store_id == store_id, AdminSession.ended_at.is_(None))
        .values(ended_at=clock.now())
    )
    session.clear()
    return affected(ended)


def _lifetime() -> timedelta:
    return current_app.permanent_session_lifetime


def _hash(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


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
