"""The contract between store platforms and the app.

A connector verifies what a store sends, translates the platform's payloads into the snapshots below,
and calls the store's API. It never touches the database: the app's webhook route and ingest do that
with what the connector returns. Status vocabularies live here because they are part of the contract:
every connector maps its platform's words onto them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any, Protocol, overload, runtime_checkable

import orjson

from connectors import fields


class OrderStatus(StrEnum):
    PENDING = "pending"  # placed, not paid (and not cash on delivery)
    PAID = "paid"  # paid, or cash on delivery accepted: being prepared
    ON_HOLD = "on_hold"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    REFUNDED = "refunded"
    FAILED = "failed"


class ShipmentStatus(StrEnum):
    LABEL_CREATED = "label_created"
    IN_TRANSIT = "in_transit"
    OUT_FOR_DELIVERY = "out_for_delivery"
    DELIVERED = "delivered"
    ATTEMPTED_DELIVERY = "attempted_delivery"
    DELAYED = "delayed"
    FAILURE = "failure"
    READY_FOR_PICKUP = "ready_for_pickup"
    # A tracking source said something we cannot place (kept in the history, never moves the parcel),
    # and nothing heard for longer than the carrier usually takes (``tracking.stalls``).
    UNKNOWN = "unknown"
    NO_MOVEMENT = "no_movement"


# --- errors, translated at the boundary -------------------------------------------------------


class ConnectorError(Exception):
    """Base of every error a connector raises."""


class SignatureError(ConnectorError):
    """A webhook's signature is missing or does not match its body. Answer 401."""


class PayloadError(ConnectorError):
    """A request or response is not in the platform's documented shape. Answer 400; do not retry."""


class AuthError(ConnectorError):
    """The store refused our credentials (revoked, expired, wrong keys)."""


class PermissionRefused(AuthError):
    """The store knows our credentials but they may not do this (WooCommerce keys made read-only).

    Nothing is wrong with the store's data or our link to it: the merchant has to grant the permission.
    ``fix`` says how, in words for the merchant's pages."""

    def __init__(self, message: str, fix: str) -> None:
        super().__init__(message)
        self.fix = fix


