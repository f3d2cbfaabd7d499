"""Reviews as WooCommerce's REST API holds them (``/products/reviews``): what we send, what we read."""

from __future__ import annotations

import html
from datetime import UTC, datetime
from typing import Any

from connectors.base import ReviewToPublish, StoreReview


def fields(review: ReviewToPublish) -> dict[str, Any]:
    """The review's fields for WooCommerce. WordPress shows a review's content as HTML (after its own
    filters), so our plain text is escaped here: a customer's ``<b>`` stays text on the product page.
    WooCommerce has no title: it leads the text in bold."""
    text = html.escape(review.body).replace("\n", "<br>\n")
    if review.title:
        text = (
            f"<strong>{html.escape(review.title)}</strong><br>\n{text}" if text else html.escape(review.title)
        )
    # WooCommerce refuses a review without content: a rating alone is shown as its stars.
    text = text or "★" * review.rating
    return {"reviewer": review.reviewer or "Customer", "review": text, "rating": review.rating}


def store_review(data: dict[str, Any]) -> StoreReview | None:
    """One review the store holds, or None for one that counts for nothing (no email, no stars)."""
    email = str(data.get("reviewer_email") or "").strip().lower()
    rating = int(data.get("rating") or 0)
    if not email or not 1 <= rating <= 5 or data.get("status") in ("trash", "spam"):
        return None
    created = str(data.get("date_created_gmt") or data["date_created"])
    return StoreReview(
        remote_id=str(int(data["id"])),
        product_id=str(int(data["product_id"])),
        email=email,
        rating=rating,
        created_at=datetime.fromisoformat(created).replace(tzinfo=UTC),
    )
