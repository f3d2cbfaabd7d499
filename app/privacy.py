"""Customers' rights over their data, whatever the platform: access (an export of everything we hold),
erasure (redact one customer), and a whole store's erasure when its owner leaves.

Erasure keeps what is not personal (order totals, products, counts, so the merchant's figures stay
true) and removes what identifies the person: name, email, phone, address, the messages' recipients
and subjects, timeline lines that name them, and the raw webhook bodies we kept that carry them.
Suppressions stay: they only ever stop mail to an address, and erasing them would let us write to
someone who asked us to stop.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from sqlalchemy import ColumnElement, delete, or_, select
from sqlalchemy.orm import Session

from app import clock, outbox
from app.journeys.reasons import Reason
from app.messages.localise import e164
from app.models import (
    ChannelSetting,
    Consent,
    Customer,
    DataExport,
    InboundContact,
    InboxEntry,
    InboxStatus,
    Message,
    MessageAttempt,
    MessageStatus,
    OfferCode,
    Order,
    OrderLine,
    RecommendList,
    Review,
    SendingDomain,
    Shipment,
    Store,
    Suppression,
    TimelineEntry,
    WhatsAppTemplate,
)

ERASED = "[erased]"
ADDRESS = ("ship_name", "ship_address1", "ship_address2", "ship_city", "ship_region", "ship_postcode")
CONTACT = ("email", "phone", "first_name", "last_name", "contact")  # the order's own contact
OPEN = (MessageStatus.SCHEDULED, MessageStatus.HELD, MessageStatus.SENDING)


def find_customers(
    session: Session, store: Store, external_id: str | None, email: str | None, order_ids: Iterable[str] = ()
) -> list[Customer]:
    """The customer rows a request names: by platform id, by email, or as the buyer of named orders."""
    conditions = []
    if external_id:
        conditions.append(Customer.external_id == external_id)
    if email:
        conditions.append(Customer.email == email.strip().lower())
    orders = list(order_ids)
    if orders:
        buyers = select(Order.customer_id).where(Order.store_id == store.id, Order.external_id.in_(orders))
        conditions.append(Customer.id.in_(buyers))
    if not conditions:
        return []
    return list(session.scalars(select(Customer).where(Customer.store_id == store.id, or_(*conditions))))


def _orders_of(
    session: Session, store: Store, customer_ids: list[int], order_ids: list[str], email: str | None = None
) -> list[Order]:
    """The customers' orders, the orders the request names and the orders placed with its email,
    oldest first."""
    conditions: list[ColumnElement[bool]] = [
        Order.customer_id.in_(customer_ids),
        Order.external_id.in_(order_ids),
    ]
    if email:
        conditions.append(Order.email == email.strip().lower())
    return list(
        session.scalars(
            select(Order).where(Order.store_id == store.id, or_(*conditions)).order_by(Order.placed_at)
        )
    )


def export(
    session: Session, store: Store, external_id: str | None, email: str | None, order_ids: Iterable[str] = ()
) -> dict[str, Any]:
    """Everything we hold on the customer, as JSON-ready data."""
    order_ids = list(order_ids)
    customers = find_customers(session, store, external_id, email, order_ids)
    ids = [customer.id for customer in customers]
    orders = _orders_of(session, store, ids, order_ids, email)
    order_row_ids = [order.id for order in orders]
    addresses = {customer.email for customer in customers if customer.email}
    addresses |= {value for order in orders for value in (order.email, order.phone) if value}
    return {
        "store": store.name,
        "exported_at": clock.now().isoformat(),
        "customers": [
            _columns(
                c,
                "external_id",
                "email",
                "first_name",
                "last_name",
                "phone",
                "locale",
                "created_at",
            )
            for c in customers
        ],
        "orders": [
            {
                **_columns(
                    o,
                    "external_id",
                    "number",
                    "status",
                    "currency",
                    "total",
                    "placed_at",
                    *CONTACT[:-1],
                    *ADDRESS,
                    "ship_country",
                    "check_in_answer",
                ),
                "lines": [
                    _columns(line, "title", "sku", "quantity", "unit_price") for line in _lines(session, o)
                ],
                "shipments": [
                    _columns(s, "carrier", "tracking_number", "status", "shipped_at", "delivered_at")
                    for s in session.scalars(select(Shipment).where(Shipment.order_id == o.id))
                ],
            }
            for o in orders
        ],
        "messages": [
            _columns(
                m, "step", "kind", "channel", "status", "send_at", "sent_at", "recipient", "subject", "reason"
            )
            for m in session.scalars(
                select(Message)
                .where(
                    Message.store_id == store.id,
                    or_(Message.customer_id.in_(ids), Message.order_id.in_(order_row_ids)),
                )
                .order_by(Message.send_at)
            )
        ],
        "reviews": [
            _columns(r, "product_external_id", "rating", "body", "created_at")
            for r in session.scalars(
                select(Review).where(
                    Review.store_id == store.id,
                    or_(Review.customer_id.in_(ids), Review.email.in_(sorted(addresses))),
                )
            )
        ],
        "marketing_consent": [
            _columns(c, "address", "channel", "granted", "source", "recorded_at", "words", "written_back_at")
            for c in session.scalars(
                select(Consent)
                .where(Consent.store_id == store.id, Consent.address.in_(sorted(addresses)))
                .order_by(Consent.address, Consent.channel)
            )
        ],
        "offer_codes": [
            _columns(o, "code", "step", "kind", "value", "currency", "expires_at", "status", "redeemed_at")
            for o in session.scalars(
                select(OfferCode)
                .where(
                    OfferCode.store_id == store.id,
                    or_(
                        OfferCode.recipient.in_(sorted(addresses)),
                        OfferCode.message_id.in_(
                            select(Message.id).where(
                                Message.store_id == store.id, Message.order_id.in_(order_row_ids)
                            )
                        ),
                    ),
                )
                .order_by(OfferCode.id)
            )
        ],
        "messages_received": [  # when they last wrote to the store's number (WhatsApp's window)
            _columns(r, "phone", "channel", "last_inbound_at")
            for r in session.scalars(
                select(InboundContact)
                .where(
                    InboundContact.store_id == store.id, InboundContact.phone.in_(_phones(orders, addresses))
                )
                .order_by(InboundContact.phone, InboundContact.channel)
            )
        ],
        "suppressions": [
            _columns(s, "address", "kind", "reason", "created_at")
            for s in session.scalars(
                select(Suppression).where(
                    Suppression.store_id == store.id, Suppression.address.in_(addresses)
                )
            )
        ],
    }


def record_export(
    session: Session,
    store: Store,
    request_ref: str,
    external_id: str | None,
    email: str | None,
    order_ids: Iterable[str] = (),
) -> DataExport:
    """Build the export and keep it for the merchant; a repeated request returns the first one."""
    existing = session.scalars(
        select(DataExport).where(DataExport.store_id == store.id, DataExport.request_ref == request_ref)
    ).first()
    if existing is not None:
        return existing
    data = export(session, store, external_id, email, order_ids)
    row = DataExport(
        store_id=store.id,
        request_ref=request_ref,
        customer_external_id=external_id,
        body=json.dumps(data, ensure_ascii=False, default=str),
    )
    session.add(row)
    session.flush()
    return row


def redact_customer(
    session: Session, store: Store, external_id: str | None, email: str | None, order_ids: Iterable[str] = ()
) -> int:
    """Erase the customer's personal data and cancel what was still to be sent; returns rows erased."""
    order_ids = list(order_ids)
    customers = find_customers(session, store, external_id, email, order_ids)
    ids = [customer.id for customer in customers]
    needles = {value for c in customers for value in (c.email, c.phone, c.first_name, c.last_name) if value}
    needles |= {value for value in (email, external_id) if value}
    orders = _orders_of(session, store, ids, order_ids, email)
    addresses = {value for o in orders for value in (o.email, o.phone) if value}
    addresses |= {value for c in customers for value in ((c.email or "").lower(), c.phone) if value}
    needles |= addresses
    needles |= {
        value for o in orders for value in (o.ship_name, o.ship_address1, o.first_name, o.last_name) if value
    }
    now = clock.now()
    for message in session.scalars(
        select(Message)
        .where(
            Message.store_id == store.id,
            or_(Message.customer_id.in_(ids), Message.order_id.in_([o.id for o in orders])),
        )
        .with_for_update()
    ):
        if message.status in OPEN:
            outbox.cancel(session, message, Reason.of("redacted"))
        message.recipient = ERASED if message.recipient else None
        message.subject = ERASED if message.subject else None
        message.contact = None
    contacts = sorted({o.contact for o in orders if o.contact})
    if contacts:  # a contact's ranked recommendations are keyed by their address
        session.execute(
            delete(RecommendList).where(
                RecommendList.store_id == store.id, RecommendList.contact.in_(contacts)
            )
        )
    for order in orders:
        for name in (*ADDRESS, *CONTACT):
            setattr(order, name, None)
    for customer in customers:
        customer.email = customer.first_name = customer.last_name = customer.phone = None
        customer.redacted_at = now
    if addresses:
        session.execute(
            delete(Consent).where(Consent.store_id == store.id, Consent.address.in_(sorted(addresses)))
        )
        session.execute(
            delete(InboundContact).where(
                InboundContact.store_id == store.id, InboundContact.phone.in_(_phones(orders, addresses))
            )
        )
        for offer in session.scalars(
            select(OfferCode).where(
                OfferCode.store_id == store.id, OfferCode.recipient.in_(sorted(addresses))
            )
        ):
            offer.recipient = None
        for review in session.scalars(
            select(Review).where(Review.store_id == store.id, Review.email.in_(sorted(addresses)))
        ):
            review.email = None
            review.display_name = ""  # the published words stay the store's, without the person's name
    session.execute(
        delete(DataExport).where(
            DataExport.store_id == store.id,
            DataExport.customer_external_id.in_([c.external_id for c in customers] or [""]),
        )
    )
    _scrub_timeline(session, store, [o.id for o in orders], needles)
    _purge_inbox(session, store, needles)
    return len(customers) + len(orders)


