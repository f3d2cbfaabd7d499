"""The dashboard's delivery figures: per carrier, how many parcels were delivered in the period, the
median and middle half of their days in transit, and how often the first estimate the customer was
given held (delivery on a day inside its range)."""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import clock
from app.models import ParcelTrack, Shipment, Store
from app.parcels import estimate
from tracking import detect

DAY = timedelta(days=1)


@dataclass(frozen=True)
class CarrierTimes:
    carrier: str
    delivered: int
    median_days: float
    low_days: float
    high_days: float
    estimated: int  # parcels that had an estimate
    held: int  # of those, delivered inside it

    @property
    def held_share(self) -> float | None:
        return self.held / self.estimated if self.estimated else None


def by_carrier(session: Session, store: Store, days: int = 90) -> list[CarrierTimes]:
    rows = session.execute(
        select(Shipment, ParcelTrack)
        .outerjoin(ParcelTrack, ParcelTrack.shipment_id == Shipment.id)
        .where(
            Shipment.store_id == store.id,
            Shipment.delivered_at.is_not(None),
            Shipment.shipped_at.is_not(None),
            Shipment.delivered_at >= clock.now() - timedelta(days=days),
        )
    ).all()
    transit: dict[str, list[float]] = defaultdict(list)
    estimated: dict[str, int] = defaultdict(int)
    held: dict[str, int] = defaultdict(int)
    for shipment, track in rows:
        code = (track.carrier if track else None) or detect.carrier(
            shipment.carrier, shipment.tracking_number
        )
        name = detect.label(code, shipment.carrier) or "unknown"
        delivered, shipped = shipment.delivered_at, shipment.shipped_at
        if delivered is None or shipped is None:
            continue  # never: only shipped and delivered parcels are selected
        transit[name].append(max(0.0, (delivered - shipped) / DAY))
        if track is not None and (kept := estimate.held(track, delivered)) is not None:
            estimated[name] += 1
            held[name] += int(kept)
    found = []
    for name, values in sorted(transit.items(), key=lambda item: -len(item[1])):
        quarters = (
            statistics.quantiles(values, n=4, method="inclusive") if len(values) > 1 else [values[0]] * 3
        )
        found.append(
            CarrierTimes(
                name,
                len(values),
                round(statistics.median(values), 1),
                round(quarters[0], 1),
                round(quarters[2], 1),
                estimated[name],
                held[name],
            )
        )
    return found
