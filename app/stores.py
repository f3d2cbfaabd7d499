"""A store's lifecycle as it affects sending: pause, resume, uninstall.

Pausing keeps every scheduled message (the dispatcher does not claim a paused store's rows) so that
resuming sends what is due; uninstalling stops everything at once and says why on every message.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.journeys import schedule
from app.models import Message, MessageStatus, Store, StoreStatus

OPEN = (MessageStatus.SCHEDULED, MessageStatus.HELD, MessageStatus.SENDING)


def pause(session: Session, store: Store) -> None:
    if store.status == StoreStatus.ACTIVE:
        store.status = StoreStatus.PAUSED


def resume(session: Session, store: Store) -> None:
    if store.status == StoreStatus.PAUSED:
        store.status = StoreStatus.ACTIVE


def uninstall(session: Session, store: Store) -> int:
    """Stop all sending for the store now; returns how many messages were cancelled."""
    store.status = StoreStatus.UNINSTALLED
    messages = session.scalars(
        select(Message).where(Message.store_id == store.id, Message.status.in_(OPEN)).with_for_update()
    ).all()
    for message in messages:
        schedule.cancel(session, message, "the store uninstalled Aftercare")
    return len(messages)
