"""Typed ORM models. Every row carries ``store_id`` (invariant 1); times are UTC (invariant 6).

Statuses are plain strings checked in code (the enums below and in ``connectors.base``), not
database enum types, so adding a status is a code change rather than a data migration on two
databases.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import (
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app import clock
from app.crypto import EncryptedText
from app.db import Base, UTCDateTime
from app.journeys.reasons import Reason

MONEY = Numeric(12, 2)
# Every id column is an INTEGER: what PostgreSQL's holds (SQLite's are wider). An id from outside
# (a path, a signed link) beyond it names no row, and PostgreSQL would refuse to compare it.
ID_MAX = 2**31 - 1


def is_id(value: object) -> bool:
    """Whether ``value`` could be a row's id: an int (not a bool) from 1 to ``ID_MAX``."""
    return type(value) is int and 0 < value <= ID_MAX


class StoreStatus(StrEnum):
    ACTIVE = "active"
    PAUSED = "paused"  # the merchant paused sending; messages wait
    DISCONNECTED = "disconnected"  # credentials revoked; messages wait until reconnected
    UNINSTALLED = "uninstalled"  # nothing is sent any more


class MessageStatus(StrEnum):
    SCHEDULED = "scheduled"
    HELD = "held"  # the planner holds it (a delivery problem); it returns to scheduled when that clears
    SENDING = "sending"  # claimed by a worker under a lease
    SENT = "sent"
    FAILED = "failed"
    CANCELLED = "cancelled"


class InboxStatus(StrEnum):
    PENDING = "pending"
    PROCESSED = "processed"
    FAILED = "failed"  # gave up after repeated errors; kept for a human
    REJECTED = "rejected"  # it can never be applied (its shape is wrong): kept once, with the reason


def _now() -> datetime:
    return clock.now()


class Timestamps:
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=_now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=_now, onupdate=_now)