def redact_store(session: Session, store: Store) -> None:
    """The store's owner left (Shopify's shop/redact, 48 hours after uninstalling): erase everything
    but the row that says the store existed and was erased."""
    for table in (
        OfferCode,
        MessageAttempt,
        Message,
        Consent,
        InboundContact,
        TimelineEntry,
        Review,
        Suppression,
        DataExport,
        Customer,
        Order,
        OrderLine,
        Shipment,
        RecommendList,
    ):
        session.execute(delete(table).where(table.store_id == store.id))
    session.execute(
        delete(InboxEntry).where(InboxEntry.store_id == store.id, InboxEntry.status != InboxStatus.PENDING)
    )
    store.status = "uninstalled"
    for settings in (ChannelSetting, SendingDomain, WhatsAppTemplate):
        session.execute(delete(settings).where(settings.store_id == store.id))
    store.credentials = None
    store.sender_name = store.reply_to = None
    store.name = ERASED


def _scrub_timeline(session: Session, store: Store, order_ids: list[int], needles: set[str]) -> None:
    for entry in session.scalars(
        select(TimelineEntry).where(TimelineEntry.store_id == store.id, TimelineEntry.order_id.in_(order_ids))
    ):
        for needle in needles:
            entry.params = entry.params.replace(needle, ERASED)


