"""The Admin GraphQL API through ``shopifyapp``'s ``admin_graphql_request``, kept inside the cost limit.

Shopify meters GraphQL by points in a bucket per app and store: every answer carries
``extensions.cost.throttleStatus`` (maximumAvailable, currentlyAvailable, restoreRate). This client
remembers it, waits before a query that would not fit, and when Shopify still answers THROTTLED it
waits exactly as long as the missing points take to restore and asks again. Throttling therefore
slows a sync down; it never fails one.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

import httpx
from shopify_app import admin_graphql_request

from connectors.base import AuthError, PayloadError, RateLimited, TransientError
from connectors.shopify import queries
from connectors.shopify.queries import API_VERSION

log = logging.getLogger(__name__)

MAX_THROTTLE_WAITS = 100  # a query waits for points at most this many times before giving up for now


@dataclass(frozen=True)
class ShopCredentials:
    """What we hold for a shop (stored encrypted as JSON): its domain and offline access token, with
    the refresh token and expiry of an expiring token."""

    shop: str
    access_token: str
    refresh_token: str | None = None
    expires_at: str | None = None
    refresh_token_expires_at: str | None = None
    scope: str | None = None
    storefront_token: str | None = None  # created by the app to read Storefront data (storefront.py)

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str | None) -> ShopCredentials:
        try:
            data = json.loads(text or "")
            return cls(
                shop=str(data["shop"]),
                access_token=str(data["access_token"]),
                refresh_token=data.get("refresh_token"),
                expires_at=data.get("expires_at"),
                refresh_token_expires_at=data.get("refresh_token_expires_at"),
                scope=data.get("scope"),
                storefront_token=data.get("storefront_token"),
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise AuthError("the shop's access token is missing; open the app from Shopify again") from exc


@dataclass
class Bucket:
    """What Shopify last said about our points, and when."""

    maximum: float = 1000.0
    available: float = 1000.0
    restore_rate: float = 50.0
    seen_at: float = 0.0

    def now_available(self, now: float) -> float:
        return min(self.maximum, self.available + (now - self.seen_at) * self.restore_rate)

    def wait_for(self, cost: float, now: float) -> float:
        """Seconds until ``cost`` points are available (0 if they are)."""
        missing = min(cost, self.maximum) - self.now_available(now)
        return max(0.0, missing / self.restore_rate) if self.restore_rate > 0 else 1.0


class CodeTaken(PayloadError):
    """The shop already has a discount with this code."""


class ShopifyClient:
    """One shop's Admin API with one access token. Raises AuthError for a refused token (the caller
    refreshes it), TransientError when Shopify cannot answer now, PayloadError for a query error."""

    def __init__(
        self,
        shop_domain: str,
        access_token: str,
        *,
        http_client: httpx.Client | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        on_unauthorized: Callable[[], str] | None = None,
    ) -> None:
        self.shop = shop_domain.removesuffix(".myshopify.com")
        self.access_token = access_token
        self.http_client = http_client
        self.bucket = Bucket()
        self.expected_cost = 50.0
        self.throttled = 0  # how many times Shopify answered THROTTLED (for the tests and the logs)
        self._sleep = sleep
        self._clock = clock
        self._on_unauthorized = on_unauthorized  # returns a fresh access token, or raises AuthError

    def execute(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        try:
            return self._execute(query, variables)
        except AuthError:
            if self._on_unauthorized is None:
                raise
            self.access_token = self._on_unauthorized()  # the token expired mid-sync: renew, ask again
            return self._execute(query, variables)

    def _execute(self, query: str, variables: dict[str, Any] | None) -> dict[str, Any]:
        for _ in range(MAX_THROTTLE_WAITS):
            self._pause(self.bucket.wait_for(self.expected_cost, self._clock()))
            result = admin_graphql_request(
                query,
                shop=self.shop,
                access_token=self.access_token,
                api_version=API_VERSION,
                variables=variables,
                http_client=self.http_client,
            )
            body = _body(result.response.body)
            self._remember(body.get("extensions") or result.extensions or {})
            if result.ok:
                return result.data or {}
            status = result.response.status
            errors = body.get("errors") or []
            if _throttled(errors):
                self.throttled += 1
                continue  # the bucket now says how long to wait; the loop waits before asking again
            if status == 401:
                raise AuthError(f"{self.shop}: the access token was refused")
            if status == 0 or status >= 500 or status == 429:
                raise TransientError(f"{self.shop}: Shopify could not answer ({result.log.code})")
            raise PayloadError(f"{self.shop}: {_messages(errors) or result.log.detail}")
        raise RateLimited(
            f"{self.shop}: still throttled", self.bucket.wait_for(self.expected_cost, self._clock())
        )

    def paginate(self, query: str, field: str, variables: dict[str, Any]) -> Iterator[dict[str, Any]]:
        """Every node of the connection ``field``, page after page."""
        after = None
        while True:
            data = self.execute(query, {**variables, "after": after})
            connection = data.get(field) or {}
            yield from connection.get("nodes") or ()
            page = connection.get("pageInfo") or {}
            if not page.get("hasNextPage"):
                return
            after = page.get("endCursor")

    def set_rating(self, product_id: str, average: float, count: int) -> None:
        """Publish a product's rating in Shopify's standard ``reviews.rating`` / ``reviews.rating_count``
        metafields, which themes and Google Shopping read."""
        owner = f"gid://shopify/Product/{product_id}"
        rating = json.dumps({"value": f"{average:.1f}", "scale_min": "1.0", "scale_max": "5.0"})
        data = self.execute(
            queries.METAFIELDS_SET,
            {
                "metafields": [
                    {
                        "ownerId": owner,
                        "namespace": "reviews",
                        "key": "rating",
                        "type": "rating",
                        "value": rating,
                    },
                    {
                        "ownerId": owner,
                        "namespace": "reviews",
                        "key": "rating_count",
                        "type": "number_integer",
                        "value": str(count),
                    },
                ]
            },
        )
        _user_errors(data["metafieldsSet"])

    def clear_rating(self, product_id: str) -> None:
        """No approved review any more: the rating metafields go, so no theme shows a stale average."""
        owner = f"gid://shopify/Product/{product_id}"
        data = self.execute(
            queries.METAFIELDS_DELETE,
            {
                "metafields": [
                    {"ownerId": owner, "namespace": "reviews", "key": "rating"},
                    {"ownerId": owner, "namespace": "reviews", "key": "rating_count"},
                ]
            },
        )
        _user_errors(data["metafieldsDelete"])

    def create_discount_code(
        self,
        code: str,
        percent: int | Decimal | None = None,
        *,
        customer_id: str | None,
        starts_at: datetime,
        ends_at: datetime,
        amount: Decimal | None = None,
        title: str | None = None,
    ) -> str:
        """A single-use code (``percent`` off, or ``amount`` off the order), for one customer when
        given; returns the discount's id. A code the shop already has raises ``CodeTaken``."""
        selection: dict[str, Any] = (
            {"customers": {"add": [f"gid://shopify/Customer/{customer_id}"]}}
            if customer_id
            else {"all": True}
        )
        value: dict[str, Any] = (
            {"discountAmount": {"amount": str(amount), "appliesOnEachItem": False}}
            if amount is not None
            else {"percentage": float(percent or 0) / 100}
        )
        data = self.execute(
            queries.DISCOUNT_CREATE,
            {
                "basicCodeDiscount": {
                    "title": title or f"Aftercare {code}",
                    "code": code,
                    "startsAt": starts_at.isoformat(),
                    "endsAt": ends_at.isoformat(),
                    "customerSelection": selection,
                    "customerGets": {"value": value, "items": {"all": True}},
                    "appliesOncePerCustomer": True,
                    "usageLimit": 1,
                }
            },
        )
        result = data["discountCodeBasicCreate"]
        if any((error.get("code") or "") == "TAKEN" for error in result.get("userErrors") or ()):
            raise CodeTaken(f"{self.shop}: the code {code} exists already")
        _user_errors(result)
        return str(result["codeDiscountNode"]["id"])

    def discount_by_code(self, code: str) -> str | None:
        """The id of the shop's discount with this code, or None."""
        node = self.execute(queries.DISCOUNT_BY_CODE, {"code": code}).get("codeDiscountNodeByCode")
        return str(node["id"]) if node else None

    def set_marketing_consent(self, customer_id: str, channel: str, granted: bool, at: datetime) -> None:
        """The customer's email or SMS marketing consent, as given at ``at``: SUBSCRIBED with the
        confirmed opt-in level (they clicked our double opt-in), or UNSUBSCRIBED."""
        state = {
            "marketingState": "SUBSCRIBED" if granted else "UNSUBSCRIBED",
            "consentUpdatedAt": at.isoformat(),
        }
        if granted:
            state["marketingOptInLevel"] = "CONFIRMED_OPT_IN"
        gid = f"gid://shopify/Customer/{customer_id}"
        if channel == "email":
            data = self.execute(
                queries.EMAIL_CONSENT_UPDATE, {"input": {"customerId": gid, "emailMarketingConsent": state}}
            )
            _user_errors(data["customerEmailMarketingConsentUpdate"])
        elif channel == "sms":
            data = self.execute(
                queries.SMS_CONSENT_UPDATE, {"input": {"customerId": gid, "smsMarketingConsent": state}}
            )
            _user_errors(data["customerSmsMarketingConsentUpdate"])
        else:
            raise PayloadError(f"Shopify keeps no {channel} marketing consent")

    def fire_flow_trigger(self, handle: str, payload: dict[str, Any]) -> None:
        """Start the store's workflows that begin with the trigger ``handle``."""
        data = self.execute(queries.FLOW_TRIGGER_RECEIVE, {"handle": handle, "payload": payload})
        _user_errors(data["flowTriggerReceive"] or {})

    def _remember(self, extensions: dict[str, Any]) -> None:
        cost = extensions.get("cost") or {}
        status = cost.get("throttleStatus") or {}
        if status:
            self.bucket = Bucket(
                maximum=float(status["maximumAvailable"]),
                available=float(status["currentlyAvailable"]),
                restore_rate=float(status["restoreRate"]),
                seen_at=self._clock(),
            )
        if cost.get("requestedQueryCost") is not None:
            self.expected_cost = float(cost["requestedQueryCost"])

    def _pause(self, seconds: float) -> None:
        if seconds > 0:
            log.debug("%s: waiting %.2fs for query points", self.shop, seconds)
            self._sleep(seconds)


def _user_errors(result: dict[str, Any]) -> None:
    """Mutations report refusals in ``userErrors`` with a 200 answer."""
    errors = result.get("userErrors") or []
    if errors:
        raise PayloadError("; ".join(str(error.get("message")) for error in errors))


def _body(text: str | None) -> dict[str, Any]:
    try:
        data = json.loads(text or "{}")
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _throttled(errors: list[Any]) -> bool:
    return any(isinstance(e, dict) and (e.get("extensions") or {}).get("code") == "THROTTLED" for e in errors)


def _messages(errors: list[Any]) -> str:
    return "; ".join(str(e.get("message")) for e in errors if isinstance(e, dict))
