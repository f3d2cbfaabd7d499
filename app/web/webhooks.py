"""The one webhook route every platform posts to: ``POST /webhooks/<platform>``.

Order of work, each step refusing with a 4xx and writing nothing: body size (Flask's
MAX_CONTENT_LENGTH, 413), platform (404), store named by the request (400/404), signature over the
raw bytes (401), payload shape (400). Platforms with one app-wide secret (Shopify) have the signature
checked before the store is looked up, so a forged delivery always gets 401, and a privacy request
(erase, export, uninstall) about a store we never held is answered 200: there is nothing to do.
Only then is the delivery stored in the inbox (invariant 5) and answered: the worker applies it
(``app.inbox.process``), usually within a second, so the answer never waits on planning.
"""

from __future__ import annotations

import logging
import threading
import weakref

from cachetools import TTLCache
from flask import Blueprint, abort, request
from sqlalchemy import select

from app import inbox
from app.db import Database
from app.models import Store
from app.web import WEBHOOKS, current_services
from connectors.base import (
    Connector,
    DataRequest,
    Delivery,
    PayloadError,
    RedactRequest,
    SignatureError,
    Snapshot,
    StoreUninstalled,
    WebhookRequest,
)

bp = Blueprint("webhooks", __name__)
log = logging.getLogger(__name__)


def is_delivery() -> bool:
    """Whether this request is a store's delivery: no cookie, no session, no rate limit."""
    return request.path.startswith(WEBHOOKS)


@bp.post("/webhooks/<platform>")
def receive(platform: str) -> tuple[dict[str, object], int]:
    services = current_services()
    connector = services.connectors.get(platform)
    if connector is None:
        abort(404, description=f"unknown platform {platform!r}")
    body = request.get_data(cache=False)  # raw bytes: signatures are over these exact bytes
    # werkzeug's headers, not a dict of them: header names are case-insensitive (X-WC-Webhook-ID
    # arrives as X-Wc-Webhook-Id through some proxies).
    webhook = WebhookRequest(headers=request.headers, body=body, content_type=request.mimetype)
    if connector.is_ping(webhook):
        return {"ok": True}, 200
    try:
        store_ref = connector.store_ref(webhook)
    except PayloadError as exc:
        abort(400, description=str(exc))
    app_wide = not connector.per_store_secret
    if app_wide:  # one secret for every store: a forged delivery is refused before we look anything up
        delivery = _verified(connector, webhook, None)
    store_id, secret = _store(services.db, platform, store_ref)
    if store_id is None:
        if app_wide and _only_about_privacy(connector.translate(delivery)):
            return {"ok": True, "nothing_held": True}, 200  # a store that never finished installing
        abort(404, description="unknown store")
    if not app_wide:
        delivery = _verified(connector, webhook, secret)

    entry_id = inbox.accept(services.db, store_id, delivery)
    if entry_id is None:
        return {"ok": True, "duplicate": True}, 200
    return {"ok": True, "queued": entry_id}, 200


# Which store a delivery is for, kept a little while: a busy store sends many a second, and its id and
# secret do not change between them (a reconnect keeps the secret; a new store is never cached as
# missing, so its first delivery is not refused for long).
# One cache per database (an app, in tests a test), so no answer outlives the rows it came from.
_STORES: weakref.WeakKeyDictionary[Database, TTLCache[tuple[str, str], tuple[int, str | None]]] = (
    weakref.WeakKeyDictionary()
)
_STORES_LOCK = threading.Lock()


def _store(db: Database, platform: str, external_id: str) -> tuple[int | None, str | None]:
    key = (platform, external_id)
    with _STORES_LOCK:
        cache = _STORES.setdefault(db, TTLCache(maxsize=10_000, ttl=30))
        found = cache.get(key)
    if found is not None:
        return found
    with db.session() as session:
        store = session.scalars(
            select(Store).where(Store.platform == platform, Store.external_id == external_id)
        ).first()
        if store is None:
            return None, None
        found = (store.id, store.webhook_secret)
    with _STORES_LOCK:
        cache[key] = found
    return found


def _verified(connector: Connector, webhook: WebhookRequest, secret: str | None) -> Delivery:
    """The delivery, signature checked and payload translatable; 401 or 400 otherwise."""
    try:
        delivery = connector.verify_webhook(webhook, secret)
        connector.translate(delivery)  # refuse a malformed payload now, before it is stored
    except SignatureError as exc:
        abort(401, description=str(exc))
    except PayloadError as exc:
        abort(400, description=str(exc))
    return delivery


def _only_about_privacy(snapshots: list[Snapshot]) -> bool:
    """Erase, export, uninstall: for a store we never held, there is nothing to do."""
    return bool(snapshots) and all(
        isinstance(snap, RedactRequest | DataRequest | StoreUninstalled) for snap in snapshots
    )
