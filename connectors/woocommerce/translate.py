"""WooCommerce REST v3 resources (webhook bodies and API answers alike) -> snapshots.

Webhook bodies are exactly what ``GET /wp-json/wc/v3/orders/<id>`` returns, so one translation serves
webhooks and reconcile. Times come from the ``*_gmt`` fields (UTC without an offset); the store-local
ones are ignored.

Refunds: an order lists its refunds (``refunds``: id, reason, total) but not what each refunded; that is
in ``GET /orders/<id>/refunds``, whose line items name the order line they refund (meta
``_refunded_item_id``) and a negative quantity. Reconcile reads them and puts them in the order's
``refunds`` (``WooCommerceConnector.changes_since``), so ``order`` sets each line's refunded quantity
as Shopify's orders do. A webhook body has only the order's own list: such a delivery of an order
that still has a journey is left to the next poll (it gives no snapshot), because translating it would
put back refunded items the store no longer means to be reviewed. The order's total is what is left
after its refunds, as Shopify's ``current_total_price`` is.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from connectors.base import (
    AddressSnapshot,
    ConsentSnapshot,
    CustomerSnapshot,
    LineSnapshot,
    OrderRemoved,
    OrderSnapshot,
    OrderStatus,
    PayloadError,
    ProductSnapshot,
    Snapshot,
    json_object,
    malformed,
)
from connectors.woocommerce import optins, tracking
from connectors.woocommerce.regions import region_code

# WooCommerce's core statuses. Anything else is a plugin's custom status: see ``_status``.
STATUSES = {
    "pending": OrderStatus.PENDING,
    "processing": OrderStatus.PAID,
    "on-hold": OrderStatus.ON_HOLD,
    "completed": OrderStatus.COMPLETED,
    "cancelled": OrderStatus.CANCELLED,
    "refunded": OrderStatus.REFUNDED,
    "failed": OrderStatus.FAILED,
    "trash": OrderStatus.CANCELLED,  # a delivery built after the order was trashed
}
# Not an order yet: the block checkout's cart-in-progress. It becomes "pending" when placed.
NOT_PLACED = {"checkout-draft", "auto-draft"}
CASH_ON_DELIVERY = "cod"
# Multilingual plugins record the language the customer shopped in (WPML/WCML, Polylang for WooCommerce).
LANGUAGE_META = ("wpml_language", "pll_language")
REFUNDED_ITEM_META = "_refunded_item_id"  # on a refund's line item: the order line it refunds
# Where nothing more is sent, which lines were refunded no longer matters.
JOURNEY_OVER = (OrderStatus.CANCELLED, OrderStatus.REFUNDED, OrderStatus.FAILED)


def translate(topic: str, body: bytes) -> list[Snapshot]:
    """The snapshots in one delivery; topics the app does not use give none."""
    handler = {
        "order.created": order,
        "order.updated": order,
        "order.restored": order,
        "order.deleted": _removed,
        "product.created": _product_list,
        "product.updated": _product_list,
    }.get(topic)
    if handler is None:
        return []
    payload = json_object(body)
    return handler(payload)


def order(data: Mapping[str, Any]) -> list[Snapshot]:
    """An order and the parcels it carries; nothing for a checkout still in progress, or for an order
    whose refunds are named without their lines (see the module's docstring)."""
    with malformed("order payload"):
        status = data["status"]
        if not isinstance(status, str):
            raise TypeError("status is not text")
        if status in NOT_PLACED:
            return []
        meta = _meta(data)
        refunds = _refunds(data)
        snapshot = _order(data, status, meta, refunds or {})
        if refunds is None and snapshot.status not in JOURNEY_OVER:
            return []
        completed_at = _time(data.get("date_completed_gmt"))
        parcels = tracking.from_meta(snapshot.external_id, meta, snapshot.updated_at, completed_at)
        if not parcels and snapshot.status not in (OrderStatus.CANCELLED, OrderStatus.REFUNDED):
            parcels = tracking.from_status(snapshot.external_id, status, snapshot.updated_at, completed_at)
    return [snapshot, *parcels]


def has_refunds(data: Mapping[str, Any]) -> bool:
    """Whether the order lists refunds, so reconcile reads what they refunded."""
    refunds = data.get("refunds")
    return isinstance(refunds, list) and bool(refunds)


def product(data: Mapping[str, Any]) -> ProductSnapshot:
    with malformed("product payload"):
        images = data.get("images") or []
        price = str(data.get("price") or "").strip()
        return ProductSnapshot(
            external_id=_ident(data["id"]),
            title=str(data["name"]),
            updated_at=_required_time(data["date_modified_gmt"]),
            url=data.get("permalink") or None,
            image_url=(images[0].get("src") or None) if images else None,
            price=Decimal(price) if price else None,
            in_stock=data.get("status") == "publish"
            and bool(data.get("purchasable", True))
            and data.get("stock_status", "instock") in ("instock", "onbackorder"),
            tags=tuple(str(tag["name"]) for tag in data.get("tags") or ()),
            cross_sell_ids=_ids(data.get("cross_sell_ids")),
            upsell_ids=_ids(data.get("upsell_ids")),
        )


def _ids(value: Any) -> tuple[str, ...]:
    """``cross_sell_ids`` / ``upsell_ids``: product ids in the merchant's order (absent: none)."""
    if value is None:
        return ()
    if not isinstance(value, list):
        raise TypeError(f"not a list of ids: {value!r}"[:100])
    return tuple(_ident(item) for item in value)


def _product_list(data: Mapping[str, Any]) -> list[Snapshot]:
    return [product(data)]


def _removed(data: Mapping[str, Any]) -> list[Snapshot]:
    """``order.deleted`` sends only ``{"id": N}`` (``WC_Webhook::build_payload``)."""
    try:
        return [OrderRemoved(external_id=_ident(data.get("id")))]
    except (TypeError, ValueError) as exc:
        raise PayloadError("order.deleted payload has no id") from exc


def _ident(value: Any) -> str:
    """A WooCommerce id: a positive whole number (some plugins send it as text)."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise TypeError(f"not an id: {value!r}"[:100])
    text = str(value).strip()
    if not text.isdigit() or int(text) <= 0:
        raise ValueError(f"not an id: {value!r}"[:100])
    return text


def _refunds(data: Mapping[str, Any]) -> dict[str, int] | None:
    """Refunded units per order line id; None when the order names refunds but not their lines."""
    refunded: dict[str, int] = {}
    for refund in data.get("refunds") or ():
        if not isinstance(refund, Mapping):
            raise TypeError("a refund is not an object")
        if "line_items" not in refund:
            return None
        for item in refund["line_items"] or ():
            line = _refunded_line(item)
            if line is not None:
                # WooCommerce stores a refund's quantities as negative numbers
                refunded[line] = refunded.get(line, 0) + abs(int(item.get("quantity") or 0))
    return refunded


def _refunded_line(item: Mapping[str, Any]) -> str | None:
    """The order line a refund's line item refunds (``line_item_id`` in newer answers)."""
    if item.get("line_item_id"):
        return _ident(item["line_item_id"])
    for entry in item.get("meta_data") or ():
        if isinstance(entry, Mapping) and entry.get("key") == REFUNDED_ITEM_META and entry.get("value"):
            return _ident(entry["value"])
    return None


def _refunded_total(data: Mapping[str, Any]) -> Decimal:
    """The order's refunds add up to this; each ``total`` is negative (``"-10.00"``)."""
    return sum(
        (abs(Decimal(str(refund.get("total") or 0))) for refund in data.get("refunds") or ()), Decimal(0)
    )


def _order(
    data: Mapping[str, Any], status: str, meta: Mapping[str, Any], refunded: Mapping[str, int]
) -> OrderSnapshot:
    billing = data.get("billing") or {}
    shipping = data.get("shipping") or {}
    updated_at = _required_time(data["date_modified_gmt"])
    paid_at = _time(data.get("date_paid_gmt"))
    cash_on_delivery = data.get("payment_method") == CASH_ON_DELIVERY
    return OrderSnapshot(
        external_id=_ident(data["id"]),
        number=str(data.get("number") or data["id"]),
        status=_status(status, paid_at, cash_on_delivery),
        remote_status=status,
        currency=str(data["currency"]),
        total=max(Decimal(0), Decimal(str(data["total"])) - _refunded_total(data)),
        placed_at=_required_time(data["date_created_gmt"]),
        updated_at=updated_at,
        paid_at=paid_at,
        cancelled_at=updated_at if STATUSES.get(status) is OrderStatus.CANCELLED else None,
        payment_method=data.get("payment_method") or None,
        cash_on_delivery=cash_on_delivery,
        locale=next((str(meta[key]) for key in LANGUAGE_META if meta.get(key)), None),
        customer=_customer(
            data.get("customer_id"),
            billing,
            shipping,
            optins.consents(meta, _required_time(data["date_created_gmt"])),
        ),
        shipping=_address(shipping, billing),
        lines=tuple(_line(item, refunded) for item in data.get("line_items") or ()),
        discount_codes=tuple(
            str(line["code"])
            for line in data.get("coupon_lines") or ()
            if isinstance(line, Mapping) and line.get("code")
        ),
    )


def _status(status: str, paid_at: datetime | None, cash_on_delivery: bool) -> OrderStatus:
    """Core statuses map directly. A custom status (``shipped``, ``awaiting-pickup``, ...) comes after
    checkout in every plugin we know, so it counts as paid when the order was paid or is cash on
    delivery, and as pending otherwise."""
    if status in STATUSES:
        return STATUSES[status]
    return OrderStatus.PAID if paid_at is not None or cash_on_delivery else OrderStatus.PENDING


def _customer(
    customer_id: Any,
    billing: Mapping[str, Any],
    shipping: Mapping[str, Any],
    consents: tuple[ConsentSnapshot, ...] = (),
) -> CustomerSnapshot | None:
    email = str(billing.get("email") or "").strip() or None
    registered = isinstance(customer_id, int) and not isinstance(customer_id, bool) and customer_id > 0
    if not registered and email is None:
        return None
    return CustomerSnapshot(
        external_id=str(customer_id) if registered else f"guest:{(email or '').lower()}",
        email=email,
        first_name=billing.get("first_name") or shipping.get("first_name") or None,
        last_name=billing.get("last_name") or shipping.get("last_name") or None,
        phone=billing.get("phone") or shipping.get("phone") or None,
        # WooCommerce core records no marketing consent: say nothing rather than "no", so a consent
        # given another way (our own double opt-in) is never overwritten; a marketing plugin's box
        # on the order is read where it left one (``optins``).
        accepts_marketing=None,
        consents=consents,
    )


def _address(shipping: Mapping[str, Any], billing: Mapping[str, Any]) -> AddressSnapshot | None:
    """The shipping address, or the billing one when nothing ships (a virtual order, a guest who
    left shipping blank): the customer's time zone comes from it."""
    source = shipping if (shipping.get("country") or shipping.get("address_1")) else billing
    if not (source.get("country") or source.get("address_1")):
        return None
    name = " ".join(part for part in (source.get("first_name"), source.get("last_name")) if part)
    return AddressSnapshot(
        name=name or None,
        address1=source.get("address_1") or None,
        address2=source.get("address_2") or None,
        city=source.get("city") or None,
        region=region_code(str(source.get("country") or ""), source.get("state")),
        postcode=source.get("postcode") or None,
        country=str(source.get("country") or "").upper() or None,
        phone=source.get("phone") or billing.get("phone") or None,
    )


def _line(item: Mapping[str, Any], refunded: Mapping[str, int]) -> LineSnapshot:
    quantity = int(item["quantity"])
    if quantity < 0:
        raise ValueError("negative quantity")
    product_id = item.get("product_id")
    line_id = _ident(item["id"])
    return LineSnapshot(
        external_id=line_id,
        title=str(item["name"]),
        quantity=quantity,
        unit_price=Decimal(str(item.get("price") or 0)),
        product_external_id=_ident(product_id) if product_id else None,
        sku=item.get("sku") or None,
        refunded_quantity=min(quantity, refunded.get(line_id, 0)),
        variant_external_id=_ident(item["variation_id"]) if item.get("variation_id") else None,
    )


def _meta(data: Mapping[str, Any]) -> dict[str, Any]:
    entries = data.get("meta_data") or []
    return {
        entry["key"]: entry.get("value") for entry in entries if isinstance(entry, dict) and "key" in entry
    }


def _time(value: Any) -> datetime | None:
    """A ``*_gmt`` field (``2026-11-23T07:05:50``, UTC without an offset) -> aware UTC datetime."""
    if value in (None, ""):
        return None
    parsed = datetime.fromisoformat(str(value))
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def _required_time(value: Any) -> datetime:
    parsed = _time(value)
    if parsed is None:
        raise ValueError("missing time")
    return parsed
