"""WooCommerce: REST API v3 with the store's own keys, signed webhooks, and reconcile by polling."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Mapping
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from connectors.base import (
    Change,
    Delivery,
    OfferRequest,
    OrderSnapshot,
    PayloadError,
    ReviewToPublish,
    ShipmentSnapshot,
    Snapshot,
    StoreReview,
    WebhookRequest,
    malformed,
)
from connectors.woocommerce import connect, reviews, tracking, translate, webhooks
from connectors.woocommerce.client import Credentials, NotFound, WooClient

log = logging.getLogger(__name__)

PLATFORM = "woocommerce"
COUPON_EXISTS = "woocommerce_rest_coupon_code_already_exists"  # WC_REST_Coupons_Controller's error code


class WooCommerceConnector:
    """The Connector for WooCommerce stores; see ``connectors.base.Connector`` for the contract.

    ``attempts``, ``backoff_initial`` and ``backoff_max`` shape the retries of every call to a store,
    and ``sleep`` is how they wait (tests pass one that only records)."""

    platform = PLATFORM
    per_store_secret = True

    def __init__(
        self,
        *,
        timeout: float = 15.0,
        attempts: int = 4,
        backoff_initial: float = 1.0,
        backoff_max: float = 30.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.timeout = timeout
        self.attempts = attempts
        self.backoff_initial = backoff_initial
        self.backoff_max = backoff_max
        self.sleep = sleep

    def client(self, credentials: str) -> WooClient:
        """The store's REST API with this connector's retry settings. Raises AuthError for
        credentials that are not WooCommerce keys."""
        return WooClient(
            Credentials.from_json(credentials),
            timeout=self.timeout,
            attempts=self.attempts,
            backoff_initial=self.backoff_initial,
            backoff_max=self.backoff_max,
            sleep=self.sleep,
        )

    @staticmethod
    def reorder_url(store_ref: str, product_id: str, variant_id: str | None, quantity: int) -> str | None:
        """WooCommerce's add-to-cart link on the site's home, ``?add-to-cart={id}&quantity={n}``: the
        variation when the line names one (WooCommerce adds a variation by its own id)."""
        item = variant_id or product_id
        if not item.isdigit():
            return None
        query = urlencode({"add-to-cart": item, "quantity": max(int(quantity), 1)})
        return f"{store_ref.rstrip('/')}/?{query}"

    def is_ping(self, request: WebhookRequest) -> bool:
        return webhooks.is_ping(request)

    def store_ref(self, request: WebhookRequest) -> str:
        return webhooks.store_ref(request)

    def verify_webhook(self, request: WebhookRequest, store_secret: str | None) -> Delivery:
        return webhooks.verify(request, store_secret)

    def translate(self, delivery: Delivery) -> list[Snapshot]:
        return translate.translate(delivery.topic, delivery.body)

    # --- Polling ---------------------------------------------------------------------------------

    def changes_since(
        self, credentials: str, since: datetime, on_credentials: Callable[[str], None] | None = None
    ) -> Iterator[Change]:
        """WooCommerce keys do not expire: ``on_credentials`` is never called. An order with refunds is
        read with what they refunded (``GET /orders/<id>/refunds``), so its lines' refunded quantities
        are set."""
        client = self.client(credentials)
        namespace = _tracking_namespace(client.credentials.url)
        for data in client.orders_modified_after(since):
            try:
                with malformed("order payload"):
                    if translate.has_refunds(data):
                        data = _with_refund_lines(data, client.refunds(_order_id(data)))
                    snapshots = translate.order(data)
                    if namespace and snapshots:
                        snapshots = _with_rest_tracking(client, namespace, snapshots)
            except PayloadError as exc:
                log.warning("woocommerce %s: order %s skipped: %s", client.credentials.url, _ref(data), exc)
                continue
            if snapshots:
                yield Change(snapshots[0].updated_at, snapshots)  # type: ignore[union-attr]
        for data in client.products_modified_after(since):
            try:
                with malformed("product payload"):
                    product = translate.product(data)
            except PayloadError as exc:
                log.warning("woocommerce %s: product %s skipped: %s", client.credentials.url, _ref(data), exc)
                continue
            yield Change(product.updated_at, [product])

    def ensure_webhooks(self, credentials: str, delivery_url: str, secret: str) -> str:
        """Raises PermissionRefused when the keys were made read-only after connecting."""
        return str(connect.ensure_webhooks(self.client(credentials), delivery_url, secret))

    # --- CustomerNotes ---------------------------------------------------------------------------

    def send_customer_note(self, credentials: str, order_external_id: str, text: str) -> str:
        note = self.client(credentials).add_customer_note(order_external_id, text)
        return str(note.get("id", ""))

    # --- Offers ----------------------------------------------------------------------------------

    def create_offer(
        self, credentials: str, offer: OfferRequest, on_credentials: Callable[[str], None] | None = None
    ) -> str:
        """A WooCommerce coupon limited to the buyer's email (WooCommerce checks it against the billing
        email at checkout), one use, expiring. A code the store already has (our own, from an attempt
        whose answer was lost) is looked up and its id returned."""
        client = self.client(credentials)
        try:
            coupon = client.create_coupon(
                offer.code,
                offer.value,
                email=offer.email,
                expires=offer.expires_at,
                discount_type="percent" if offer.kind == "percent" else "fixed_cart",
            )
        except PayloadError as exc:
            if COUPON_EXISTS not in str(exc):
                raise
            existing = client.coupon_by_code(offer.code)
            if existing is None:
                raise
            restricted = [str(e).lower() for e in existing.get("email_restrictions") or ()]
            if offer.email and offer.email.lower() not in restricted:
                raise PayloadError(f"the store already has a coupon {offer.code} for someone else") from exc
            coupon = existing
        return str(coupon.get("id", ""))

    # --- ReviewPublishing -----------------------------------------------------------------------

    def publish_review(self, credentials: str, review: ReviewToPublish) -> str:
        """Approved in our app, so approved in WooCommerce: the theme shows it with its stars and the
        "verified owner" badge. An update whose review was deleted in WooCommerce creates it again."""
        client = self.client(credentials)
        fields = reviews.fields(review)
        if review.remote_id:
            try:
                client.update_review(review.remote_id, fields)
                return review.remote_id
            except NotFound:
                pass
        created = client.create_review(
            review.product_id,
            fields["reviewer"],
            review.email,
            fields["review"],
            review.rating,
            status="approved",
        )
        return str(created.get("id", ""))

    def withdraw_review(self, credentials: str, review: ReviewToPublish) -> None:
        if not review.remote_id:
            return
        try:
            self.client(credentials).delete_review(review.remote_id)
        except NotFound:
            pass

    def publish_rating(self, credentials: str, product_id: str, average: float, count: int) -> None:
        """WooCommerce keeps each product's average from its own reviews: nothing to send."""

    def store_reviews(self, credentials: str, since: datetime) -> Iterator[StoreReview]:
        for data in self.client(credentials).reviews_after(since):
            try:
                with malformed("review payload"):
                    found = reviews.store_review(data)
            except PayloadError as exc:
                log.warning("woocommerce review %s skipped: %s", _ref(data), exc)
                continue
            if found is not None:
                yield found


