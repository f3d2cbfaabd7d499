"""Recording what a customer tells us about an item: the stars (one click) and the review (the page).

What follows is decided here, in the same transaction: the auto-publish rule; for a low rating the
merchant's alert and the customer's service reply (once per item), with marketing paused by the
planner (it reads low ratings like an unhappy check-in); and a re-plan of the customer's orders, so
the reminder drops the item, or goes altogether when nothing is left to review, with the reason on
the timeline.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app import clock, outbox, suppression, timeline
from app.journeys import config as journey_config
from app.journeys import reconcile
from app.journeys.reasons import Reason
from app.models import Order, OrderLine, Review, ReviewPhoto, ReviewStatus, Store
from app.reviews import moderate, photos
from app.reviews.text import BODY_MAX, NAME_MAX, TITLE_MAX, clean


class NotReviewable(LookupError):
    """The link names an item this order does not hold (or no longer: refunded), or no person."""


@dataclass(frozen=True)
class Submission:
    """What the review page sent, already cleaned (``text.clean``) and photos re-encoded."""

    rating: int
    title: str = ""
    body: str = ""
    display_name: str = ""
    new_photos: tuple[photos.Processed, ...] = ()
    remove_photos: frozenset[str] = frozenset()


def item(session: Session, store: Store, order: Order, product_id: str) -> OrderLine:
    """The order's kept line for ``product_id``; NotReviewable otherwise."""
    line = session.scalars(
        select(OrderLine).where(
            OrderLine.store_id == store.id,
            OrderLine.order_id == order.id,
            OrderLine.product_external_id == product_id,
        )
    ).first()
    if line is None or line.quantity - line.refunded_quantity <= 0 or not order.contact:
        raise NotReviewable(product_id)
    return line


def find(session: Session, store: Store, order: Order, product_id: str) -> Review | None:
    """This order's contact's review of the product (from any of their orders, or the store's)."""
    return session.scalars(
        select(Review).where(
            Review.store_id == store.id,
            Review.email == order.contact,
            Review.product_external_id == product_id,
        )
    ).first()


def rate(session: Session, store: Store, order: Order, product_id: str, stars: int) -> Review:
    """One click on a star: the rating, recorded (or changed) at once, as a verified buyer's."""
    return submit(session, store, order, product_id, Submission(rating=stars), stars_only=True)


def submit(
    session: Session,
    store: Store,
    order: Order,
    product_id: str,
    sent: Submission,
    *,
    stars_only: bool = False,
    photo_folder: str = "",
) -> Review:
    if not 1 <= sent.rating <= 5:
        raise ValueError("a rating is 1 to 5 stars")
    line = item(session, store, order, product_id)
    config = journey_config.parse(store.journey).reviews
    review = find(session, store, order, product_id)
    was_low = review is not None and moderate.is_low(review, config)
    first = review is None
    before = None if review is None else review.rating
    if review is None:
        review = _new(session, store, order, line)
    review.rating = sent.rating
    review.order_id = review.order_id or order.id
    if not stars_only:
        review.title = clean(sent.title, TITLE_MAX)
        review.body = clean(sent.body, BODY_MAX, lines=True)
        review.display_name = clean(sent.display_name, NAME_MAX)
        review.submitted_at = clock.now()
        _photos(session, store, review, sent, photo_folder)
    review.updated_at = clock.now()
    moderate.after_change(review, config)
    session.flush()
    if first or before != sent.rating or not stars_only:
        timeline.note(
            session,
            store.id,
            order.id,
            "review",
            Reason.of("review_recorded", product=line.title, stars=review.rating),
        )
    if moderate.is_low(review, config) and not was_low:
        _low_rating(session, store, order, review, line)
    reconcile.refresh_related(session, store, [order])
    return review


def _new(session: Session, store: Store, order: Order, line: OrderLine) -> Review:
    """A new row; a second click racing the first finds the row the first made."""
    review = Review(
        store_id=store.id,
        customer_id=order.customer_id,
        order_id=order.id,
        email=order.contact,
        product_external_id=line.product_external_id or "",
        product_title=line.title,
        rating=5,
        status=ReviewStatus.PENDING,
    )
    try:
        with session.begin_nested():
            session.add(review)
            session.flush()
    except IntegrityError:
        found = find(session, store, order, line.product_external_id or "")
        if found is None:
            raise
        return found
    return review


def _photos(session: Session, store: Store, review: Review, sent: Submission, folder: str) -> None:
    for photo in list(review.photos):
        if photo.name in sent.remove_photos:
            review.photos.remove(photo)
            photos.delete(folder, store.id, photo.name)
    room = photos.MAX_PHOTOS - len(review.photos)
    for position, processed in enumerate(sent.new_photos[: max(room, 0)], start=len(review.photos)):
        name = photos.new_name()
        photos.save(folder, store.id, name, processed)
        review.photos.append(
            ReviewPhoto(
                store_id=store.id,
                name=name,
                position=position,
                width=processed.width,
                height=processed.height,
            )
        )


def _low_rating(session: Session, store: Store, order: Order, review: Review, line: OrderLine) -> None:
    """The merchant hears at once; the customer gets a service reply, not the next offer."""
    now = clock.now()
    product = review.product_external_id
    outbox.alert_merchant(
        session,
        order,
        f"order:{order.id}:merchant_alert:review:{product}",
        Reason.of("low_rating_alert", number=order.number, product=line.title, stars=review.rating),
    )
    if "service" in suppression.chosen(suppression.of(session, store, [order.contact or ""])):
        return  # they stopped service messages: the merchant's alert is enough
    outbox.plan(
        session,
        store_id=store.id,
        order_id=order.id,
        customer_id=order.customer_id,
        step="review_reply",
        kind="service",
        dedupe_key=f"order:{order.id}:review_reply:{product}",
        channel=reconcile.channel_for(store, "review_reply"),
        send_at=now,
        reason=Reason.of("low_rating_reply", product=line.title, stars=review.rating),
        contact=order.contact,
    )
