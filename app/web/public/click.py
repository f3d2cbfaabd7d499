"""Tracked links: ``/r/<token>`` records the click and sends the customer on to the link's address.

The address is inside the signed token, so a token cannot be edited to send anyone elsewhere (no open
redirect); a tampered or expired one answers 400 and records nothing. Mail scanners that open links
count as clicks too: attribution windows (issue 7) look at orders placed after a click, which a
scanner never places.
"""

from __future__ import annotations

from flask import Blueprint, abort, redirect
from werkzeug.wrappers import Response

from app import signing
from app.links import Links
from app.models import Click, Message, Store
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
    response = redirect(url, code=302)
    response.headers["Referrer-Policy"] = "no-referrer"  # the token stays ours
    response.headers["Cache-Control"] = "no-store"
    return response
