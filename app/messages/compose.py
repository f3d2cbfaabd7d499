"""Who a message goes to and everything its template may use, read from the database.

Rendering itself (``render.py``) is pure; this module is the one place that turns an outbox row into
the template's variables: the customer, the order and its items, the parcel, the products to review,
the recommendations, the offer and the one-click links.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import recommend
from app.journeys import config as journey_config
from app.journeys import planner
from app.journeys.steps import Kind
from app.links import Links
from app.messages.localise import e164, long_date, money
from app.messages.render import FALLBACK_LOCALE, LOCALES
from app.models import Customer, Message, Order, OrderLine, Product, Review, Shipment, Store

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
    """Nobody to send to (no customer, no address): the message is cancelled with this reason."""


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
    """Everything one message needs; ``locale`` overrides the customer's language (a preview)."""
    order = session.get(Order, message.order_id) if message.order_id else None
    customer = session.get(Customer, message.customer_id) if message.customer_id else None
    if order is None:
        raise NoRecipient("the order no longer exists")
    if message.step == "merchant_alert":
        address = store.reply_to or store.sender_email
        if not address:
            raise NoRecipient("the store has no address to alert")
        locale = choose_locale(locale, store.default_locale)
        context = _base(store, order, customer, locale)
        context["alert"] = message.reason
        return Built(locale, address, store.name, context)
    phone = e164(customer.phone, order.ship_country) if customer is not None else None
    if customer is None or not (customer.email or phone):
        raise NoRecipient("there is no one to send it to")
    locale = choose_locale(locale, order.locale, customer.locale, store.default_locale)
    context = _base(store, order, customer, locale)
    if message.shipment_id is not None:
        shipment = session.get(Shipment, message.shipment_id)
        if shipment is not None:
            context["shipment"] = {
                "carrier": shipment.carrier or "",
                "tracking_number": shipment.tracking_number or "",
                "tracking_url": shipment.tracking_url or "",
                "status": shipment.status,
                "problem": planner.PROBLEMS.get(shipment.status, "")
                if shipment.status in planner.PROBLEMS
                else "",
            }
    if message.step in ("review_request", "review_reminder"):
        context["review_items"] = _review_items(session, store, order, customer)
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
        unsubscribe_url = links.unsubscribe(store.id, customer.id, message.kind)
        context["unsubscribe"] = unsubscribe_context(unsubscribe_url, locale)
    name = " ".join(part for part in (customer.first_name, customer.last_name) if part)
    return Built(locale, customer.email or "", name, context, phone, unsubscribe_url, order.external_id)


def _base(store: Store, order: Order, customer: Customer | None, locale: str) -> dict[str, Any]:
    solar_hijri = journey_config.parse(store.journey).solar_hijri
    lines = order.lines
    return {
        "locale": locale,
        "store": {"name": store.name, "email": store.reply_to or store.sender_email or ""},
        "customer": {
            "first_name": (customer.first_name if customer else None) or "",
            "last_name": (customer.last_name if customer else None) or "",
        },
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


def _review_items(session: Session, store: Store, order: Order, customer: Customer) -> list[dict[str, str]]:
    """The kept, not yet reviewed products of this order and of any order merged into its request."""
    config = journey_config.parse(store.journey)
    from app.journeys.schedule import order_state  # the planner's view decides what was merged

    state = order_state(session, store, order, config, recommendations=False)
    member_ids = list(state.review_group.order_ids) if state.review_group else [order.id]
    lines = session.scalars(
        select(OrderLine).where(OrderLine.order_id.in_(member_ids)).order_by(OrderLine.id)
    ).all()
    reviewed = set(
        session.scalars(
            select(Review.product_external_id).where(
                Review.store_id == store.id, Review.customer_id == customer.id
            )
        )
    )
    urls = dict(
        session.execute(select(Product.external_id, Product.url).where(Product.store_id == store.id)).all()
    )
    items, seen = [], set()
    for line in lines:
        key = line.product_external_id or line.title
        if line.quantity - line.refunded_quantity <= 0 or key in reviewed or key in seen:
            continue
        seen.add(key)
        items.append({"title": line.title, "url": urls.get(line.product_external_id or "") or ""})
    return items
