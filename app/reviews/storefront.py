"""What a storefront shows of a product's reviews: approved ones of that shop only, newest and
featured first, with the schema.org ``Product``/``AggregateRating``/``Review`` JSON-LD that search
engines read. Answers are cached per store and product for ``TTL_SECONDS`` (a product page is asked
for on every visit); any moderation in this process forgets the store's entries at once, and other
processes' copies age out within the TTL.
"""

from __future__ import annotations

import threading
from typing import Any

from cachetools import TTLCache
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models import Product, Review, ReviewStatus, Store

TTL_SECONDS = 60
LIMIT = 50
_cache: TTLCache[tuple[int, str], dict[str, Any]] = TTLCache(maxsize=4096, ttl=TTL_SECONDS)
_lock = threading.Lock()


def forget(store_id: int) -> None:
    with _lock:
        for key in [key for key in _cache if key[0] == store_id]:
            _cache.pop(key, None)


def summary(session: Session, store_id: int, product_id: str) -> tuple[float, int]:
    """The average and count of the product's approved reviews."""
    average, count = session.execute(
        select(func.avg(Review.rating), func.count(Review.id)).where(
            Review.store_id == store_id,
            Review.product_external_id == product_id,
            Review.status == ReviewStatus.APPROVED,
        )
    ).one()
    return (round(float(average), 2) if average is not None else 0.0), int(count or 0)


def reviews_of(
    session: Session, store: Store, product_id: str, photo_url: Any, cached: bool = True
) -> dict[str, Any]:
    """The product's approved reviews as JSON; ``photo_url(name, thumbnail)`` gives a photo's address."""
    key = (store.id, product_id)
    if cached:
        with _lock:
            if key in _cache:
                return _cache[key]
    average, count = summary(session, store.id, product_id)
    rows = session.scalars(
        select(Review)
        .where(
            Review.store_id == store.id,
            Review.product_external_id == product_id,
            Review.status == ReviewStatus.APPROVED,
        )
        .order_by(Review.featured.desc(), Review.created_at.desc(), Review.id.desc())
        .limit(LIMIT)
    ).all()
    title = session.scalar(
        select(Product.title).where(Product.store_id == store.id, Product.external_id == product_id)
    ) or (rows[0].product_title if rows else "")
    reviews = [
        {
            "rating": review.rating,
            "title": review.title,
            "body": review.body,
            "author": review.display_name or "",
            "date": review.created_at.date().isoformat(),
            "verified": review.source == "aftercare",
            "featured": review.featured,
            "reply": review.reply,
            "photos": [
                {"url": photo_url(p.name, False), "thumbnail": photo_url(p.name, True)} for p in review.photos
            ],
        }
        for review in rows
    ]
    answer = {
        "product_id": product_id,
        "average": average,
        "count": count,
        "reviews": reviews,
        "jsonld": jsonld(title, average, count, reviews),
    }
    with _lock:
        _cache[key] = answer
    return answer


def jsonld(title: str, average: float, count: int, reviews: list[dict[str, Any]]) -> dict[str, Any]:
    data: dict[str, Any] = {"@context": "https://schema.org", "@type": "Product", "name": title}
    if count:
        data["aggregateRating"] = {
            "@type": "AggregateRating",
            "ratingValue": f"{average:.1f}",
            "bestRating": "5",
            "worstRating": "1",
            "reviewCount": count,
        }
        data["review"] = [
            {
                "@type": "Review",
                "reviewRating": {"@type": "Rating", "ratingValue": item["rating"], "bestRating": 5},
                "author": {"@type": "Person", "name": item["author"] or "Customer"},
                "datePublished": item["date"],
                "name": item["title"],
                "reviewBody": item["body"],
            }
            for item in reviews[:10]
        ]
    return data
