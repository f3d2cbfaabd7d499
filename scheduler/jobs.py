"""The periodic jobs the worker runs. Each is a plain function of the app's services."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta
from typing import TypeVar

from sqlalchemy import ColumnElement, select

from app import Services, clock, inbox, ingest, sync, whatsapp_templates, writeback
from app.billing import providers
from app.journeys import apply as journey_apply
from app.links import Links
from app.models import ChannelSetting, Store, StoreStatus
from app.parcels import follow, stalls
from app.recommend import curation
from app.recommend import model as recommend_model
from app.reviews import publish as review_publish
from channels.registry import build as build_channels
from channels.whatsapp.templates import ContentApi
from scheduler import leases
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
        connectors=services.connectors,
        message_domain=settings.sending_domain or "aftercare.invalid",
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


def process_inbox(services: Services) -> None:
    """Apply received webhooks (and retry the ones that had to wait)."""
    done = inbox.drain(services.db, services.connectors)
    if done:
        log.info("inbox: applied %d deliveries", done)


def prune_inbox(services: Services) -> int:
    """Delete the applied deliveries older than ``inbox_keep_days``: the inbox does not grow forever."""
    gone = inbox.prune(services.db, timedelta(days=services.settings.inbox_keep_days))
    if gone:
        log.info("inbox: deleted %d applied deliveries", gone)
    return gone


REPLAN_LEASE = timedelta(minutes=10)
REPLAN_HORIZON = timedelta(days=45)  # orders older than this have nothing left to plan but a win-back
SYNC_LEASE = timedelta(minutes=15)
RECOMMEND_LEASE = timedelta(minutes=30)


def replan_stores(services: Services, holder: str) -> int:
    """Re-plan every active store's live orders, one store at a time under a per-store lease.

    Ingest re-plans an order when it changes; this catches what changes without an event: settings
    edited by the merchant, a customer's other orders, suppressions added by bounces."""
    done = sum(
        _each_store(
            services, "replan", holder, REPLAN_LEASE, Store.status == StoreStatus.ACTIVE, replan_store
        )
    )
    if done:
        log.info("replan: %d orders re-planned", done)
    return done


def settings_replans(services: Services, holder: str) -> int:
    """Apply new journey settings to the scheduled messages of stores too large to re-plan inside the
    settings request (``journeys.apply``); under the same per-store lease as the periodic re-plan."""
    waiting = Store.replan_requested_at.is_not(None)
    return sum(_each_store(services, "replan", holder, REPLAN_LEASE, waiting, _settings_replan))


def _settings_replan(services: Services, store_id: int) -> bool:
    with services.db.session() as session:
        store = session.get(Store, store_id)
        return store is not None and journey_apply.replan_requested(session, store) is not None


def reconcile_stores(services: Services, holder: str) -> int:
    """Poll every store whose platform can lose webhooks; returns how many changes were applied."""
    polled = Store.status.in_(sync.POLLED_STATUSES)
    results = _each_store(services, "reconcile", holder, SYNC_LEASE, polled, sync.reconcile)
    return sum(result.changed for result in results)


def check_webhooks(services: Services, holder: str) -> int:
    """Re-create missing webhooks and re-enable disabled ones; returns how many stores were checked."""
    polled = Store.status.in_(sync.POLLED_STATUSES)
    reports = _each_store(services, "webhooks", holder, SYNC_LEASE, polled, sync.check_webhooks)
    return sum(report is not None for report in reports)


def build_recommendations(services: Services, holder: str) -> int:
    """Build the recommendation model of every store whose model is older than
    ``recommend_rebuild_hours`` (and refresh the platform's curation); returns how many were built."""
    with services.db.session() as session:
        due = set(recommend_model.stale(session, timedelta(hours=services.settings.recommend_rebuild_hours)))
    live = Store.status.not_in([StoreStatus.UNINSTALLED]) & Store.id.in_(sorted(due) or [0])
    reports = _each_store(services, "recommend", holder, RECOMMEND_LEASE, live, build_recommendation)
    return sum(1 for report in reports if report)


