"""The periodic jobs the worker runs. Each is a plain function of the app's services."""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import select

from app import Services, clock, inbox
from app.journeys import schedule
from app.links import Links
from app.models import Message, MessageStatus, Order, Store, StoreStatus
from scheduler import leases
from scheduler.channels import build as build_channels
from scheduler.dispatch import Dispatcher, Outcome

log = logging.getLogger(__name__)


def make_dispatcher(services: Services, worker_id: str) -> Dispatcher:
    settings = services.settings
    return Dispatcher(
        services.db,
        build_channels(settings),
        worker_id,
        Links(settings),
        batch_size=settings.dispatch_batch_size,
        lease_seconds=settings.dispatch_lease_seconds,
        max_attempts=settings.dispatch_max_attempts,
    )


def dispatch(dispatcher: Dispatcher) -> None:
    """Send everything that is due."""
    outcomes = dispatcher.run_until_idle()
    if outcomes:
        log.info(
            "dispatch: %s", ", ".join(f"{count} {outcome}" for outcome, count in sorted(outcomes.items()))
        )
    if outcomes.get(Outcome.LOST_LEASE):
        log.warning("dispatch: %d leases expired before the send was recorded", outcomes[Outcome.LOST_LEASE])


def retry_inbox(services: Services) -> None:
    """Process webhooks whose first processing failed."""
    done = inbox.process_pending(services.db, services.connectors)
    if done:
        log.info("inbox: processed %d delayed deliveries", done)


REPLAN_LEASE = timedelta(minutes=10)
REPLAN_HORIZON = timedelta(days=45)  # orders older than this have nothing left to plan but a win-back


def replan_stores(services: Services, holder: str) -> int:
    """Re-plan every active store's live orders, one store at a time under a per-store lease.

    Ingest re-plans an order when it changes; this catches what changes without an event: settings
    edited by the merchant, a customer's other orders, suppressions added by bounces."""
    with services.db.session() as session:
        store_ids = session.scalars(select(Store.id).where(Store.status == StoreStatus.ACTIVE)).all()
    done = 0
    for store_id in store_ids:
        if not leases.acquire(services.db, "replan", store_id, holder, REPLAN_LEASE):
            continue
        try:
            done += replan_store(services, store_id)
        finally:
            leases.release(services.db, "replan", store_id, holder)
    if done:
        log.info("replan: %d orders re-planned", done)
    return done


def replan_store(services: Services, store_id: int) -> int:
    since = clock.now() - REPLAN_HORIZON
    with services.db.session() as session:
        store = session.get(Store, store_id)
        if store is None:
            return 0
        open_orders = select(Message.order_id).where(
            Message.store_id == store_id, Message.status.in_([MessageStatus.SCHEDULED, MessageStatus.HELD])
        )
        orders = session.scalars(
            select(Order).where(
                Order.store_id == store_id, (Order.placed_at >= since) | Order.id.in_(open_orders)
            )
        ).all()
        for order in orders:
            schedule.refresh_order(session, store, order)
        return len(orders)
