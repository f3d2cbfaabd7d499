"""The WooCommerce REST API v3, through the ``woocommerce`` package, with errors translated here.

The package signs one-legged OAuth 1.0a over plain http and uses basic auth over https, which is what
WooCommerce accepts (it refuses basic auth and query-string keys over http). It always uses the
``/wp-json/<namespace>/`` form: WooCommerce ignores API keys on ``?rest_route=``. What it lacks is
added here: retries with backoff on 429, 5xx and connection failures (tenacity), ``Retry-After``,
pagination through ``X-WP-TotalPages``, one error vocabulary (``connectors.base``), and sending through
a session whose connections ``connectors.netguard`` checks (the package itself sends with
``requests.request``, a fresh session every time, which no guard can reach).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import asdict, dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

import requests
from requests.auth import HTTPBasicAuth
from tenacity import Retrying, retry_if_exception_type, stop_after_attempt, wait_exponential_jitter
from tenacity.wait import wait_base
from woocommerce import API

from connectors import netguard
from connectors.base import (
    RETRYABLE_ERRORS,
    AuthError,
    PayloadError,
    PermissionRefused,
    RateLimited,
    TransientError,
)

API_VERSION = "wc/v3"
TRACKING_NAMESPACES = ("wc-shipment-tracking/v3", "wc-ast/v3")  # official extension, then AST
PAGE_SIZE = 100
USER_AGENT = "Aftercare/1.0 (+https://aftercare.example)"
READ_ONLY_REASON = (
    "Your store's API keys can read but not write, so Aftercare cannot switch its webhooks back on "
    "or add notes to orders."
)
READ_WRITE_FIX = (
    "In WooCommerce, open Settings → Advanced → REST API, give Aftercare's key Read/Write permission "
    "(or create a Read/Write key), and connect the store again."
)


class NotFound(PayloadError):
    """The store has no such resource (404)."""


@dataclass(frozen=True)
class Credentials:
    """What a store gave us: its site URL and a REST key pair. Stored encrypted as JSON."""

    url: str
    consumer_key: str
    consumer_secret: str

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str | None) -> Credentials:
        try:
            data = json.loads(text or "")
            return cls(str(data["url"]), str(data["consumer_key"]), str(data["consumer_secret"]))
        except (ValueError, KeyError, TypeError) as exc:
            raise AuthError("the store's WooCommerce keys are missing; connect it again") from exc


class _RetryAfterOrBackoff(wait_base):
    """Wait what a 429 asked for, else exponential backoff with jitter."""

    def __init__(self, initial: float, maximum: float) -> None:
        self.backoff = wait_exponential_jitter(multiplier=initial, max=maximum)
        self.maximum = maximum

    def __call__(self, retry_state: Any) -> float:
        error = retry_state.outcome.exception() if retry_state.outcome else None
        if isinstance(error, RateLimited):
            return min(self.maximum, max(error.retry_after, 0.0))
        return float(self.backoff(retry_state))


class WooClient:
    """One store's REST API. Every method raises AuthError (PermissionRefused when the keys may read but
    not write), RateLimited, TransientError, NotFound or PayloadError, never a ``requests`` exception;
    retryable errors are retried ``attempts`` times, waiting through ``sleep`` (tests pass their own)."""

    def __init__(
        self,
        credentials: Credentials,
        *,
        timeout: float = 15.0,
        attempts: int = 4,
        backoff_initial: float = 1.0,
        backoff_max: float = 30.0,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.credentials = credentials
        self.timeout = timeout
        self.session = session or netguard.session()
        self._retrying = Retrying(
            retry=retry_if_exception_type(RETRYABLE_ERRORS),
            stop=stop_after_attempt(attempts),
            wait=_RetryAfterOrBackoff(backoff_initial, backoff_max),
            sleep=sleep,
            reraise=True,
        )
        self._apis: dict[str, API] = {}

    # --- the resources the app uses ------------------------------------------------------------

    def orders_modified_after(self, since: datetime) -> Iterator[dict[str, Any]]:
        """Every order changed after ``since`` (UTC), oldest change first, any status."""
        return self._modified_after("orders", since)

    def products_modified_after(self, since: datetime) -> Iterator[dict[str, Any]]:
        return self._modified_after("products", since)

    def _modified_after(self, endpoint: str, since: datetime) -> Iterator[dict[str, Any]]:
        params = {
            "modified_after": since.strftime("%Y-%m-%dT%H:%M:%S"),
            "dates_are_gmt": "true",
            "orderby": "modified",
            "order": "asc",
        }
        return self.paginate(endpoint, params)

    def check_access(self) -> None:
        """One cheap authenticated read: raises AuthError now if the keys are wrong."""
        self._send("GET", "orders", None, {"per_page": 1})

    def check_write_access(self) -> None:
        """One write that changes nothing (an empty batch of webhook changes): raises PermissionRefused
        now if the keys may only read. WooCommerce checks a key's permission against the method before
        it looks at the route (``WC_REST_Authentication::check_permissions``)."""
        self._send("POST", "webhooks/batch", {}, {})

    def order(self, order_id: str) -> dict[str, Any]:
        return self.request("GET", f"orders/{order_id}")

    def refunds(self, order_id: str) -> list[dict[str, Any]]:
        """An order's refunds with what each refunded (``line_items``), newest first."""
        return list(self.paginate(f"orders/{order_id}/refunds", {}))

    def tracking_items(self, order_id: str, namespace: str) -> list[dict[str, Any]]:
        """A tracking plugin's items for an order (``namespace`` from TRACKING_NAMESPACES)."""
        answer = self.request("GET", f"orders/{order_id}/shipment-trackings", namespace=namespace)
        return answer if isinstance(answer, list) else []

    def webhooks(self) -> list[dict[str, Any]]:
        return list(self.paginate("webhooks", {}))

    def create_webhook(self, name: str, topic: str, delivery_url: str, secret: str) -> dict[str, Any]:
        body = {
            "name": name,
            "topic": topic,
            "delivery_url": delivery_url,
            "secret": secret,
            "status": "active",
        }
        return self.request("POST", "webhooks", body)

    def update_webhook(self, webhook_id: int, fields: Mapping[str, Any]) -> dict[str, Any]:
        return self.request("PUT", f"webhooks/{webhook_id}", dict(fields))

    def add_customer_note(self, order_id: str, note: str) -> dict[str, Any]:
        """An order note the customer sees; WooCommerce emails it with the store's own mailer."""
        return self.request("POST", f"orders/{order_id}/notes", {"note": note, "customer_note": True})

    def create_review(
        self,
        product_id: str,
        reviewer: str,
        email: str,
        review: str,
        rating: int,
        verified: bool = True,
        status: str = "hold",  # "hold": the merchant approves it in WooCommerce, as any review there
    ) -> dict[str, Any]:
        body = {
            "product_id": int(product_id),
            "reviewer": reviewer,
            "reviewer_email": email,
            "review": review,
            "rating": rating,
            "verified": verified,
            "status": status,
        }
        return self.request("POST", "products/reviews", body)

    def update_review(self, review_id: str, fields: Mapping[str, Any]) -> dict[str, Any]:
        return self.request("PUT", f"products/reviews/{int(review_id)}", dict(fields))

    def delete_review(self, review_id: str) -> dict[str, Any]:
        """Deleted for good (``force``), not sent to the trash where the theme still counts it."""
        return _json(self._send("DELETE", f"products/reviews/{int(review_id)}", None, {"force": "true"}))

    def reviews_after(self, since: datetime) -> Iterator[dict[str, Any]]:
        """Reviews left since ``since`` (``after`` compares the site's creation dates)."""
        return self.paginate("products/reviews", {"after": since.strftime("%Y-%m-%dT%H:%M:%S")})

    def create_coupon(
        self,
        code: str,
        percent: int | Decimal,
        *,
        email: str | None = None,
        expires: datetime | None = None,
        usage_limit: int = 1,
        discount_type: str = "percent",
    ) -> dict[str, Any]:
        """A coupon (``discount_type`` ``percent``, or ``fixed_cart`` for an amount off the order),
        for one buyer when ``email`` is given, expiring at ``expires``."""
        body: dict[str, Any] = {
            "code": code,
            "discount_type": discount_type,
            "amount": str(percent),
            "individual_use": True,
            "usage_limit": usage_limit,
            "usage_limit_per_user": 1,
        }
        if email:
            body["email_restrictions"] = [email]
        if expires:
            body["date_expires_gmt"] = expires.strftime("%Y-%m-%dT%H:%M:%S")
        return self.request("POST", "coupons", body)

    def coupon_by_code(self, code: str) -> dict[str, Any] | None:
        """The store's coupon with this code (WooCommerce compares codes without case), or None."""
        response = self._send("GET", "coupons", None, {"code": code})
        found = _json(response)
        if not isinstance(found, list):
            raise PayloadError("coupons did not answer with a list")
        return next(
            (c for c in found if isinstance(c, dict) and str(c.get("code", "")).lower() == code.lower()), None
        )

    # --- plumbing ------------------------------------------------------------------------------

    def paginate(self, endpoint: str, params: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
        """Each item of a collection, page by page until ``X-WP-TotalPages``."""
        page, pages = 1, 1
        while page <= pages:
            response = self._send("GET", endpoint, None, {**params, "per_page": PAGE_SIZE, "page": page})
            items = _json(response)
            if not isinstance(items, list):
                raise PayloadError(f"{endpoint} did not answer with a list")
            yield from items
            pages = _int(response.headers.get("X-WP-TotalPages"), default=page)
            page += 1

    def request(self, method: str, endpoint: str, body: Any = None, *, namespace: str = API_VERSION) -> Any:
        return _json(self._send(method, endpoint, body, {}, namespace))

    def _send(
        self, method: str, endpoint: str, body: Any, params: Mapping[str, Any], namespace: str = API_VERSION
    ) -> requests.Response:
        return self._retrying(self._once, method, endpoint, body, dict(params), namespace)

    def _once(
        self, method: str, endpoint: str, body: Any, params: dict[str, Any], namespace: str
    ) -> requests.Response:
        api = self._api(namespace)
        try:
            if method in ("POST", "PUT"):
                response = getattr(api, method.lower())(endpoint, body, params=params)
            else:
                response = getattr(api, method.lower())(endpoint, params=params)
        except netguard.AddressRefused as exc:
            raise PayloadError(str(exc)) from exc
        except (requests.ConnectionError, requests.Timeout) as exc:
            raise TransientError(f"{self.credentials.url} did not answer: {exc}") from exc
        except requests.RequestException as exc:
            raise PayloadError(f"request to {self.credentials.url} failed: {exc}") from exc
        return _check(response)

    def _api(self, namespace: str) -> API:
        if namespace not in self._apis:
            self._apis[namespace] = _SessionAPI(
                self.session,
                url=self.credentials.url,
                consumer_key=self.credentials.consumer_key,
                consumer_secret=self.credentials.consumer_secret,
                version=namespace,
                timeout=self.timeout,
                user_agent=USER_AGENT,
            )
        return self._apis[namespace]


class _SessionAPI(API):
    """The package's API, sending through our session. The request is built as the package builds it
    (``API.__request`` in woocommerce 3.0: basic auth over https, OAuth 1.0a in the URL over http)."""

    def __init__(self, session: requests.Session, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.session = session

    def _API__request(  # the package's private ``__request``, which get/post/put/delete call
        self, method: str, endpoint: str, data: Any, params: dict[str, Any] | None = None, **kwargs: Any
    ) -> requests.Response:
        params = {} if params is None else params
        url = self._API__get_url(endpoint)
        auth = None
        headers = {"user-agent": f"{self.user_agent}", "accept": "application/json"}
        if self.is_ssl and not self.query_string_auth:
            auth = HTTPBasicAuth(self.consumer_key, self.consumer_secret)
        elif self.is_ssl:
            params.update({"consumer_key": self.consumer_key, "consumer_secret": self.consumer_secret})
        else:
            url = self._API__get_oauth_url(f"{url}?{urlencode(params)}", method, **kwargs)
        if data is not None:
            data = json.dumps(data, ensure_ascii=False).encode("utf-8")
            headers["content-type"] = "application/json;charset=utf-8"
        return self.session.request(
            method=method,
            url=url,
            verify=self.verify_ssl,
            auth=auth,
            params=params,
            data=data,
            timeout=self.timeout,
            headers=headers,
            **kwargs,
        )


def _check(response: requests.Response) -> requests.Response:
    """Translate an HTTP answer into our errors; a 2xx passes through."""
    status = response.status_code
    if status < 300:
        return response
    code, message = _error(response)
    if status in (401, 403) and _write_refused(response, code):
        raise PermissionRefused(READ_ONLY_REASON, READ_WRITE_FIX) from AuthError(f"{code}: {message}")
    if status in (401, 403):
        raise AuthError(f"the store refused our keys ({code}: {message})")
    if status == 404:
        raise NotFound(f"{code}: {message}")
    if status == 429:
        raise RateLimited(f"the store asked us to slow down ({message})", _retry_after(response))
    if status >= 500:
        raise TransientError(f"the store failed with {status} ({code}: {message})")
    raise PayloadError(f"the store refused the request with {status} ({code}: {message})")


def _write_refused(response: requests.Response, code: str) -> bool:
    """A write refused to keys that may read: the key's own permission (read-only keys) or its
    user's (``woocommerce_rest_cannot_create``, ``_edit``, ``_batch``...)."""
    request = getattr(response, "request", None)
    if request is None or (request.method or "GET") in ("GET", "HEAD"):
        return False
    message = _error(response)[1].lower()
    return "write permission" in message or code.startswith("woocommerce_rest_cannot_")


def _error(response: requests.Response) -> tuple[str, str]:
    """WordPress's error body: ``{"code": "...", "message": "...", "data": {"status": N}}``."""
    try:
        data = response.json()
    except ValueError:
        return "http_error", response.reason or str(response.status_code)
    if isinstance(data, dict):
        return str(data.get("code", "http_error")), str(data.get("message", ""))
    return "http_error", str(response.status_code)


def _json(response: requests.Response) -> Any:
    try:
        return response.json()
    except ValueError as exc:
        raise PayloadError(f"the store answered {response.status_code} without JSON") from exc


def _retry_after(response: requests.Response) -> float:
    return float(_int(response.headers.get("Retry-After"), default=5))


def _int(value: str | None, default: int) -> int:
    try:
        return int(value) if value is not None else default
    except ValueError:
        return default
