"""DHL's Shipment Tracking - Unified API answers onto our parcel statuses.

Every event has a ``statusCode`` of ``pre-transit``, ``transit``, ``delivered``, ``failure`` or
``unknown`` (https://developer.dhl.com/api-reference/shipment-tracking), a ``status`` and a
``description`` in words, a ``timestamp`` (ISO 8601 with the place's offset) and a ``location``. The
codes are coarse: "out for delivery" and "delivery attempted" are transit and failure events whose
words say so, and are read from them.
"""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime
from typing import Any

from connectors.base import ShipmentStatus
from tracking.base import TrackEvent, TrackReport, clean

CODES = {
    "pre-transit": ShipmentStatus.LABEL_CREATED,
    "transit": ShipmentStatus.IN_TRANSIT,
    "delivered": ShipmentStatus.DELIVERED,
    "failure": ShipmentStatus.FAILURE,
}
OUT_FOR_DELIVERY = re.compile(r"out for delivery|with delivery courier", re.IGNORECASE)
ATTEMPTED = re.compile(r"attempt|not at home|recipient (was )?not available|closed on arrival", re.IGNORECASE)
DELAYED = re.compile(r"delay|held|clearance event", re.IGNORECASE)


def status(code: str, words: str) -> ShipmentStatus:
    found = CODES.get(code, ShipmentStatus.UNKNOWN)
    if found is ShipmentStatus.IN_TRANSIT and OUT_FOR_DELIVERY.search(words):
        return ShipmentStatus.OUT_FOR_DELIVERY
    if found is ShipmentStatus.FAILURE and ATTEMPTED.search(words):
        return ShipmentStatus.ATTEMPTED_DELIVERY
    if found is ShipmentStatus.FAILURE and DELAYED.search(words):
        return ShipmentStatus.DELAYED
    return found


def moment(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def shipment(number: str, found: Any) -> TrackReport:
    events = []
    data = found if isinstance(found, dict) else {}
    for event in data.get("events") or []:
        if not isinstance(event, dict):
            continue
        at = moment(event.get("timestamp"))
        if at is None:
            continue
        code = str(event.get("statusCode") or "")
        words = " ".join(str(event.get(name) or "") for name in ("status", "description")).strip()
        address = (
            (event.get("location") or {}).get("address") if isinstance(event.get("location"), dict) else None
        )
        where = str(address.get("addressLocality") or "") if isinstance(address, dict) else ""
        key = hashlib.sha256(f"{at.isoformat()}|{code}|{words}".encode()).hexdigest()[:24]
        events.append(
            TrackEvent(
                key=f"dhl:{key}",
                status=status(code, words),
                happened_at=at,
                said=clean(code, 64),
                detail=clean(event.get("description") or event.get("status"), 500),
                location=clean(where, 200),
            )
        )
    return TrackReport(
        source="dhl",
        tracking_number=number,
        events=tuple(events),
        carrier="dhl",
        remote_id=str(data.get("id") or "") or None,
        estimated_delivery_at=moment(data.get("estimatedTimeOfDelivery")),
    )
