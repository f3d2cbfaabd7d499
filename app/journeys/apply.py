"""Apply a merchant's new journey settings to what is already planned, and say what changed.

Every order with a message still open is planned again, and so is every order placed within
``schedule.RELATED_ORDERS_DAYS`` (a step the merchant just switched on may now be due for it). The
settings page then tells the merchant how many scheduled messages moved, how many were cancelled and
how many were newly planned, as the issue asks ("the page says how many").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from app import clock
from app.journeys import schedule
from app.journeys.config import JourneyConfig
from app.models import Message, Order, Store

OPEN = schedule.OPEN


@dataclass(frozen=True)
class Applied:
    moved: int
    cancelled: int
    scheduled: int


def _open(session: Session, store: Store) -> dict[int, datetime]:
    rows = session.execute(
        select(Message.id, Message.send_at).where(Message.store_id == store.id, Message.status.in_(OPEN))
    )
    return dict(rows.all())


def replan(session: Session, store: Store) -> Applied:
    """Plan the store's open and recent orders again; what moved, was cancelled or newly planned."""
    before = _open(session, store)
    since = clock.now() - timedelta(days=schedule.RELATED_ORDERS_DAYS)
    has_open = select(Message.order_id).where(Message.store_id == store.id, Message.status.in_(OPEN))
    orders = session.scalars(
        select(Order)
        .where(Order.store_id == store.id, or_(Order.id.in_(has_open), Order.placed_at >= since))
        .order_by(Order.placed_at, Order.id)
    ).all()
    for order in orders:
        schedule.refresh_order(session, store, order)
    session.flush()
    after = _open(session, store)
    return Applied(
        moved=sum(1 for key, at in before.items() if key in after and after[key] != at),
        cancelled=sum(1 for key in before if key not in after),
        scheduled=sum(1 for key in after if key not in before),
    )


def apply(session: Session, store: Store, config: JourneyConfig) -> Applied:
    store.journey = config.model_dump_json(exclude_defaults=True)
    session.flush()
    return replan(session, store)
