"""Who a message goes to and everything its template may use, read from the database.

Rendering itself (``render.py``) is pure; this module is the one place that turns an outbox row into
the template's variables: the customer, the order and its items, the parcel, the products to review,
the recommendations, the offer and the one-click links.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from app import recommend
from app.journeys import config as journey_config
from app.journeys.reasons import PROBLEM_WORDS, Reason, words
from app.journeys.steps import Kind
from app.links import Links
from app.messages.localise import e164, long_date, money
from app.messages.render import FALLBACK_LOCALE, LOCALES
from app.models import Message, Order, Shipment, Store
from app.reviews import messages as review_messages

UNSUBSCRIBE_WORDS = {
    "en": "Unsubscribe, or choose which emails you get",
    "ar": "إلغاء الاشتراك، أو اختيار الرسائل التي تصلك",
    "fa": "لغو اشتراک، یا انتخاب ایمیل‌هایی که دریافت می‌کنید",
}
STOP_WORDS = {
    "en": "Stop these messages",
    "ar": "لإيقاف هذه الرسائل",
    "fa": "لغو این پیام‌ها",
}  # SMS, WhatsApp


class NoRecipient(Exception):
    """Nobody to send to (no order, no address): the message is cancelled with this reason."""

    def __init__(self, reason: Reason) -> None:
        super().__init__(str(reason))
        self.reason = reason


@dataclass(frozen=True)
class Built:
    locale: str
    to_address: str  # email; empty when the customer left only a phone number
    to_name: str
    context: dict[str, Any]
    to_phone: str | None = None  # E.164, for SMS and WhatsApp
    unsubscribe_url: str | None = None  # every message a customer may refuse carries one
    order_ref: str | None = None  # the platform's order id, for channels that write on the order


def unsubscribe_context(url: str, locale: str) -> dict[str, str]:
    """The ``unsubscribe`` variable: the link, the footer's words, and the SMS stop line's words."""
    return {"url": url, "label": UNSUBSCRIBE_WORDS[locale], "stop": STOP_WORDS[locale]}


def choose_locale(*candidates: str | None) -> str:
    """The first candidate we have templates for, reduced to its language (``ar-SA`` -> ``ar``)."""
    for candidate in candidates:
        if candidate:
            language = candidate.replace("-", "_").split("_")[0].lower()
            if language in LOCALES:
                return language
    return FALLBACK_LOCALE


def build(session: Session, store: Store, message: Message, links: Links, locale: str | None = None) -> Built:
    """Everything one message needs; ``locale`` overrides the customer's language (a preview). The
    recipient is the order's own contact as the store recorded it on that order (invariant 6)."""
    order = session.get(Order, message.order_id) if message.order_id else None
    if order is None:
        raise NoRecipient(Reason.of("no_order"))
    if message.step == "merchant_alert":
        address = store.reply_to or store.sender_email
        if not address:
            raise NoRecipient(Reason.of("no_alert_address"))
        locale = choose_locale(locale, store.default_locale)
        context = _base(store, order, locale)
        context["alert"] = words(message.why, locale, store.timezone)
        return Built(locale, address, store.name, context)
    phone = e164(order.phone, order.ship_country)
    if not (order.email or phone):
        raise NoRecipient(Reason.of("no_recipient"))
    locale = choose_locale(locale, order.locale, store.default_locale)
    context = _base(store, order, locale)
    if message.shipment_id is not None:
        shipment = session.get(Shipment, message.shipment_id)
        if shipment is not None:
            context["shipment"] = {
                "carrier": shipment.carrier or "",
                "tracking_number": shipment.tracking_number or "",
                "tracking_url": shipment.tracking_url or "",
                "status": shipment.status,
                "problem": PROBLEM_WORDS[shipment.status][0] if shipment.status in PROBLEM_WORDS else "",
            }
    if message.step in review_messages.STEPS:
        context.update(review_messages.extend(session, store, order, message, links, locale))
    if message.step == "cross_sell":
        context["recommendations"] = [
            {
                "title": product.title,
                "url": product.url or "",
                "price": money(product.price, order.currency, locale),
            }
            for product in recommend.for_order(session, order)
        ]
    if message.step == "win_back":
        context["coupon"] = journey_config.parse(store.journey).win_back_coupon or ""
    if message.step == "check_in":
        context["check_in"] = links.check_in(store.id, order.id)
    unsubscribe_url = None
    if message.kind != Kind.TRANSACTIONAL.value:
        unsubscribe_url = links.unsubscribe(store.id, order.id, message.kind)
        context["unsubscribe"] = unsubscribe_context(unsubscribe_url, locale)
    name = " ".join(part for part in (order.first_name, order.last_name) if part)
    return Built(locale, order.email or "", name, context, phone, unsubscribe_url, order.external_id)


def _base(store: Store, order: Order, locale: str) -> dict[str, Any]:
    solar_hijri = journey_config.parse(store.journey).solar_hijri
    lines = order.lines
    return {
        "locale": locale,
        "store": {"name": store.name, "email": store.reply_to or store.sender_email or ""},
        "customer": {"first_name": order.first_name or "", "last_name": order.last_name or ""},
        "order": {
            "number": order.number,
            "total": money(order.total, order.currency, locale),
            "placed_on": long_date(order.placed_at, locale, store.timezone, solar_hijri=solar_hijri),
            "cash_on_delivery": order.cash_on_delivery,
        },
        "items": [
            {
                "title": line.title,
                "quantity": line.quantity,
                "price": money(line.unit_price * line.quantity, order.currency, locale),
            }
            for line in lines
        ],
    }


def members(message: Message) -> list[int]:
    """The orders a (merged) review request covers, as the planner recorded them on the message."""
    try:
        found = json.loads(message.members) if message.members else []
    except ValueError:
        found = []
    ids = [member for member in found if isinstance(member, int)] if isinstance(found, list) else []
    return ids or ([message.order_id] if message.order_id is not None else [])