def _purge_inbox(session: Session, store: Store, needles: set[str]) -> None:
    """Raw deliveries already processed that mention the customer are deleted; pending ones stay (they
    are processed later, and ingest never refills a redacted customer)."""
    encoded = [needle.encode() for needle in needles if len(needle) >= 4]
    for entry in session.scalars(
        select(InboxEntry).where(InboxEntry.store_id == store.id, InboxEntry.status != InboxStatus.PENDING)
    ):
        body = bytes(entry.body)
        if any(
            needle in body or json.dumps(needle.decode()).strip('"').encode() in body for needle in encoded
        ):
            session.delete(entry)


def _phones(orders: Iterable[Order], addresses: Iterable[str]) -> list[str]:
    """The addresses, and each order's phone in E.164 as the channels dial it."""
    dialled = {phone for order in orders if (phone := e164(order.phone, order.ship_country))}
    return sorted(dialled | set(addresses))


def _lines(session: Session, order: Order) -> list[OrderLine]:
    return list(session.scalars(select(OrderLine).where(OrderLine.order_id == order.id)))


def _columns(row: Any, *names: str) -> dict[str, Any]:
    """The named attributes as JSON values: times in ISO 8601, money as strings."""
    return {name: _plain(getattr(row, name)) for name in names}


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, str | int | bool):
        return value
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)
