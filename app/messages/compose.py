"""Who a message goes to and everything its template may use, read from the database.

Rendering itself (``render.py``) is pure; this module is the one place that turns an outbox row into
the template's variables: the customer, the order and its items, the parcel, the products to review,
the recommendations, the offer and the one-click links.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import evidence, recommend
from app.journeys import config as journey_config
from app.journeys import timing
from app.journeys.config import OFFER_STEPS
from app.journeys.reasons import PROBLEM_WORDS, Reason, words
from app.journeys.steps import Kind
from app.links import Links
from app.messages.localise import e164, long_date, money, number
from app.messages.render import FALLBACK_LOCALE, LOCALES
from app.models import Message, Order, ParcelTrack, Shipment, Store
from app.parcels import estimate
from app.recommend import picks as recommend_picks
from app.reviews import messages as review_messages
from tracking import detect

UNSUBSCRIBE_WORDS = {
    "en": "Unsubscribe, or choose which emails you get",
    "ar": "إلغاء الاشتراك، أو اختيار الرسائل التي تصلك",
    "fa": "لغو اشتراک، یا انتخاب ایمیل‌هایی که دریافت می‌کنید",
}
OPT_IN_WORDS = {
    "en": "Yes, send me offers",
    "ar": "نعم، أرسلوا إليّ العروض",
    "fa": "بله، پیشنهادها را بفرستید",
}  # the same words as the button on the page it opens (``app.web.public.optin``)
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


def build(
    session: Session,
    store: Store,
    message: Message,
    links: Links,
    locale: str | None = None,
    *,
    granted: Mapping[str, set[str]] | None = None,
) -> Built:
    """Everything one message needs; ``locale`` overrides the customer's language (a preview). The
    recipient is the order's own contact as the store recorded it on that order (invariant 6).
    ``granted``: the marketing consents of the batch's addresses (``evidence.granted``), when the
    dispatcher already read them for all of its messages at once."""
    order = session.get(Order, message.order_id) if message.order_id else None
    if order is None:
        raise NoRecipient(Reason.of("no_order"))
    if message.step in ("merchant_alert", "plan_alert"):  # to the store itself
        address = store.reply_to
        if not address:
            raise NoRecipient(Reason.of("no_alert_address"))
        locale = choose_locale(locale, store.default_locale)
        context = _base(store, order, locale)
        context["alert"] = words(message.why, locale, store.timezone)
        context["alert_code"] = message.reason_code
        return Built(locale, address, store.name, context)
    phone = e164(order.phone, order.ship_country)
    if not (order.email or phone):
        raise NoRecipient(Reason.of("no_recipient"))
    locale = choose_locale(locale, order.locale, store.default_locale)
    context = _base(store, order, locale)
    # Every tracking link goes to our own tracking page; the carrier's is on it, and in ``carrier_url``.
    context["tracking_url"] = links.tracking(store.id, order.id, message.id)
    if message.shipment_id is not None:
        shipment = session.get(Shipment, message.shipment_id)
        if shipment is not None:
            code = detect.carrier(shipment.carrier, shipment.tracking_number)
            context["shipment"] = {
                "carrier": shipment.carrier or detect.label(code),
                "tracking_number": shipment.tracking_number or "",
                "tracking_url": context["tracking_url"],
                "carrier_url": shipment.tracking_url or detect.link(code, shipment.tracking_number) or "",
                "status": shipment.status,
                "problem": PROBLEM_WORDS[shipment.status][0] if shipment.status in PROBLEM_WORDS else "",
            }
    if message.step in ("thank_you", "shipped"):
        context["estimate"] = delivery_estimate(session, store, order, message.shipment_id, locale)
    if message.step in review_messages.STEPS:
        context.update(review_messages.extend(session, store, order, message, links, locale))
    if message.step in ("cross_sell", "buy_again"):
        context["recommendations"] = _recommendations(session, store, order, message, locale)
    if message.step == "win_back":
        context["coupon"] = journey_config.parse(store.journey).win_back_coupon or ""
    if message.step in OFFER_STEPS:
        context["offer"] = None  # the code made for this message alone, filled in at send time
        context.setdefault("coupon", "")
    if message.step == "check_in":
        context["check_in"] = links.check_in(store.id, order.id)
    if message.step == "thank_you":
        context["opt_in"] = _opt_in(session, store, order, links, locale, granted)
    unsubscribe_url = None
    if message.kind != Kind.TRANSACTIONAL.value:
        unsubscribe_url = links.unsubscribe(store.id, order.id, message.kind)
        context["unsubscribe"] = unsubscribe_context(unsubscribe_url, locale)
    name = " ".join(part for part in (order.first_name, order.last_name) if part)
    return Built(locale, order.email or "", name, context, phone, unsubscribe_url, order.external_id)


def _recommendations(
    session: Session, store: Store, order: Order, message: Message, locale: str
) -> list[dict[str, Any]]:
    """The products to show, chosen now (stock and publish state as they are at sending), each with a
    one-click reorder link on a buy-again reminder; what was shown is kept for the revenue report."""
    if message.step == "buy_again":
        picks = recommend.buy_again(session, store, order)
    else:
        picks = recommend.for_order(session, order)
    recommend_picks.record(session, message, picks)
    return [
        {
            "title": pick.product.title,
            "url": pick.product.url or "",
            "price": money(pick.product.price, order.currency, locale),
            "reorder_url": recommend.reorder_url(store, pick) if message.step == "buy_again" else "",
            "quantity": number(pick.quantity, locale) if pick.quantity > 1 else "",
        }
        for pick in picks
    ]


def _opt_in(
    session: Session,
    store: Store,
    order: Order,
    links: Links,
    locale: str,
    granted: Mapping[str, set[str]] | None = None,
) -> dict[str, str] | None:
    """The thank-you's "Yes, send me offers" (our double opt-in), for a customer who has not agreed to
    marketing email yet: the link, and its words in the customer's language."""
    if not order.email:
        return None
    address = order.email.lower()
    if granted is None:
        granted = evidence.granted(session, store, [address])
    if "email" in granted.get(address, set()):
        return None
    return {"url": links.optin(store.id, order.id), "label": OPT_IN_WORDS[locale]}


