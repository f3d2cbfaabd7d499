"""The merchant's Tracking page: accounts at tracking sources (each checked with the source before it
is kept), the webhook address to give a source that pushes, and how the customer's tracking page
looks (logo, colour, help and returns links)."""

from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, abort, g, request
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from app.models import Store, TrackingBrand
from app.parcels import accounts, delivery_stats
from app.web import current_services
from app.web.admin import auth, tracking_words, view, words
from app.web.admin.pages.common import done as _done
from app.web.admin.pages.common import signed_in_store as _store
from tracking import registry

bp = Blueprint("tracking_admin", __name__, url_prefix="/admin", template_folder="templates")
COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")
BRAND_FIELDS = (
    ("logo_url", "Logo address (https)"),
    ("help_url", "Help page (https)"),
    ("returns_url", "Return policy (https)"),
)


def _t(store: Store) -> Any:
    lang = view.ui_language(store)
    return tracking_words.translator(lang, words.translator(lang))


def _page(store: Store, db: Session, status: int = 200, **extra: Any) -> Any:
    settings = current_services().settings
    sources = registry.build(settings.tracking_endpoints)
    held = accounts.stored(db, store)
    brand = db.get(TrackingBrand, store.id)
    hook = f"{settings.public_url.rstrip('/')}/webhooks/tracking/{{source}}/{store.id}"
    html = view.page(
        "admin/tracking.html",
        store,
        tt=_t(store),
        sources=sources,
        held=held,
        brand=brand,
        brand_fields=BRAND_FIELDS,
        hook=hook,
        times=delivery_stats.by_carrier(db, store),
        **extra,
    )
    return (html, status) if status != 200 else html


@bp.get("/tracking")
def tracking() -> Any:
    with current_services().db.session() as db:
        return _page(_store(db), db)


@bp.post("/tracking/<source>")
def save(source: str) -> Any:
    auth.require_csrf()
    found = registry.build(current_services().settings.tracking_endpoints).get(source)
    if found is None:
        abort(404, description="unknown tracking source")
    with current_services().db.session() as db:
        store = _store(db)
        t = _t(store)
        try:
            accounts.save(
                db, store, found, {field.name: request.form.get(field.name, "") for field in found.fields}
            )
        except accounts.AccountProblem as exc:  # raised before anything is written
            values = {name: t(value) for name, value in exc.values.items()}
            reason = t(exc.sentence).format(**values)
            g.notices = [("error", t("Not saved: {reason}").format(reason=reason))]
            return _page(store, db, status=400, failed=source)
        said = t("Checked and saved: {source} accepted these details.").format(source=found.label)
    return _done(said, "tracking_admin.tracking")


@bp.post("/tracking/<source>/remove")
def remove(source: str) -> Response:
    auth.require_csrf()
    found = registry.build(current_services().settings.tracking_endpoints).get(source)
    if found is None:
        abort(404, description="unknown tracking source")
    with current_services().db.session() as db:
        store = _store(db)
        accounts.remove(db, store, source)
        said = _t(store)("{source} disconnected.").format(source=found.label)
    return _done(said, "tracking_admin.tracking")


@bp.post("/tracking-page")
def save_brand() -> Any:
    auth.require_csrf()
    with current_services().db.session() as db:
        store = _store(db)
        t = _t(store)
        values: dict[str, str | None] = {}
        problems = []
        for name, label in BRAND_FIELDS:
            value = request.form.get(name, "").strip()[:2048]
            if value and not value.startswith("https://"):
                problems.append(t("{field} must be an https address.").format(field=t(label)))
            values[name] = value or None
        color = request.form.get("color", "").strip()
        if color and not COLOR.match(color):
            problems.append(t("The colour must be written #rrggbb."))
        if problems:
            g.notices = [("error", problem) for problem in problems]
            return _page(store, db, status=400)
        brand = db.get(TrackingBrand, store.id) or TrackingBrand(store_id=store.id)
        for name, saved in values.items():
            setattr(brand, name, saved)
        brand.color = color or None
        db.add(brand)
        said = t("Saved.")
    return _done(said, "tracking_admin.tracking")
