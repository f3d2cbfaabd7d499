"""Delivery estimates from the store's own history: the median days from shipping (or, before a
parcel ships, from the order) to delivery of its delivered parcels, with the middle half as the
range, taken from the closest group that has enough parcels: the same carrier to the same country,
then the carrier, then the country, then the whole store. A carrier's own estimate, when a tracking
source gives one, is preferred for the parcel it is about.

The first estimate a parcel gets is kept (``ParcelTrack.estimate_from/to``) so the dashboard can say
how often estimates held."""

from __future__ import annotations

import statistics
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta

from cachetools import TTLCache
from sqlalchemy import select
from sqlalchemy.orm import Session

from app import clock
from app.models import Order, ParcelTrack, Shipment, Store
from connectors.base import ShipmentStatus
from tracking import detect

HISTORY = timedelta(days=180)
ENOUGH = 5  # parcels in a group before its times are trusted
DAY = timedelta(days=1)
_CACHE: TTLCache[tuple[int, int], list[Sample]] = TTLCache(maxsize=2_000, ttl=600)
_LOCK = threading.Lock()


@dataclass(frozen=True)
class Sample:
    carrier: str | None
    country: str | None
    placed_days: float  # order placed -> delivered
    transit_days: float | None  # shipped -> delivered


@dataclass(frozen=True)
class Estimate:
    earliest: datetime
    latest: datetime
    typical: datetime
    samples: int
    basis: str  # carrier_country | carrier | country | store | carrier_said


def history(session: Session, store: Store) -> list[Sample]:
    """The store's delivered parcels of the last half year, kept ten minutes per store."""
    key = (id(session.get_bind()), store.id)
    with _LOCK:
        found = _CACHE.get(key)
    if found is not None:
        return found
    rows = session.execute(
        select(
            Shipment.carrier,
            Shipment.tracking_number,
            Shipment.shipped_at,
            Shipment.delivered_at,
            Order.placed_at,
            Order.ship_country,
            ParcelTrack.carrier,
        )
        .join(Order, Order.id == Shipment.order_id)
        .outerjoin(ParcelTrack, ParcelTrack.shipment_id == Shipment.id)
        .where(
            Shipment.store_id == store.id,
            Shipment.delivered_at.is_not(None),
            Shipment.delivered_at >= clock.now() - HISTORY,
        )
        .order_by(Shipment.delivered_at.desc())
        .limit(5_000)
    ).all()
    samples = []
    for name, number, shipped, delivered, placed, country, code in rows:
        if delivered is None:  # never: only delivered parcels are selected
            continue
        transit = (delivered - shipped) / DAY if shipped and delivered >= shipped else None
        samples.append(
            Sample(
                code or detect.carrier(name, number),
                country,
                max(0.0, (delivered - placed) / DAY),
                transit,
            )
        )
    with _LOCK:
        _CACHE[key] = samples
    return samples


def forget(store_id: int) -> None:
    """Drop the cached history of a store (tests, after a batch of deliveries)."""
    with _LOCK:
        for key in [key for key in _CACHE if key[1] == store_id]:
            _CACHE.pop(key, None)


def learn(
    samples: list[Sample], carrier: str | None, country: str | None, *, shipped: bool, gone: float = 0.0
) -> tuple[float, float, float, int, str] | None:
    """(p25, median, p75, count, basis) in days, from the closest group with enough parcels. ``gone``:
    days this parcel has already been on its way; then only the parcels that took at least that long
    are asked (how long do parcels still travelling after ``gone`` days take?), when there are enough."""
    if gone > 0:
        found = learn([s for s in samples if _days(s, shipped) >= gone], carrier, country, shipped=shipped)
        if found is not None:
            return found
    groups = (
        ("carrier_country", lambda s: s.carrier == carrier and s.country == country, carrier and country),
        ("carrier", lambda s: s.carrier == carrier, carrier),
        ("country", lambda s: s.country == country, country),
        ("store", lambda s: True, True),
    )
    for basis, keep, usable in groups:
        if not usable:
            continue
        days = [_days(s, shipped) for s in samples if keep(s) and (s.transit_days is not None or not shipped)]
        if len(days) >= ENOUGH:
            quarters = statistics.quantiles(days, n=4, method="inclusive")
            return quarters[0], statistics.median(days), quarters[2], len(days), basis
    return None


def for_parcel(
    session: Session, store: Store, shipment: Shipment, track: ParcelTrack | None = None
) -> Estimate | None:
    """When this parcel should arrive, as its news stands now: None once delivered, or when the store
    has too little history; today when it is out for delivery; the carrier's own date when a source
    gave one; else from the store's parcels that took at least as long as this one so far (a parcel
    running late moves its estimate on, rather than showing a range already past)."""
    if shipment.delivered_at is not None:
        return None
    now = clock.now()
    if shipment.status == ShipmentStatus.OUT_FOR_DELIVERY.value:
        return Estimate(now, now, now, 0, "out_for_delivery")
    if track is not None and track.source_estimate is not None and track.source_estimate >= now - DAY:
        at = track.source_estimate
        return Estimate(at, at, at, 0, "carrier_said")
    order = session.get(Order, shipment.order_id)
    start = shipment.shipped_at or (order.placed_at if order else None)
    if start is None:
        return None
    carrier = (track.carrier if track else None) or detect.carrier(shipment.carrier, shipment.tracking_number)
    found = learn(
        history(session, store),
        carrier,
        order.ship_country if order else None,
        shipped=shipment.shipped_at is not None,
        gone=max(0.0, (now - start) / DAY),
    )
    return _dated(start, found, now)


def for_order(session: Session, store: Store, order: Order) -> Estimate | None:
    """Before anything ships (the thank-you note): from the order's own time."""
    found = learn(history(session, store), None, order.ship_country, shipped=False)
    return _dated(order.placed_at, found)


def promise(session: Session, store: Store, shipment: Shipment, track: ParcelTrack) -> None:
    """Keep the first estimate a parcel gets, to measure later whether it held."""
    if track.estimate_from is not None:
        return
    found = for_parcel(session, store, shipment, None)
    if found is not None:
        track.estimate_from, track.estimate_to = found.earliest, found.latest


def held(track: ParcelTrack, delivered_at: datetime) -> bool | None:
    """Whether a delivered parcel came inside its first estimate (to the day); None without one."""
    if track.estimate_from is None or track.estimate_to is None:
        return None
    return track.estimate_from.date() <= delivered_at.date() <= track.estimate_to.date()


def _days(sample: Sample, shipped: bool) -> float:
    return (sample.transit_days or 0.0) if shipped else sample.placed_days


def _dated(
    start: datetime, found: tuple[float, float, float, int, str] | None, now: datetime | None = None
) -> Estimate | None:
    if found is None:
        return None
    low, middle, high, count, basis = found
    earliest = start + timedelta(days=max(0, int(low)))
    latest = start + timedelta(days=max(int(high + 0.999), int(low) + 1))
    if now is not None and latest < now:  # later than every parcel like it: from today, not the past
        earliest, latest = now, now + DAY
    elif now is not None and earliest < now:
        earliest = now
    return Estimate(earliest, latest, max(earliest, start + timedelta(days=middle)), count, basis)