def _ref(data: Any) -> str:
    """What a skipped item is called in the log, whatever it is."""
    return str(data.get("id") if isinstance(data, Mapping) else type(data).__name__)[:40]


def _order_id(data: Mapping[str, Any]) -> str:
    order_id = data["id"]
    if isinstance(order_id, bool) or not isinstance(order_id, int):
        raise TypeError("order id is not a number")
    return str(order_id)


def _with_refund_lines(data: Mapping[str, Any], refunds: list[dict[str, Any]]) -> dict[str, Any]:
    """The order with each of its ``refunds`` (id, reason, total) given the ``line_items`` the refunds
    endpoint lists for it. The endpoint is read after the order, so it has every refund the order
    names; one deleted in between refunds nothing. A refund made in between modifies the order again,
    and the next poll reads it."""
    lines = {r.get("id"): r.get("line_items") or [] for r in refunds if isinstance(r, dict)}
    merged = [
        {**refund, "line_items": lines.get(refund.get("id"), [])} if isinstance(refund, dict) else refund
        for refund in data.get("refunds") or ()
    ]
    return {**data, "refunds": merged}


def _tracking_namespace(url: str) -> str | None:
    """The tracking plugin's REST namespace, if the store has one (read from its public index)."""
    try:
        return connect.inspect_site(url).tracking_namespace
    except connect.ConnectProblem:
        return None


def _with_rest_tracking(client: WooClient, namespace: str, snapshots: list[Snapshot]) -> list[Snapshot]:
    """Ask the tracking plugin's REST API when the order's meta held no items (stores that hide the
    meta, or plugin versions that keep it elsewhere); its items replace a status-derived parcel."""
    order = snapshots[0]
    assert isinstance(order, OrderSnapshot)  # noqa: S101 - translate.order puts the order first
    parcels = [s for s in snapshots if isinstance(s, ShipmentSnapshot)]
    if any(p.external_id.startswith("tracking:") for p in parcels) or order.remote_status == "pending":
        return snapshots
    items = client.tracking_items(order.external_id, namespace)
    found = tracking.from_rest(order.external_id, items, order.updated_at)
    return [order, *found] if found else snapshots
