"""Apply a merchant's new journey settings to what is already planned, and say what changed.

Every order with a message still open is planned again, and so is every order placed within
``reconcile.RELATED_ORDERS_DAYS`` (a step the merchant just switched on may now be due for it). The
settings page then tells the merchant how many scheduled messages moved, how many were cancelled and
how many were newly planned, as the issue asks ("the page says how many").

Re-planning reads the orders' state set-based, a chunk at a time (``reconcile.refresh``;
``python -m bench.settings`` and ``bench.replan`` measure it); a store with more than ``sync_limit``
orders to re-plan would still keep the merchant waiting past a request's timeout: there the settings
are saved at once, the worker re-plans (``replan_requested``), and the page shows the counts when it
is done.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from app import clock, db
from app.journeys import reconcile
from app.journeys.config import JourneyConfig
from app.models import Message, Order, Store

OPEN = reconcile.OPEN
CHUNK = 500  # orders planned per set-based read


@dataclass(frozen=True)
class Applied:
    moved: int
    cancelled: int
    scheduled: int


def live_orders(store: Store, since: datetime) -> Select[Order]:
    """The store's orders that can still have something to plan: placed since ``since``, or holding
    a message not yet sent."""
    has_open = select(Message.order_id).where(Message.store_id == store.id, Message.status.in_(OPEN))
    return select(Order).where(
        Order.store_id == store.id, or_(Order.id.in_(has_open), Order.placed_at >= since)
    )


def _recent() -> datetime:
    return clock.now() - timedelta(days=reconcile.RELATED_ORDERS_DAYS)


def _open(session: Session, store: Store) -> dict[int, datetime]:
    """Every open message's time; read past the ORM (a row each of thousands), so flush first."""
    session.flush()
    rows = session.connection().execute(
        select(Message.id, Message.send_at).where(Message.store_id == store.id, Message.status.in_(OPEN))
    )
    return {message_id: send_at for message_id, send_at in rows.all()}


def replan(session: Session, store: Store) -> Applied:
    """Plan the store's open and recent orders again; what moved, was cancelled or newly planned."""
    before = _open(session, store)
    replan_all(session, store, _recent())
    session.flush()
    after = _open(session, store)
    return Applied(
        moved=sum(1 for key, at in before.items() if key in after and after[key] != at),
        cancelled=sum(1 for key in before if key not in after),
        scheduled=sum(1 for key in after if key not in before),
    )


def replan_all(session: Session, store: Store, since: datetime) -> int:
    """Plan every live order of the store again (``live_orders``), a chunk at a time, in time order;
    returns how many."""
    query = live_orders(store, since).with_only_columns(Order.id).order_by(Order.placed_at, Order.id)
    ordered = list(session.scalars(query))
    statistics = db.Statistics(session, Message.__tablename__)
    for start in range(0, len(ordered), CHUNK):
        chunk = reconcile.orders_of(session, store, ordered[start : start + CHUNK])
        planned = reconcile.refresh(session, store, chunk)
        session.flush()
        statistics.wrote(planned)  # the next chunks read the messages table: its statistics kept up
    return len(ordered)


def apply(session: Session, store: Store, config: JourneyConfig, sync_limit: int) -> Applied | None:
    """Save ``config`` and re-plan now (what changed), or, past ``sync_limit`` orders, ask the worker
    to (None)."""
    store.journey = config.model_dump_json(exclude_defaults=True)
    session.flush()
    count = session.scalar(select(func.count()).select_from(live_orders(store, _recent()).subquery())) or 0
    if count > sync_limit:
        store.replan_requested_at = clock.now()
        return None
    return replan(session, store)


def replan_requested(session: Session, store: Store) -> Applied | None:
    """The worker's half: re-plan a store whose settings changed, and keep the counts for the page."""
    requested = store.replan_requested_at
    if requested is None:
        return None
    applied = replan(session, store)
    if store.replan_requested_at == requested:  # a newer save asks again; leave its request in place
        store.replan_requested_at = None
    store.replan_result = json.dumps({**asdict(applied), "at": clock.now().isoformat()})
    return applied


def last_result(store: Store) -> dict[str, Any] | None:
    """What the worker's last re-plan changed, for the settings page."""
    if not store.replan_result:
        return None
    try:
        found = json.loads(store.replan_result)
    except ValueError:
        return None
    return found if isinstance(found, dict) else None
