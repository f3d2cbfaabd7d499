"""Snapshots -> rows -> planner.

Idempotent and order-insensitive (invariant 3): a snapshot whose remote ``updated_at`` is older than
what we hold changes nothing, so re-deliveries and late retries of old payloads are harmless. Stores
keep modification times to the second, so two changes within one second share a time: a snapshot with
the same time but different data is applied (the later arrival wins the tie), or reconcile could never
repair an update lost inside that second.
Rows are created with INSERT .. ON CONFLICT DO NOTHING and then locked, so two deliveries about the
same new order racing in two workers end with one row and the newer data.

``apply`` writes one snapshot and says which orders it touched; ``apply_all`` writes a batch and then
re-plans everything it touched once, set-based (``journeys.reconcile``).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from app import clock, privacy, stores, timeline
from app.db import insert_ignore
from app.journeys import reconcile
from app.journeys.state import REMOVED
from app.messages.localise import e164
from app.models import Consent, Customer, Order, OrderLine, Product, Shipment, ShipmentEvent, Store
from connectors.base import (
    CustomerSnapshot,
    DataRequest,
    OrderRemoved,
    OrderSnapshot,
    OrderStatus,
    ProductSnapshot,
    RedactRequest,
    ShipmentEventSnapshot,
    ShipmentEventUpdate,
    ShipmentSnapshot,
    ShipmentStatus,
    Snapshot,
    StoreUninstalled,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class IngestResult:
    kind: str
    external_id: str
    changed: bool
    note: str = ""
    order_id: int | None = None  # the order whose plan may have changed
    related: bool = False  # its contact's other orders too (a new or changed order)


def apply_all(session: Session, store: Store, snapshots: Iterable[Snapshot]) -> list[IngestResult]:
    """Apply ``snapshots`` in order, then re-plan every order they touched, once."""
    results = [apply(session, store, snapshot) for snapshot in snapshots]
    replan(session, store, results)
    return results


def replan(session: Session, store: Store, results: Iterable[IngestResult]) -> None:
    """Re-plan what ``results`` touched: changed orders with their contacts' other recent orders,
    orders whose parcels moved on their own."""
    related, alone = set(), set()
    for result in results:
        if result.changed and result.order_id is not None:
            (related if result.related else alone).add(result.order_id)
    if not (related or alone):
        return
    session.flush()
    orders = reconcile.orders_of(session, store, related | alone)
    near = reconcile.related(session, store, [o for o in orders if o.id in related])
    reconcile.refresh(session, store, list({o.id: o for o in [*orders, *near]}.values()))


def apply(session: Session, store: Store, snapshot: Snapshot) -> IngestResult:
    """Apply one snapshot for ``store`` inside the caller's transaction; re-planning is the caller's
    (``apply_all``), so a batch of deliveries plans each order once."""
    if isinstance(snapshot, OrderSnapshot):
        return apply_order(session, store, snapshot)
    if isinstance(snapshot, ProductSnapshot):
        return apply_product(session, store, snapshot)
    if isinstance(snapshot, ShipmentSnapshot):
        return apply_shipment(session, store, snapshot)
    if isinstance(snapshot, OrderRemoved):
        return apply_removal(session, store, snapshot)
    if isinstance(snapshot, ShipmentEventUpdate):
        return apply_shipment_event(session, store, snapshot)
    if isinstance(snapshot, RedactRequest):
        if snapshot.scope == "store":
            privacy.redact_store(session, store)
            return IngestResult("store", store.external_id, changed=True, note="erased")
        erased = privacy.redact_customer(
            session, store, snapshot.customer_external_id, snapshot.email, snapshot.order_external_ids
        )
        return IngestResult("customer", snapshot.customer_external_id or "", bool(erased), note="erased")
    if isinstance(snapshot, DataRequest):
        privacy.record_export(
            session,
            store,
            snapshot.request_ref,
            snapshot.customer_external_id,
            snapshot.email,
            snapshot.order_external_ids,
        )
        return IngestResult("customer", snapshot.customer_external_id or "", True, note="exported")
    if isinstance(snapshot, StoreUninstalled):
        cancelled = stores.uninstall(session, store)
        return IngestResult("store", store.external_id, True, note=f"uninstalled, {cancelled} cancelled")
    raise TypeError(f"not a snapshot: {snapshot!r}")


def apply_order(session: Session, store: Store, snap: OrderSnapshot) -> IngestResult:
    country = snap.shipping.country if snap.shipping else None
    customer = _upsert_customer(session, store, snap.customer, country) if snap.customer else None
    order, created, before = _upsert_newer(
        session, Order, store, snap.external_id, _order_fields(snap, customer, country)
    )
    if created:
        _replace_lines(session, order, snap)
        timeline.note(
            session, order.store_id, order.id, "received", number=snap.number, status=snap.remote_status
        )
    elif before is None:
        return IngestResult("order", snap.external_id, changed=False, note="not newer than stored")
    else:
        _replace_lines(session, order, snap)
        if before["remote_status"] == REMOVED:
            timeline.note(session, order.store_id, order.id, "restored")
        old_status = before["status"]
        if old_status != order.status:
            timeline.note(session, order.store_id, order.id, "status", old=old_status, new=order.status)
    if snap.customer is not None and snap.customer.accepts_marketing is not None and order.email:
        _record_consent(session, store, order.email, snap.customer.accepts_marketing, snap.updated_at)
    session.flush()
    note = "created" if created else "updated"
    return IngestResult("order", snap.external_id, changed=True, note=note, order_id=order.id, related=True)


def apply_removal(session: Session, store: Store, snap: OrderRemoved) -> IngestResult:
    """A deleted (trashed) order stops: its scheduled messages are cancelled by the planner, saying
    the order was deleted in the store; restoring it in the store plans it again."""
    order = session.scalars(
        select(Order)
        .where(Order.store_id == store.id, Order.external_id == snap.external_id)
        .with_for_update()
    ).first()
    if order is None or order.remote_status == REMOVED:
        return IngestResult("order", snap.external_id, changed=False, note="nothing to remove")
    order.status = OrderStatus.CANCELLED.value
    order.remote_status = REMOVED
    order.cancelled_at = order.cancelled_at or clock.now()
    timeline.note(session, store.id, order.id, "deleted")
    session.flush()
    return IngestResult(
        "order", snap.external_id, changed=True, note="removed", order_id=order.id, related=True
    )


class OrderNotYetKnown(Exception):
    """A shipment arrived before its order: the inbox keeps it and retries once the order is in."""


def apply_shipment(session: Session, store: Store, snap: ShipmentSnapshot) -> IngestResult:
    order = session.scalars(
        select(Order).where(Order.store_id == store.id, Order.external_id == snap.order_external_id)
    ).first()
    if order is None:
        raise OrderNotYetKnown(
            f"shipment {snap.external_id} names order {snap.order_external_id}, not seen yet"
        )
    fields: dict[str, Any] = {
        "order_id": order.id,
        "carrier": snap.carrier,
        "tracking_number": snap.tracking_number,
        "tracking_url": snap.tracking_url,
        "status": snap.status.value,
        "shipped_at": snap.shipped_at,
        "delivered_at": snap.delivered_at,
        "remote_updated_at": snap.updated_at,
    }
    shipment, created, before = _upsert_newer(session, Shipment, store, snap.external_id, fields)
    changed = created or before is not None
    for event in snap.events:  # events only accumulate; a stale snapshot can still add an old event
        changed = _add_event(session, store, order, shipment, event) or changed
    if not changed:
        return IngestResult("shipment", snap.external_id, changed=False, note="not newer than stored")
    session.flush()
    note = "created" if created else "updated"
    return IngestResult("shipment", snap.external_id, changed=True, note=note, order_id=order.id)


def apply_shipment_event(session: Session, store: Store, snap: ShipmentEventUpdate) -> IngestResult:
    """A carrier event on its own: added to its parcel, whose status follows its latest event."""
    shipment = session.scalars(
        select(Shipment)
        .where(Shipment.store_id == store.id, Shipment.external_id == snap.shipment_external_id)
        .with_for_update()
    ).first()
    if shipment is None:
        raise OrderNotYetKnown(f"event for parcel {snap.shipment_external_id}, not seen yet")
    event = snap.event
    order = session.get(Order, shipment.order_id)
    assert order is not None  # noqa: S101 - foreign key
    if not _add_event(session, store, order, shipment, event):
        return IngestResult("shipment", snap.shipment_external_id, changed=False, note="event already known")
    latest = session.scalars(
        select(ShipmentEvent.happened_at)
        .where(ShipmentEvent.shipment_id == shipment.id)
        .order_by(ShipmentEvent.happened_at.desc())
        .limit(1)
    ).one()
    if event.happened_at >= latest:  # an older event arriving late does not move the parcel back
        shipment.status = event.status.value
        if event.status is ShipmentStatus.DELIVERED:
            shipment.delivered_at = event.happened_at
    session.flush()
    return IngestResult(
        "shipment", snap.shipment_external_id, changed=True, note="event added", order_id=order.id
    )


def _add_event(
    session: Session, store: Store, order: Order, shipment: Shipment, event: ShipmentEventSnapshot
) -> bool:
    """Record a carrier event once (and say so on the order's timeline); False if already known."""
    added = insert_ignore(
        session,
        ShipmentEvent,
        {
            "store_id": store.id,
            "shipment_id": shipment.id,
            "external_id": event.external_id,
            "status": event.status.value,
            "happened_at": event.happened_at,
            "detail": event.detail,
        },
    )
    if added:
        label = shipment.tracking_number or shipment.external_id
        timeline.note(
            session,
            store.id,
            order.id,
            "shipment",
            at=event.happened_at,
            label=label,
            status=event.status.value,
        )
    return added


def apply_product(session: Session, store: Store, snap: ProductSnapshot) -> IngestResult:
    fields: dict[str, Any] = {
        "title": snap.title,
        "url": snap.url,
        "image_url": snap.image_url,
        "price": snap.price,
        "in_stock": snap.in_stock,
        "tags": ",".join(snap.tags),
        "remote_updated_at": snap.updated_at,
    }
    _, created, before = _upsert_newer(session, Product, store, snap.external_id, fields)
    if not created and before is None:
        return IngestResult("product", snap.external_id, changed=False, note="not newer than stored")
    return IngestResult("product", snap.external_id, changed=True, note="created" if created else "updated")


def _upsert_newer(
    session: Session,
    model: type[Order] | type[Product] | type[Shipment],
    store: Store,
    external_id: str,
    fields: dict[str, Any],
) -> tuple[Any, bool, dict[str, Any] | None]:
    """Invariant 3 in one place: insert the row if it is new, otherwise apply ``fields`` only when their
    ``remote_updated_at`` is newer than the stored one. The row stays locked for the transaction.

    Returns the row, whether it was created, and the values it held before an update (None when
    nothing was updated), so callers can say what changed."""
    created = insert_ignore(session, model, {"store_id": store.id, "external_id": external_id, **fields})
    row = session.scalars(
        select(model).where(model.store_id == store.id, model.external_id == external_id).with_for_update()
    ).one()
    if created or fields["remote_updated_at"] < row.remote_updated_at:
        return row, created, None
    before = {name: getattr(row, name) for name in fields}
    if fields["remote_updated_at"] == row.remote_updated_at and all(
        before[name] == value for name, value in fields.items()
    ):
        return row, False, None  # a re-delivery of what we hold
    for name, value in fields.items():
        setattr(row, name, value)
    return row, False, before


def _upsert_customer(
    session: Session, store: Store, snap: CustomerSnapshot, country: str | None = None
) -> Customer:
    """The account behind the order. Customers carry no modification time of their own: they follow
    their (newer) orders. What a message needs (email, phone, name, language) is the order's own,
    kept on the order (``_order_fields``): an account shared by several people, or a guest email
    reused with another name, must never redirect one order's messages to another order's buyer."""
    insert_ignore(session, Customer, {"store_id": store.id, "external_id": snap.external_id})
    customer = session.scalars(
        select(Customer).where(Customer.store_id == store.id, Customer.external_id == snap.external_id)
    ).one()
    if customer.redacted_at is None:  # never refill personal data the store asked us to erase
        customer.email = _email(snap.email) or customer.email
        customer.first_name = snap.first_name or customer.first_name
        customer.last_name = snap.last_name or customer.last_name
        customer.phone = _phone(snap.phone, country) or customer.phone
        customer.locale = snap.locale or customer.locale
    return customer


def _email(raw: str | None) -> str | None:
    return (raw or "").strip().lower() or None


def _phone(raw: str | None, country: str | None) -> str | None:
    """E.164 when it can be read (with the shipping country for a local number), so SMS, WhatsApp and
    the suppression list all know it by one spelling."""
    return (e164(raw, country) or raw.strip() or None) if raw else None


def _record_consent(
    session: Session, store: Store, address: str, granted: bool, evidence_at: datetime
) -> None:
    """The platform's word on email marketing for this address, kept when it is the newest evidence."""
    address = address.lower()
    insert_ignore(
        session,
        Consent,
        {
            "store_id": store.id,
            "address": address,
            "channel": "email",
            "granted": granted,
            "source": store.platform,
            "recorded_at": evidence_at,
            "words": "",
        },
    )
    row = session.scalars(
        select(Consent).where(
            Consent.store_id == store.id, Consent.address == address, Consent.channel == "email"
        )
    ).one()
    if evidence_at > row.recorded_at or (evidence_at == row.recorded_at and row.source == store.platform):
        row.granted, row.source, row.recorded_at = granted, store.platform, evidence_at


def _order_fields(snap: OrderSnapshot, customer: Customer | None, country: str | None) -> dict[str, Any]:
    address = snap.shipping
    contact = snap.customer
    redacted = customer is not None and customer.redacted_at is not None
    email = None if redacted or contact is None else _email(contact.email)
    phone = None if redacted or contact is None else _phone(contact.phone, country)
    return {
        "number": snap.number,
        "customer_id": customer.id if customer else None,
        "status": snap.status.value,
        "remote_status": snap.remote_status,
        "payment_method": snap.payment_method,
        "cash_on_delivery": snap.cash_on_delivery,
        "currency": snap.currency,
        "total": snap.total,
        "locale": snap.locale or (contact.locale if contact else None),
        "email": email,
        "phone": phone,
        "first_name": None if redacted or contact is None else contact.first_name,
        "last_name": None if redacted or contact is None else contact.last_name,
        "contact": email or phone,
        "placed_at": snap.placed_at,
        "paid_at": snap.paid_at,
        "cancelled_at": snap.cancelled_at,
        "remote_updated_at": snap.updated_at,
        "ship_name": address.name if address else None,
        "ship_address1": address.address1 if address else None,
        "ship_address2": address.address2 if address else None,
        "ship_city": address.city if address else None,
        "ship_region": address.region if address else None,
        "ship_postcode": address.postcode if address else None,
        "ship_country": address.country if address else None,
    }


def _replace_lines(session: Session, order: Order, snap: OrderSnapshot) -> None:
    session.execute(delete(OrderLine).where(OrderLine.order_id == order.id))
    session.add_all(
        OrderLine(
            store_id=order.store_id,
            order_id=order.id,
            external_id=line.external_id,
            product_external_id=line.product_external_id,
            title=line.title,
            sku=line.sku,
            quantity=line.quantity,
            refunded_quantity=line.refunded_quantity,
            unit_price=line.unit_price,
        )
        for line in snap.lines
    )
    session.expire(order, ["lines"])
