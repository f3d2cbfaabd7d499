"""A fake WooCommerce 8.9 store over loopback HTTP, built from the captures in
``shared/fixtures/woocommerce/`` and WooCommerce's own rules:

- REST v3 under ``/wp-json/`` only when pretty permalinks are on (``?rest_route=`` otherwise, and
  there API keys are ignored, as WooCommerce ignores them);
- over plain http, one-legged OAuth 1.0a checked as ``WC_REST_Authentication::check_oauth_signature``
  does (HMAC-SHA256/SHA1, 15-minute timestamp window, nonces used once); basic auth or query-string
  keys over http answer the captured 401;
- a key's permission is checked against the method before the route, as
  ``WC_REST_Authentication::check_permissions`` does (read keys only GET, write keys only write);
- collections paginate with ``X-WP-Total`` / ``X-WP-TotalPages`` and honour ``modified_after``;
- refunds: ``refund(order_id, {line_id: quantity})`` makes one as ``wc_create_refund`` does (the order
  lists it as ``{id, reason, total: "-x"}``; ``GET /orders/<id>/refunds`` gives its line items with
  negative quantities and the ``_refunded_item_id`` meta naming the order line);
- webhooks are created through the API, pinged unsigned on creation (and disabled if the ping fails),
  delivered signed exactly as the captures show, never retried, and disabled after 5 failures;
- the app-authentication endpoint ``/wc-auth/v1/authorize``: approving posts the keys as JSON to the
  callback URL, then redirects to the return URL.

Tests drive it with ``approve``, ``set_order``, ``refund``, ``deliver``, ``fail`` and read what it
holds. Nothing in it times out: a busy machine makes it slow, never wrong.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import hmac
import itertools
import json
import secrets
import threading
import time
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlencode

import requests
from flask import Flask, Response, redirect, request

from tests.fakes import serve

# Copied byte for byte from shared/fixtures/woocommerce (see its README), so a clone tests on its own.
FIXTURES = Path(__file__).resolve().parents[1] / "connectors" / "woocommerce" / "fixtures"
MAX_DELIVERY_FAILURES = 5  # woocommerce_max_webhook_delivery_failures
OAUTH_WINDOW = 15 * 60


def capture(name: str) -> dict[str, Any]:
    """One REST capture: ``{request, status, headers, body}``."""
    return json.loads((FIXTURES / "rest" / f"{name}.json").read_text())


def webhook_capture(name: str) -> tuple[list[tuple[str, str]], bytes]:
    headers = json.loads((FIXTURES / "webhooks" / f"{name}.headers.json").read_text())["headers"]
    return [tuple(pair) for pair in headers], (FIXTURES / "webhooks" / f"{name}.body").read_bytes()


@dataclass
class Key:
    consumer_key: str
    consumer_secret: str
    permissions: str = "read_write"


@dataclass
class FakeWooCommerce:
    """The store's state; ``url`` is set once it serves."""

    pretty_permalinks: bool = True
    rest_enabled: bool = True
    woocommerce_active: bool = True
    tracking_namespace: str | None = None  # "wc-shipment-tracking/v3" or "wc-ast/v3" when installed
    require_https_callback: bool = True  # WC_Auth refuses a callback_url that is not https
    name: str = "متجر النخبة"
    timezone: str = "Asia/Riyadh"
    keys: list[Key] = field(default_factory=list)
    orders: dict[int, dict[str, Any]] = field(default_factory=dict)
    products: dict[int, dict[str, Any]] = field(default_factory=dict)
    webhooks: dict[int, dict[str, Any]] = field(default_factory=dict)
    notes: list[dict[str, Any]] = field(default_factory=list)
    reviews: list[dict[str, Any]] = field(default_factory=list)
    coupons: list[dict[str, Any]] = field(default_factory=list)
    tracking: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    refunds: dict[int, list[dict[str, Any]]] = field(default_factory=dict)  # order id -> newest first
    requests_seen: list[tuple[str, str]] = field(default_factory=list)
    fail_next: list[int] = field(default_factory=list)  # statuses to answer the next API calls with
    url: str = ""

    def __post_init__(self) -> None:
        self._nonces: set[str] = set()
        self._ids = itertools.count(100)
        self._lock = threading.Lock()
        self._http = requests.Session()  # no timeout: see the module's docstring

    # --- seeding and driving -------------------------------------------------------------------

    def add_key(self, permissions: str = "read_write") -> Key:
        key = Key(f"ck_{secrets.token_hex(20)}", f"cs_{secrets.token_hex(20)}", permissions)
        self.keys.append(key)
        return key

    def seed_from_captures(self) -> None:
        """The orders and products the real store held when it was recorded."""
        for item in capture("GET_orders_page1_per_page2")["body"]:
            self.orders[item["id"]] = item
        self.orders[15] = capture("GET_order_completed")["body"]
        for item in capture("GET_products")["body"]:
            self.products[item["id"]] = item

    def set_order(self, order: Mapping[str, Any], *, modified: datetime | None = None) -> dict[str, Any]:
        """Store an order as the shop would after an edit: ``date_modified_gmt`` moves to ``modified``."""
        stamp = (modified or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%S")
        saved = {**copy.deepcopy(dict(order)), "date_modified_gmt": stamp, "date_modified": stamp}
        self.orders[saved["id"]] = saved
        return saved

    def refund(
        self,
        order_id: int,
        quantities: Mapping[int, int],
        *,
        reason: str = "",
        modified: datetime | None = None,
    ) -> dict[str, Any]:
        """Refund ``quantities`` (order line id -> units) of an order, as ``wc_create_refund`` does:
        a refund with negative line items, listed on the order, which is saved (modified) again."""
        order = self.orders[order_id]
        lines = {line["id"]: line for line in order["line_items"]}
        items, amount = [], Decimal(0)
        for line_id, quantity in quantities.items():
            line = lines[line_id]
            total = Decimal(str(line["price"])) * quantity
            amount += total
            items.append(
                {
                    "id": next(self._ids),
                    "name": line["name"],
                    "product_id": line["product_id"],
                    "variation_id": line.get("variation_id", 0),
                    "quantity": -quantity,
                    "subtotal": f"{-total:.2f}",
                    "total": f"{-total:.2f}",
                    "sku": line.get("sku", ""),
                    "price": -float(line["price"]),
                    "meta_data": [
                        {
                            "id": next(self._ids),
                            "key": "_refunded_item_id",
                            "value": str(line_id),
                            "display_key": "_refunded_item_id",
                            "display_value": str(line_id),
                        }
                    ],
                }
            )
        stamp = (modified or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%S")
        refund = {
            "id": next(self._ids),
            "date_created": stamp,
            "date_created_gmt": stamp,
            "amount": f"{amount:.2f}",
            "reason": reason,
            "refunded_by": 1,
            "refunded_payment": False,
            "meta_data": [],
            "line_items": items,
            "shipping_lines": [],
            "tax_lines": [],
            "fee_lines": [],
        }
        self.refunds.setdefault(order_id, []).insert(0, refund)
        listed = {"id": refund["id"], "reason": reason, "total": f"-{amount:.2f}"}
        return self.set_order({**order, "refunds": [listed, *order.get("refunds", [])]}, modified=modified)

    def deliver(self, topic: str, resource: Mapping[str, Any]) -> list[int]:
        """Send ``resource`` to every active webhook on ``topic``, as WC_Webhook::deliver does; no retry.
        Returns the HTTP statuses received."""
        body = json.dumps(resource, separators=(",", ":")).encode()  # ASCII: non-ASCII is \\uXXXX
        statuses = []
        for hook in list(self.webhooks.values()):
            if hook["topic"] != topic or hook["status"] != "active":
                continue
            resource_name, event = topic.split(".", 1)
            headers = {
                "User-Agent": "WooCommerce/8.9.1 Hookshot (WordPress/6.5.3)",
                "Content-Type": "application/json",
                "X-WC-Webhook-Source": f"{self.url}/",
                "X-WC-Webhook-Topic": topic,
                "X-WC-Webhook-Resource": resource_name,
                "X-WC-Webhook-Event": event,
                "X-WC-Webhook-Signature": base64.b64encode(
                    hmac.new(hook["secret"].encode(), body, hashlib.sha256).digest()
                ).decode(),
                "X-WC-Webhook-ID": str(hook["id"]),
                "X-WC-Webhook-Delivery-ID": uuid.uuid4().hex,
            }
            statuses.append(self._post(hook, body, headers))
        return statuses

    def ping_failures(self, hook_id: int, count: int) -> None:
        """Record failed deliveries (the app was down): WooCommerce disables the hook after 5."""
        hook = self.webhooks[hook_id]
        hook["failure_count"] += count
        if hook["failure_count"] > MAX_DELIVERY_FAILURES:
            hook["status"] = "disabled"

    def approve(self, authorize_url: str) -> requests.Response:
        """The merchant, signed in to WordPress, clicks Approve on the authorize screen."""
        return self._http.post(
            authorize_url.replace("/wc-auth/v1/authorize", "/wc-auth/v1/access_granted"),
            allow_redirects=False,
        )

    def _post(self, hook: dict[str, Any], body: bytes, headers: Mapping[str, str]) -> int:
        try:
            status = self._http.post(hook["delivery_url"], data=body, headers=dict(headers)).status_code
        except requests.RequestException:
            status = 0
        if 200 <= status < 300:
            hook["failure_count"] = 0
        else:
            self.ping_failures(hook["id"], 1)
        return status

    # --- the server -----------------------------------------------------------------------------

    @contextmanager
    def serving(self) -> Iterator[FakeWooCommerce]:
        with serve.serving(self._app()) as url:
            self.url = url
            yield self

    def _app(self) -> Flask:
        app = Flask("fake_woocommerce")

        @app.route("/wp-json/", defaults={"route": ""}, methods=["GET", "POST", "PUT", "DELETE"])
        @app.route("/wp-json/<path:route>", methods=["GET", "POST", "PUT", "DELETE"])
        def rest(route: str) -> Response:
            if not self.pretty_permalinks:
                return Response("<html><body>Not Found</body></html>", 404, content_type="text/html")
            return self._rest("/" + route, api_keys_honoured=True)

        @app.route("/", methods=["GET", "POST"])
        def home() -> Response:
            if "rest_route" in request.args:
                return self._rest(request.args["rest_route"], api_keys_honoured=False)
            return Response("<html><body>Shop</body></html>", content_type="text/html")

        @app.get("/wc-auth/v1/authorize")
        def authorize() -> Response:
            problem = self._auth_problem(request.args)
            if problem:
                return Response(f"<p>Error: {problem}</p>", 400, content_type="text/html")
            return Response("<form method=post><button>Approve</button></form>", content_type="text/html")

        @app.post("/wc-auth/v1/access_granted")
        def access_granted() -> Response:
            args = request.args
            problem = self._auth_problem(args)
            if problem:
                return Response(f"<p>Error: {problem}</p>", 400, content_type="text/html")
            key = self.add_key("read_write" if args["scope"] == "read_write" else args["scope"])
            payload = {
                "key_id": len(self.keys),
                "user_id": args["user_id"],
                "consumer_key": key.consumer_key,
                "consumer_secret": key.consumer_secret,
                "key_permissions": key.permissions,
            }
            try:
                answer = self._http.post(args["callback_url"], json=payload)
            except requests.RequestException:
                answer = None
            if answer is None or answer.status_code != 200:
                self.keys.remove(key)  # WC_Auth deletes the key when the callback fails
                return Response(
                    "<p>Error: An error occurred in the request and at the time were unable to send the "
                    "consumer data.</p>",
                    401,
                    content_type="text/html",
                )
            sep = "&" if "?" in args["return_url"] else "?"
            return redirect(
                f"{args['return_url']}{sep}{urlencode({'success': 1, 'user_id': args['user_id']})}"
            )

        return app

    def _auth_problem(self, args: Mapping[str, str]) -> str | None:
        for name in ("app_name", "scope", "user_id", "return_url", "callback_url"):
            if not args.get(name):
                return f"Missing parameter {name}"
        if args["scope"] not in ("read", "write", "read_write"):
            return "Invalid scope"
        if self.require_https_callback and not args["callback_url"].startswith("https://"):
            return "The callback_url needs to be over SSL"
        return None

    # --- REST ------------------------------------------------------------------------------------

    def _rest(self, route: str, api_keys_honoured: bool) -> Response:
        self.requests_seen.append((request.method, route))
        if not self.rest_enabled:
            return _error("rest_disabled", "The REST API is disabled on this site.", 401)
        if route in ("/", ""):
            return _json(self._index())
        if not self.woocommerce_active:
            return _error("rest_no_route", "No route was found matching the URL and request method.", 404)
        if route.startswith("/wc/v3/") or (
            self.tracking_namespace and route.startswith(f"/{self.tracking_namespace}/")
        ):
            key = self._authenticate(api_keys_honoured)
            if isinstance(key, Response):
                return key
            if self.fail_next:
                status = self.fail_next.pop(0)
                headers = {"Retry-After": "0"} if status == 429 else {}
                return _error("http_error", "Try again later.", status, headers)
            refused = _key_refuses(key, request.method)
            if refused:
                return refused
            return self._resource(route)
        return _error("rest_no_route", "No route was found matching the URL and request method.", 404)

    def _index(self) -> dict[str, Any]:
        namespaces = ["oembed/1.0", "wp/v2"]
        if self.woocommerce_active:
            namespaces += ["wc/store/v1", "wc/v3", "wc-admin"]
        if self.tracking_namespace:
            namespaces.append(self.tracking_namespace)
        return {
            "name": self.name,
            "description": "",
            "url": self.url,
            "home": self.url,
            "gmt_offset": "3",
            "timezone_string": self.timezone,
            "namespaces": namespaces,
        }

    def _authenticate(self, api_keys_honoured: bool) -> Key | Response:
        denied = capture("GET_orders_401_basic_auth_over_http")
        if not api_keys_honoured or request.authorization or "consumer_key" in request.args:
            # Over plain http WooCommerce accepts neither basic auth nor keys in the query string.
            return Response(denied["body"], 401, content_type="application/json; charset=UTF-8")
        if "oauth_consumer_key" not in request.args:
            return Response(denied["body"], 401, content_type="application/json; charset=UTF-8")
        return self._check_oauth()

    def _check_oauth(self) -> Key | Response:
        """A port of WC_REST_Authentication::check_oauth_signature and its timestamp/nonce check."""
        params = {name: request.args.getlist(name)[-1] for name in request.args}  # PHP: the last one wins
        key = next((k for k in self.keys if k.consumer_key == params.get("oauth_consumer_key")), None)
        if key is None:
            return _error("woocommerce_rest_authentication_error", "Consumer key is invalid.", 401)
        given = unquote(params.pop("oauth_signature", "").replace(" ", "+"))
        method = params.get("oauth_signature_method", "")
        if method not in ("HMAC-SHA1", "HMAC-SHA256"):
            return _error(
                "woocommerce_rest_authentication_error",
                "Invalid signature - signature method is invalid.",
                401,
            )
        base_uri = quote(f"{self.url}{request.path}", safe="")
        normalised = {
            quote(unquote(k), safe="").replace("%", "%25"): quote(unquote(v), safe="").replace("%", "%25")
            for k, v in sorted(params.items())
        }
        query = "%26".join(f"{k}%3D{v}" for k, v in normalised.items())
        string_to_sign = f"{request.method}&{base_uri}&{query}"
        digest = hashlib.sha256 if method == "HMAC-SHA256" else hashlib.sha1
        expected = base64.b64encode(
            hmac.new(f"{key.consumer_secret}&".encode(), string_to_sign.encode(), digest).digest()
        ).decode()
        if not hmac.compare_digest(expected, given):
            return _error(
                "woocommerce_rest_authentication_error",
                "Invalid signature - provided signature does not match.",
                401,
            )
        stamp = int(params.get("oauth_timestamp", "0") or 0)
        if abs(time.time() - stamp) > OAUTH_WINDOW:
            return _error("woocommerce_rest_authentication_error", "Invalid timestamp.", 401)
        nonce = f"{key.consumer_key}:{params.get('oauth_nonce')}:{stamp}"
        with self._lock:
            if nonce in self._nonces:
                return _error(
                    "woocommerce_rest_authentication_error",
                    "Invalid nonce - nonce has already been used.",
                    401,
                )
            self._nonces.add(nonce)
        return key

    def _resource(self, route: str) -> Response:
        parts = route.strip("/").split("/")[2:]  # drop the namespace
        body = request.get_json(silent=True) or {}
        with self._lock:
            match request.method, parts:
                case "GET", ["orders"]:
                    return self._page(self.orders.values())
                case "GET", ["orders", order_id] if order_id.isdigit():
                    if int(order_id) not in self.orders:
                        found = capture("GET_order_404")
                        return _json(found["body"], found["status"])
                    return _json(self.orders[int(order_id)])
                case "GET", ["orders", order_id, "shipment-trackings"]:
                    return _json(self.tracking.get(int(order_id), []))
                case "GET", ["orders", order_id, "refunds"] if order_id.isdigit():
                    if int(order_id) not in self.orders:
                        return _error("woocommerce_rest_invalid_order_id", "Invalid order ID.", 404)
                    return self._page(self.refunds.get(int(order_id), []), filtered=False)
                case "POST", ["orders", order_id, "notes"]:
                    if int(order_id) not in self.orders:
                        return _error("woocommerce_rest_order_invalid_id", "Invalid order ID.", 404)
                    note = {
                        "id": next(self._ids),
                        "order_id": int(order_id),
                        "author": "Aftercare",
                        "date_created_gmt": _now(),
                        "note": body.get("note", ""),
                        "customer_note": bool(body.get("customer_note")),
                    }
                    self.notes.append(note)
                    return _json({k: v for k, v in note.items() if k != "order_id"}, 201)
                case "GET", ["products"]:
                    return self._page(self.products.values())
                case "POST", ["products", "reviews"]:
                    if int(body.get("product_id", 0)) not in self.products:
                        return _error("woocommerce_rest_product_invalid_id", "Invalid product ID.", 404)
                    review = {
                        "id": next(self._ids),
                        "date_created": _now(),
                        "date_created_gmt": _now(),
                        "status": "approved",
                        **body,
                    }
                    self.reviews.append(review)
                    return _json(review, 201)
                case "GET", ["products", "reviews"]:  # WC_REST_Product_Reviews_Controller::get_items
                    rows = [r for r in self.reviews if r.get("status") not in ("trash", "spam")]
                    if after := request.args.get("after"):
                        rows = [r for r in rows if r["date_created_gmt"] > after]
                    return self._page(rows, filtered=False)
                case "PUT", ["products", "reviews", review_id] if review_id.isdigit():
                    found = next((r for r in self.reviews if r["id"] == int(review_id)), None)
                    if found is None:
                        return _error("woocommerce_rest_review_invalid_id", "Invalid review ID.", 404)
                    found.update(
                        {k: v for k, v in body.items() if k in ("review", "reviewer", "rating", "status")}
                    )
                    return _json(found)
                case "DELETE", ["products", "reviews", review_id] if review_id.isdigit():
                    found = next((r for r in self.reviews if r["id"] == int(review_id)), None)
                    if found is None:
                        return _error("woocommerce_rest_review_invalid_id", "Invalid review ID.", 404)
                    if request.args.get("force") != "true":  # without force, reviews go to the trash
                        found["status"] = "trash"
                        return _json(found)
                    self.reviews.remove(found)
                    return _json({"deleted": True, "previous": found})
                case "POST", ["coupons"]:
                    if any(c["code"].lower() == str(body.get("code", "")).lower() for c in self.coupons):
                        return _error(
                            "woocommerce_rest_coupon_code_already_exists",
                            "The coupon code already exists",
                            400,
                        )
                    # the woocommerce_coupon_code filters: html_entity_decode, sanitise, wc_strtolower
                    coupon = {"id": next(self._ids), **body, "code": str(body.get("code", "")).lower()}
                    self.coupons.append(coupon)
                    return _json(coupon, 201)
                case "GET", ["coupons"]:
                    wanted = request.args.get("code", "").lower()
                    return self._page(
                        [c for c in self.coupons if not wanted or c["code"] == wanted], filtered=False
                    )
                case "GET", ["webhooks"]:
                    return self._page(self.webhooks.values(), filtered=False)
                case "POST", ["webhooks"]:
                    return self._create_webhook(body)
                case "POST", ["webhooks", "batch"]:  # WC_REST_Controller::batch_items: nothing asked
                    return _json([])
                case "PUT", ["webhooks", hook_id] if int(hook_id) in self.webhooks:
                    hook = self.webhooks[int(hook_id)]
                    hook.update(
                        {k: v for k, v in body.items() if k in ("status", "secret", "delivery_url", "name")}
                    )
                    if body.get("status") == "active":
                        hook["failure_count"] = 0
                    return _json(hook)
        return _error("rest_no_route", "No route was found matching the URL and request method.", 404)

    def _create_webhook(self, body: Mapping[str, Any]) -> Response:
        if not str(body.get("delivery_url", "")).startswith(("http://", "https://")):
            return _error("rest_invalid_param", "Invalid parameter(s): delivery_url", 400)
        hook = {
            "id": next(self._ids),
            "name": body.get("name", ""),
            "status": body.get("status", "active"),
            "topic": body["topic"],
            "resource": body["topic"].split(".")[0],
            "event": body["topic"].split(".")[1],
            "hooks": [],
            "delivery_url": body["delivery_url"],
            "secret": body.get("secret") or secrets.token_hex(16),
            "failure_count": 0,
            "date_created_gmt": _now(),
        }
        self.webhooks[hook["id"]] = hook
        # WC_Webhook::deliver_ping, inside the creating request: unsigned, form-encoded; anything but
        # a 2xx disables the new webhook.
        self._ping(hook)
        return _json(hook, 201)

    def _ping(self, hook: dict[str, Any]) -> None:
        try:
            status = self._http.post(hook["delivery_url"], data={"webhook_id": hook["id"]}).status_code
        except requests.RequestException:
            status = 0
        if not 200 <= status < 300:
            hook["status"] = "disabled"
        hook["ping_status"] = status

    def _page(self, items: Any, filtered: bool = True) -> Response:
        rows = list(items)
        if filtered and (after := request.args.get("modified_after")):
            rows = [row for row in rows if row["date_modified_gmt"] > after]
            rows.sort(key=lambda row: (row["date_modified_gmt"], row["id"]))
        per_page = int(request.args.get("per_page", 10))
        page = int(request.args.get("page", 1))
        if per_page > 100:
            return _error("rest_invalid_param", "Invalid parameter(s): per_page", 400)
        total_pages = max(1, -(-len(rows) // per_page))
        chunk = rows[(page - 1) * per_page : page * per_page]
        return _json(chunk, headers={"X-WP-Total": str(len(rows)), "X-WP-TotalPages": str(total_pages)})


def _key_refuses(key: Key, method: str) -> Response | None:
    """``WC_REST_Authentication::check_permissions``: the key's permission against the method."""
    if method in ("GET", "HEAD") and key.permissions not in ("read", "read_write"):
        return _error(
            "woocommerce_rest_authentication_error",
            "The API key provided does not have read permissions.",
            401,
        )
    if method in ("POST", "PUT", "PATCH", "DELETE") and key.permissions not in ("write", "read_write"):
        return _error(
            "woocommerce_rest_authentication_error",
            "The API key provided does not have write permissions.",
            401,
        )
    return None


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S")


def _json(body: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> Response:
    return Response(
        json.dumps(body), status, headers=dict(headers or {}), content_type="application/json; charset=UTF-8"
    )


def _error(code: str, message: str, status: int, headers: Mapping[str, str] | None = None) -> Response:
    return _json({"code": code, "message": message, "data": {"status": status}}, status, headers)
