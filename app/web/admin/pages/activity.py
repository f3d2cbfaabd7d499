"""Activity: the messages waiting to go (send now, cancel) and the latest sends; pause and resume."""

from __future__ import annotations

from flask import abort
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from app import outbox, stores
from app.journeys.reasons import Reason
from app.models import Message, MessageStatus, Order, Store
from app.web import current_services
from app.web.admin import auth, view
from app.web.admin.pages.common import bp, done, signed_in_store

UPCOMING = 50
RECENT = 50


@bp.get("/activity")
def activity() -> str:
    with current_services().db.session() as db:
        store = signed_in_store(db)
        upcoming = db.scalars(
            select(Message)
            .where(
                Message.store_id == store.id,
                Message.status.in_((MessageStatus.SCHEDULED, MessageStatus.HELD)),
            )
            .order_by(Message.send_at, Message.id)
            .limit(UPCOMING)
        ).all()
        recent = db.scalars(
            select(Message)
            .where(
                Message.store_id == store.id, Message.status.in_((MessageStatus.SENT, MessageStatus.FAILED))
            )
            .order_by(Message.updated_at.desc(), Message.id.desc())
            .limit(RECENT)
        ).all()
        order_ids = sorted({m.order_id for m in [*upcoming, *recent] if m.order_id is not None})
        numbers = dict(
            db.execute(
                select(Order.id, Order.number).where(Order.store_id == store.id, Order.id.in_(order_ids))
            ).all()
        )
        return view.page("admin/activity.html", store, upcoming=upcoming, recent=recent, numbers=numbers)


def _open_message(db: Session, store: Store, message_id: int) -> Message:
    message = db.scalars(
        select(Message).where(
            Message.store_id == store.id,
            Message.id == message_id,
            Message.status.in_((MessageStatus.SCHEDULED, MessageStatus.HELD)),
        )
    ).first()
    if message is None:
        abort(404, description="That message is no longer waiting to be sent.")
    return message


@bp.post("/messages/<int:message_id>/cancel")
def cancel_message(message_id: int) -> Response:
    auth.require_csrf()
    with current_services().db.session() as db:
        store = signed_in_store(db)
        message = _open_message(db, store, message_id)
        outbox.cancel(db, message, Reason.of("merchant_cancelled"))
        said = view.translator(store)("The message was cancelled.")
    return done(said, "pages.activity")


@bp.post("/messages/<int:message_id>/send-now")
def send_now(message_id: int) -> Response:
    """Due at once, outside the send window and the frequency cap; the planner still stops it if the
    order was cancelled or the customer unsubscribed in the meantime."""
    auth.require_csrf()
    with current_services().db.session() as db:
        store = signed_in_store(db)
        message = _open_message(db, store, message_id)
        outbox.send_now(db, message)
        said = view.translator(store)("The message goes out within a minute.")
    return done(said, "pages.activity")


@bp.post("/pause")
def pause() -> Response:
    auth.require_csrf()
    with current_services().db.session() as db:
        store = signed_in_store(db)
        stores.pause(db, store)
        said = view.translator(store)("Sending is paused. Messages wait until you resume.")
    return done(said, "pages.activity")


@bp.post("/resume")
def resume() -> Response:
    auth.require_csrf()
    with current_services().db.session() as db:
        store = signed_in_store(db)
        stores.resume(db, store)
        said = view.translator(store)("Sending resumed.")
    return done(said, "pages.activity")