class RateLimited(ConnectorError):
    """The store asked us to slow down; ``retry_after`` is in seconds."""

    def __init__(self, message: str, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class TransientError(ConnectorError):
    """A failure worth retrying later: timeouts, 5xx answers, refused connections."""


RETRYABLE_ERRORS: tuple[type[ConnectorError], ...] = (RateLimited, TransientError)

# What reading a body of the wrong shape raises in Python (a missing key, a list where an object was
# expected, "abc" as a number, a date out of range, nesting too deep): translated to PayloadError.
MALFORMED: tuple[type[Exception], ...] = (
    KeyError,
    IndexError,
    TypeError,
    ValueError,
    AttributeError,
    ArithmeticError,
    RecursionError,
)


@contextmanager
def malformed(what: str) -> Iterator[None]:
    """Inside, reading a payload of the wrong shape raises PayloadError naming ``what``."""
    try:
        yield
    except PayloadError:
        raise
    except MALFORMED as exc:
        raise PayloadError(f"{what} is malformed: {exc!r}"[:500]) from exc


def json_object(body: bytes) -> dict[str, Any]:
    """A webhook body that must be one JSON object; PayloadError (answered 400) otherwise. Parsed with
    orjson: every webhook is read at the door and again by the worker, and orjson reads a store's
    order several times faster than the standard library (and refuses nesting past 1024 levels)."""
    try:
        payload = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise PayloadError(f"body is not valid JSON: {exc}") from exc
    if not isinstance(payload, dict):
        raise PayloadError("body must be a JSON object")
    return payload


def _checked(snapshot: object, **values: Any) -> None:
    """Put a snapshot's checked values in place (the snapshots are frozen)."""
    for name, value in values.items():
        object.__setattr__(snapshot, name, value)


@contextmanager
def _refusing(what: str) -> Iterator[None]:
    try:
        yield
    except ValueError as exc:
        raise PayloadError(f"{what}: {exc}") from exc


# --- snapshots: what a store said about one thing at one moment --------------------------------
# Each snapshot checks its fields when it is made (``connectors.fields``): a connector that builds one
# from a body of the wrong shape gets PayloadError, so what reaches ingest always fits its tables.


@dataclass(frozen=True)
class AddressSnapshot:
    name: str | None = None
    address1: str | None = None
    address2: str | None = None
    city: str | None = None
    region: str | None = None
    postcode: str | None = None
    country: str | None = None  # ISO 3166-1 alpha-2
    phone: str | None = None

    def __post_init__(self) -> None:
        with _refusing("address"):
            _checked(
                self,
                name=fields.text(self.name, "name", fields.NAME),
                address1=fields.text(self.address1, "address1", fields.NAME),
                address2=fields.text(self.address2, "address2", fields.NAME),
                city=fields.text(self.city, "city", fields.NAME),
                region=fields.text(self.region, "region", fields.NAME),
                postcode=fields.text(self.postcode, "postcode", fields.POSTCODE),
                country=fields.country(self.country, "country"),
                phone=fields.contact(self.phone, "phone", fields.PHONE),
            )


CONSENT_CHANNELS = ("email", "sms", "whatsapp")


@dataclass(frozen=True)
class ConsentSnapshot:
    """What the store recorded about marketing to this buyer on one channel, with its evidence.

    ``address`` is who it is for when that is not the order's own email (email) or phone (sms,
    whatsapp): a plugin may record the number the buyer typed into its own opt-in field. ``at`` is when
    the evidence says it was given (Shopify's ``consentUpdatedAt``, the order's creation for a checkbox
    ticked at checkout); None means the snapshot's own time. ``source`` names where it came from."""

    channel: str
    granted: bool
    source: str
    at: datetime | None = None
    words: str = ""
    address: str | None = None

    def __post_init__(self) -> None:
        with _refusing("consent"):
            if self.channel not in CONSENT_CHANNELS:
                raise ValueError(f"consent channel must be one of {', '.join(CONSENT_CHANNELS)}")
            _checked(
                self,
                granted=fields.flag(self.granted, "granted"),
                source=fields.key(self.source, "consent source", limit=fields.WORD),
                at=fields.optional_moment(self.at, "consent time"),
                words=fields.text(self.words, "consent words", fields.TITLE) or "",
                address=fields.contact(
                    self.address, "consent address", fields.EMAIL if self.channel == "email" else fields.PHONE
                ),
            )


@dataclass(frozen=True)
class CustomerSnapshot:
    """The buyer of one order as the store recorded them on that order (email, name, phone, language):
    every message about the order goes there. ``external_id`` names the account, which several people
    may share."""

    external_id: str  # the platform's id, or "guest:<email>" for a guest checkout
    email: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    phone: str | None = None
    locale: str | None = None
    # Email marketing consent as the platform recorded it; None when the platform records none.
    accepts_marketing: bool | None = False
    # Consent per channel with its evidence (Shopify's email and SMS consent, a WooCommerce plugin's
    # checkbox); for email it takes the place of ``accepts_marketing``.
    consents: tuple[ConsentSnapshot, ...] = ()

    def __post_init__(self) -> None:
        with _refusing("customer"):
            _checked(
                self,
                external_id=fields.key(self.external_id, "customer id"),
                email=fields.contact(self.email, "email", fields.EMAIL),
                first_name=fields.text(self.first_name, "first name", fields.NAME),
                last_name=fields.text(self.last_name, "last name", fields.NAME),
                phone=fields.contact(self.phone, "phone", fields.PHONE),
                locale=fields.locale(self.locale, "locale"),
                accepts_marketing=fields.maybe_flag(self.accepts_marketing, "accepts_marketing"),
                consents=fields.items(self.consents, "consents", ConsentSnapshot, maximum=10),
            )


@dataclass(frozen=True)
class LineSnapshot:
    external_id: str
    title: str
    quantity: int
    unit_price: Decimal
    product_external_id: str | None = None
    sku: str | None = None
    refunded_quantity: int = 0  # returned or refunded units: no review is asked for those
    variant_external_id: str | None = None  # the variant bought: a one-click reorder link names it

    def __post_init__(self) -> None:
        with _refusing(f"line {str(self.external_id)[:40]}"):
            quantity = fields.count(self.quantity, "quantity")
            refunded = fields.count(self.refunded_quantity, "refunded quantity")
            if refunded > quantity:
                raise ValueError(f"refunded quantity {refunded} is more than the {quantity} ordered")
            _checked(
                self,
                external_id=fields.key(self.external_id, "line id"),
                title=fields.text(self.title, "title", fields.TITLE, required=True),
                quantity=quantity,
                unit_price=fields.money(self.unit_price, "unit price"),
                product_external_id=fields.optional_key(self.product_external_id, "product id"),
                sku=fields.text(self.sku, "sku", fields.KEY),
                refunded_quantity=refunded,
                variant_external_id=fields.optional_key(self.variant_external_id, "variant id"),
            )


@dataclass(frozen=True)
class OrderSnapshot:
    external_id: str
    number: str
    status: OrderStatus
    remote_status: str
    currency: str
    total: Decimal
    placed_at: datetime
    updated_at: datetime  # the store's modification time: newer wins (invariant 3)
    paid_at: datetime | None = None
    cancelled_at: datetime | None = None
    payment_method: str | None = None
    cash_on_delivery: bool = False
    locale: str | None = None
    customer: CustomerSnapshot | None = None
    shipping: AddressSnapshot | None = None
    lines: tuple[LineSnapshot, ...] = ()
    # The discount codes the buyer used (WooCommerce ``coupon_lines``, Shopify ``discount_codes``): a
    # code one of our messages carried attributes this order to that message.
    discount_codes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        with _refusing(f"order {str(self.external_id)[:40]}"):
            lines = fields.items(self.lines, "lines", LineSnapshot)
            fields.distinct([line.external_id for line in lines], "lines")
            if self.customer is not None and not isinstance(self.customer, CustomerSnapshot):
                raise ValueError("customer must be a CustomerSnapshot")
            if self.shipping is not None and not isinstance(self.shipping, AddressSnapshot):
                raise ValueError("shipping must be an AddressSnapshot")
            _checked(
                self,
                external_id=fields.key(self.external_id, "order id"),
                number=fields.key(self.number, "order number", limit=fields.NUMBER),
                status=fields.member(self.status, OrderStatus, "status"),
                remote_status=fields.text(self.remote_status, "remote status", fields.WORD, required=True),
                currency=fields.currency(self.currency, "currency"),
                total=fields.money(self.total, "total"),
                placed_at=fields.moment(self.placed_at, "placed_at"),
                updated_at=fields.moment(self.updated_at, "updated_at"),
                paid_at=fields.optional_moment(self.paid_at, "paid_at"),
                cancelled_at=fields.optional_moment(self.cancelled_at, "cancelled_at"),
                payment_method=fields.text(self.payment_method, "payment method", fields.WORD),
                cash_on_delivery=fields.flag(self.cash_on_delivery, "cash_on_delivery"),
                locale=fields.locale(self.locale, "locale"),
                lines=lines,
                discount_codes=tuple(
                    code
                    for code in (
                        fields.text(value, "discount code", fields.WORD)
                        for value in fields.items(self.discount_codes, "discount codes", str, maximum=50)
                    )
                    if code
                ),
            )


@dataclass(frozen=True)
class ShipmentEventSnapshot:
    external_id: str
    status: ShipmentStatus
    happened_at: datetime
    detail: str | None = None

    def __post_init__(self) -> None:
        with _refusing(f"carrier event {str(self.external_id)[:40]}"):
            _checked(
                self,
                external_id=fields.key(self.external_id, "event id"),
                status=fields.member(self.status, ShipmentStatus, "status"),
                happened_at=fields.moment(self.happened_at, "happened_at"),
                detail=fields.text(self.detail, "detail", fields.URL),
            )


@dataclass(frozen=True)
class ShipmentSnapshot:
    external_id: str
    order_external_id: str
    status: ShipmentStatus
    updated_at: datetime
    carrier: str | None = None
    tracking_number: str | None = None
    tracking_url: str | None = None
    shipped_at: datetime | None = None
    delivered_at: datetime | None = None
    events: tuple[ShipmentEventSnapshot, ...] = ()

    def __post_init__(self) -> None:
        with _refusing(f"parcel {str(self.external_id)[:40]}"):
            _checked(
                self,
                external_id=fields.key(self.external_id, "parcel id"),
                order_external_id=fields.key(self.order_external_id, "order id"),
                status=fields.member(self.status, ShipmentStatus, "status"),
                updated_at=fields.moment(self.updated_at, "updated_at"),
                carrier=fields.text(self.carrier, "carrier", fields.NAME),
                tracking_number=fields.text(self.tracking_number, "tracking number", fields.KEY),
                tracking_url=fields.url(self.tracking_url, "tracking url"),
                shipped_at=fields.optional_moment(self.shipped_at, "shipped_at"),
                delivered_at=fields.optional_moment(self.delivered_at, "delivered_at"),
                events=fields.items(self.events, "events", ShipmentEventSnapshot),
            )


@dataclass(frozen=True)
class ProductSnapshot:
    external_id: str
    title: str
    updated_at: datetime
    url: str | None = None
    image_url: str | None = None
    price: Decimal | None = None
    in_stock: bool = True
    tags: tuple[str, ...] = ()
    # The merchant's own picks to go with it (WooCommerce's cross-sells and upsells), best first; None
    # when the platform does not say (Shopify's come from the Storefront API, see ComplementaryProducts)
    cross_sell_ids: tuple[str, ...] | None = None
    upsell_ids: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        with _refusing(f"product {str(self.external_id)[:40]}"):
            tags = fields.items(self.tags, "tags", str)
            for name in ("cross_sell_ids", "upsell_ids"):
                value = getattr(self, name)
                if value is not None:
                    ids = fields.items(value, name, str)
                    object.__setattr__(self, name, tuple(fields.key(i, name) for i in ids))
            _checked(
                self,
                external_id=fields.key(self.external_id, "product id"),
                title=fields.text(self.title, "title", fields.TITLE, required=True),
                updated_at=fields.moment(self.updated_at, "updated_at"),
                url=fields.url(self.url, "url"),
                image_url=fields.url(self.image_url, "image url"),
                price=fields.optional_money(self.price, "price"),
                in_stock=fields.flag(self.in_stock, "in_stock"),
                # joined with commas into one column: a comma inside a tag would split it
                tags=tuple(
                    tag for tag in (fields.text(t.replace(",", " "), "tag", fields.NAME) for t in tags) if tag
                ),
            )


def _order_ids(values: Any) -> tuple[str, ...]:
    if not isinstance(values, tuple | list):
        raise ValueError("order ids must be a list")
    return tuple(fields.key(value, "order id") for value in values)


@dataclass(frozen=True)
class RedactRequest:
    """Erase a customer's personal data (``customer_external_id`` or ``email``), or the whole store."""

    scope: str  # "customer" | "store"
    customer_external_id: str | None = None
    email: str | None = None
    order_external_ids: tuple[str, ...] = ()  # the platform's list of the customer's orders to erase

    def __post_init__(self) -> None:
        with _refusing("erasure request"):
            if self.scope not in ("customer", "store"):
                raise ValueError(f"scope must be customer or store, not {self.scope!r}"[:100])
            _checked(
                self,
                customer_external_id=fields.optional_key(self.customer_external_id, "customer id"),
                email=fields.contact(self.email, "email", fields.EMAIL),
                order_external_ids=_order_ids(self.order_external_ids),
            )


@dataclass(frozen=True)
class DataRequest:
    """A customer asked the store for the data we hold on them; ``request_ref`` is the platform's id."""

    request_ref: str
    customer_external_id: str | None = None
    email: str | None = None
    order_external_ids: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        with _refusing("data request"):
            _checked(
                self,
                request_ref=fields.key(self.request_ref, "request ref"),
                customer_external_id=fields.optional_key(self.customer_external_id, "customer id"),
                email=fields.contact(self.email, "email", fields.EMAIL),
                order_external_ids=_order_ids(self.order_external_ids),
            )


@dataclass(frozen=True)
class StoreUninstalled:
    """The merchant removed the app: stop all sending at once."""


@dataclass(frozen=True)
class ShipmentEventUpdate:
    """One carrier event for a parcel we already know (a platform that sends events on their own)."""

    shipment_external_id: str
    order_external_id: str
    event: ShipmentEventSnapshot
    estimated_delivery_at: datetime | None = None

    def __post_init__(self) -> None:
        with _refusing("carrier event"):
            if not isinstance(self.event, ShipmentEventSnapshot):
                raise ValueError("event must be a ShipmentEventSnapshot")
            _checked(
                self,
                shipment_external_id=fields.key(self.shipment_external_id, "parcel id"),
                order_external_id=fields.key(self.order_external_id, "order id"),
                estimated_delivery_at=fields.optional_moment(self.estimated_delivery_at, "estimated at"),
            )


@dataclass(frozen=True)
class OrderRemoved:
    """The store deleted (or trashed) an order: nothing more is sent about it."""

    external_id: str

    def __post_init__(self) -> None:
        with _refusing("removal"):
            _checked(self, external_id=fields.key(self.external_id, "order id"))


Snapshot = (
    OrderSnapshot
    | ShipmentSnapshot
    | ShipmentEventUpdate
    | ProductSnapshot
    | OrderRemoved
    | RedactRequest
    | DataRequest
    | StoreUninstalled
)


@dataclass(frozen=True)
class Delivery:
    """A webhook whose signature checked out: what to store in the inbox and translate.

    Made from headers the signature may not cover, so it checks them: a topic or delivery id that
    does not fit the inbox, or a trigger time without a time zone, is PayloadError (answered 400)."""

    topic: str
    delivery_id: str  # the platform's id for this delivery; repeats of it are duplicates
    body: bytes
    triggered_at: datetime | None = None

    def __post_init__(self) -> None:
        with _refusing("delivery"):
            _checked(
                self,
                topic=fields.key(self.topic, "topic", limit=fields.TOPIC),
                delivery_id=fields.key(self.delivery_id, "delivery id"),
                triggered_at=fields.optional_moment(self.triggered_at, "trigger time"),
            )
            if not isinstance(self.body, bytes | bytearray | memoryview):
                raise ValueError("body must be bytes")
            _checked(self, body=bytes(self.body))


class Headers(Protocol):
    """A request's headers as a connector or a tracking source reads them: werkzeug's at the door
    (names found without regard to case), a plain dict in tests. Not a Mapping: werkzeug's iterate
    as (name, value) pairs."""

    @overload
    def get(self, key: str, /) -> str | None: ...
    @overload
    def get(self, key: str, default: str, /) -> str: ...
    def items(self) -> Iterable[tuple[str, str]]: ...
    def __contains__(self, key: str, /) -> bool: ...


@dataclass(frozen=True)
class WebhookRequest:
    """The parts of an HTTP request a connector may look at; keeps Flask out of connectors."""

    headers: Headers
    body: bytes
    content_type: str = ""
    extra: Mapping[str, str] = field(default_factory=dict)


class Connector(Protocol):
    """What the app needs from a platform. Implementations hold no database handles."""

    platform: str
    # True when each store signs with its own secret (WooCommerce); False when one app-wide secret signs
    # every store's deliveries (Shopify), so a signature can be checked before the store is looked up.
    per_store_secret: bool

    def is_ping(self, request: WebhookRequest) -> bool:
        """True for a platform's unsigned "are you there" request, answered 200 and not stored."""
        ...

    def store_ref(self, request: WebhookRequest) -> str:
        """The store's external id this delivery claims to come from.

        Raises PayloadError when the request names no store.
        """
        ...

    def verify_webhook(self, request: WebhookRequest, store_secret: str | None) -> Delivery:
        """Check the signature over the raw body and return the delivery.

        ``store_secret`` is the per-store webhook secret we hold (platforms with one app-wide secret
        ignore it). Raises SignatureError for a missing or wrong signature, PayloadError for missing
        headers.
        """
        ...

    def translate(self, delivery: Delivery) -> list[Snapshot]:
        """The snapshots a delivery carries; an empty list for topics the app does not use.

        Pure: the same delivery always gives the same snapshots. Raises PayloadError, and nothing
        else, whatever the body: not JSON, nested too deeply, or not in the platform's shape (a
        missing or mistyped field, a value that does not fit the app's tables: see ``Snapshot``).
        """
        ...


@dataclass(frozen=True)
class Change:
    """One resource that changed at the store, as of ``modified_at`` (the store's clock)."""

    modified_at: datetime
    snapshots: list[Snapshot]


@runtime_checkable
class Polling(Protocol):
    """A platform whose webhooks can be lost (WooCommerce never retries one), so the scheduler also asks
    it what changed. ``credentials`` is the store's decrypted, connector-defined JSON."""

    def changes_since(
        self, credentials: str, since: datetime, on_credentials: Callable[[str], None] | None = None
    ) -> Iterator[Change]:
        """Every order and product changed after ``since`` (the store's clock), oldest first.

        ``on_credentials`` is called with new credentials whenever the connector renews them (an
        expiring token refreshed before or during the poll), for the caller to store at once.

        Raises AuthError when the store refuses our credentials, TransientError or RateLimited when
        it cannot answer now. A resource the connector cannot read is logged and skipped, so one bad
        order never stops a store's sync."""
        ...

    def ensure_webhooks(self, credentials: str, delivery_url: str, secret: str) -> str:
        """Create missing webhooks and re-enable ones the platform disabled; returns what was done.

        Raises AuthError, TransientError or RateLimited as ``changes_since`` does."""
        ...


@runtime_checkable
class ComplementaryProducts(Protocol):
    """A platform whose merchants curate products that go together outside the product payload
    (Shopify's Search & Discovery, read through the Storefront API)."""

    def complementary(
        self, credentials: str, product_ids: list[str], on_credentials: Callable[[str], None] | None = None
    ) -> dict[str, tuple[str, ...]]:
        """The merchant's complementary products of each of ``product_ids``, best first (products with
        none are absent). ``on_credentials`` receives the credentials when the call had to add to them
        (a storefront token it created). Raises AuthError, TransientError or RateLimited."""
        ...


@runtime_checkable
class ReorderLinks(Protocol):
    """A platform with a link that puts a product straight into a new cart (Shopify's cart permalink,
    WooCommerce's add-to-cart link). The link depends on nothing but the store, so it is a static
    method: composing a message asks the registry's class (``issubclass``), no configured instance."""

    @staticmethod
    def reorder_url(store_ref: str, product_id: str, variant_id: str | None, quantity: int) -> str | None:
        """The link for ``store_ref`` (the store's external id), or None when it cannot be made (a
        Shopify line without its variant)."""
        ...


@runtime_checkable
class CustomerNotes(Protocol):
    """A platform that can write to a customer through the store's own mailer (WooCommerce's customer
    notes): the store's channel for merchants without an email provider of their own."""

    def send_customer_note(self, credentials: str, order_external_id: str, text: str) -> str:
        """Add ``text`` to the order as a note the customer is emailed; returns the note's id.

        Raises AuthError (credentials refused), TransientError or RateLimited (try later), or
        PayloadError (the store refused this note, e.g. the order is gone)."""
        ...


@runtime_checkable
class ShopProfiles(Protocol):
    """A platform that tells who the shop is (name, the address it writes from, its time zone)."""

    def shop_profile(self, credentials: str) -> dict[str, str]:
        """``name``, ``contactEmail`` and ``ianaTimezone``, empty where the platform has none."""
        ...


@runtime_checkable
class FlowTriggers(Protocol):
    """A platform whose own automation can be started by our events (Shopify Flow): each step is a
    trigger the merchant builds workflows on (Shopify Email, tags, any Flow action)."""

    def fire_flow_trigger(
        self,
        credentials: str,
        handle: str,
        payload: dict[str, Any],
        on_credentials: Callable[[str], None] | None = None,
    ) -> None:
        """Start the workflows of trigger ``handle`` with ``payload``; renewed credentials go to
        ``on_credentials``.

        Raises AuthError (credentials refused), TransientError or RateLimited (try later), or
        PayloadError (the platform refused the trigger: not published, a field missing)."""
        ...


@dataclass(frozen=True)
class ReviewToPublish:
    """An approved review as the store should show it. ``body`` is plain text (the connector escapes
    it for its platform); ``remote_id`` is the store's id for it once published."""

    product_id: str
    reviewer: str
    email: str
    rating: int
    title: str = ""
    body: str = ""
    remote_id: str | None = None


@dataclass(frozen=True)
class StoreReview:
    """A review the store already holds (left on its own product page), for "nobody is asked twice"."""

    remote_id: str
    product_id: str
    email: str
    rating: int
    created_at: datetime


@runtime_checkable
class ReviewPublishing(Protocol):
    """A platform that shows reviews: each approved one (WooCommerce's product reviews) and/or each
    product's rating summary (Shopify's ``reviews.rating`` metafields). Every method raises AuthError,
    TransientError or RateLimited (try later), or PayloadError (the store refused it)."""

    def publish_review(self, credentials: str, review: ReviewToPublish) -> str:
        """Create the review, or update it when ``review.remote_id`` is set; returns the store's id
        for it ("" for a platform that keeps no reviews of its own, only the summary)."""
        ...

    def withdraw_review(self, credentials: str, review: ReviewToPublish) -> None:
        """Remove a published review (rejected or edited into one that waits); gone already is fine."""
        ...

    def publish_rating(self, credentials: str, product_id: str, average: float, count: int) -> None:
        """The product's average of ``count`` approved reviews (``count`` 0: none any more)."""
        ...

    def store_reviews(self, credentials: str, since: datetime) -> Iterator[StoreReview]:
        """Reviews the store holds that were left since ``since`` (empty where it keeps none)."""
        ...


@runtime_checkable
class StorefrontProxy(Protocol):
    """A platform that forwards storefront requests to us and signs them (Shopify's app proxy)."""

    def verify_proxy(self, request: HttpRequest) -> str | None:
        """The shop a signed proxy request comes from (its full domain), or None when the signature
        is missing, wrong or stale: the caller answers 401 and shows nothing."""
        ...


@dataclass(frozen=True)
class HttpRequest:
    """A web request as a platform's verification library reads it; keeps Flask out of connectors."""

    method: str
    url: str
    headers: Mapping[str, str]
    body: str = ""


@dataclass(frozen=True)
class HttpAnswer:
    """What a platform's library says to answer (a redirect, a page, a 401 its script retries)."""

    status: int
    headers: Mapping[str, str]
    body: str = ""


@dataclass(frozen=True)
class EmbeddedCheck:
    """The outcome of checking a request from inside a platform's admin.

    ``shop`` is the store's external id when the proof holds; otherwise ``answer`` is what to send back
    instead (and nothing else may happen). ``headers`` go on every answer to a proved request (Shopify's
    CSP ``frame-ancestors`` naming the shop); ``query`` is what links must carry to stay embedded."""

    shop: str | None
    answer: HttpAnswer
    id_token: Any = None
    headers: Mapping[str, str] = field(default_factory=dict)
    query: Mapping[str, str] = field(default_factory=dict)
    api_key: str = ""
    refused: HttpAnswer | None = None  # what to answer if the platform then refuses the proof itself


@runtime_checkable
class EmbeddedAdmin(Protocol):
    """A platform whose admin hosts our merchant pages and proves every request from there (Shopify's
    App Bridge ID token), so those requests need no session cookie of ours."""

    @property
    def configured(self) -> bool:
        """False until the operator set the app's credentials: then nothing is embedded."""
        ...

    def claims_embedded(self, request: HttpRequest, args: Mapping[str, str]) -> bool:
        """True when the request says it comes from inside the platform's admin (and the app is
        configured to check it); ``args`` are the URL's query arguments."""
        ...

    def verify_embedded(self, request: HttpRequest, args: Mapping[str, str], patch_url: str) -> EmbeddedCheck:
        """Check the request's proof. ``patch_url`` is our page that fetches a fresh proof for a page
        load that came without one. Never raises for a bad proof: the check's ``answer`` says what
        to send back."""
        ...

    def patch_page(self, request: HttpRequest) -> HttpAnswer:
        """Our page that fetches a fresh proof and reloads the page that lacked one."""
        ...

    def install(self, check: EmbeddedCheck) -> str:
        """Credentials (connector-defined JSON) for the shop a verified check names, obtained from
        the platform with the check's proof.

        Raises AuthError when the platform refuses the proof, TransientError when it cannot answer."""
        ...


@dataclass(frozen=True)
class OfferRequest:
    """A discount code for one customer: single use, from ``starts_at`` until ``expires_at``. ``kind``
    is ``percent`` (``value`` % off) or ``amount`` (``value`` in ``currency`` off the order)."""

    code: str
    kind: str
    value: Decimal
    currency: str
    starts_at: datetime
    expires_at: datetime
    email: str | None = None  # the only buyer who may use it, where the platform restricts by email
    customer_external_id: str | None = None  # the platform's customer, where it restricts by account
    title: str = ""


@runtime_checkable
class Offers(Protocol):
    """A platform whose stores can hold a discount code we make for one customer."""

    def create_offer(
        self, credentials: str, offer: OfferRequest, on_credentials: Callable[[str], None] | None = None
    ) -> str:
        """Create ``offer.code`` in the store and return the store's id for it. When the store already
        has this code (a retry after a worker died between creating it and recording that), return
        that code's id: one code is never created twice. ``on_credentials`` receives renewed
        credentials, for the caller to store.

        Raises AuthError (credentials refused), TransientError or RateLimited (try later), PayloadError
        (the store refused this code, e.g. a missing permission)."""
        ...


@runtime_checkable
class ConsentWriteBack(Protocol):
    """A platform that keeps marketing consent itself (Shopify's customer consent), which is told
    when a customer opts in or unsubscribes with us, so the store and we agree."""

    def write_consent(
        self,
        credentials: str,
        customer_external_id: str,
        channel: str,
        granted: bool,
        at: datetime,
        on_credentials: Callable[[str], None] | None = None,
    ) -> None:
        """Set the customer's marketing consent on ``channel`` (email or sms) as of ``at``.

        Raises AuthError, TransientError or RateLimited, PayloadError (refused: say a customer the
        store no longer has) as ``create_offer`` does."""
        ...
