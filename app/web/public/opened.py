"""The open pixel: ``/o/<token>.gif`` records the first time a message was opened and answers a
transparent 1x1 GIF. Only stores that turned ``open_pixel`` on send it; a bad token gets the same
image (a broken image in a customer's mail helps nobody) and records nothing."""

from __future__ import annotations

import base64

from flask import Blueprint
from sqlalchemy import update
from werkzeug.wrappers import Response

from app import clock, signing
from app.links import Links
from app.models import Message
from app.web import current_services

bp = Blueprint("opened", __name__)
GIF = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")


@bp.get("/o/<token>.gif")
def pixel(token: str) -> Response:
    try:
        store_id, message_id = Links(current_services().settings).read_opened(token)
    except signing.TokenInvalid:
        pass
    else:
        with current_services().db.session() as session:
            session.execute(
                update(Message)
                .where(Message.id == message_id, Message.store_id == store_id, Message.opened_at.is_(None))
                .values(opened_at=clock.now())
            )
    response = Response(GIF, mimetype="image/gif")
    response.headers["Cache-Control"] = "no-store, max-age=0"
    return response
