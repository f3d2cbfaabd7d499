"""What review-related messages carry, for ``messages.compose``: the items to rate with their star
links, the check-in's NPS links, and the details of a reply to a low rating or a thank-you code."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.journeys import config as journey_config
from app.links import Links
from app.messages.localise import long_date
from app.models import Message, OfferCode, Order, OrderLine, Product, Review, Store
from app.reviews.links import ReviewLinks

STEPS = ("review_request", "review_reminder", "review_reply", "review_reward", "check_in")


def members(message: Message) -> list[int]:
    from app.messages.compose import members as of_message

    return of_message(message)


def extend(
    session: Session, store: Store, order: Order, message: Message, links: Links, locale: str
) -> dict[str, Any]:
    """The variables a review step (or the check-in) adds to the message's context."""
    review_links = ReviewLinks(links.settings)
    if message.step in ("review_request", "review_reminder"):
        return {"review_items": items(session, store, order, message, review_links)}
    if message.step == "check_in":
        asked = journey_config.parse(store.journey).reviews.nps
        return {"nps": review_links.nps(store.id, order.id) if asked else []}
    product = message.dedupe_key.rsplit(":", 1)[-1]
    review = session.scalars(
        select(Review).where(
            Review.store_id == store.id,
            Review.email == order.contact,
            Review.product_external_id == product,
        )
    ).first()
    about = {
        "product": review.product_title if review else "",
        "stars": review.rating if review else 0,
        "page": review_links.page(store.id, order.id, product),
    }
    context: dict[str, Any] = {"review": about}
    if message.step == "review_reward":
        # the code made for this message (``app.reviews.publish``): what it takes off, until when
        code = session.scalars(
            select(OfferCode).where(OfferCode.store_id == store.id, OfferCode.message_id == message.id)
        ).first()
        solar = journey_config.parse(store.journey).solar_hijri
        context["reward"] = {
            "code": code.code if code else "",
            "percent": int(code.value) if code else 0,
            "until": long_date(code.expires_at, locale, store.timezone, solar_hijri=solar) if code else "",
        }
    return context


def items(
    session: Session, store: Store, order: Order, message: Message, review_links: ReviewLinks
) -> list[dict[str, Any]]:
    """The kept products of this order and of any order merged into its request that this order's
    contact has not reviewed yet, each with its five star links and its review page."""
    lines = session.scalars(
        select(OrderLine)
        .where(OrderLine.store_id == store.id, OrderLine.order_id.in_(members(message)))
        .order_by(OrderLine.order_id, OrderLine.id)
    ).all()
    reviewed: set[str] = set()
    if order.contact:
        reviewed = set(
            session.scalars(
                select(Review.product_external_id).where(
                    Review.store_id == store.id, Review.email == order.contact
                )
            )
        )
    product_ids = sorted({line.product_external_id for line in lines if line.product_external_id})
    urls = dict(
        session.execute(
            select(Product.external_id, Product.url).where(
                Product.store_id == store.id, Product.external_id.in_(product_ids)
            )
        ).all()
    )
    found, seen = [], set()
    for line in lines:
        key = line.product_external_id
        if not key or line.quantity - line.refunded_quantity <= 0 or key in reviewed or key in seen:
            continue
        seen.add(key)
        found.append(
            {
                "title": line.title,
                "url": urls.get(key) or "",
                "stars": review_links.stars(store.id, line.order_id, key),
                "page": review_links.page(store.id, line.order_id, key),
            }
        )
    return found
