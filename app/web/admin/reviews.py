"""The merchant's Reviews page: every review with its stars, words, photos, product, order and
customer; filters by rating, product and state; approve, reject, reply publicly, feature; and the
review settings (auto-publish rule, blocked words, low-rating threshold, thank-you codes, NPS).
Every query is filtered by the signed-in store; a review id of another store is not found."""

from __future__ import annotations

from typing import Any, TypedDict

from flask import Blueprint, abort, current_app, flash, g, redirect, request, url_for
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from app.journeys import apply as journey_apply
from app.journeys import config as journey_config
from app.journeys.config import ReviewConfig
from app.models import Order, Review, ReviewStatus, Store
from app.reviews import moderate
from app.reviews.links import ReviewLinks
from app.web import current_services
from app.web.admin import auth, view
from app.web.admin.routes import signed_in_store_id

bp = Blueprint("reviews_admin", __name__, url_prefix="/admin", template_folder="templates")
PAGE = 100
STATES = ("pending", "approved", "rejected")


def _store(db: Session) -> Store:
    return db.get(Store, signed_in_store_id()) or abort(401)


def _done(said: str, category: str = "message") -> Any:
    if g.get("embedded"):
        g.notices = [(category, said)]
        return current_app.view_functions["reviews_admin.reviews"]()
    flash(said, category)
    return redirect(url_for("reviews_admin.reviews", **_filters()))


class Filters(TypedDict, total=False):
    rating: str
    state: str
    product: str


def _filters() -> Filters:
    """The page's filters as asked (a form posts them back), only values that mean something."""
    values = {**request.args, **request.form}
    found: Filters = {}
    if str(values.get("rating", "")) in {"1", "2", "3", "4", "5"}:
        found["rating"] = str(values["rating"])
    if values.get("state") in STATES:
        found["state"] = str(values["state"])
    product = str(values.get("product", ""))[:255]
    if product:
        found["product"] = product
    return found


@bp.get("/reviews")
def reviews() -> str:
    filters = _filters()
    links = ReviewLinks(current_services().settings)
    with current_services().db.session() as db:
        store = _store(db)
        query = select(Review).where(Review.store_id == store.id)
        if "rating" in filters:
            query = query.where(Review.rating == int(filters["rating"]))
        if "state" in filters:
            query = query.where(Review.status == filters["state"])
        if "product" in filters:
            query = query.where(Review.product_external_id == filters["product"])
        rows = db.scalars(query.order_by(Review.updated_at.desc(), Review.id.desc()).limit(PAGE)).all()
        order_ids = sorted({r.order_id for r in rows if r.order_id})
        orders = {
            o.id: o
            for o in db.scalars(select(Order).where(Order.store_id == store.id, Order.id.in_(order_ids)))
        }
        products = db.execute(
            select(Review.product_external_id, Review.product_title)
            .where(Review.store_id == store.id)
            .distinct()
            .order_by(Review.product_title)
        ).all()
        config = journey_config.parse(store.journey).reviews
        shown = [
            {
                "review": review,
                "order": orders.get(review.order_id or 0),
                "low": moderate.is_low(review, config),
                "photos": []
                if review.status == ReviewStatus.REJECTED
                else [
                    {"thumb": links.photo(p.name, thumbnail=True), "full": links.photo(p.name)}
                    for p in review.photos
                ],
            }
            for review in rows
        ]
        return view.page(
            "admin/reviews.html",
            store,
            shown=shown,
            filters=filters,
            products=[(pid, title or pid) for pid, title in products],
            states=STATES,
            config=config,
            blocked=", ".join(config.blocked_words),
        )


def _review(db: Session, store: Store, review_id: int) -> Review:
    review = db.scalars(select(Review).where(Review.store_id == store.id, Review.id == review_id)).first()
    if review is None:
        abort(404, description="There is no such review.")
    return review


@bp.post("/reviews/<int:review_id>/<action>")
def act(review_id: int, action: str) -> Response:
    auth.require_csrf()
    if action not in ("approve", "reject", "feature", "unfeature", "reply"):
        abort(404)
    with current_services().db.session() as db:
        store = _store(db)
        t = view.translator(store)
        review = _review(db, store, review_id)
        if action == "approve":
            moderate.approve(db, review)
            said = t("Approved: it is being published to your store.")
        elif action == "reject":
            moderate.reject(db, review)
            said = t("Rejected: it is not shown anywhere, and its photos are no longer served.")
        elif action in ("feature", "unfeature"):
            moderate.feature(db, review, action == "feature")
            said = t("Featured: it is shown first.") if action == "feature" else t("No longer featured.")
        else:
            moderate.reply(db, review, request.form.get("reply", ""))
            said = t("Your reply is saved.")
    return _done(said)


@bp.post("/reviews/settings")
def save_settings() -> Any:
    auth.require_csrf()
    form = request.form
    with current_services().db.session() as db:
        store = _store(db)
        t = view.translator(store)
        try:
            chosen = ReviewConfig(
                low_rating=_int(form.get("low_rating"), 2),
                auto_publish_from=_int(form.get("auto_publish_from"), 0),
                blocked_words=tuple(
                    part for part in form.get("blocked_words", "").replace("\n", ",").split(",")
                ),
                reward_percent=_int(form.get("reward_percent"), 0),
                photo_reward_percent=_int(form.get("photo_reward_percent"), 0),
                reward_days=_int(form.get("reward_days"), 60),
                nps=form.get("nps") == "on",
            )
        except (ValidationError, ValueError) as exc:
            refused: str | None = t("These review settings cannot be saved: {reason}").format(
                reason=_first(exc)
            )
        else:
            refused = None
            config = journey_config.parse(store.journey).model_copy(update={"reviews": chosen})
            journey_apply.apply(db, store, config, current_services().settings.settings_sync_replan_orders)
            said = t("Review settings saved.")
    if refused is not None:  # the page again, from its own session (SQLite allows one writer)
        g.notices = [("error", refused)]
        return reviews(), 422
    return _done(said)


def _int(value: str | None, default: int) -> int:
    text = (value or "").strip()
    if not text:
        return default
    if not text.isdigit() or len(text) > 4:
        raise ValueError(f"{text[:20]!r} is not a whole number")
    return int(text)


def _first(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        error = exc.errors()[0]
        return f"{'.'.join(str(p) for p in error['loc'])}: {error['msg']}"
    return str(exc)
