"""The store's suppression list as JSON: who gets nothing, and why; a merchant adds a complaint or a
bounce their provider reported, and lifts one when the customer asks. Customers' own unsubscribe
choices are listed but are theirs to change (from their unsubscribe page), not the merchant's."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, request
from sqlalchemy import select

from app import consent
from app.models import Store, Suppression
from app.web import current_services
from app.web.admin import auth
from app.web.admin.routes import signed_in_store_id

bp = Blueprint("admin_suppressions", __name__, url_prefix="/admin/api/suppressions")
PAGE = 200


def _address() -> str:
    data = request.get_json(silent=True)
    raw = data.get("address") if isinstance(data, dict) else None
    if not isinstance(raw, str) or len(raw) > 320:
        abort(400, description="Send a JSON object with the address (an email, or a phone number with +).")
    address = consent.normalise(raw)
    if address is None:
        abort(
            400, description=f"{raw!r} is neither an email address nor a phone number with its country code."
        )
    return address


@bp.get("")
def index() -> dict[str, Any]:
    store_id = signed_in_store_id()
    with current_services().db.session() as db:
        rows = db.scalars(
            select(Suppression)
            .where(Suppression.store_id == store_id)
            .order_by(Suppression.created_at.desc(), Suppression.id.desc())
            .limit(PAGE)
        ).all()
        return {
            "suppressions": [
                {
                    "address": row.address,
                    "kind": row.kind,
                    "reason": row.reason,
                    "since": row.created_at.isoformat(),
                }
                for row in rows
            ]
        }


@bp.post("")
def add() -> tuple[dict[str, Any], int]:
    store_id = signed_in_store_id()
    auth.require_csrf()
    address = _address()
    reason = (request.get_json(silent=True) or {}).get("reason", "complaint")
    if reason not in consent.MERCHANT_REASONS:
        abort(400, description=f"The reason is one of: {', '.join(consent.MERCHANT_REASONS)}.")
    with current_services().db.session() as db:
        store = db.get(Store, store_id) or abort(401)
        cancelled = consent.suppress(db, store, address, reason)
    return {"address": address, "reason": reason, "cancelled": cancelled}, 201


@bp.delete("")
def lift() -> dict[str, Any]:
    store_id = signed_in_store_id()
    auth.require_csrf()
    address = _address()
    with current_services().db.session() as db:
        store = db.get(Store, store_id) or abort(401)
        lifted = consent.lift(db, store, address)
    if not lifted:
        abort(404, description=f"{address} has no bounce or complaint to lift in this store.")
    return {"address": address, "lifted": True}
