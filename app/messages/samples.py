"""What a template is tried against before it is saved, and what a preview shows.

A merchant's template is checked three ways: against the store's most recent real order (the
variables as ``compose.build`` gives them for that step), against a full sample (every optional part
present), and against a sparse one (no first name, no tracking link, nothing to review or recommend,
no coupon), so that a template that only works for some customers is refused at once rather than
failing on the day it meets one. The samples have exactly the keys ``compose.build`` gives each step
(a test keeps them equal).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.journeys import config as journey_config
from app.journeys.config import OFFER_STEPS
from app.journeys.steps import STEPS, Anchor, Kind
from app.links import Links
from app.messages import compose
from app.messages.localise import long_date, money, number
from app.models import Message, Order, Shipment, Store
from app.reviews.links import ReviewLinks

NAMES = {"en": ("Layla", "Haddad"), "ar": ("ليلى", "حداد"), "fa": ("لیلا", "حدادی")}
ITEMS = {
    "en": [("Oud candle", 2, Decimal("49.75")), ("Tea set for two", 1, Decimal("50.00"))],
    "ar": [("شمعة عود", 2, Decimal("49.75")), ("طقم شاي لشخصين", 1, Decimal("50.00"))],
    "fa": [("شمع عود", 2, Decimal("49.75")), ("سرویس چای دونفره", 1, Decimal("50.00"))],
}
SAMPLE_PLACED = datetime(2026, 11, 3, 9, 30, tzinfo=UTC)


def tracking_step(step: str) -> bool:
    return STEPS[step].anchor is Anchor.SHIPMENT_EVENT


def sample_context(
    store: Store, step: str, locale: str, links: Links, *, sparse: bool = False
) -> dict[str, Any]:
    """A made-up order of this store, in ``locale``, with every variable ``step`` gets."""
    first, last = NAMES.get(locale, NAMES["en"])
    currency = store.currency or "USD"
    items = ITEMS.get(locale, ITEMS["en"])
    config = journey_config.parse(store.journey)
    context: dict[str, Any] = {
        "locale": locale,
        "store": {"name": store.name, "email": store.reply_to or ""},
        "customer": {"first_name": "" if sparse else first, "last_name": "" if sparse else last},
        "order": {
            "number": "#1042",
            "total": money(
                sum((price * quantity for _, quantity, price in items), Decimal(0)), currency, locale
            ),
            "placed_on": long_date(SAMPLE_PLACED, locale, store.timezone, solar_hijri=config.solar_hijri),
            "cash_on_delivery": False,
        },
        "items": [
            {"title": title, "quantity": quantity, "price": money(price * quantity, currency, locale)}
            for title, quantity, price in items
        ],
    }
    context["tracking_url"] = links.tracking(store.id, 0) if store.id else ""
    if tracking_step(step):
        context["shipment"] = {
            "carrier": "" if sparse else "Aramex",
            "tracking_number": "" if sparse else "AX123456789SA",
            "tracking_url": context["tracking_url"],
            "carrier_url": ""
            if sparse
            else "https://www.aramex.com/track/results?ShipmentNumber=AX123456789SA",
            "status": "attempted_delivery" if step == "delivery_problem" else "in_transit",
            "problem": "a failed delivery attempt" if step == "delivery_problem" else "",
        }
    if step in ("thank_you", "shipped"):
        context["estimate"] = (
            None
            if sparse
            else {
                "earliest": long_date(SAMPLE_PLACED + timedelta(days=3), locale, store.timezone),
                "latest": long_date(SAMPLE_PLACED + timedelta(days=5), locale, store.timezone),
                "same_day": "false",
            }
        )
    if step in ("review_request", "review_reminder"):
        sample_links = ReviewLinks(links.settings)
        context["review_items"] = (
            []
            if sparse
            else [
                {
                    "title": items[0][0],
                    "url": "https://example.com/p/oud",
                    "stars": sample_links.stars(store.id, 1, "sample"),
                    "page": sample_links.page(store.id, 1, "sample"),
                }
            ]
        )
    if step in ("review_reply", "review_reward"):
        context["review"] = {"product": items[0][0], "stars": 2, "page": ""}
        context["reward"] = {"code": "THANKS-7Q2M", "percent": 10, "until": "1 March 2027"}
    if step == "cross_sell":
        context["recommendations"] = (
            []
            if sparse
            else [
                {
                    "title": items[1][0],
                    "url": "https://example.com/p/tea",
                    "price": money(Decimal(50), currency, locale),
                    "reorder_url": "",
                    "quantity": "",
                }
            ]
        )
    if step == "buy_again":
        context["recommendations"] = (
            []
            if sparse
            else [
                {
                    "title": items[0][0],
                    "url": "https://example.com/p/oud",
                    "price": money(Decimal(120), currency, locale),
                    "reorder_url": "https://example.com/cart/4242:1",
                    "quantity": "",
                }
            ]
        )
    if step == "win_back":
        context["coupon"] = "" if sparse else (config.win_back_coupon or "WELCOMEBACK10")
    if step in OFFER_STEPS:
        context.setdefault("coupon", "")
        context["offer"] = (
            None
            if sparse
            else {
                "code": "BACK-7QK2M-9XH4T",
                "amount": f"{number(10, locale)}%",
                "expires_on": long_date(datetime(2026, 12, 31, 12, tzinfo=UTC), locale, store.timezone),
            }
        )
    if step == "check_in":
        context["check_in"] = links.check_in(store.id, 0)
        context["nps"] = ReviewLinks(links.settings).nps(store.id, 1) if config.reviews.nps else []
    if step == "thank_you":
        context["opt_in"] = (
            None if sparse else {"url": links.optin(store.id, 0), "label": compose.OPT_IN_WORDS[locale]}
        )
    if STEPS[step].kind is not Kind.TRANSACTIONAL:
        unsubscribe = links.unsubscribe(store.id, 0, STEPS[step].kind.value)
        context["unsubscribe"] = compose.unsubscribe_context(unsubscribe, locale)
    return context


def recent_context(
    session: Session, store: Store, step: str, locale: str, links: Links
) -> dict[str, Any] | None:
    """The variables ``step`` would get for the store's most recent order (with a parcel, for a
    tracking step), in ``locale``; None when the store has no such order yet."""
    query = select(Order).where(Order.store_id == store.id, Order.contact.is_not(None))
    if tracking_step(step):
        query = query.where(select(Shipment.id).where(Shipment.order_id == Order.id).exists())
    order = session.scalars(query.order_by(Order.placed_at.desc()).limit(1)).first()
    if order is None:
        return None
    shipment_id = None
    if tracking_step(step):
        shipment_id = session.scalars(
            select(Shipment.id).where(Shipment.order_id == order.id).limit(1)
        ).first()
    message = Message(
        store_id=store.id,
        order_id=order.id,
        customer_id=order.customer_id,
        shipment_id=shipment_id,
        step=step,
        kind=STEPS[step].kind.value,
        reason_code="legacy",
        reason_params='{"text": "a preview"}',
    )
    try:
        return compose.build(session, store, message, links, locale=locale).context
    except compose.NoRecipient:
        return None
