"""The merchant's say over reviews, and the rule that publishes some without them.

A review's status is changed here only. Approving queues it for the store (``publish_state``
"publish"); rejecting, or an edit that sends an approved review back to wait, queues its removal
("withdraw"); the worker (``publish``) does the calls. A rating at or below the store's low-rating
threshold never passes the automatic rule.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from app import clock
from app.journeys.config import ReviewConfig
from app.models import Review, ReviewStatus
from app.reviews import storefront
from app.reviews.text import REPLY_MAX, clean, contains_blocked


def is_low(review: Review, config: ReviewConfig) -> bool:
    return review.rating <= config.low_rating


def automatic(review: Review, config: ReviewConfig) -> ReviewStatus:
    """What the auto-publish rule says of a review as it stands now."""
    if is_low(review, config) or not config.auto_publish_from or review.rating < config.auto_publish_from:
        return ReviewStatus.PENDING
    words = f"{review.title}\n{review.body}\n{review.display_name}"
    if contains_blocked(words, config.blocked_words):
        return ReviewStatus.PENDING
    return ReviewStatus.APPROVED


def after_change(review: Review, config: ReviewConfig) -> None:
    """The customer added or changed something: the rule decides again. A rejected review stays
    rejected (the merchant has seen it); an approved one that no longer passes waits again."""
    if review.status == ReviewStatus.REJECTED:
        return
    decided = automatic(review, config)
    if decided == ReviewStatus.APPROVED:
        _set(review, ReviewStatus.APPROVED, by_rule=True)
    elif review.status == ReviewStatus.APPROVED:
        _set(review, ReviewStatus.PENDING, by_rule=True)


def approve(session: Session, review: Review) -> None:
    _set(review, ReviewStatus.APPROVED)


def reject(session: Session, review: Review) -> None:
    _set(review, ReviewStatus.REJECTED)


def feature(session: Session, review: Review, featured: bool) -> None:
    review.featured = featured
    storefront.forget(review.store_id)


def reply(session: Session, review: Review, text: str) -> None:
    """The merchant's public answer, shown with the review by us: on Shopify by the theme app block
    (through the app proxy), everywhere on the customer's own review page. Nothing is sent to the
    store: WooCommerce's product reviews API cannot carry a reply (``POST /products/reviews`` sets
    ``comment_parent`` to 0 and takes no parent; its list returns only ``type=review``), and the
    WordPress comments API that can is not open to WooCommerce's API keys."""
    review.reply = clean(text, REPLY_MAX, lines=True)
    storefront.forget(review.store_id)


def _set(review: Review, status: ReviewStatus, *, by_rule: bool = False) -> None:
    was = review.status
    review.status = status
    if not by_rule:
        review.moderated_at = clock.now()
    if status == ReviewStatus.APPROVED:
        _queue(review, "publish")  # again after an edit: the store gets the new words
    elif was == ReviewStatus.APPROVED or review.remote_id:
        _queue(review, "withdraw")
    storefront.forget(review.store_id)


def _queue(review: Review, state: str) -> None:
    review.publish_state = state
    review.publish_after = clock.now()
    review.publish_attempts = 0
    review.publish_error = None
