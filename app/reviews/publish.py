"""The worker's job that keeps each store in step with its reviews, and sends the thank-you codes.

A moderation change marks the review (``publish_state``: "publish" or "withdraw"); this job takes
the marked reviews in small batches, calls the store outside any transaction, and records the
outcome. A store that is down or slows us down is asked again later (backoff); a refusal is kept on
the review for the merchant to read and tried again, at longest daily, up to ``MAX_ATTEMPTS``. After
each change the product's rating summary is published too (Shopify's ``reviews.rating``
metafields; WooCommerce computes its own). An approved review of an order whose thank-you is on
earns one code per order, made in the store for that customer and sent by email; the order that
later uses it is attributed by ``app.offers``, so the dashboard shows what the codes earned.

It also reads the reviews customers left on the store itself (WooCommerce's product reviews), so
somebody who already reviewed a product there is not asked for it again.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app import Services, clock, offers, outbox, suppression
from app.db import among
from app.journeys import config as journey_config
from app.journeys import reconcile
from app.journeys.config import OfferConfig
from app.journeys.reasons import Reason
from app.models import Message, OfferCode, OfferStatus, Order, Review, ReviewStatus, Store, StoreStatus
from app.reviews import storefront
from connectors import registry
from connectors.base import RETRYABLE_ERRORS, ConnectorError, Offers, ReviewPublishing, ReviewToPublish

log = logging.getLogger(__name__)
BATCH = 50
MAX_ATTEMPTS = 8
IMPORT_LOOKBACK = timedelta(days=400)  # the first read of a store's own reviews
REWARD_STEP = "review_reward"


@dataclass(frozen=True)
class Due:
    review_id: int
    store_id: int
    platform: str
    credentials: str | None
    state: str
    item: ReviewToPublish


def run(services: Services) -> int:
    """Publish or withdraw what is due, then make and send earned codes; returns reviews handled."""
    done = 0
    for due in _due(services):
        _publish_one(services, due)
        done += 1
    _rewards(services)
    return done


def _due(services: Services) -> list[Due]:
    now = clock.now()
    with services.db.session() as session:
        rows = session.execute(
            select(Review, Store)
            .join(Store, Store.id == Review.store_id)
            .where(
                Review.publish_state.in_(("publish", "withdraw")),
                Review.publish_after <= now,
                Store.status == StoreStatus.ACTIVE,
            )
            .order_by(Review.publish_after, Review.id)
            .limit(BATCH)
        ).all()
        return [
            Due(
                review.id,
                store.id,
                store.platform,
                store.credentials,
                review.publish_state,
                ReviewToPublish(
                    product_id=review.product_external_id,
                    reviewer=review.display_name,
                    email=review.email if review.email and "@" in review.email else "",
                    rating=review.rating,
                    title=review.title,
                    body=review.body,
                    remote_id=review.remote_id,
                ),
            )
            for review, store in rows
        ]


def _publish_one(services: Services, due: Due) -> None:
    connector = services.connectors.get(due.platform)
    remote_id: str | None = due.item.remote_id
    error: ConnectorError | None = None
    if isinstance(connector, ReviewPublishing) and due.credentials:
        try:
            if due.state == "publish":
                remote_id = connector.publish_review(due.credentials, due.item) or None
            else:
                connector.withdraw_review(due.credentials, due.item)
                remote_id = None
            with services.db.session() as session:
                average, count = storefront.summary(session, due.store_id, due.item.product_id)
            connector.publish_rating(due.credentials, due.item.product_id, average, count)
        except ConnectorError as exc:
            error = exc
    with services.db.session() as session:
        review = session.get(Review, due.review_id)
        if review is None or review.publish_state != due.state:
            return  # changed again meanwhile: its new state is due now
        if error is None:
            review.publish_state = ""
            review.publish_error = None
            review.remote_id = remote_id
            review.published_at = clock.now() if due.state == "publish" else None
            return
        review.publish_attempts += 1
        review.publish_error = str(error)[:1000]
        retryable = isinstance(error, RETRYABLE_ERRORS)
        wait = min(timedelta(minutes=2**review.publish_attempts), timedelta(days=1))
        if not retryable and review.publish_attempts >= MAX_ATTEMPTS:
            review.publish_state = "failed"
        review.publish_after = clock.now() + wait
        log.warning("review %s: %s to the store failed: %s", review.id, due.state, error)


# --- thank-you codes ---------------------------------------------------------------------------
# A thank-you code is one of ``app.offers``' codes (step "review_reward"): chosen and kept before the
# store is asked, made in the store by the platform's ``Offers.create_offer`` (which answers a code it
# already has with its id, so a worker that died in between never makes two), and redeemed by the
# later order that uses it through ``offers.redeem`` like any message's code.


def _rewards(services: Services) -> None:
    """Choose a code for each order's first approved review when the store offers one; then make in
    the store every chosen code not made yet (a store that was down is asked again on the next run)."""
    with services.db.session() as session:
        rows = session.execute(
            select(Review.id, Store.id)
            .join(Store, Store.id == Review.store_id)
            .where(
                Review.status == ReviewStatus.APPROVED,
                Review.reward_code.is_(None),
                Review.source == "aftercare",
                Review.order_id.is_not(None),
                Store.status == StoreStatus.ACTIVE,
            )
            .limit(BATCH)
        ).all()
        for review_id, store_id in rows:
            _choose(session, review_id, store_id)
    with services.db.session() as session:
        waiting = session.execute(
            select(OfferCode.id)
            .join(Store, Store.id == OfferCode.store_id)
            .where(
                OfferCode.step == REWARD_STEP,
                OfferCode.status == OfferStatus.RESERVED.value,
                Store.status == StoreStatus.ACTIVE,
            )
            .order_by(OfferCode.id)
            .limit(BATCH)
        ).all()
    for (offer_id,) in waiting:
        _make(services, offer_id)


def _choose(session: Session, review_id: int, store_id: int) -> None:
    """The review's code, kept (not yet in the store), or "" when it earns none: one per order, only
    on a platform that makes codes, more for a review with a photo."""
    store = session.get(Store, store_id)
    review = session.get(Review, review_id)
    if store is None or review is None or review.order_id is None:
        return
    config = journey_config.parse(store.journey).reviews
    percent = (config.photo_reward_percent if review.photos else 0) or config.reward_percent
    already = session.scalar(
        select(func.count(Review.id)).where(
            Review.store_id == store.id,
            Review.order_id == review.order_id,
            Review.id != review.id,
            Review.reward_code.is_not(None),
            Review.reward_code != "",
        )
    )
    platform = registry.CONNECTORS.get(store.platform)
    makes_codes = platform is not None and issubclass(platform, Offers) and bool(store.credentials)
    if not percent or already or not makes_codes:
        review.reward_code = ""  # nothing to give for this one: not looked at again
        return
    offer = OfferConfig(kind="percent", value=Decimal(percent), days=config.reward_days)
    row = offers.keep(session, store, REWARD_STEP, offer, session.get(Order, review.order_id))
    review.reward_code = row.code


def _make(services: Services, offer_id: int) -> None:
    with services.db.session() as session:
        row = session.get(OfferCode, offer_id)
        store = session.get(Store, row.store_id) if row is not None else None
        if row is None or store is None or not store.credentials:
            return
        connector = services.connectors.get(store.platform)
        asked, credentials = offers.request(store, row), store.credentials
    if not isinstance(connector, Offers):
        return
    renewed: list[str] = []
    try:
        external_id = connector.create_offer(credentials, asked, renewed.append)
    except ConnectorError as exc:
        log.warning("offer %s: the thank-you code could not be made: %s", offer_id, exc)
        return  # the same code is asked for again on the next run
    with services.db.session() as session:
        row = session.get(OfferCode, offer_id)
        store = session.get(Store, row.store_id) if row is not None else None
        if row is None or store is None:
            return
        if renewed:
            store.credentials = renewed[-1]
        offers.created(session, offer_id, external_id)
        review = session.scalars(
            select(Review).where(Review.store_id == store.id, Review.reward_code == row.code)
        ).first()
        order = session.get(Order, review.order_id) if review and review.order_id else None
        if review is None or order is None:
            return
        if "service" in suppression.chosen(suppression.of(session, store, [order.contact or ""])):
            return  # the code exists in the store; they asked for no service messages
        key = f"order:{order.id}:review_reward:{review.product_external_id}"
        outbox.plan(
            session,
            store_id=store.id,
            order_id=order.id,
            customer_id=order.customer_id,
            step=REWARD_STEP,
            kind="service",
            dedupe_key=key,
            channel=reconcile.channel_for(store, REWARD_STEP),
            send_at=clock.now(),
            reason=Reason.of("review_thanks", product=review.product_title),
            contact=order.contact,
        )
        row.message_id = session.scalar(
            select(Message.id).where(Message.store_id == store.id, Message.dedupe_key == key)
        )


# --- the store's own reviews -------------------------------------------------------------------


def import_store_reviews(services: Services, store_id: int) -> int:
    """Read the store's reviews left since the newest one we hold, keep those by a person who has
    orders here (keyed by their contact), and re-plan that person's orders. Returns rows added."""
    with services.db.session() as session:
        store = session.get(Store, store_id)
        connector = services.connectors.get(store.platform) if store else None
        if store is None or not isinstance(connector, ReviewPublishing) or not store.credentials:
            return 0
        newest = session.scalar(
            select(func.max(Review.created_at)).where(Review.store_id == store.id, Review.source == "store")
        )
        credentials = store.credentials
        ours = set(
            session.scalars(
                select(Review.remote_id).where(Review.store_id == store.id, Review.remote_id.is_not(None))
            )
        )
    since = newest or clock.now() - IMPORT_LOOKBACK
    try:
        found = [r for r in connector.store_reviews(credentials, since) if r.remote_id not in ours]
    except ConnectorError as exc:
        log.warning("store %s: its reviews could not be read: %s", store_id, exc)
        return 0
    if not found:
        return 0
    added = 0
    with services.db.session() as session:
        store = session.get(Store, store_id)
        emails = sorted({r.email for r in found})
        orders: dict[str, list[Order]] = defaultdict(list)
        for order in session.scalars(
            select(Order).where(Order.store_id == store_id, among(session, Order.contact, emails))
        ):
            orders[order.contact or ""].append(order)
        for item in found:
            if item.email not in orders:
                continue  # somebody we never wrote to: nothing of theirs to keep
            try:
                with session.begin_nested():
                    session.add(
                        Review(
                            store_id=store_id,
                            email=item.email,
                            product_external_id=item.product_id,
                            rating=item.rating,
                            source="store",
                            status=ReviewStatus.APPROVED,
                            remote_id=item.remote_id,
                            created_at=item.created_at,
                            updated_at=item.created_at,
                        )
                    )
                    session.flush()
                    added += 1
            except IntegrityError:
                continue  # they reviewed it through us too: ours stands
        if added and store is not None:
            reconcile.refresh_related(
                session, store, [order for email in emails for order in orders.get(email, [])]
            )
    return added
