"""Parcels of a WooCommerce order, read from the tracking plugins merchants actually use.

WooCommerce itself has no shipments. Two plugins add them, and both keep their items in the order meta
``_wc_shipment_tracking_items`` (a list of ``tracking_provider``, ``custom_tracking_provider``,
``custom_tracking_link``, ``tracking_number``, ``date_shipped`` as a Unix time, ``tracking_id``):

- WooCommerce's official Shipment Tracking extension (REST ``wc-shipment-tracking/v3``);
- zorem's Advanced Shipment Tracking (REST ``wc-ast/v3``), which with TrackShip also keeps the carrier's
  latest status per item, in the same order, in the meta ``shipment_status``
  (``[{"status": "in_transit", "status_date": "2026-11-20 14:03:11", ...}]``).

A store with neither gets its parcel from the order status instead: ``completed`` means shipped, a
custom status naming delivery means delivered; the journey's "assume delivered after N days" setting
covers the rest.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from connectors.base import ShipmentEventSnapshot, ShipmentSnapshot, ShipmentStatus

TRACKING_META = "_wc_shipment_tracking_items"
STATUS_META = "shipment_status"

# TrackShip's status words (AST with TrackShip) -> ours. Words not here (unknown, pending_trackship,
# carrier_unsupported, ...) say nothing about the parcel and leave it "in transit".
TRACKSHIP_STATUSES = {
    "pre_transit": ShipmentStatus.LABEL_CREATED,
    "in_transit": ShipmentStatus.IN_TRANSIT,
    "out_for_delivery": ShipmentStatus.OUT_FOR_DELIVERY,
    "delivered": ShipmentStatus.DELIVERED,
    "available_for_pickup": ShipmentStatus.READY_FOR_PICKUP,
    "failure": ShipmentStatus.ATTEMPTED_DELIVERY,
    "on_hold": ShipmentStatus.DELAYED,
    "exception": ShipmentStatus.DELAYED,
    "return_to_sender": ShipmentStatus.FAILURE,
}

# Tracking pages of carriers common among our merchants, for items saved with a predefined provider
# (the meta holds only its slug; the REST endpoint returns the link the plugin builds).
CARRIER_LINKS = {
    "usps": ("USPS", "https://tools.usps.com/go/TrackConfirmAction?tLabels={}"),
    "ups": ("UPS", "https://www.ups.com/track?tracknum={}"),
    "fedex": ("FedEx", "https://www.fedex.com/fedextrack/?trknbr={}"),
    "dhl": ("DHL", "https://www.dhl.com/global-en/home/tracking.html?tracking-id={}"),
    "dhl-express": ("DHL Express", "https://www.dhl.com/global-en/home/tracking.html?tracking-id={}"),
    "aramex": ("Aramex", "https://www.aramex.com/track/results?ShipmentNumber={}"),
    "smsa-express": ("SMSA Express", "https://www.smsaexpress.com/trackingdetails?tracknumbers={}"),
    "royal-mail": ("Royal Mail", "https://www.royalmail.com/track-your-item#/tracking-results/{}"),
}


def from_meta(
    order_id: str, meta: Mapping[str, Any], updated_at: datetime, completed_at: datetime | None
) -> list[ShipmentSnapshot]:
    """The parcels in an order's meta (both plugins); empty when it holds none."""
    items = meta.get(TRACKING_META)
    if not isinstance(items, list):
        return []
    statuses = meta.get(STATUS_META)
    statuses = statuses if isinstance(statuses, list) else []
    parcels = []
    for index, item in enumerate(items):
        if not isinstance(item, dict) or not str(item.get("tracking_number") or "").strip():
            continue
        status = statuses[index] if index < len(statuses) and isinstance(statuses[index], dict) else {}
        parcels.append(_parcel(order_id, item, status, updated_at, completed_at))
    return parcels


