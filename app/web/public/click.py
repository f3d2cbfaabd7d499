"""Tracked links: ``/r/<token>`` (email) and ``/s/<code>`` (SMS, WhatsApp) record the click and send
the customer on to the link's address.

The address is inside the signed token, so a token cannot be edited to send anyone elsewhere (no open
redirect); a tampered or expired one answers 400 and records nothing. Mail scanners that open links
count as clicks too: attribution windows (issue 7) look at orders placed after a click, which a
scanner never places.
"""

from __future__ import annotations

from flask import Blueprint, abort, redirect
from sqlalchemy import select
from werkzeug.wrappers import Response

from app import signing
from app.links import Links
from app.models import Click, Message, ShortLink, Store
from app.web import current_services

bp = Blueprint("click", __name__)


@bp.get("/r/<token>")
def follow(token: str) -> Response:
    try:
        store_id, message_id, url = Links(current_services().settings).read_tracked(token)
    except signing.TokenInvalid as exc:
        abort(400, description=f"Sorry, {exc}.")
    with current_services().db.session() as session:
        message = session.get(Message, message_id)
        if session.get(Store, store_id) is not None:
            known = message is not None and message.store_id == store_id
            session.add(Click(store_id=store_id, message_id=message_id if known else None, url=url))
    return _onwards(url)


@bp.get("/s/<code>")
def follow_short(code: str) -> Response:
    """A short link from an SMS or WhatsApp message: recorded like any click, except our own pages
    (the stop link), which are not the customer's interest in the store."""
    services = current_services()
    with services.db.session() as session:
        link = session.scalars(select(ShortLink).where(ShortLink.code == code[:16])).first()
        if link is None:
            abort(404, description="Sorry, this link is not valid.")
        url = link.url
        if not url.startswith(services.settings.public_url.rstrip("/") + "/"):
            session.add(Click(store_id=link.store_id, message_id=link.message_id, url=url))
    return _onwards(url)


def _onwards(url: str) -> Response:
    response = redirect(url, code=302)
    response.headers["Referrer-Policy"] = "no-referrer"  # the token stays ours
    response.headers["Cache-Control"] = "no-store"
    return response
