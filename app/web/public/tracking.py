"""The customer's tracking page, ``/t/<token>``: every tracking link in every message comes here.

The token names the store, the order and the message it came in, signed for this one purpose; a
tampered, expired or other store's token is a clear 404 page in the customer's language. Each view
is recorded as a click on that message (so revenue after it is attributed like any message's), then
the page is served from a small cache of rendered pages keyed by everything it shows (an ETag too,
so a browser that has it gets 304). Server-rendered, no script, in the customer's language and
calendar, right to left where it belongs.
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections import defaultdict
from typing import Any
from zoneinfo import ZoneInfo

from cachetools import TTLCache
from flask import Blueprint, make_response, render_template, request
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from app import clock, recommend, signing
from app.journeys import config as journey_config
from app.journeys import timing
from app.links import Links
from app.messages.compose import choose_locale
from app.messages.localise import digits, long_date, money
from app.messages.render import LOCALES
from app.models import (
    Click,
    Message,
    Order,
    ParcelTrack,
    Product,
    Shipment,
    ShipmentEvent,
    Store,
    TrackingBrand,
)
from app.parcels import estimate, scans
from app.recommend import picks as recommend_picks
from app.reviews.links import ReviewLinks
from app.web import current_services
from app.web.public.tracking_words import WORDS, status
from tracking import detect

bp = Blueprint("tracking_page", __name__, template_folder="templates")
COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")
DEFAULT_COLOR = "#1f3a34"
_PAGES: TTLCache[tuple[int, str], str] = TTLCache(maxsize=5_000, ttl=300)
_LOCK = threading.Lock()


@bp.get("/t/<token>")
def page(token: str) -> Response:
    services = current_services()
    lang = request.args.get("lang", "")
    asked = lang if lang in LOCALES else None
    try:
        store_id, order_id, message_id = Links(services.settings).read_tracking(token)
    except signing.TokenInvalid:
        return _not_found(asked)
    with services.db.session() as session:
        store, order = session.get(Store, store_id), session.get(Order, order_id)
        if store is None or order is None or order.store_id != store.id:
            return _not_found(asked)
        message = session.get(Message, message_id) if message_id else None
        mine = message is not None and message.store_id == store.id and message.order_id == order.id
        session.add(
            Click(store_id=store.id, message_id=message_id if mine else None, url=request.path[:2048])
        )
        locale = choose_locale(asked, order.locale, store.default_locale)
        shipments = list(
            session.scalars(
                select(Shipment)
                .where(Shipment.store_id == store.id, Shipment.order_id == order.id)
                .order_by(Shipment.id)
            )
        )
        ids = [shipment.id for shipment in shipments]
        seen = session.execute(
            select(func.count(ShipmentEvent.id), func.max(ShipmentEvent.id)).where(
                ShipmentEvent.store_id == store.id, ShipmentEvent.shipment_id.in_(ids)
            )
        ).one()
        brand = session.get(TrackingBrand, store.id)
        tag = _etag(store, order, shipments, seen, brand, locale, message_id if mine else None)
        if tag in request.if_none_match:
            return _cached(make_response("", 304), tag)
        key = (id(session.get_bind()), tag)  # one process may serve several databases (tests)
        with _LOCK:
            html = _PAGES.get(key)
        if html is None:
            html = _render(session, store, order, shipments, brand, locale, message_id if mine else None)
            with _LOCK:
                _PAGES[key] = html
    return _cached(make_response(html), tag)


def _etag(
    store: Store, order: Order, shipments: list[Shipment], seen: Any, brand: Any, locale: str, message: Any
) -> str:
    parts = [
        store.id,
        store.name,
        store.updated_at.isoformat() if store.updated_at else "",
        order.id,
        order.updated_at.isoformat() if order.updated_at else "",
        locale,
        message,
        tuple(seen),
        clock.now().date().isoformat(),  # "expected between": relative words age with the day
        *[(s.id, s.status, s.updated_at.isoformat() if s.updated_at else "") for s in shipments],
        *([brand.logo_url, brand.color, brand.help_url, brand.returns_url] if brand else []),
    ]
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:32]


def _cached(response: Response, tag: str) -> Response:
    response.set_etag(tag)
    # Private: the page is one customer's. A minute: fresh enough for a parcel, and a reload is free.
    response.headers["Cache-Control"] = "private, max-age=60"
    response.headers["Referrer-Policy"] = "no-referrer"  # the token stays ours
    return response


def _not_found(locale: str | None) -> Response:
    locale = locale or request.accept_languages.best_match(list(LOCALES)) or "en"
    words = WORDS[locale]
    html = render_template("public/tracking_missing.html", words=words, locale=locale)
    response = make_response(html, 404)
    response.headers["Cache-Control"] = "no-store"
    return response


def _render(
    session: Session,
    store: Store,
    order: Order,
    shipments: list[Shipment],
    brand: TrackingBrand | None,
    locale: str,
    message_id: int | None,
) -> str:
    words = WORDS[locale]
    links = Links(current_services().settings)
    reviews = ReviewLinks(current_services().settings)
    solar_hijri = journey_config.parse(store.journey).solar_hijri
    zone = timing.zone_for(order.ship_country, order.phone, store.timezone)

    def day(moment: Any) -> str:
        return long_date(moment, locale, zone, solar_hijri=solar_hijri)

    def hour(moment: Any) -> str:
        return digits(moment.astimezone(ZoneInfo(zone)).strftime("%H:%M"), locale)

    def tracked(url: str) -> str:
        return links.tracked(store.id, message_id, url) if message_id else url

    reports: dict[int, list[ShipmentEvent]] = defaultdict(list)
    for event in session.scalars(
        select(ShipmentEvent).where(
            ShipmentEvent.store_id == store.id, ShipmentEvent.shipment_id.in_([s.id for s in shipments])
        )
    ):
        reports[event.shipment_id].append(event)
    # each scan once (whichever source told it), newest first
    events = {shipment_id: scans.distinct(found)[::-1] for shipment_id, found in reports.items()}
    tracks = {
        track.shipment_id: track
        for track in session.scalars(
            select(ParcelTrack).where(
                ParcelTrack.store_id == store.id, ParcelTrack.shipment_id.in_([s.id for s in shipments])
            )
        )
    }
    parcels = []
    for n, shipment in enumerate(shipments, start=1):
        track = tracks.get(shipment.id)
        code = (track.carrier if track else None) or detect.carrier(
            shipment.carrier, shipment.tracking_number
        )
        carrier = detect.label(code, shipment.carrier)
        found = estimate.for_parcel(session, store, shipment, track)
        parcels.append(
            {
                "heading": words["parcel"].format(
                    n=digits(str(n), locale), count=digits(str(len(shipments)), locale)
                ),
                "status": shipment.status,
                "status_words": status(shipment.status, locale),
                "delivered": day(shipment.delivered_at) if shipment.delivered_at else None,
                "estimate": _estimate_words(found, words, day),
                "carrier": carrier,
                "number": shipment.tracking_number or "",
                "carrier_url": shipment.tracking_url or detect.link(code, shipment.tracking_number),
                "history": [
                    {
                        "day": day(event.happened_at),
                        "time": hour(event.happened_at),
                        "iso": event.happened_at.isoformat(),
                        "status": event.status,
                        "words": status(event.status, locale),
                        "detail": event.detail or "",
                        "location": event.location or "",
                    }
                    for event in events.get(shipment.id, [])
                ],
            }
        )
    delivered = bool(shipments) and all(shipment.delivered_at for shipment in shipments)
    waiting = None if shipments else _estimate_words(estimate.for_order(session, store, order), words, day)
    products = {}
    if delivered:
        products = {
            product.external_id: product
            for product in session.scalars(
                select_products(
                    store.id, [line.product_external_id for line in order.lines if line.product_external_id]
                )
            )
        }
    items = []
    for line in order.lines:
        product = products.get(line.product_external_id or "")
        # our own review page (issue 14's): a star there is a verified buyer's rating, recorded at once
        review = (
            reviews.page(store.id, order.id, line.product_external_id)
            if product is not None and line.product_external_id and line.quantity > line.refunded_quantity
            else None
        )
        items.append(
            {
                "title": line.title,
                "quantity": digits(str(line.quantity), locale),
                "price": money(line.unit_price * line.quantity, order.currency, locale),
                "review_url": review,
            }
        )
    recommendations = []
    if delivered:
        picks = [pick for pick in recommend.for_order(session, order) if pick.product.url]
        if message_id:  # what the page showed counts as that message's, for the revenue report
            message = session.get(Message, message_id)
            if message is not None:
                recommend_picks.record(session, message, picks)
        recommendations = [
            {
                "title": pick.product.title,
                "url": tracked(pick.product.url or ""),
                "price": money(pick.product.price, order.currency, locale),
            }
            for pick in picks
        ]
    color = brand.color if brand and brand.color and COLOR.match(brand.color) else DEFAULT_COLOR
    contact = store.reply_to
    return render_template(
        "public/tracking.html",
        locale=locale,
        words=words,
        store=store,
        order_number=digits(order.number, locale) if locale == "fa" else order.number,
        title=words["title"].format(number=order.number),
        parcels=parcels,
        waiting=waiting,
        items=items,
        delivered=delivered,
        recommendations=recommendations,
        color=color,
        logo=brand.logo_url if brand else None,
        help_url=brand.help_url if brand else None,
        returns_url=brand.returns_url if brand else None,
        contact=contact,
        stars=[(n, words["stars"].format(n=digits(str(n), locale))) for n in range(1, 6)],
    )


def select_products(store_id: int, ids: list[str]) -> Any:
    return select(Product).where(Product.store_id == store_id, Product.external_id.in_(ids))


def _estimate_words(found: estimate.Estimate | None, words: dict[str, str], day: Any) -> str | None:
    if found is None:
        return None
    earliest, latest = day(found.earliest), day(found.latest)
    when = (
        words["estimate_day"].format(earliest=earliest)
        if earliest == latest
        else words["estimate_range"].format(earliest=earliest, latest=latest)
    )
    return words["estimate"].format(range=when)
