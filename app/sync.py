"""Reconcile by polling: ask a store what changed since we last asked, and ingest it.

Webhooks are the fast path; this is the safety net for platforms that drop deliveries (WooCommerce
never retries one and folds quick updates together). The cursor is the store's own modification time
of the newest change fetched, moved only after a complete poll, and each poll starts a little before
it: times are kept to the second and ``modified_after`` is strict, so an order saved in the same
second as the cursor would otherwise be missed. Re-fetched orders change nothing (ingest is
idempotent), so the overlap costs a few reads and no messages.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from app import Services, clock, ingest, stores
from app.models import Store, StoreStatus
from connectors.base import RETRYABLE_ERRORS, AuthError, ConnectorError, PermissionRefused, Polling

log = logging.getLogger(__name__)

OVERLAP = timedelta(minutes=2)
POLLED_STATUSES = (StoreStatus.ACTIVE, StoreStatus.PAUSED)  # a paused store still tracks its orders


@dataclass(frozen=True)
class SyncResult:
    store_id: int
    fetched: int = 0
    changed: int = 0
    error: str | None = None


def delivery_url(services: Services, platform: str) -> str:
    return f"{services.settings.public_url.rstrip('/')}/webhooks/{platform}"


def reconcile(services: Services, store_id: int) -> SyncResult:
    """Fetch and ingest everything the store changed since the cursor; one transaction per change."""
    polled = _polled(services, store_id)
    if polled is None:
        return SyncResult(store_id)
    store, connector = polled
    started = clock.now()
    since = store.synced_until - OVERLAP if store.synced_until else started - _backfill(services)
    newest, fetched, changed = store.synced_until, 0, 0
    try:
        for change in connector.changes_since(store.credentials or "", since, _saver(services, store_id)):
            fetched += 1
            with services.db.session() as session:
                row = session.get(Store, store_id)
                assert row is not None  # noqa: S101 - loaded above; stores are never deleted mid-poll
                changed += sum(result.changed for result in ingest.apply_all(session, row, change.snapshots))
            newest = max(newest, change.modified_at) if newest else change.modified_at
    except AuthError as exc:
        _finish(services, store_id, None, f"the store refused our credentials: {exc}", disconnect=True)
        return SyncResult(store_id, fetched, changed, str(exc))
    except RETRYABLE_ERRORS as exc:
        _finish(services, store_id, None, f"the store could not answer: {exc}")
        return SyncResult(store_id, fetched, changed, str(exc))
    except ConnectorError as exc:  # an answer of the wrong shape: this store's problem, kept, not raised
        log.warning("reconcile store %s: %s", store_id, exc)
        _finish(services, store_id, None, f"the store answered something unreadable: {exc}")
        return SyncResult(store_id, fetched, changed, str(exc))
    _finish(services, store_id, newest, None)
    if changed:
        log.info("reconcile store %s: %d changes fetched, %d applied", store_id, fetched, changed)
    return SyncResult(store_id, fetched, changed)


def check_webhooks(services: Services, store_id: int) -> str | None:
    """Make sure the store's webhooks exist and are enabled; what was done, or None if not applicable
    or not possible now. Never raises for the store's own problem: keys that may no longer write put
    the store in "needs attention" (``stores.needs_attention``), refused ones disconnect it."""
    polled = _polled(services, store_id)
    if polled is None:
        return None
    store, connector = polled
    try:
        report = connector.ensure_webhooks(
            store.credentials or "", delivery_url(services, store.platform), store.webhook_secret or ""
        )
    except PermissionRefused as exc:
        log.warning("webhooks of store %s need the merchant: %s", store_id, exc)
        with services.db.session() as session:
            row = session.get(Store, store_id)
            if row is not None:
                stores.needs_attention(session, row, str(exc), exc.fix)
        return None
    except AuthError as exc:
        _finish(services, store_id, None, f"the store refused our credentials: {exc}", disconnect=True)
        return None
    except ConnectorError as exc:  # cannot answer now, or answered nonsense: try again next time
        log.warning("webhooks of store %s not checked: %s", store_id, exc)
        return None
    with services.db.session() as session:
        row = session.get(Store, store_id)
        if row is not None:
            stores.attended(session, row)
    log.info("webhooks of store %s: %s", store_id, report)
    return report


def _saver(services: Services, store_id: int) -> Callable[[str], None]:
    """Store renewed credentials at once, in their own transaction: a refresh token is single-use,
    so losing the new one to a later rollback would lock the store out."""

    def save(credentials: str) -> None:
        with services.db.session() as session:
            store = session.get(Store, store_id)
            if store is not None:
                store.credentials = credentials

    return save


def _polled(services: Services, store_id: int) -> tuple[Store, Polling] | None:
    """The store (detached) and its connector, when its platform is polled and its status allows it."""
    with services.db.session() as session:
        store = session.get(Store, store_id)
        if store is None:
            return None
        session.expunge(store)
    connector = services.connectors.get(store.platform)
    if not isinstance(connector, Polling) or store.status not in POLLED_STATUSES:
        return None
    return store, connector


def _backfill(services: Services) -> timedelta:
    return timedelta(days=services.settings.reconcile_backfill_days)


def _finish(
    services: Services, store_id: int, newest: datetime | None, error: str | None, disconnect: bool = False
) -> None:
    with services.db.session() as session:
        store = session.get(Store, store_id)
        if store is None:
            return
        if stores.attention(store) is None or disconnect:  # a poll's own errors never hide what the
            store.sync_error = error  # merchant must do; only a disconnection says more
        if error is None:
            store.synced_at = clock.now()
            if newest is not None:
                store.synced_until = newest
        if disconnect:
            stores.disconnect(session, store, error or "credentials refused")
