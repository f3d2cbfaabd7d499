"""The catalogue of journey steps and their defaults (DESIGN.md, "Journey defaults")."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum


class Kind(StrEnum):
    """What a message is, for consent: transactional messages need none, the rest can be refused."""

    TRANSACTIONAL = "transactional"
    SERVICE = "service"
    REVIEW = "review"
    MARKETING = "marketing"


# What each sending channel needs marketing consent for (``app.evidence`` keeps consent per address and
# channel). The store's mailer and the store's own system are given the email address first; SMS and
# WhatsApp need consent of their own.
CONSENT_FOR_CHANNEL = {
    "smtp": "email",
    "store_note": "email",
    "webhook": "email",
    "outbox": "email",
    "sms": "sms",
    "whatsapp": "whatsapp",
    "flow": "email",  # Flow hands the step to the merchant's own tools, Shopify Email first
}


class Anchor(StrEnum):
    """The event a step's delay counts from."""

    PLACED = "placed"
    PAID = "paid"  # paid, or placed for cash on delivery
    SHIPPED = "shipped"  # the first shipment left
    DELIVERED = "delivered"  # every shipment arrived (or is assumed to have, see delivered_fallback_days)
    PREVIOUS = "previous"  # the step before it in the journey was sent
    SHIPMENT_EVENT = "shipment_event"  # tracking steps: the carrier event itself (not editable)


@dataclass(frozen=True)
class Step:
    name: str
    kind: Kind
    anchor: Anchor
    delay: timedelta
    # A message whose ideal time is further in the past than this is not sent at all: a thank-you
    # for an order placed weeks ago (a backfill, a long outage) confuses more than it pleases.
    max_lateness: timedelta
    per_shipment: bool = False
    title: str = ""


DAY = timedelta(days=1)
STEPS: dict[str, Step] = {
    step.name: step
    for step in (
        Step("thank_you", Kind.TRANSACTIONAL, Anchor.PAID, timedelta(0), 2 * DAY, title="Thank-you note"),
        Step("shipped", Kind.TRANSACTIONAL, Anchor.SHIPMENT_EVENT, timedelta(0), 3 * DAY, True, "Shipped"),
        Step(
            "out_for_delivery",
            Kind.TRANSACTIONAL,
            Anchor.SHIPMENT_EVENT,
            timedelta(0),
            timedelta(hours=12),
            True,
            "Out for delivery",
        ),
        Step(
            "delivered", Kind.TRANSACTIONAL, Anchor.SHIPMENT_EVENT, timedelta(0), 3 * DAY, True, "Delivered"
        ),
        Step(
            "delivery_problem",
            Kind.TRANSACTIONAL,
            Anchor.SHIPMENT_EVENT,
            timedelta(0),
            3 * DAY,
            True,
            "Delivery problem",
        ),
        Step("check_in", Kind.SERVICE, Anchor.DELIVERED, 3 * DAY, 7 * DAY, title="Check-in after delivery"),
        Step("review_request", Kind.REVIEW, Anchor.DELIVERED, 7 * DAY, 30 * DAY, title="Review request"),
        Step("review_reminder", Kind.REVIEW, Anchor.PREVIOUS, 5 * DAY, 14 * DAY, title="Review reminder"),
        Step("cross_sell", Kind.MARKETING, Anchor.DELIVERED, 14 * DAY, 30 * DAY, title="Recommendations"),
        # Its delay is each product's own re-purchase interval (``OrderState.rebuy``) unless the merchant
        # sets one; off for orders holding nothing the store's customers buy twice.
        Step("buy_again", Kind.MARKETING, Anchor.PLACED, timedelta(0), 14 * DAY, title="Buy again"),
        Step("win_back", Kind.MARKETING, Anchor.PLACED, 30 * DAY, 30 * DAY, title="Come-back offer"),
    )
}
PREVIOUS_STEP = {"review_reminder": "review_request"}