def from_rest(
    order_id: str, items: Sequence[Mapping[str, Any]], updated_at: datetime
) -> list[ShipmentSnapshot]:
    """The parcels in a ``shipment-trackings`` REST answer (either plugin's namespace)."""
    parcels = []
    for item in items:
        number = str(item.get("tracking_number") or "").strip() if isinstance(item, Mapping) else ""
        if not number:
            continue
        shipped = _date(item.get("date_shipped"))
        parcels.append(
            ShipmentSnapshot(
                external_id=f"tracking:{item.get('tracking_id') or number}",
                order_external_id=order_id,
                status=ShipmentStatus.IN_TRANSIT,
                updated_at=updated_at,
                carrier=str(item.get("tracking_provider") or "") or None,
                tracking_number=number,
                tracking_url=str(item.get("tracking_link") or "") or None,
                shipped_at=shipped or updated_at,
            )
        )
    return parcels


def from_status(
    order_id: str, remote_status: str, updated_at: datetime, completed_at: datetime | None
) -> list[ShipmentSnapshot]:
    """The one parcel an order's status implies when no tracking plugin says more."""
    words = remote_status.lower()
    if "deliver" in words:
        status = ShipmentStatus.DELIVERED
    elif remote_status == "completed" or any(word in words for word in ("ship", "transit", "dispatch")):
        status = ShipmentStatus.IN_TRANSIT
    else:
        return []
    shipped = completed_at or updated_at
    return [
        ShipmentSnapshot(
            external_id=f"order:{order_id}",
            order_external_id=order_id,
            status=status,
            updated_at=updated_at,
            shipped_at=shipped,
            delivered_at=updated_at if status is ShipmentStatus.DELIVERED else None,
        )
    ]


def _parcel(
    order_id: str,
    item: Mapping[str, Any],
    status: Mapping[str, Any],
    updated_at: datetime,
    completed_at: datetime | None,
) -> ShipmentSnapshot:
    number = str(item["tracking_number"]).strip()
    slug = str(item.get("tracking_provider") or "").strip().lower()
    custom_name = str(item.get("custom_tracking_provider") or "").strip()
    custom_link = str(item.get("custom_tracking_link") or "").strip()
    name, link = CARRIER_LINKS.get(slug, (slug.replace("-", " ").title() or None, None))
    carrier = custom_name or name
    url = custom_link.replace("%1$s", number) if custom_link else (link.format(number) if link else None)
    # A date the plugin wrote that cannot be read is a body of the wrong shape (PayloadError, 400);
    # a missing one falls back to when the order was completed.
    shipped_at = _date(item.get("date_shipped"), strict=True) or completed_at or updated_at

    events: tuple[ShipmentEventSnapshot, ...]
    parcel_status, events, delivered_at = ShipmentStatus.IN_TRANSIT, (), None
    word = str(status.get("status") or "")
    status_at = _date(status.get("status_date"))
    if word in TRACKSHIP_STATUSES and status_at is not None:
        parcel_status = TRACKSHIP_STATUSES[word]
        events = (
            ShipmentEventSnapshot(
                external_id=f"{item.get('tracking_id') or number}:{word}:{status_at.isoformat()}",
                status=parcel_status,
                happened_at=status_at,
            ),
        )
        delivered_at = status_at if parcel_status is ShipmentStatus.DELIVERED else None
        updated_at = max(updated_at, status_at)
    return ShipmentSnapshot(
        external_id=f"tracking:{item.get('tracking_id') or number}",
        order_external_id=order_id,
        status=parcel_status,
        updated_at=updated_at,
        carrier=carrier,
        tracking_number=number,
        tracking_url=url,
        shipped_at=shipped_at,
        delivered_at=delivered_at,
        events=events,
    )


LATEST_STAMP = 7_258_118_400  # 2200-01-01: a larger Unix time is not a date a parcel shipped on


def _date(value: Any, *, strict: bool = False) -> datetime | None:
    """A Unix time (the meta), ``YYYY-MM-DD`` (REST) or ``YYYY-MM-DD HH:MM:SS`` (TrackShip, UTC).

    Empty is None; unreadable is None too, unless ``strict`` (then ValueError)."""
    if value in (None, ""):
        return None
    text = str(value).strip()
    try:
        if text.isdigit():
            if len(text) > 11 or int(text) > LATEST_STAMP:
                raise ValueError(f"not a Unix time: {text[:20]}")
            return datetime.fromtimestamp(int(text), UTC)
        parsed = datetime.fromisoformat(text)
    except ValueError:
        if strict:
            raise
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
