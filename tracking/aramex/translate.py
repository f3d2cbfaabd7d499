"""Aramex's tracking results onto our parcel statuses.

Each ``TrackingResult`` carries an ``UpdateCode`` (``SH`` and three digits), Aramex's English
``UpdateDescription``, ``UpdateDateTime`` (WCF's JSON date, ``/Date(1464710400000+0300)/``: UTC
milliseconds and the place's offset), ``UpdateLocation``, ``Comments`` and ``ProblemCode``. Aramex
publishes no list of the codes with its API manual; the codes below are the ones its tracking pages
and the shipment samples name, and a code we do not list is read from its description's words, else
kept unknown.
"""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime
from typing import Any

from connectors.base import ShipmentStatus
from tracking.base import TrackEvent, TrackReport, clean

CODES: dict[str, ShipmentStatus] = {
    "SH014": ShipmentStatus.LABEL_CREATED,  # Record created
    "SH012": ShipmentStatus.IN_TRANSIT,  # Picked up from shipper
    "SH001": ShipmentStatus.IN_TRANSIT,  # Received at (origin / destination) facility
    "SH002": ShipmentStatus.IN_TRANSIT,  # Forwarded to the destination
    "SH047": ShipmentStatus.IN_TRANSIT,  # Departed facility
    "SH003": ShipmentStatus.OUT_FOR_DELIVERY,  # Out for delivery
    "SH005": ShipmentStatus.DELIVERED,  # Delivered
    "SH006": ShipmentStatus.DELIVERED,  # Collected by the consignee
    "SH007": ShipmentStatus.DELIVERED,  # Delivered (signed)
    "SH033": ShipmentStatus.ATTEMPTED_DELIVERY,  # Attempted delivery
    "SH069": ShipmentStatus.FAILURE,  # Returned to shipper
}
# Aramex's descriptions, in the order they must be tried ("not delivered" before "delivered").
WORDS: tuple[tuple[re.Pattern[str], ShipmentStatus], ...] = tuple(
    (re.compile(pattern, re.IGNORECASE), found)
    for pattern, found in (
        (
            r"attempt|not delivered|unable to deliver|consignee not available",
            ShipmentStatus.ATTEMPTED_DELIVERY,
        ),
        (r"return(ed)? to shipper|refused|lost|damaged", ShipmentStatus.FAILURE),
        (r"delay|held|on hold|customs clearance pending", ShipmentStatus.DELAYED),
        (r"out for delivery|with courier for delivery", ShipmentStatus.OUT_FOR_DELIVERY),
        (r"delivered|collected by consignee", ShipmentStatus.DELIVERED),
        (r"ready for collection|available for pick", ShipmentStatus.READY_FOR_PICKUP),
        (r"record created|shipment data received", ShipmentStatus.LABEL_CREATED),
        (r"picked up|received at|departed|arrived|forwarded|in transit|customs", ShipmentStatus.IN_TRANSIT),
    )
)
WCF_DATE = re.compile(r"^/Date\((-?\d+)([+-]\d{4})?\)/$")


def status(code: str, description: str) -> ShipmentStatus:
    if code in CODES:
        return CODES[code]
    for pattern, found in WORDS:
        if pattern.search(description):
            return found
    return ShipmentStatus.UNKNOWN


def moment(value: Any) -> datetime | None:
    """WCF's ``/Date(ms+zzzz)/`` (the milliseconds are UTC), or ISO 8601 as the SOAP answer has it."""
    if not isinstance(value, str):
        return None
    match = WCF_DATE.match(value.strip())
    if match:
        return datetime.fromtimestamp(int(match.group(1)) / 1000, tz=UTC)
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def results(number: str, found: Any) -> TrackReport:
    """One waybill's ``TrackingResult`` list."""
    events = []
    for result in found if isinstance(found, list) else []:
        if not isinstance(result, dict):
            continue
        at = moment(result.get("UpdateDateTime"))
        if at is None:
            continue
        code = str(result.get("UpdateCode") or "")
        description = clean(result.get("UpdateDescription"), 500)
        comments = str(result.get("Comments") or "")
        key = hashlib.sha256(f"{at.isoformat()}|{code}|{description}".encode()).hexdigest()[:24]
        events.append(
            TrackEvent(
                key=f"aramex:{key}",
                status=status(code, f"{description} {comments}"),
                happened_at=at,
                said=clean(code, 64),
                detail=description,
                location=clean(result.get("UpdateLocation"), 200),
            )
        )
    return TrackReport(source="aramex", tracking_number=number, events=tuple(events), carrier="aramex")