def build_recommendation(services: Services, store_id: int) -> bool:
    with services.db.session() as session:
        store = session.get(Store, store_id)
        if store is None:
            return False
        record = recommend_model.build(session, store)
        connector = services.connectors.get(store.platform)
        record.curation_error = curation.refresh_complementary(session, store, connector, store.credentials)
        log.info(
            "recommend: store %s built from %s orders in %.1f s", store_id, record.orders, record.seconds
        )
        return True


TRACKING_LEASE = timedelta(minutes=15)


def follow_tracking(services: Services, holder: str) -> int:
    """Ask tracking sources about open parcels and report the silent ones as "no movement", each
    store under its own lease; returns how many parcels changed."""
    active = Store.status == StoreStatus.ACTIVE
    return sum(_each_store(services, "tracking", holder, TRACKING_LEASE, active, _follow_store))


def _follow_store(services: Services, store_id: int) -> int:
    results = follow.follow_store(services.db, store_id, services.settings.tracking_endpoints)
    with services.db.session() as session:
        store = session.get(Store, store_id)
        if store is None:
            return 0
        found = stalls.find(session, store, clock.now())
        ingest.replan(session, store, found)
    return sum(result.changed for result in [*results, *found])


def write_back_consent(services: Services, holder: str) -> int:
    """Tell stores that keep consent themselves (Shopify) of opt-ins and unsubscribes made with us."""
    with services.db.session() as session:
        waiting = writeback.pending_stores(session)
    if not waiting:
        return 0
    work = lambda aftercare, store_id: writeback.push(aftercare.db, aftercare.connectors, store_id)  # noqa: E731
    told = sum(_each_store(services, "consent", holder, SYNC_LEASE, Store.id.in_(waiting), work))
    if told:
        log.info("consent: %d choices written back to stores", told)
    return told


def sync_whatsapp_templates(services: Services, holder: str) -> int:
    """Create, submit and follow every WhatsApp-sending store's templates; how many stores were seen."""
    api = ContentApi(services.settings.twilio_content_url)
    with_whatsapp = Store.id.in_(select(ChannelSetting.store_id).where(ChannelSetting.channel == "whatsapp"))
    active = Store.status == StoreStatus.ACTIVE
    return len(
        _each_store(
            services,
            "whatsapp_templates",
            holder,
            SYNC_LEASE,
            active & with_whatsapp,
            lambda services, store_id: whatsapp_templates.sync(services.db, store_id, api),
        )
    )


def _each_store(
    services: Services,
    job: str,
    holder: str,
    lease: timedelta,
    which: ColumnElement[bool],
    work: Callable[[Services, int], T],
) -> list[T]:
    """Run ``work`` for each store matching ``which`` that no other worker holds the ``job`` lease for."""
    with services.db.session() as session:
        store_ids = session.scalars(select(Store.id).where(which)).all()
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


def publish_reviews(services: Services) -> None:
    """Keep the stores' reviews in step with moderation, and send earned thank-you codes."""
    done = review_publish.run(services)
    if done:
        log.info("reviews: %d published or withdrawn", done)


def import_reviews(services: Services, holder: str) -> int:
    """Read the reviews customers left on the stores themselves, so nobody is asked twice."""
    polled = Store.status == StoreStatus.ACTIVE
    return sum(
        _each_store(services, "reviews", holder, SYNC_LEASE, polled, review_publish.import_store_reviews)
    )


def end_departed_plans(services: Services, holder: str) -> int:
    """End the charges of stores that uninstalled or disconnected while on a paid plan (through
    Shopify, or the operator's billing hook for WooCommerce); returns how many were ended."""

    def end(services: Services, store_id: int) -> bool:
        return providers.end_departed(services.db, services.settings, services.connectors, store_id)

    which = providers.departed_on_a_plan()
    return sum(_each_store(services, "billing", holder, SYNC_LEASE, which, end))


def replan_store(services: Services, store_id: int) -> int:
    with services.db.session() as session:
        store = session.get(Store, store_id)
        if store is None:
            return 0
        return journey_apply.replan_all(session, store, clock.now() - REPLAN_HORIZON)