def _base(store: Store, order: Order, locale: str) -> dict[str, Any]:
    solar_hijri = journey_config.parse(store.journey).solar_hijri
    lines = order.lines
    return {
        "locale": locale,
        "store": {"name": store.name, "email": store.reply_to or ""},
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


def delivery_estimate(
    session: Session, store: Store, order: Order, shipment_id: int | None, locale: str
) -> dict[str, str] | None:
    """When it should arrive, from the store's own history (``app.parcels.estimate``), as dates the
    customer reads: their language, their calendar; None when the store has too little history."""
    shipment = session.get(Shipment, shipment_id) if shipment_id is not None else None
    if shipment is not None:
        track = session.scalars(select(ParcelTrack).where(ParcelTrack.shipment_id == shipment.id)).first()
        found = estimate.for_parcel(session, store, shipment, track)
    else:
        found = estimate.for_order(session, store, order)
    if found is None:
        return None
    solar_hijri = journey_config.parse(store.journey).solar_hijri
    zone = timing.zone_for(order.ship_country, order.phone, store.timezone)
    earliest = long_date(found.earliest, locale, zone, solar_hijri=solar_hijri)
    latest = long_date(found.latest, locale, zone, solar_hijri=solar_hijri)
    return {"earliest": earliest, "latest": latest, "same_day": str(earliest == latest).lower()}


def members(message: Message) -> list[int]:
    """The orders a (merged) review request covers, as the planner recorded them on the message."""
    try:
        found = json.loads(message.members) if message.members else []
    except ValueError:
        found = []
    ids = [member for member in found if isinstance(member, int)] if isinstance(found, list) else []
    return ids or ([message.order_id] if message.order_id is not None else [])
