"""Where tracking sources push: ``POST /webhooks/tracking/<source>/<store id>`` (the address the
Tracking page shows the merchant to paste into the source's webhook settings).

The same order of work as the stores' webhooks: unknown source or store 404, a source that pushes
nothing 404, signature over the raw bytes with the store's webhook secret at that source 401, a body
not in the source's shape 400; only then is it stored in the inbox and answered. Nothing is looked up
by the body, so a forged delivery learns nothing.
"""

from __future__ import annotations

import hashlib

from flask import Blueprint, abort, request
from sqlalchemy import select

from app import inbox
from app.models import Store, TrackingAccount
from app.parcels import accounts
from app.web import current_services
from connectors.base import Delivery
from tracking import registry
from tracking.base import BadPayload, BadSignature

bp = Blueprint("tracking_webhooks", __name__)


@bp.post("/webhooks/tracking/<source>/<int:store_id>")
def receive(source: str, store_id: int) -> tuple[dict[str, object], int]:
    services = current_services()
    found = registry.build(services.settings.tracking_endpoints).get(source)
    if found is None or not found.capabilities.webhook:
        abort(404, description="unknown tracking source")
    body = request.get_data(cache=False)
    with services.db.session() as session:
        account = session.scalars(
            select(TrackingAccount)
            .join(Store, Store.id == TrackingAccount.store_id)
            .where(TrackingAccount.store_id == store_id, TrackingAccount.source == source)
        ).first()
        secret = accounts.credentials(account).get("webhook_secret", "") if account else ""
    if account is None:
        abort(404, description="unknown store")
    try:
        pushed = found.verify(secret, body, request.headers)
    except BadSignature as exc:
        abort(401, description=str(exc))
    except BadPayload as exc:
        abort(400, description=str(exc))
    if not pushed.reports:
        return {"ok": True, "nothing_to_do": True}, 200
    delivery = Delivery(
        topic=f"{registry.TOPIC}{source}",
        delivery_id=f"{source}:{hashlib.sha256(body).hexdigest()[:40]}",
        body=body,
        triggered_at=None,
    )
    entry_id = inbox.accept(services.db, store_id, delivery)
    if entry_id is None:
        return {"ok": True, "duplicate": True}, 200
    return {"ok": True, "queued": entry_id}, 200
