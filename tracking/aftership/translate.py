"""AfterShip's tags and checkpoints onto our parcel statuses.

AfterShip's documented delivery statuses ("tag", https://www.aftership.com/docs/tracking/others/delivery-status):
Pending, InfoReceived, InTransit, OutForDelivery, AttemptFail, Delivered, AvailableForPickup,
Exception, Expired. "Pending" (no scan yet) and "Expired" (no news for 30 days, AfterShip gave up)
say nothing of where the parcel is, so they stay unknown; so does any tag added after this was
written.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

from connectors.base import ShipmentStatus
from tracking.base import BadPayload, TrackEvent, TrackReport, clean

TAGS: dict[str, ShipmentStatus] = {
    "InfoReceived": ShipmentStatus.LABEL_CREATED,
    "InTransit": ShipmentStatus.IN_TRANSIT,
    "OutForDelivery": ShipmentStatus.OUT_FOR_DELIVERY,
    "AttemptFail": ShipmentStatus.ATTEMPTED_DELIVERY,
    "Delivered": ShipmentStatus.DELIVERED,
    "AvailableForPickup": ShipmentStatus.READY_FOR_PICKUP,
    "Exception": ShipmentStatus.FAILURE,
}
# Exception's subtags that mean "late", not "lost or refused" (AfterShip's substatus list).
DELAY_SUBTAGS = frozenset({"Exception_004", "Exception_005", "Exception_006", "Exception_009"})

# AfterShip's courier slugs for the carriers we know by our own code.
SLUGS = {"aramex": "aramex", "dhl": "dhl", "smsa": "smsa-express", "fedex": "fedex", "ups": "ups"}
CARRIERS = {slug: code for code, slug in SLUGS.items()}


def status(tag: str, subtag: str = "") -> ShipmentStatus:
    if tag == "Exception" and subtag in DELAY_SUBTAGS:
        return ShipmentStatus.DELAYED
    return TAGS.get(tag, ShipmentStatus.UNKNOWN)


def moment(value: Any) -> datetime | None:
    """AfterShip writes checkpoint times in ISO 8601, with the place's offset or none (then it is the
    place's local time, which we can only read as UTC)."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def tracking(data: Any) -> TrackReport:
    """A tracking object (the ``data`` of GET /trackings/{id}, or a webhook's ``msg``)."""
    if not isinstance(data, dict) or not isinstance(data.get("tracking_number"), str):
        raise BadPayload("an AfterShip tracking names its tracking_number")
    events = []
    for checkpoint in data.get("checkpoints") or []:
        if not isinstance(checkpoint, dict):
            continue
        at = moment(checkpoint.get("checkpoint_time"))
        if at is None:
            continue
        tag, subtag = str(checkpoint.get("tag") or ""), str(checkpoint.get("subtag") or "")
        message = clean(checkpoint.get("message"), 500)
        where = ", ".join(
            str(part) for part in (checkpoint.get("city"), checkpoint.get("country_iso3")) if part
        ) or str(checkpoint.get("location") or "")
        # AfterShip gives checkpoints no id: the time, tag and words are the scan's identity.
        key = hashlib.sha256(f"{at.isoformat()}|{tag}|{subtag}|{message}".encode()).hexdigest()[:24]
        events.append(
            TrackEvent(
                key=f"aftership:{key}",
                status=status(tag, subtag),
                happened_at=at,
                said=clean(subtag or tag, 64),
                detail=message,
                location=clean(where, 200),
            )
        )
    estimate = None
    for name in ("aftership_estimated_delivery_date", "courier_estimated_delivery_date"):
        found = data.get(name)
        if isinstance(found, dict):
            estimate = moment(found.get("estimated_delivery_date"))
            if estimate:
                break
    estimate = estimate or moment(data.get("expected_delivery"))
    slug = str(data.get("slug") or "")
    return TrackReport(
        source="aftership",
        tracking_number=data["tracking_number"][:255],
        events=tuple(events),
        carrier=CARRIERS.get(slug, slug or None),
        remote_id=str(data["id"]) if data.get("id") else None,
        estimated_delivery_at=estimate,
    )
