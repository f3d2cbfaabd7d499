"""Sandbox payloads -> snapshots.

The sandbox's JSON is its own, shaped like a real platform's REST resources:

    order.created / order.updated   {"id", "number", "status", "payment_method", "currency", "total",
                                     "created_at", "updated_at", "paid_at", "cancelled_at", "locale",
                                     "customer": {...}, "shipping_address": {...}, "line_items": [...]}
    product.updated                  {"id", "title", "url", "image_url", "price", "in_stock", "tags",
                                     "updated_at"}
    shipment.updated                 {"id", "order_id", "carrier", "tracking_number", "tracking_url",
                                     "status", "shipped_at", "delivered_at", "updated_at",
                                     "events": [{"id", "status", "happened_at", "detail"}]}

Statuses are the sandbox's words (``pending``, ``paid``, ``completed``, ``cancelled``, ``refunded``,
``failed``); ``payment_method == "cod"`` marks cash on delivery. A line item's ``refunded_quantity``
(optional) is how many of its units were refunded.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Any

from connectors.base import (
    AddressSnapshot,
    CustomerSnapshot,
    LineSnapshot,
    OrderSnapshot,
    OrderStatus,
    ProductSnapshot,
    ShipmentEventSnapshot,
    ShipmentSnapshot,
    ShipmentStatus,
    Snapshot,
    json_object,
    malformed,
)

STATUSES = {
    "pending": OrderStatus.PENDING,
    "paid": OrderStatus.PAID,
    "completed": OrderStatus.COMPLETED,
    "cancelled": OrderStatus.CANCELLED,
    "refunded": OrderStatus.REFUNDED,
    "failed": OrderStatus.FAILED,
}


def translate(topic: str, body: bytes) -> list[Snapshot]:
    """The snapshots in one delivery; topics the app does not use give none."""
    handlers: dict[str, Callable[[dict[str, Any]], Snapshot]] = {
        "order.created": _order,
        "order.updated": _order,
        "product.updated": _product,
        "shipment.updated": _shipment,
    }
    handler = handlers.get(topic)
    if handler is None:
        return []
    payload = json_object(body)
    with malformed(f"{topic} payload"):
        return [handler(payload)]


def _order(data: dict[str, Any]) -> OrderSnapshot:
    status = data["status"]
    if status not in STATUSES:
        raise ValueError(f"unknown order status {status!r}")
    customer = data.get("customer")
    address = data.get("shipping_address")
    return OrderSnapshot(
        external_id=str(data["id"]),
        number=str(data["number"]),
        status=STATUSES[status],
        remote_status=status,
        currency=str(data["currency"]),
        total=Decimal(str(data["total"])),
        placed_at=_time(data["created_at"]),
        updated_at=_time(data["updated_at"]),
        paid_at=_time(data.get("paid_at")),
        cancelled_at=_time(data.get("cancelled_at")),
        payment_method=data.get("payment_method"),
        cash_on_delivery=data.get("payment_method") == "cod",
        locale=data.get("locale"),
        customer=_customer(customer) if customer else None,
        shipping=_address(address) if address else None,
        lines=tuple(_line(item) for item in data["line_items"]),
    )


def _customer(data: dict[str, Any]) -> CustomerSnapshot:
    email = data.get("email") or None
    external_id = str(data["id"]) if data.get("id") else f"guest:{(email or '').lower()}"
    return CustomerSnapshot(
        external_id=external_id,
        email=email,
        first_name=data.get("first_name"),
        last_name=data.get("last_name"),
        phone=data.get("phone"),
        locale=data.get("locale"),
        accepts_marketing=bool(data.get("accepts_marketing", False)),
    )


def _address(data: dict[str, Any]) -> AddressSnapshot:
    return AddressSnapshot(
        name=data.get("name"),
        address1=data.get("address1"),
        address2=data.get("address2"),
        city=data.get("city"),
        region=data.get("region"),
        postcode=data.get("postcode"),
        country=(data.get("country") or "").upper() or None,
        phone=data.get("phone"),
    )


def _line(data: dict[str, Any]) -> LineSnapshot:
    quantity = int(data["quantity"])
    if quantity < 0:
        raise ValueError("negative quantity")
    return LineSnapshot(
        external_id=str(data["id"]),
        title=str(data["title"]),
        quantity=quantity,
        unit_price=Decimal(str(data["price"])),
        product_external_id=str(data["product_id"]) if data.get("product_id") else None,
        sku=data.get("sku"),
        refunded_quantity=int(data.get("refunded_quantity") or 0),
    )


def _product(data: dict[str, Any]) -> ProductSnapshot:
    price = data.get("price")
    return ProductSnapshot(
        external_id=str(data["id"]),
        title=str(data["title"]),
        updated_at=_time(data["updated_at"]),
        url=data.get("url"),
        image_url=data.get("image_url"),
        price=Decimal(str(price)) if price is not None else None,
        in_stock=bool(data.get("in_stock", True)),
        tags=tuple(str(tag) for tag in data.get("tags", ())),
    )


def _shipment(data: dict[str, Any]) -> ShipmentSnapshot:
    return ShipmentSnapshot(
        external_id=str(data["id"]),
        order_external_id=str(data["order_id"]),
        status=ShipmentStatus(data["status"]),
        updated_at=_time(data["updated_at"]),
        carrier=data.get("carrier"),
        tracking_number=data.get("tracking_number"),
        tracking_url=data.get("tracking_url"),
        shipped_at=_time(data.get("shipped_at")),
        delivered_at=_time(data.get("delivered_at")),
        events=tuple(
            ShipmentEventSnapshot(
                external_id=str(event["id"]),
                status=ShipmentStatus(event["status"]),
                happened_at=_time(event["happened_at"]),
                detail=event.get("detail"),
            )
            for event in data.get("events", ())
        ),
    )


def _time(value: Any) -> Any:
    """ISO 8601 with an offset -> aware datetime; None stays None. Naive times are refused."""
    if value is None:
        return None
    parsed = datetime.fromisoformat(str(value))
    if parsed.tzinfo is None:
        raise ValueError(f"time without an offset: {value!r}")
    return parsed