class Store(Timestamps, Base):
    __tablename__ = "stores"
    __table_args__ = (UniqueConstraint("platform", "external_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    platform: Mapped[str] = mapped_column(String(32))
    external_id: Mapped[str] = mapped_column(String(255))  # shop domain, site URL, sandbox id
    name: Mapped[str] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(16), default=StoreStatus.ACTIVE)
    default_locale: Mapped[str] = mapped_column(String(16), default="en")
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    webhook_secret: Mapped[str | None] = mapped_column(EncryptedText)
    credentials: Mapped[str | None] = mapped_column(EncryptedText)  # connector-defined JSON

    # The store's identity as customers see it: the name its messages come from, and its own address
    # (Reply-To of every email, where tests, alerts and sign-in links go). How it sends is in
    # ``channel_settings`` and ``sending_domains``.
    sender_name: Mapped[str | None] = mapped_column(String(255))
    reply_to: Mapped[str | None] = mapped_column(String(320))
    journey: Mapped[str] = mapped_column(Text, default="")  # JourneyConfig as JSON; empty: defaults

    # Reconcile by polling, for platforms that can lose webhooks: the store's own modification time of
    # the newest change we have fetched (so our clock and theirs never mix), when the last poll ended
    # well, and why the last one did not.
    # New journey settings on a store too large to re-plan inside the request: the worker does it, and
    # keeps what changed (JSON: moved, cancelled, scheduled, at) for the settings page.
    replan_requested_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    replan_result: Mapped[str | None] = mapped_column(Text)

    synced_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    synced_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sync_error: Mapped[str | None] = mapped_column(Text)

    # The first-hour checklist: which items the merchant has done, as JSON {item: ISO time}
    # (``app.web.admin.checklist``); items that can be read from the store's own settings are not kept.
    setup: Mapped[str] = mapped_column(Text, default="")

    # The store's plan (``app.billing``): ``plan`` is what it pays for now; a charge the merchant has
    # not approved yet waits in ``plan_pending`` with the platform's reference in ``subscription_ref``.
    plan: Mapped[str] = mapped_column(String(32), default="free")
    plan_status: Mapped[str] = mapped_column(String(16), default="active")  # active|pending|cancelled
    plan_pending: Mapped[str | None] = mapped_column(String(32))
    subscription_ref: Mapped[str | None] = mapped_column(String(255))
    trial_ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    plan_checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    over_plan_told_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # the month's notice


class ChannelSetting(Timestamps, Base):
    """One channel's settings for one store, as its ``Settings`` model validated them (JSON), encrypted
    whole: credentials and addresses alike are the merchant's and nobody else's."""

    __tablename__ = "channel_settings"
    __table_args__ = (UniqueConstraint("store_id", "channel"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(32))
    settings: Mapped[str] = mapped_column(EncryptedText)


class SendingDomain(Timestamps, Base):
    """A domain the store sends from through the relay: its DKIM key pair (the private key encrypted),
    and what the last DNS check found. Mail goes From it only while ``verified_at`` is set."""

    __tablename__ = "sending_domains"
    __table_args__ = (UniqueConstraint("store_id", "domain"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"))
    domain: Mapped[str] = mapped_column(String(253))
    from_email: Mapped[str] = mapped_column(String(320))
    selector: Mapped[str] = mapped_column(String(63))
    private_key: Mapped[str] = mapped_column(EncryptedText)
    public_key: Mapped[str] = mapped_column(Text)
    checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    problems: Mapped[str] = mapped_column(Text, default="")  # JSON: the last check's records


class WhatsAppTemplate(Timestamps, Base):
    """A step's WhatsApp template in one language on the store's Twilio account, and WhatsApp's verdict."""

    __tablename__ = "whatsapp_templates"
    __table_args__ = (UniqueConstraint("store_id", "step", "locale"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"))
    step: Mapped[str] = mapped_column(String(32))
    locale: Mapped[str] = mapped_column(String(16))
    account_sid: Mapped[str] = mapped_column(String(64))  # a new account needs templates of its own
    content_sid: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(32), default="received")
    rejection_reason: Mapped[str] = mapped_column(Text, default="")
    checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class InboundContact(Base):
    """When a customer last wrote to the store's number, per channel (SMS, WhatsApp): WhatsApp lets the
    store answer in free text only within 24 hours of it."""

    __tablename__ = "inbound_contacts"
    __table_args__ = (UniqueConstraint("store_id", "channel", "phone"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(16))  # sms | whatsapp
    phone: Mapped[str] = mapped_column(String(32))  # E.164
    last_inbound_at: Mapped[datetime] = mapped_column(UTCDateTime)
    message_sid: Mapped[str] = mapped_column(String(64))  # Twilio's id of that message


class Customer(Timestamps, Base):
    __tablename__ = "customers"
    __table_args__ = (
        UniqueConstraint("store_id", "external_id"),
        Index("ix_customers_store_email", "store_id", "email"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"))
    external_id: Mapped[str] = mapped_column(String(255))
    email: Mapped[str | None] = mapped_column(String(320))
    first_name: Mapped[str | None] = mapped_column(String(255))
    last_name: Mapped[str | None] = mapped_column(String(255))
    phone: Mapped[str | None] = mapped_column(String(32))
    locale: Mapped[str | None] = mapped_column(String(16))
    redacted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Order(Timestamps, Base):
    """An order, with its own contact as the store recorded it on this order: every message about it
    goes there (invariant 6), even when one customer account places orders for several people."""

    __tablename__ = "orders"
    __table_args__ = (
        UniqueConstraint("store_id", "external_id"),
        Index("ix_orders_store_placed", "store_id", "placed_at"),
        Index("ix_orders_store_contact", "store_id", "contact", "placed_at"),
        Index("ix_orders_store_customer", "store_id", "customer_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"))
    external_id: Mapped[str] = mapped_column(String(255))
    number: Mapped[str] = mapped_column(String(64))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(16))
    remote_status: Mapped[str] = mapped_column(String(64))  # the platform's own word, for display
    payment_method: Mapped[str | None] = mapped_column(String(64))
    cash_on_delivery: Mapped[bool] = mapped_column(Boolean, default=False)
    currency: Mapped[str] = mapped_column(String(3))
    total: Mapped[Decimal] = mapped_column(MONEY)
    locale: Mapped[str | None] = mapped_column(String(16))
    email: Mapped[str | None] = mapped_column(String(320))  # lower case
    phone: Mapped[str | None] = mapped_column(String(32))  # E.164 when it could be read
    first_name: Mapped[str | None] = mapped_column(String(255))
    last_name: Mapped[str | None] = mapped_column(String(255))
    # The person this order belongs to, as the shared state (cap, consent, suppression, reviews, their
    # other orders) knows them: the email, else the phone.
    contact: Mapped[str | None] = mapped_column(String(320))
    placed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    remote_updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    check_in_answer: Mapped[str | None] = mapped_column(String(16))  # happy | unhappy
    check_in_answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    nps_score: Mapped[int | None] = mapped_column(Integer)  # 0-10, from the check-in's NPS question
    nps_answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    ship_name: Mapped[str | None] = mapped_column(String(255))
    ship_address1: Mapped[str | None] = mapped_column(String(255))
    ship_address2: Mapped[str | None] = mapped_column(String(255))
    ship_city: Mapped[str | None] = mapped_column(String(255))
    ship_region: Mapped[str | None] = mapped_column(String(255))
    ship_postcode: Mapped[str | None] = mapped_column(String(32))
    ship_country: Mapped[str | None] = mapped_column(String(2))

    customer: Mapped[Customer | None] = relationship()
    lines: Mapped[list[OrderLine]] = relationship(
        back_populates="order", cascade="all, delete-orphan", order_by="OrderLine.id"
    )


class OrderLine(Base):
    __tablename__ = "order_lines"
    __table_args__ = (
        UniqueConstraint("order_id", "external_id"),
        Index("ix_order_lines_store_product", "store_id", "product_external_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"))
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"))
    external_id: Mapped[str] = mapped_column(String(255))
    product_external_id: Mapped[str | None] = mapped_column(String(255))
    variant_external_id: Mapped[str | None] = mapped_column(String(255))  # for one-click reorder links
    title: Mapped[str] = mapped_column(String(500))
    sku: Mapped[str | None] = mapped_column(String(255))
    quantity: Mapped[int] = mapped_column(Integer)
    refunded_quantity: Mapped[int] = mapped_column(Integer, default=0)
    unit_price: Mapped[Decimal] = mapped_column(MONEY)

    order: Mapped[Order] = relationship(back_populates="lines")


class Product(Timestamps, Base):
    __tablename__ = "products"
    __table_args__ = (UniqueConstraint("store_id", "external_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"))
    external_id: Mapped[str] = mapped_column(String(255))
    title: Mapped[str] = mapped_column(String(500))
    url: Mapped[str | None] = mapped_column(String(2048))
    image_url: Mapped[str | None] = mapped_column(String(2048))
    price: Mapped[Decimal | None] = mapped_column(MONEY)
    in_stock: Mapped[bool] = mapped_column(Boolean, default=True)
    tags: Mapped[str] = mapped_column(Text, default="")  # comma-separated, as the platforms give them
    remote_updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Shipment(Timestamps, Base):
    __tablename__ = "shipments"
    __table_args__ = (
        UniqueConstraint("store_id", "external_id"),
        Index("ix_shipments_store_order", "store_id", "order_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"))
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"))
    external_id: Mapped[str] = mapped_column(String(255))
    carrier: Mapped[str | None] = mapped_column(String(255))
    tracking_number: Mapped[str | None] = mapped_column(String(255))
    tracking_url: Mapped[str | None] = mapped_column(String(2048))
    status: Mapped[str] = mapped_column(String(32))
    shipped_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    remote_updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    events: Mapped[list[ShipmentEvent]] = relationship(
        back_populates="shipment", cascade="all, delete-orphan", order_by="ShipmentEvent.happened_at"
    )


class ShipmentEvent(Base):
    __tablename__ = "shipment_events"
    __table_args__ = (UniqueConstraint("shipment_id", "external_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"))
    shipment_id: Mapped[int] = mapped_column(ForeignKey("shipments.id", ondelete="CASCADE"))
    external_id: Mapped[str] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(32))
    happened_at: Mapped[datetime] = mapped_column(UTCDateTime)
    detail: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str | None] = mapped_column(String(32))  # a tracking source; None: the platform
    location: Mapped[str | None] = mapped_column(String(255))

    shipment: Mapped[Shipment] = relationship(back_populates="events")


class Message(Timestamps, Base):
    """The outbox: one row per reason to write to a customer (invariant 2)."""

    __tablename__ = "messages"
    __table_args__ = (
        UniqueConstraint("store_id", "dedupe_key", name="uq_messages_store_dedupe"),
        Index("ix_messages_due", "status", "send_at", "id"),
        Index("ix_messages_order", "store_id", "order_id"),
        Index("ix_messages_contact", "store_id", "contact", "status"),
        Index("ix_messages_sent", "store_id", "status", "sent_at"),  # the month's volume, the dashboard
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"))
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id", ondelete="SET NULL"))
    shipment_id: Mapped[int | None] = mapped_column(
        ForeignKey("shipments.id", ondelete="CASCADE", name="fk_messages_shipment_id")
    )
    step: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(16))  # transactional | service | review | marketing
    dedupe_key: Mapped[str] = mapped_column(String(255))
    channel: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), default=MessageStatus.SCHEDULED)
    send_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Why it is where it is (``journeys.reasons``): a code and its parameters as JSON.
    reason_code: Mapped[str] = mapped_column(String(48), default="")
    reason_params: Mapped[str] = mapped_column(Text, default="")
    contact: Mapped[str | None] = mapped_column(String(320))  # the order's contact: the frequency cap's key
    members: Mapped[str] = mapped_column(Text, default="")  # a merged review request: its orders' ids, JSON
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    recipient: Mapped[str | None] = mapped_column(String(320))
    subject: Mapped[str | None] = mapped_column(Text)
    provider_message_id: Mapped[str | None] = mapped_column(String(255))
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # first open, when the pixel is on
    send_now: Mapped[bool] = mapped_column(
        Boolean, default=False
    )  # the merchant said: now, not in the window

    @property
    def why(self) -> Reason:
        return Reason.loads(self.reason_code, self.reason_params)

    @property
    def reason(self) -> str:
        """The reason in English (logs, the JSON API, tests); pages word it in the merchant's language."""
        return str(self.why)


class MessageAttempt(Base):
    """One try of one channel for one message: what the provider answered, how long it took. The
    order page shows them; the message's own status is the outbox's (``app.outbox``)."""

    __tablename__ = "message_attempts"
    __table_args__ = (Index("ix_message_attempts_message", "store_id", "message_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"))
    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(32))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=_now)
    duration_ms: Mapped[int] = mapped_column(Integer, default=0)
    outcome: Mapped[str] = mapped_column(String(16))  # sent | retry | failed | down | unreachable
    provider_id: Mapped[str | None] = mapped_column(String(255))
    error: Mapped[str | None] = mapped_column(Text)


class Consent(Base):
    """Whether an address agreed to marketing on a channel, with the evidence: where it came from,
    when, and the words the person saw. Keyed by address, not customer account, so one person's yes
    or no never speaks for another who shares the account (invariant 6). The newest evidence wins."""

    __tablename__ = "consents"
    __table_args__ = (
        UniqueConstraint("store_id", "address", "channel"),
        Index("ix_consents_write_back", "write_back", "store_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"))
    address: Mapped[str] = mapped_column(String(320))  # lower-cased email or E.164 phone
    channel: Mapped[str] = mapped_column(String(16))  # email | sms | whatsapp
    granted: Mapped[bool] = mapped_column(Boolean)
    source: Mapped[str] = mapped_column(String(64))  # the platform's name, or how we asked
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)  # when the evidence says it was given
    words: Mapped[str] = mapped_column(Text, default="")
    # A choice made with us (our opt-in page, our unsubscribe page) waits here until the store that
    # keeps consent of its own (Shopify's customer consent) has been told.
    write_back: Mapped[bool] = mapped_column(Boolean, default=False)
    written_back_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    write_back_error: Mapped[str | None] = mapped_column(Text)


