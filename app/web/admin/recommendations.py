"""The merchant's recommendations page: what was recommended and why, what it earned, and the
merchant's pins and exclusions. Every query is the signed-in store's."""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, abort, request
from sqlalchemy import select
from werkzeug.wrappers import Response

from app import clock
from app.journeys import config as journey_config
from app.journeys.reasons import words as reason_words
from app.messages.localise import money
from app.models import Product, RecommendBuild, RecommendItem, Store
from app.recommend import curation, picks
from app.web import current_services
from app.web.admin import auth, view
from app.web.admin.pages.common import done as _done
from app.web.admin.pages.common import signed_in_store as _store

bp = Blueprint("recommendations", __name__, url_prefix="/admin", template_folder="templates")
PERIOD = timedelta(days=90)
CHOICES = {"pin": "pin", "exclude": "exclude", "model": None}
REBOUGHT_SHOWN = 20
MAX_PRODUCT_ID = 255


@bp.get("/recommendations")
def recommendations() -> str:
    with current_services().db.session() as db:
        store = _store(db)
        lang = view.ui_language(store)
        window = timedelta(days=journey_config.parse(store.journey).attribution_days)
        earned = picks.earned(db, store, clock.now() - PERIOD, window)
        chosen = curation.merchant_choices(db, store)
        rebought = db.execute(
            select(RecommendItem.product_external_id, RecommendItem.interval_days, RecommendItem.rebuyers)
            .where(RecommendItem.store_id == store.id, RecommendItem.interval_days.is_not(None))
            .order_by(RecommendItem.rebuyers.desc(), RecommendItem.product_external_id)
            .limit(REBOUGHT_SHOWN)
        ).all()
        ids = {e.product_id for e in earned} | {p for ids in chosen.values() for p in ids}
        ids |= {row[0] for row in rebought}
        titles = dict(
            db.execute(
                select(Product.external_id, Product.title).where(
                    Product.store_id == store.id, Product.external_id.in_(sorted(ids) or [""])
                )
            ).all()
        )
        rows = [
            {
                "id": entry.product_id,
                "title": titles.get(entry.product_id, entry.product_id),
                "why": [reason_words(reason, lang, store.timezone) for reason in entry.reasons.values()],
                "sent": entry.sent,
                "orders": entry.orders,
                "revenue": money(entry.revenue, store.currency, lang),
                "choice": next((kind for kind, held in chosen.items() if entry.product_id in held), None),
            }
            for entry in earned
        ]
        return view.page(
            "admin/recommendations.html",
            store,
            rows=rows,
            chosen={kind: [(p, titles.get(p, p)) for p in held] for kind, held in chosen.items()},
            rebought=[(p, titles.get(p, p), round(days or 0), count) for p, days, count in rebought],
            build=db.get(RecommendBuild, store.id),
            days=PERIOD.days,
            window=window.days,
        )


@bp.post("/recommendations/choose")
def choose() -> Response:
    """Pin a product to the top of every list, exclude it from all, or hand it back to the model."""
    auth.require_csrf()
    product = request.form.get("product", "").strip()
    choice = request.form.get("choice", "")
    if choice not in CHOICES or not product or len(product) > MAX_PRODUCT_ID or "\x00" in product:
        abort(400, "choose pin, exclude or model for a product id")
    with current_services().db.session() as db:
        store: Store = _store(db)
        if not curation.choose(db, store, product, CHOICES[choice]):
            abort(404, "the store has no product with that id")
        t = view.translator(store)
        said = {
            "pin": t("Pinned: it comes first in every recommendation."),
            "exclude": t("Excluded: it is never recommended."),
            "model": t("The model decides again."),
        }[choice]
    return _done(said, "recommendations.recommendations")
