"""Shopify webhook payloads (REST-shaped JSON, as Shopify publishes them) -> snapshots.

Order state: a cancelled order is cancelled; otherwise ``financial_status`` decides (pending and
authorized wait for the money, paid and partially refunded are paid, refunded and voided end the
journey) and a fulfilled, closed order is completed. Cash on delivery is recognised from the gateway
names Shopify uses for manual payment methods.

Parcels: a fulfillment is a parcel on its way only once its status is ``success``; one still with a
fulfillment service (``pending``, ``open``), cancelled or failed is none, and so is one whose status
word this version does not know (``LABEL_VOIDED``, ``SUBMITTED``, anything new): unknown means
unknown, never "in transit", which would tell the customer it shipped. A parcel that cannot be read
(a missing field) is left out; the order and its other parcels still are.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime
from decimal import Decimal
from typing import Any

from connectors.base import (
    AddressSnapshot,
    ConsentSnapshot,
    CustomerSnapshot,
    DataRequest,
    LineSnapshot,
    OrderSnapshot,
    OrderStatus,
    PayloadError,
    ProductSnapshot,
    RedactRequest,
    ShipmentEventSnapshot,
    ShipmentEventUpdate,
    ShipmentSnapshot,
    ShipmentStatus,
    Snapshot,
    StoreUninstalled,
    json_object,
    malformed,
)
from connectors.shopify.regions import region_code

FINANCIAL = {
    "pending": OrderStatus.PENDING,
    "authorized": OrderStatus.PAID,  # the payment is secured; capture usually follows fulfilment
    "partially_paid": OrderStatus.PAID,
    "paid": OrderStatus.PAID,
    "partially_refunded": OrderStatus.PAID,
    "refunded": OrderStatus.REFUNDED,
    "voided": OrderStatus.CANCELLED,
}
COD_GATEWAYS = ("cash on delivery", "cod")

# Shopify's fulfillment event and shipment statuses (FulfillmentEventStatus, lower-cased in REST).
SHIPMENT_STATUSES = {
    "label_purchased": ShipmentStatus.LABEL_CREATED,
    "label_printed": ShipmentStatus.LABEL_CREATED,
    "confirmed": ShipmentStatus.LABEL_CREATED,
    "carrier_picked_up": ShipmentStatus.IN_TRANSIT,
    "in_transit": ShipmentStatus.IN_TRANSIT,
    "out_for_delivery": ShipmentStatus.OUT_FOR_DELIVERY,
    "attempted_delivery": ShipmentStatus.ATTEMPTED_DELIVERY,
    "ready_for_pickup": ShipmentStatus.READY_FOR_PICKUP,
    "picked_up": ShipmentStatus.DELIVERED,
    "delayed": ShipmentStatus.DELAYED,
    "delivered": ShipmentStatus.DELIVERED,
    "failure": ShipmentStatus.FAILURE,
}
SHIPPED = "success"  # FulfillmentStatus: the only one that means the parcel left


def translate(topic: str, body: bytes) -> list[Snapshot]:
    """The snapshots in one delivery; topics the app does not use give none."""
    handler = _HANDLERS.get(topic)
    if handler is None:
        return []
    payload = json_object(body)
    with malformed(f"{topic} payload"):
        return handler(payload)


def _handlers() -> dict[str, Any]:
    return {
        "orders/create": _order_and_parcels,
        "orders/paid": _order_and_parcels,
        "orders/updated": _order_and_parcels,
        "orders/cancelled": _order_and_parcels,
        "fulfillments/create": _fulfillment_list,
        "fulfillments/update": _fulfillment_list,
        "fulfillment_events/create": _event,
        "app/uninstalled": lambda _data: [StoreUninstalled()],
        "customers/redact": _redact_customer,
        "shop/redact": lambda _data: [RedactRequest(scope="store")],
        "customers/data_request": _data_request,
    }


def order(data: Mapping[str, Any]) -> OrderSnapshot:
    gateways = [str(name).lower() for name in data.get("payment_gateway_names") or ()]
    cash_on_delivery = any(any(word in name for word in COD_GATEWAYS) for name in gateways)
    customer = data.get("customer")
    if customer is not None and not isinstance(customer, Mapping):
        raise TypeError("customer is not an object")
    return OrderSnapshot(
        external_id=str(data["id"]),
        number=str(data.get("name") or data["order_number"]),
        status=_status(data),
        remote_status=_remote_status(data),
        currency=str(data["currency"]),
        total=Decimal(str(data.get("current_total_price") or data["total_price"])),
        placed_at=_time(data["created_at"]),
        updated_at=_time(data["updated_at"]),
        paid_at=_time(data["processed_at"])
        if data.get("financial_status") in ("paid", "partially_refunded")
        else None,
        cancelled_at=_time(data.get("cancelled_at")) if data.get("cancelled_at") else None,
        payment_method=", ".join(gateways) or None,
        cash_on_delivery=cash_on_delivery,
        locale=(str(data.get("customer_locale") or "").split("-")[0] or None),
        customer=_customer(customer, data) if customer or data.get("email") else None,
        shipping=_address(data.get("shipping_address") or data.get("billing_address")),
        lines=tuple(_line(item, _refunded(data)) for item in data.get("line_items") or ()),
        discount_codes=tuple(
            str(entry["code"]) for entry in data.get("discount_codes") or () if entry.get("code")
        ),
    )


def fulfillment(data: Mapping[str, Any]) -> ShipmentSnapshot | None:
    """One fulfillment is one parcel once it shipped (see the module's docstring); None otherwise.
    Without a carrier's word (``shipment_status`` null) a shipped parcel is in transit."""
    if str(data.get("status") or "").lower() != SHIPPED:
        return None
    word = data.get("shipment_status")
    if word in (None, ""):
        status = ShipmentStatus.IN_TRANSIT
    elif isinstance(word, str) and word.lower() in SHIPMENT_STATUSES:
        status = SHIPMENT_STATUSES[word.lower()]
    else:
        return None
    updated = _time(data["updated_at"])
    return ShipmentSnapshot(
        external_id=str(data["id"]),
        order_external_id=str(data["order_id"]),
        status=status,
        updated_at=updated,
        carrier=data.get("tracking_company") or None,
        tracking_number=data.get("tracking_number") or None,
        tracking_url=data.get("tracking_url") or None,
        shipped_at=_time(data["created_at"]),
        delivered_at=updated if status is ShipmentStatus.DELIVERED else None,
    )


def _order_and_parcels(data: Mapping[str, Any]) -> list[Snapshot]:
    snapshots: list[Snapshot] = [order(data)]
    for item in data.get("fulfillments") or ():
        if (parcel := _readable(fulfillment, item)) is not None:
            snapshots.append(parcel)
    return snapshots


def _readable(read: Any, item: Any) -> Any:
    """``read(item)``, or None for an item that cannot be read: one bad parcel or carrier event does
    not cost the order the others."""
    try:
        with malformed("parcel"):
            return read(item)
    except PayloadError:
        return None


def _fulfillment_list(data: Mapping[str, Any]) -> list[Snapshot]:
    parcel = fulfillment(data)
    return [parcel] if parcel is not None else []


def _event(data: Mapping[str, Any]) -> list[Snapshot]:
    word = str(data["status"])
    if word not in SHIPMENT_STATUSES:
        return []  # a status this app version does not know says nothing it can act on
    return [
        ShipmentEventUpdate(
            shipment_external_id=str(data["fulfillment_id"]),
            order_external_id=str(data["order_id"]),
            event=ShipmentEventSnapshot(
                external_id=str(data["id"]),
                status=SHIPMENT_STATUSES[word],
                happened_at=_time(data["happened_at"]),
                detail=data.get("message") or None,
            ),
            estimated_delivery_at=_time(data.get("estimated_delivery_at"))
            if data.get("estimated_delivery_at")
            else None,
        )
    ]


def _redact_customer(data: Mapping[str, Any]) -> list[Snapshot]:
    customer = data.get("customer") or {}
    return [
        RedactRequest(
            scope="customer",
            customer_external_id=str(customer["id"]) if customer.get("id") else None,
            email=customer.get("email") or None,
            order_external_ids=tuple(str(order_id) for order_id in data.get("orders_to_redact") or ()),
        )
    ]


def _data_request(data: Mapping[str, Any]) -> list[Snapshot]:
    customer = data.get("customer") or {}
    request = data.get("data_request") or {}
    return [
        DataRequest(
            request_ref=str(request.get("id") or f"{customer.get('id')}:{data.get('orders_requested')}"),
            customer_external_id=str(customer["id"]) if customer.get("id") else None,
            email=customer.get("email") or None,
            order_external_ids=tuple(str(order_id) for order_id in data.get("orders_requested") or ()),
        )
    ]


def _status(data: Mapping[str, Any]) -> OrderStatus:
    if data.get("cancelled_at"):
        return OrderStatus.CANCELLED
    status = FINANCIAL.get(str(data.get("financial_status") or "pending"), OrderStatus.PENDING)
    if status is OrderStatus.PAID and data.get("fulfillment_status") == "fulfilled" and data.get("closed_at"):
        return OrderStatus.COMPLETED
    return status


def _remote_status(data: Mapping[str, Any]) -> str:
    if data.get("cancelled_at"):
        return f"cancelled ({data.get('cancel_reason') or 'other'})"
    return (
        " / ".join(
            str(part) for part in (data.get("financial_status"), data.get("fulfillment_status")) if part
        )
        or "open"
    )


def _customer(customer: Mapping[str, Any] | None, order_data: Mapping[str, Any]) -> CustomerSnapshot:
    """The buyer as this order records them: the order's own email and billing name come first (a
    customer who changed their email later, or who ordered for someone else, is written to at the
    address this order was placed with), the account's when the order has none."""
    customer = customer or {}
    billing = order_data.get("billing_address") or {}
    email = order_data.get("email") or order_data.get("contact_email") or customer.get("email") or None
    email_consent = customer.get("email_marketing_consent") or None
    consents = []
    if email_consent:
        consents.append(_consent("email", email_consent, None))
    sms_consent = customer.get("sms_marketing_consent") or None
    if sms_consent and customer.get("phone"):
        # SMS consent is the account's phone's, and only ever read from SMS consent (never the email flag)
        consents.append(_consent("sms", sms_consent, str(customer["phone"])))
    return CustomerSnapshot(
        external_id=str(customer["id"]) if customer.get("id") else f"guest:{(email or '').lower()}",
        email=email,
        first_name=billing.get("first_name") or customer.get("first_name") or None,
        last_name=billing.get("last_name") or customer.get("last_name") or None,
        phone=order_data.get("phone") or customer.get("phone") or None,
        locale=(str(order_data.get("customer_locale") or "").split("-")[0] or None),
        # without the account's consent object (older payloads), the checkout's own box speaks for email
        accepts_marketing=None if email_consent else bool(order_data.get("buyer_accepts_marketing")),
        consents=tuple(consents),
    )


def _consent(channel: str, data: Mapping[str, Any], address: str | None) -> ConsentSnapshot:
    """Shopify's consent object (``email_marketing_consent``, ``sms_marketing_consent``): only
    ``subscribed`` is a yes (``pending`` awaits the customer's confirmation)."""
    state = str(data.get("state") or "").lower()
    level = str(data.get("opt_in_level") or "").lower()
    updated = data.get("consent_updated_at")
    return ConsentSnapshot(
        channel=channel,
        granted=state == "subscribed",
        source=f"shopify ({level})" if level else "shopify",
        at=_time(updated) if updated else None,
        address=address,
    )


def _address(data: Mapping[str, Any] | None) -> AddressSnapshot | None:
    if not data:
        return None
    name = data.get("name") or " ".join(p for p in (data.get("first_name"), data.get("last_name")) if p)
    return AddressSnapshot(
        name=name or None,
        address1=data.get("address1") or None,
        address2=data.get("address2") or None,
        city=data.get("city") or None,
        region=region_code(str(data.get("country_code") or ""), data.get("province_code"))
        or data.get("province")
        or None,
        postcode=data.get("zip") or None,
        country=str(data.get("country_code") or "").upper() or None,
        phone=data.get("phone") or None,
    )


def _refunded(data: Mapping[str, Any]) -> dict[str, int]:
    refunded: dict[str, int] = {}
    for refund in data.get("refunds") or ():
        for item in refund.get("refund_line_items") or ():
            key = str(item["line_item_id"])
            refunded[key] = refunded.get(key, 0) + int(item.get("quantity") or 0)
    return refunded


def _line(item: Mapping[str, Any], refunded: Mapping[str, int]) -> LineSnapshot:
    quantity = int(item["quantity"])
    if quantity < 0:
        raise ValueError("negative quantity")
    product_id = item.get("product_id")
    return LineSnapshot(
        external_id=str(item["id"]),
        title=str(item.get("title") or item.get("name")),
        quantity=quantity,
        unit_price=Decimal(str(item["price"])),
        product_external_id=str(product_id) if product_id else None,
        sku=item.get("sku") or None,
        refunded_quantity=min(quantity, refunded.get(str(item["id"]), 0)),
        variant_external_id=str(item["variant_id"]) if item.get("variant_id") else None,
    )


def _time(value: Any) -> datetime:
    parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        raise ValueError(f"time without an offset: {value!r}")
    return parsed


# --- Admin GraphQL nodes (sync and backfill) -------------------------------------------------------
# A GraphQL order is re-shaped into the webhook's REST form, so both paths share one translation.

# FulfillmentDisplayStatus -> the REST ``shipment_status`` word: fulfilled without a carrier's word is
# None (in transit); words not here and not in SHIPMENT_STATUSES (CANCELED, LABEL_VOIDED, SUBMITTED,
# anything new) say no parcel is on its way.
FULFILLMENT_DISPLAY: dict[str, str | None] = {
    "fulfilled": None,
    "marked_as_fulfilled": None,
    "not_delivered": "failure",
}


def gid_number(gid: str | None) -> str | None:
    """``gid://shopify/Order/123`` -> ``123``: webhooks name things by the number alone."""
    return gid.rsplit("/", 1)[-1] if gid else None


def order_node(node: Mapping[str, Any]) -> list[Snapshot]:
    """An order from the Admin GraphQL API, with its parcels and their latest carrier events."""
    with malformed("order node"):
        rest = _rest_order(node)
        snapshots: list[Snapshot] = [order(rest)]
        for source in node.get("fulfillments") or ():
            parcel = _readable(lambda item: _parcel_node(item, rest["id"]), source)
            if parcel is not None:
                snapshots.append(parcel)
        return snapshots


def _parcel_node(source: Mapping[str, Any], order_id: str) -> ShipmentSnapshot | None:
    parcel = fulfillment(_rest_fulfillment(source, order_id))
    if parcel is None:
        return None
    events = (_readable(_event_node, event) for event in _nodes(source.get("events")))
    return replace(parcel, events=tuple(event for event in events if event is not None))


def _event_node(event: Mapping[str, Any]) -> ShipmentEventSnapshot | None:
    word = str(event["status"]).lower()
    if word not in SHIPMENT_STATUSES:
        return None
    return ShipmentEventSnapshot(
        external_id=str(gid_number(event["id"])),
        status=SHIPMENT_STATUSES[word],
        happened_at=_time(event["happenedAt"]),
        detail=event.get("message") or None,
    )


def product_node(node: Mapping[str, Any]) -> ProductSnapshot:
    with malformed("product node"):
        price = ((node.get("priceRangeV2") or {}).get("minVariantPrice") or {}).get("amount")
        image = (((node.get("featuredMedia") or {}).get("preview") or {}).get("image") or {}).get("url")
        stocked = not node.get("tracksInventory") or (node.get("totalInventory") or 0) > 0
        return ProductSnapshot(
            external_id=str(gid_number(node["id"])),
            title=str(node["title"]),
            updated_at=_time(node["updatedAt"]),
            url=node.get("onlineStoreUrl") or None,
            image_url=image or None,
            price=Decimal(str(price)) if price is not None else None,
            in_stock=node.get("status") == "ACTIVE" and stocked,
            tags=tuple(str(tag) for tag in node.get("tags") or ()),
        )


def _rest_order(node: Mapping[str, Any]) -> dict[str, Any]:
    order_id = gid_number(node["id"])
    customer = node.get("customer")
    address = node.get("shippingAddress")
    return {
        "id": order_id,
        "name": node["name"],
        "currency": node["currencyCode"],
        "current_total_price": node["currentTotalPriceSet"]["shopMoney"]["amount"],
        "created_at": node["createdAt"],
        "updated_at": node["updatedAt"],
        "processed_at": node.get("processedAt") or node["createdAt"],
        "cancelled_at": node.get("cancelledAt"),
        "cancel_reason": (node.get("cancelReason") or "").lower() or None,
        "closed_at": node.get("closedAt"),
        "financial_status": (node.get("displayFinancialStatus") or "pending").lower(),
        "fulfillment_status": (node.get("displayFulfillmentStatus") or "").lower() or None,
        "payment_gateway_names": node.get("paymentGatewayNames") or [],
        "discount_codes": [{"code": code} for code in node.get("discountCodes") or ()],
        "customer_locale": node.get("customerLocale"),
        "email": node.get("email"),
        "phone": node.get("phone"),
        "customer": {
            "id": gid_number(customer.get("id")),
            "email": customer.get("email"),
            "first_name": customer.get("firstName"),
            "last_name": customer.get("lastName"),
            "phone": customer.get("phone"),
            "email_marketing_consent": _rest_consent(customer.get("emailMarketingConsent")),
            "sms_marketing_consent": _rest_consent(customer.get("smsMarketingConsent")),
        }
        if customer
        else None,
        "shipping_address": {
            "name": address.get("name"),
            "address1": address.get("address1"),
            "address2": address.get("address2"),
            "city": address.get("city"),
            "province": address.get("province"),
            "province_code": address.get("provinceCode"),
            "zip": address.get("zip"),
            "country_code": address.get("countryCodeV2"),
            "phone": address.get("phone"),
        }
        if address
        else None,
        "line_items": [
            {
                "id": gid_number(item["id"]),
                "title": item["title"],
                "quantity": item["quantity"],
                "price": item["originalUnitPriceSet"]["shopMoney"]["amount"],
                "product_id": gid_number((item.get("product") or {}).get("id")),
                "variant_id": gid_number((item.get("variant") or {}).get("id")),
                "sku": item.get("sku"),
            }
            for item in _nodes(node.get("lineItems"))
        ],
        "refunds": [
            {
                "refund_line_items": [
                    {"line_item_id": gid_number(line["lineItem"]["id"]), "quantity": line["quantity"]}
                    for line in _nodes(refund.get("refundLineItems"))
                ]
            }
            for refund in node.get("refunds") or ()
        ],
    }


def _rest_consent(node: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """A GraphQL ``CustomerEmailMarketingConsentState`` / ``CustomerSmsMarketingConsentState`` in the
    webhooks' REST shape."""
    if not node or not node.get("marketingState"):
        return None
    return {
        "state": str(node["marketingState"]).lower(),
        "opt_in_level": str(node.get("marketingOptInLevel") or "").lower() or None,
        "consent_updated_at": node.get("consentUpdatedAt"),
    }


def _rest_fulfillment(item: Mapping[str, Any], order_id: str) -> dict[str, Any]:
    tracking = (item.get("trackingInfo") or [{}])[0]
    return {
        "id": gid_number(item["id"]),
        "order_id": order_id,
        "status": str(item.get("status") or "").lower(),
        "created_at": item["createdAt"],
        "updated_at": item["updatedAt"],
        "shipment_status": _display(item.get("displayStatus")),
        "tracking_company": tracking.get("company"),
        "tracking_number": tracking.get("number"),
        "tracking_url": tracking.get("url"),
    }


def _display(status: str | None) -> str | None:
    word = str(status or "").lower()
    return FULFILLMENT_DISPLAY.get(word, word) or None


def _nodes(connection: Any) -> list[dict[str, Any]]:
    """A connection's items, whether selected as ``nodes``, as ``edges { node }``, or (bulk
    results, re-assembled) as a plain list."""
    if isinstance(connection, list):
        return connection
    if not connection:
        return []
    if "nodes" in connection:
        return list(connection["nodes"])
    return [edge["node"] for edge in connection.get("edges") or ()]


_HANDLERS = _handlers()
TOPICS = frozenset(_HANDLERS)  # what shopify.app.toml must subscribe to
