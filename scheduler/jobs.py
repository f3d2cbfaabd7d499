"""The periodic jobs the worker runs. Each is a plain function of the app's services."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta
from typing import TypeVar

from sqlalchemy import select

from app import Services, clock, inbox, sync
from app.journeys import apply as journey_apply
from app.journeys import schedule
from app.links import Links
from app.models import Message, MessageStatus, Order, Store, StoreStatus
from scheduler import leases
from scheduler.channels import build as build_channels
from scheduler.dispatch import Dispatcher, Outcome

log = logging.getLogger(__name__)
T = TypeVar("T")


def make_dispatcher(services: Services, worker_id: str) -> Dispatcher:
    settings = services.settings
    return Dispatcher(
        services.db,
        build_channels(settings, services.connectors),
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
SYNC_LEASE = timedelta(minutes=15)


def replan_stores(services: Services, holder: str) -> int:
    """Re-plan every active store's live orders, one store at a time under a per-store lease.

    Ingest re-plans an order when it changes; this catches what changes without an event: settings
    edited by the merchant, a customer's other orders, suppressions added by bounces."""
    done = sum(_each_store(services, "replan", holder, REPLAN_LEASE, (StoreStatus.ACTIVE,), replan_store))
    if done:
        log.info("replan: %d orders re-planned", done)
    return done


def settings_replans(services: Services, holder: str) -> int:
    """Apply new journey settings to the scheduled messages of stores too large to re-plan inside the
    settings request (``journeys.apply``); under the same per-store lease as the periodic re-plan."""
    with services.db.session() as session:
        waiting = session.scalars(select(Store.id).where(Store.replan_requested_at.is_not(None))).all()
    done = 0
    for store_id in waiting:
        if not leases.acquire(services.db, "replan", store_id, holder, REPLAN_LEASE):
            continue
        try:
            with services.db.session() as session:
                store = session.get(Store, store_id)
                if store is not None and journey_apply.replan_requested(session, store) is not None:
                    done += 1
        except Exception:  # noqa: BLE001 - one store's failure must not stop the others
            log.exception("settings replan: store %s failed", store_id)
        finally:
            leases.release(services.db, "replan", store_id, holder)
    return done


def reconcile_stores(services: Services, holder: str) -> int:
    """Poll every store whose platform can lose webhooks; returns how many changes were applied."""
    results = _each_store(services, "reconcile", holder, SYNC_LEASE, sync.POLLED_STATUSES, sync.reconcile)
    return sum(result.changed for result in results)


def check_webhooks(services: Services, holder: str) -> int:
    """Re-create missing webhooks and re-enable disabled ones; returns how many stores were checked."""
    reports = _each_store(services, "webhooks", holder, SYNC_LEASE, sync.POLLED_STATUSES, sync.check_webhooks)
    return sum(report is not None for report in reports)


def _each_store(
    services: Services,
    job: str,
    holder: str,
    lease: timedelta,
    statuses: tuple[str, ...],
    work: Callable[[Services, int], T],
) -> list[T]:
    """Run ``work`` for each store in ``statuses`` that no other worker holds the ``job`` lease for."""
    with services.db.session() as session:
        store_ids = session.scalars(select(Store.id).where(Store.status.in_(statuses))).all()
    results = []
    for store_id in store_ids:
        if not leases.acquire(services.db, job, store_id, holder, lease):
            continue
        try:
            results.append(work(services, store_id))
        except Exception:  # noqa: BLE001 - one store's failure must not stop the others
            log.exception("%s: store %s failed", job, store_id)
        finally:
            leases.release(services.db, job, store_id, holder)
    return results


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