class OfferStatus(StrEnum):
    RESERVED = "reserved"  # the code is chosen and in the rendered message; the store may not have it yet
    CREATED = "created"  # the store has it


class OfferCode(Base):
    """A discount code made for one message alone: chosen (and kept) before the store is asked, so a
    send retried after a crash between "created in the store" and "sent" asks for the same code again,
    which the store already has; one message never gets two. The order that later used it is the
    message's, whatever was clicked."""

    __tablename__ = "offer_codes"
    __table_args__ = (
        UniqueConstraint("message_id", name="uq_offer_codes_message"),
        UniqueConstraint("store_id", "code_key", name="uq_offer_codes_store_code"),
        Index("ix_offer_codes_redeemed", "store_id", "redeemed_order_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"))
    message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id", ondelete="SET NULL"))
    step: Mapped[str] = mapped_column(String(32))
    code: Mapped[str] = mapped_column(String(64))
    code_key: Mapped[str] = mapped_column(String(64))  # lower case: stores compare codes without case
    kind: Mapped[str] = mapped_column(String(16))  # percent | amount
    value: Mapped[Decimal] = mapped_column(MONEY)
    currency: Mapped[str] = mapped_column(String(3))
    recipient: Mapped[str | None] = mapped_column(String(320))  # the only email that may use it
    customer_external_id: Mapped[str | None] = mapped_column(String(255))  # the store's customer
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(16), default=OfferStatus.RESERVED)
    external_id: Mapped[str | None] = mapped_column(String(255))  # the store's id for it
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=_now)
    created_in_store_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    redeemed_order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id", ondelete="SET NULL"))
    redeemed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Suppression(Base):
    __tablename__ = "suppressions"
    __table_args__ = (UniqueConstraint("store_id", "address", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"))
    address: Mapped[str] = mapped_column(String(320))  # lower-cased email or E.164 phone
    kind: Mapped[str] = mapped_column(String(16))  # service | review | marketing | all
    reason: Mapped[str] = mapped_column(String(32))  # unsubscribed | hard_bounce | complaint
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=_now)


class InboxEntry(Base):
    """A verified webhook delivery, stored before it is processed (invariant 5)."""

    __tablename__ = "inbox"
    __table_args__ = (
        UniqueConstraint("store_id", "delivery_id", name="uq_inbox_store_delivery"),
        Index("ix_inbox_pending", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"))
    topic: Mapped[str] = mapped_column(String(64))
    delivery_id: Mapped[str] = mapped_column(String(255))
    body: Mapped[bytes] = mapped_column(LargeBinary)
    triggered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=_now)
    status: Mapped[str] = mapped_column(String(16), default=InboxStatus.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=_now)
    last_error: Mapped[str | None] = mapped_column(Text)
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class TimelineEntry(Base):
    """What happened to an order, in words a merchant reads: status changes, messages, holds."""

    __tablename__ = "timeline"
    __table_args__ = (Index("ix_timeline_order", "store_id", "order_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"))
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=_now)
    kind: Mapped[str] = mapped_column(String(32))
    step: Mapped[str] = mapped_column(String(32), default="")  # the message's step, when about one
    code: Mapped[str] = mapped_column(String(48))  # ``journeys.reasons``, worded when shown
    params: Mapped[str] = mapped_column(Text, default="")

    @property
    def why(self) -> Reason:
        return Reason.loads(self.code, self.params)


class ReviewStatus(StrEnum):
    """Where a review stands with the merchant; only ``approved`` ones are published or shown."""

    PENDING = "pending"  # waiting for the merchant (or recorded from the stars alone)
    APPROVED = "approved"
    REJECTED = "rejected"


class Review(Base):
    """A customer's rating of a product, collected by us (``source`` "aftercare") or read from the
    store ("store"). Keyed by the reviewer's contact (``email`` holds the order's contact: its email,
    else its phone), so one person never reviews the same product twice and nobody is asked twice."""

    __tablename__ = "reviews"
    __table_args__ = (
        Index("ix_reviews_customer_product", "store_id", "customer_id", "product_external_id"),
        UniqueConstraint("store_id", "email", "product_external_id", name="uq_reviews_store_email_product"),
        Index("ix_reviews_store_status", "store_id", "status", "created_at"),
        Index("ix_reviews_publish", "publish_state", "publish_after"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id", ondelete="SET NULL"))
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id", ondelete="SET NULL"))
    email: Mapped[str | None] = mapped_column(String(320))  # the reviewer: an order's own contact
    product_external_id: Mapped[str] = mapped_column(String(255))
    rating: Mapped[int] = mapped_column(Integer)
    body: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=_now)
    source: Mapped[str] = mapped_column(String(16), default="aftercare")  # aftercare | store
    product_title: Mapped[str] = mapped_column(String(500), default="")
    title: Mapped[str] = mapped_column(String(200), default="")
    display_name: Mapped[str] = mapped_column(String(80), default="")
    status: Mapped[str] = mapped_column(String(16), default=ReviewStatus.PENDING)
    featured: Mapped[bool] = mapped_column(Boolean, default=False)
    reply: Mapped[str] = mapped_column(Text, default="")  # the merchant's public answer
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=_now, onupdate=_now)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # words or photos arrived
    moderated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Publishing to the store is the worker's (``app.reviews.publish``): what the store should show
    # ("publish", "withdraw", "" when it is in step), its own id for the review, and the last error.
    publish_state: Mapped[str] = mapped_column(String(16), default="")
    publish_after: Mapped[datetime | None] = mapped_column(UTCDateTime)
    publish_attempts: Mapped[int] = mapped_column(Integer, default=0)
    publish_error: Mapped[str | None] = mapped_column(Text)
    remote_id: Mapped[str | None] = mapped_column(String(64))
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reward_code: Mapped[str | None] = mapped_column(String(64))  # the thank-you code, once made

    photos: Mapped[list[ReviewPhoto]] = relationship(
        back_populates="review", cascade="all, delete-orphan", order_by="ReviewPhoto.position"
    )


class ReviewPhoto(Base):
    """A photo of a review, re-encoded by us and kept under ``review_photos_dir`` by a random name:
    nothing the customer sent (name, EXIF, location, format) survives but the pixels."""

    __tablename__ = "review_photos"
    __table_args__ = (Index("ix_review_photos_review", "store_id", "review_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"))
    review_id: Mapped[int] = mapped_column(ForeignKey("reviews.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(
        String(64), unique=True
    )  # random; the files are <name>.jpg, <name>.t.jpg
    position: Mapped[int] = mapped_column(Integer, default=0)
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=_now)

    review: Mapped[Review] = relationship(back_populates="photos")


class JobLease(Base):
    """Who runs a periodic job for a store until when, so any number of workers run it once."""

    __tablename__ = "job_leases"

    job: Mapped[str] = mapped_column(String(64), primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"), primary_key=True)
    holder: Mapped[str] = mapped_column(String(64))
    lease_until: Mapped[datetime] = mapped_column(UTCDateTime)


class DataExport(Base):
    """What we held on a customer when they asked (GDPR access request), kept for the merchant to hand
    over. It is the customer's own data, so it is erased with them."""

    __tablename__ = "data_exports"
    __table_args__ = (UniqueConstraint("store_id", "request_ref"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"))
    request_ref: Mapped[str] = mapped_column(String(255))
    customer_external_id: Mapped[str | None] = mapped_column(String(255))
    body: Mapped[str] = mapped_column(Text)  # JSON
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=_now)


class Click(Base):
    """A customer followed a link in one of our messages (through the signed redirect): what later
    attribution of orders to messages is built on."""

    __tablename__ = "clicks"
    __table_args__ = (Index("ix_clicks_store_at", "store_id", "clicked_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"))
    message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id", ondelete="SET NULL"))
    url: Mapped[str] = mapped_column(String(2048))
    clicked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=_now)


class MessageTemplate(Timestamps, Base):
    """A merchant's own wording of one step in one language, checked before it was saved."""

    __tablename__ = "message_templates"
    __table_args__ = (UniqueConstraint("store_id", "step", "locale"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"))
    step: Mapped[str] = mapped_column(String(32))
    locale: Mapped[str] = mapped_column(String(16))
    subject: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)
    short: Mapped[str] = mapped_column(Text, default="")


class ShortLink(Base):
    """A link in an SMS or WhatsApp message, as a short random code (``/s/<code>``): a signed redirect
    is longer than the link itself, and every character costs the merchant. Only links we put in a
    message get a code, so a code can never send anyone to an address of someone else's choosing."""

    __tablename__ = "short_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"))
    message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id", ondelete="SET NULL"))
    code: Mapped[str] = mapped_column(String(16), unique=True)
    url: Mapped[str] = mapped_column(String(2048))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=_now)


class SignInLinkUse(Base):
    """A sign-in link that has signed someone in: each link does so once. The link's one-time value is
    kept hashed, and the row only until the link would have expired anyway."""

    __tablename__ = "sign_in_link_uses"

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"))
    nonce_hash: Mapped[str] = mapped_column(String(64), unique=True)
    used_at: Mapped[datetime] = mapped_column(UTCDateTime, default=_now)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)


class AdminSession(Base):
    """A browser signed in to a store's pages outside the platform's admin. Its cookie holds a random
    key, of which only the hash is kept here; signing out ends this row, "sign out everywhere" every
    row of the store, and a cookie whose row has ended opens nothing."""

    __tablename__ = "admin_sessions"
    __table_args__ = (Index("ix_admin_sessions_store", "store_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=_now)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


# --- recommendations (app/recommend) ---------------------------------------------------------------


class RecommendItem(Base):
    """One product in a store's model: its recency-weighted order count (the cosine's denominator),
    its recent sales (best sellers), and how often and after how long customers buy it again."""

    __tablename__ = "recommend_items"
    __table_args__ = (Index("ix_recommend_items_recent", "store_id", "recent_orders"),)

    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"), primary_key=True)
    product_external_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    weight: Mapped[float] = mapped_column(Float)
    orders: Mapped[int] = mapped_column(Integer)
    recent_orders: Mapped[int] = mapped_column(Integer)
    buyers: Mapped[int] = mapped_column(Integer)
    rebuyers: Mapped[int] = mapped_column(Integer)
    interval_days: Mapped[float | None] = mapped_column(Float)  # median days between one buyer's orders
    # The score of its NEIGHBOURS-th best neighbour at the last build: a lookup reads the pairs above it
    # (new pairs that rise above it since count too), one index range per product.
    cutoff: Mapped[float] = mapped_column(Float, default=0.0)


class RecommendPair(Base):
    """Two products bought in one order, both ways round: recency-weighted co-purchase and its cosine."""

    __tablename__ = "recommend_pairs"
    __table_args__ = (Index("ix_recommend_pairs_rank", "store_id", "product_external_id", "score"),)

    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"), primary_key=True)
    product_external_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    other_external_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    weight: Mapped[float] = mapped_column(Float)
    orders: Mapped[int] = mapped_column(Integer)
    score: Mapped[float] = mapped_column(Float)


class RecommendList(Base):
    """One product on a contact's ranked list: ``new`` (a cross-sell: not theirs yet) or ``again`` (one
    of theirs that customers re-buy), with what a reason names. Ranked at the build and again whenever
    the contact's orders change, so a lookup is one indexed read; stock, publish state and the
    merchant's curation are still applied at the lookup itself."""

    __tablename__ = "recommend_lists"

    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"), primary_key=True)
    contact: Mapped[str] = mapped_column(String(320), primary_key=True)
    product_external_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    kind: Mapped[str] = mapped_column(String(8))  # new | again
    score: Mapped[float] = mapped_column(Float)
    source: Mapped[str | None] = mapped_column(String(255))  # the product it was bought with (new)
    orders: Mapped[int | None] = mapped_column(Integer)  # orders holding both (new)
    days: Mapped[float | None] = mapped_column(Float)  # the re-buy interval (again)
    variant_external_id: Mapped[str | None] = mapped_column(String(255))  # last bought (again)
    quantity: Mapped[int] = mapped_column(Integer, default=1)


class RecommendCuration(Base):
    """The merchant's word: a platform's cross-sell, upsell or complementary product for a product, or
    a store-wide pin or exclusion (``product_external_id`` empty)."""

    __tablename__ = "recommend_curation"
    __table_args__ = (
        UniqueConstraint("store_id", "kind", "product_external_id", "other_external_id"),
        Index("ix_recommend_curation_product", "store_id", "product_external_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))  # cross_sell | upsell | complementary | pin | exclude
    product_external_id: Mapped[str] = mapped_column(String(255))
    other_external_id: Mapped[str] = mapped_column(String(255))
    position: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=_now)


class RecommendPick(Base):
    """A product a message recommended, and why: what the merchant reads, and what revenue is
    attributed to."""

    __tablename__ = "recommend_picks"
    __table_args__ = (
        UniqueConstraint("message_id", "product_external_id"),
        Index("ix_recommend_picks_store", "store_id", "product_external_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"))
    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id", ondelete="CASCADE"))
    product_external_id: Mapped[str] = mapped_column(String(255))
    position: Mapped[int] = mapped_column(Integer)
    reason_code: Mapped[str] = mapped_column(String(64))
    reason_params: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=_now)


class RecommendBuild(Base):
    """When a store's model was last built in full, from how much, and how long it took."""

    __tablename__ = "recommend_builds"

    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"), primary_key=True)
    built_at: Mapped[datetime] = mapped_column(UTCDateTime)
    orders: Mapped[int] = mapped_column(Integer)
    pairs: Mapped[int] = mapped_column(Integer)
    seconds: Mapped[float] = mapped_column(Float)
    curation_error: Mapped[str | None] = mapped_column(Text)


class TrackingAccount(Base):
    """A store's account at a tracking source (``tracking.registry``): its credentials as JSON,
    encrypted, and what the last check or call said of them."""

    __tablename__ = "tracking_accounts"
    __table_args__ = (UniqueConstraint("store_id", "source"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"))
    source: Mapped[str] = mapped_column(String(32))
    credentials: Mapped[str] = mapped_column(EncryptedText)
    checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    error: Mapped[str | None] = mapped_column(Text)  # why the source last refused them; None: fine
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=_now)


class ParcelTrack(Base):
    """How a parcel is followed beyond its platform: the carrier we detected, the source that follows
    it and its id there, when it was last polled and what went wrong, and the delivery estimate the
    customer was given first (kept, so the dashboard can say how often estimates held)."""

    __tablename__ = "parcel_tracks"
    __table_args__ = (
        UniqueConstraint("shipment_id"),
        Index("ix_parcel_tracks_store_poll", "store_id", "next_poll_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"))
    shipment_id: Mapped[int] = mapped_column(ForeignKey("shipments.id", ondelete="CASCADE"))
    carrier: Mapped[str | None] = mapped_column(String(32))
    source: Mapped[str | None] = mapped_column(String(32))
    remote_id: Mapped[str | None] = mapped_column(String(255))
    registered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    polled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    next_poll_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    error: Mapped[str | None] = mapped_column(Text)
    estimate_from: Mapped[datetime | None] = mapped_column(UTCDateTime)
    estimate_to: Mapped[datetime | None] = mapped_column(UTCDateTime)
    source_estimate: Mapped[datetime | None] = mapped_column(UTCDateTime)  # what the carrier said


class TrackingBrand(Base):
    """How the store's tracking page looks and where it points: logo, colour, help and returns."""

    __tablename__ = "tracking_brands"

    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"), primary_key=True)
    logo_url: Mapped[str | None] = mapped_column(String(2048))
    color: Mapped[str | None] = mapped_column(String(7))  # #rrggbb
    help_url: Mapped[str | None] = mapped_column(String(2048))
    returns_url: Mapped[str | None] = mapped_column(String(2048))
