"""A fake Shopify Admin GraphQL API over loopback HTTP, executing the connector's real queries with
graphql-core against Shopify's published Admin schema (``tests/connectors/shopify/fixtures``), and
metering them as Shopify does:

- every store has a bucket of points (``maximum``) that refills at ``restore_rate`` per second;
- a query's requested cost follows Shopify's rules (scalars and enums 0, objects 1, connections
  2 + first × the cost of one node, mutations 10) and is taken from the bucket before it runs; the
  unused part is refunded afterwards, as the actual cost;
- a query costing more than is available answers THROTTLED with no data (as the recorded
  ``throttled_error_response.json``); one costing more than 1,000 answers MAX_COST_EXCEEDED;
- every answer carries ``extensions.cost.throttleStatus``;
- bulk operations run the whole query and serve JSONL with ``__parentId`` lines, like Shopify's; one
  completes when it has been polled ``bulk_polls`` times (not after some wall-clock time, so a test
  never depends on the machine's speed).

Shopify's hosts are ``<shop>.myshopify.com`` over https; ``client()`` gives an httpx client whose
transport sends those requests to this server instead, over real loopback HTTP.
"""

from __future__ import annotations

import base64
import gzip
import json
import threading
import time
import tomllib
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import jwt
from flask import Flask, Response, request
from graphql import (
    FieldNode,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    build_client_schema,
    build_schema,
    get_named_type,
    graphql_sync,
    is_leaf_type,
    parse,
    validate,
    value_from_ast_untyped,
)
from graphql.language import SelectionSetNode

from tests.fakes import serve

EXTENSIONS = Path(__file__).resolve().parents[2] / "extensions"

SCHEMA_FILE = (
    Path(__file__).resolve().parents[1]
    / "connectors"
    / "shopify"
    / "fixtures"
    / "admin-2025-01.schema.json.gz"
)
MAX_QUERY_COST = 1000


def load_schema() -> GraphQLSchema:
    schema = build_client_schema(json.loads(gzip.decompress(SCHEMA_FILE.read_bytes()))["data"])
    # Shopify's schema marks some interface implementations deprecated where the interface field is
    # not; graphql-core's schema check refuses that, though queries against it are fine. Skip the check.
    schema._validation_errors = []  # noqa: SLF001
    return schema


SCHEMA = load_schema()
# The part of the Storefront API the app reads, as Shopify documents it (Storefront API reference,
# ``QueryRoot.productRecommendations`` and ``ProductRecommendationIntent``): no published schema of
# it is in the fixtures, so the fake validates against this.
STOREFRONT = build_schema(
    """
    enum ProductRecommendationIntent { RELATED COMPLEMENTARY }
    type Product { id: ID! title: String! handle: String! }
    type QueryRoot {
      productRecommendations(
        productId: ID, productHandle: String, intent: ProductRecommendationIntent = RELATED
      ): [Product!]
    }
    schema { query: QueryRoot }
    """
)


def query_cost(document: Any, variables: dict[str, Any], operation: OperationDefinitionNode) -> int:
    """Shopify's requested cost of ``operation``."""
    if operation.operation.value == "mutation":
        return 10
    root = SCHEMA.query_type
    return sum(_selection_cost(root, operation.selection_set, variables))


def _selection_cost(
    parent: Any, selection_set: SelectionSetNode | None, variables: dict[str, Any]
) -> Iterator[int]:
    if selection_set is None:
        return
    for selection in selection_set.selections:
        if isinstance(selection, InlineFragmentNode):
            fragment_type = (
                SCHEMA.get_type(selection.type_condition.name.value) if selection.type_condition else parent
            )
            yield from _selection_cost(fragment_type, selection.selection_set, variables)
            continue
        if not isinstance(selection, FieldNode) or selection.name.value.startswith("__"):
            continue
        definition = parent.fields.get(selection.name.value)
        if definition is None:
            continue
        target = get_named_type(definition.type)
        if is_leaf_type(target):
            continue
        arguments = {
            a.name.value: value_from_ast_untyped(a.value, variables) for a in selection.arguments or ()
        }
        size = arguments.get("first") or arguments.get("last")
        if size is not None and "nodes" in getattr(target, "fields", {}):
            node_type = get_named_type(target.fields["nodes"].type)
            per_node = 0
            for inner in selection.selection_set.selections:
                if isinstance(inner, FieldNode) and inner.name.value == "nodes":
                    per_node += 1 + sum(_selection_cost(node_type, inner.selection_set, variables))
                elif isinstance(inner, FieldNode) and inner.name.value == "edges":
                    for edge_field in inner.selection_set.selections:
                        if isinstance(edge_field, FieldNode) and edge_field.name.value == "node":
                            per_node += 1 + sum(
                                _selection_cost(node_type, edge_field.selection_set, variables)
                            )
            yield 2 + int(size) * per_node
        else:
            yield 1 + sum(_selection_cost(target, selection.selection_set, variables))


class VirtualClock:
    """Seconds for a fake and the client talking to it: ``sleep`` moves them on at once, so a client
    that waits for query points or a bulk operation waits no real time."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


@dataclass
class FakeShopify:
    """One shop's Admin API: its orders and products as GraphQL nodes, its bucket, its tokens."""

    shop: str = "aftercare-test.myshopify.com"
    access_tokens: set[str] = field(default_factory=set)
    maximum: float = 1000.0
    restore_rate: float = 50.0
    orders: list[dict[str, Any]] = field(default_factory=list)
    products: list[dict[str, Any]] = field(default_factory=list)
    metafields: list[dict[str, Any]] = field(default_factory=list)
    discounts: list[dict[str, Any]] = field(default_factory=list)
    subscriptions: list[dict[str, Any]] = field(default_factory=list)
    customers: dict[str, dict[str, Any]] = field(default_factory=dict)  # gid -> consent states
    consent_updates: list[dict[str, Any]] = field(default_factory=list)
    flow_triggers: list[dict[str, Any]] = field(default_factory=list)  # (handle, payload) accepted
    undeployed: set[str] = field(default_factory=set)  # trigger handles this app version lacks
    shop_name: str = "Aftercare Test Shop"
    contact_email: str = "owner@aftercare-test.example"
    client_id: str = ""
    client_secret: str = ""
    token_ttl: float = 3600.0
    bulk_polls: int = 1  # a bulk operation is COMPLETED from this poll on
    clock: Callable[[], float] = time.monotonic  # what the bucket refills and tokens expire by
    url: str = ""
    # Search & Discovery's complementary products: product number -> product numbers, best first
    complementary: dict[str, list[str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.expires: dict[str, float] = {}  # access token -> when it stops working (monotonic)
        self.refresh_tokens: set[str] = set()
        self.exchanges = 0
        self.refreshes = 0
        self.expire_tokens_after_queries: int | None = None  # a token's hour runs out mid-sync
        self.available = self.maximum
        self.refilled_at = self.clock()
        self.throttled = 0
        self.queries = 0
        self.bulk: dict[str, dict[str, Any]] = {}
        self.storefront_tokens: list[str] = []
        self.storefront_queries = 0
        self._lock = threading.Lock()

    # --- data ---------------------------------------------------------------------------------

    def add_orders(self, count: int, start: datetime, step: timedelta = timedelta(minutes=1)) -> None:
        base = len(self.orders)
        for index in range(count):
            self.orders.append(make_order(5000000 + base + index, start + step * index))

    # --- the bucket -----------------------------------------------------------------------------

    def _refill(self) -> None:
        now = self.clock()
        self.available = min(self.maximum, self.available + (now - self.refilled_at) * self.restore_rate)
        self.refilled_at = now

    def _status(self, requested: int | None, actual: int | None) -> dict[str, Any]:
        return {
            "cost": {
                "requestedQueryCost": requested,
                "actualQueryCost": actual,
                "throttleStatus": {
                    "maximumAvailable": self.maximum,
                    "currentlyAvailable": int(self.available),
                    "restoreRate": self.restore_rate,
                },
            }
        }

    # --- the server -----------------------------------------------------------------------------

    @contextmanager
    def serving(self) -> Iterator[FakeShopify]:
        with serve.serving(self._app()) as url:
            self.url = url
            yield self

    def client(self) -> httpx.Client:
        """An httpx client that sends https://<shop>.myshopify.com/... to this server."""
        return client_for(self)

    def _app(self) -> Flask:
        app = Flask("fake_shopify")

        @app.post("/admin/api/<version>/graphql.json")
        def graphql(version: str) -> Response:
            if (
                self.expire_tokens_after_queries is not None
                and self.queries >= self.expire_tokens_after_queries
            ):
                for live in list(self.access_tokens):
                    self.expire(live)
                self.expire_tokens_after_queries = None
            token = request.headers.get("X-Shopify-Access-Token", "")
            if token not in self.access_tokens or self.expires.get(token, float("inf")) < self.clock():
                return _json(
                    {
                        "errors": "[API] Invalid API key or access token "
                        "(unrecognized login or wrong password)"
                    },
                    401,
                )
            payload = request.get_json(silent=True) or {}
            return self._graphql(str(payload.get("query", "")), payload.get("variables") or {})

        @app.post("/api/<version>/graphql.json")
        def storefront(version: str) -> Response:
            token = request.headers.get("X-Shopify-Storefront-Access-Token", "")
            if token not in self.storefront_tokens:
                return _json({"errors": "Unauthorized"}, 401)
            payload = request.get_json(silent=True) or {}
            query, variables = str(payload.get("query", "")), payload.get("variables") or {}
            try:
                errors = validate(STOREFRONT, parse(query))
            except Exception as exc:  # noqa: BLE001 - a syntax error is answered as errors
                return _json({"errors": [{"message": str(exc)}]})
            if errors:
                return _json({"errors": [{"message": e.message} for e in errors]})
            self.storefront_queries += 1
            root = {"productRecommendations": self._recommendations}
            result = graphql_sync(STOREFRONT, query, root_value=root, variable_values=variables)
            body: dict[str, Any] = {"data": result.data}
            if result.errors:
                body["errors"] = [{"message": e.message} for e in result.errors]
            return _json(body)

        @app.post("/admin/oauth/access_token")
        def access_token() -> Response:
            return self._token(request.get_json(silent=True) or {})

        @app.get("/bulk/<operation_id>.jsonl")
        def bulk_file(operation_id: str) -> Response:
            operation = self.bulk.get(operation_id)
            if operation is None:
                return Response("no such file", 404)
            return Response(operation["jsonl"], content_type="application/jsonl")

        return app

    def _graphql(self, query: str, variables: dict[str, Any]) -> Response:
        try:
            document = parse(query)
        except Exception as exc:  # noqa: BLE001 - Shopify answers a syntax error with errors, status 200
            return _json({"errors": [{"message": str(exc)}]})
        errors = validate(SCHEMA, document)
        if errors:
            return _json({"errors": [{"message": e.message} for e in errors]})
        operation = next(d for d in document.definitions if isinstance(d, OperationDefinitionNode))
        requested = query_cost(document, variables, operation)
        with self._lock:
            self.queries += 1
            self._refill()
            if requested > MAX_QUERY_COST:
                return _json(
                    {
                        "errors": [
                            {
                                "message": f"Query cost is {requested}, which exceeds the single query "
                                "max cost limit (1000).",
                                "extensions": {
                                    "code": "MAX_COST_EXCEEDED",
                                    "cost": requested,
                                    "maxCost": 1000,
                                },
                            }
                        ],
                        **{"extensions": self._status(requested, None)},
                    }
                )
            if requested > self.available:
                self.throttled += 1
                return _json(
                    {
                        "errors": [
                            {
                                "message": "Throttled",
                                "extensions": {
                                    "code": "THROTTLED",
                                    "documentation": "https://shopify.dev/api/usage/rate-limits",
                                },
                            }
                        ],
                        "extensions": self._status(requested, None),
                    }
                )
            self.available -= requested
        result = graphql_sync(SCHEMA, query, root_value=self._root(), variable_values=variables)
        actual = requested
        nodes = [
            v
            for v in (result.data or {}).values()
            if isinstance(v, dict) and isinstance(v.get("nodes"), list)
        ]
        if nodes and operation.operation.value == "query":
            first = variables.get("first") or 1
            actual = (
                max(1, round(requested * max(1, len(nodes[0]["nodes"])) / first)) if nodes[0]["nodes"] else 2
            )
        with self._lock:
            self.available = min(self.maximum, self.available + (requested - actual))
            status = self._status(requested, actual)
        body: dict[str, Any] = {"data": result.data, "extensions": status}
        if result.errors:
            body["errors"] = [{"message": e.message} for e in result.errors]
        return _json(body)

    # --- tokens: Shopify's token exchange and refresh (expiring offline tokens) -------------------

    def expire(self, token: str) -> None:
        """The token's 60 minutes are up."""
        self.expires[token] = 0.0

    def revoke_refresh_tokens(self) -> None:
        self.refresh_tokens.clear()

    def _token(self, body: dict[str, Any]) -> Response:
        if body.get("client_id") != self.client_id or body.get("client_secret") != self.client_secret:
            return _json(
                {"error": "invalid_client", "error_description": "Client credentials are invalid"}, 401
            )
        grant = body.get("grant_type")
        if grant == "urn:ietf:params:oauth:grant-type:token-exchange":
            try:
                claims = jwt.decode(
                    body.get("subject_token", ""),
                    self.client_secret,
                    algorithms=["HS256"],
                    audience=self.client_id,
                )
            except jwt.PyJWTError:
                return _json({"error": "invalid_subject_token", "error_description": "Token is invalid"}, 400)
            if claims.get("dest") != f"https://{self.shop}":
                return _json({"error": "invalid_subject_token", "error_description": "Wrong shop"}, 400)
            self.exchanges += 1
        elif grant == "refresh_token":
            if body.get("refresh_token") not in self.refresh_tokens:
                return _json({"error": "invalid_grant", "error_description": "refresh_token is invalid"}, 400)
            self.refresh_tokens.discard(body["refresh_token"])  # single use: replaced at every refresh
            self.refreshes += 1
        else:
            return _json({"error": "unsupported_grant_type"}, 400)
        access, refresh = f"shpat_{uuid.uuid4().hex}", f"shprt_{uuid.uuid4().hex}"
        self.access_tokens.add(access)
        self.expires[access] = self.clock() + self.token_ttl
        self.refresh_tokens.add(refresh)
        return _json(
            {
                "access_token": access,
                "scope": "read_orders,read_products,write_discounts",
                "expires_in": int(self.token_ttl),
                "refresh_token": refresh,
                "refresh_token_expires_in": 7776000,
            }
        )

    # --- resolvers: the store's data in the schema's shape ------------------------------------------

    def _root(self) -> dict[str, Any]:
        return {
            "orders": lambda info, first=None, after=None, query=None, **_: self._page(
                self.orders, first, after, query
            ),
            "products": lambda info, first=None, after=None, query=None, **_: self._page(
                self.products, first, after, query
            ),
            "node": lambda info, id: self._poll_bulk(id),  # noqa: A006
            "bulkOperationRunQuery": lambda info, query: self._run_bulk(query),
            "metafieldsSet": lambda info, metafields: self._set_metafields(metafields),
            "storefrontAccessTokenCreate": lambda info, input: self._storefront_token(input),  # noqa: A006
            "metafieldsDelete": lambda info, metafields: self._delete_metafields(metafields),
            "discountCodeBasicCreate": lambda info, basicCodeDiscount: self._create_discount(
                basicCodeDiscount
            ),
            "appSubscriptionCreate": lambda info, **args: self._create_subscription(args),
            "appSubscriptionCancel": lambda info, id, prorate=None: self._cancel_subscription(id),  # noqa: A006
            "currentAppInstallation": lambda info: {
                "activeSubscriptions": [
                    sub for sub in self.subscriptions if sub["status"] in ("ACTIVE", "ACCEPTED")
                ]
            },
            "codeDiscountNodeByCode": lambda info, code: self._discount_by_code(code),
            "customerEmailMarketingConsentUpdate": lambda info, input: self._consent(  # noqa: A006
                input, "emailMarketingConsent"
            ),
            "customerSmsMarketingConsentUpdate": lambda info, input: self._consent(  # noqa: A006
                input, "smsMarketingConsent"
            ),
            "shop": {
                "name": self.shop_name,
                "contactEmail": self.contact_email,
                "ianaTimezone": "Asia/Riyadh",
            },
            "flowTriggerReceive": lambda info, handle=None, payload=None: self._flow_trigger(handle, payload),
        }

    # --- billing: app subscriptions, approved or declined by the merchant on Shopify's page ----------

    def _create_subscription(self, args: dict[str, Any]) -> dict[str, Any]:
        if not args["returnUrl"].startswith("https://"):
            return {
                "appSubscription": None,
                "confirmationUrl": None,
                "userErrors": [{"field": ["returnUrl"], "message": "Return url must be https"}],
            }
        ref = f"gid://shopify/AppSubscription/{len(self.subscriptions) + 1}"
        subscription = {
            "id": ref,
            "name": args["name"],
            "status": "PENDING",
            "test": bool(args.get("test")),
            "trialDays": int(args.get("trialDays") or 0),
            "currentPeriodEnd": None,
            "createdAt": _now(),
            "returnUrl": args["returnUrl"],
            "lineItems": args["lineItems"],
        }
        self.subscriptions.append(subscription)
        confirmation = (
            f"https://{self.shop}/admin/charges/{ref.rsplit('/', 1)[-1]}/confirm_recurring_application_charge"
        )
        return {"appSubscription": subscription, "confirmationUrl": confirmation, "userErrors": []}

    def _cancel_subscription(self, ref: str) -> dict[str, Any]:
        for sub in self.subscriptions:
            if sub["id"] == ref:
                sub["status"] = "CANCELLED"
                return {"appSubscription": sub, "userErrors": []}
        return {
            "appSubscription": None,
            "userErrors": [{"field": ["id"], "message": "Subscription not found"}],
        }

    def merchant_answers(self, ref: str, *, approve: bool) -> None:
        """The merchant on Shopify's confirmation page: approving makes it ACTIVE and cancels the
        shop's other subscription of this app (as APPLY_IMMEDIATELY replaces it)."""
        for sub in self.subscriptions:
            if sub["id"] == ref:
                sub["status"] = "ACTIVE" if approve else "DECLINED"
            elif approve and sub["status"] == "ACTIVE":
                sub["status"] = "CANCELLED"

    def _page(
        self, rows: list[dict[str, Any]], first: int | None, after: str | None, query: str | None
    ) -> dict[str, Any]:
        selected = sorted(_matching(rows, query), key=lambda row: (row["updatedAt"], row["id"]))
        start = int(base64.b64decode(after).decode()) if after else 0
        chunk = selected[start : start + first] if first else selected
        end = start + len(chunk)
        return {
            "nodes": chunk,
            "edges": [{"node": row, "cursor": _cursor(start + i + 1)} for i, row in enumerate(chunk)],
            "pageInfo": {"hasNextPage": end < len(selected), "endCursor": _cursor(end) if chunk else None},
        }

    def _run_bulk(self, inner_query: str) -> dict[str, Any]:
        operation_id = f"gid://shopify/BulkOperation/{len(self.bulk) + 1}"
        result = graphql_sync(SCHEMA, inner_query, root_value=self._root())
        lines = []
        for edge in (result.data or {}).get("orders", {}).get("edges", []):
            order = dict(edge["node"])
            children = order.pop("lineItems", {"edges": []})["edges"]
            lines.append(json.dumps(order))
            lines.extend(json.dumps({**child["node"], "__parentId": order["id"]}) for child in children)
        jsonl = "\n".join(lines) + ("\n" if lines else "")
        self.bulk[operation_id] = {
            "jsonl": jsonl,
            "polls": 0,
            "node": {
                "__typename": "BulkOperation",
                "id": operation_id,
                "status": "RUNNING",
                "errorCode": None,
                "createdAt": _now(),
                "objectCount": str(len(lines)),
                "fileSize": str(len(jsonl)),
                "url": None,
                "partialDataUrl": None,
            },
        }
        return {
            "bulkOperation": {"id": operation_id, "status": "CREATED", "createdAt": _now()},
            "userErrors": [],
        }

    def _poll_bulk(self, operation_id: str) -> dict[str, Any] | None:
        operation = self.bulk.get(operation_id)
        if operation is None:
            return None
        operation["polls"] += 1
        if operation["polls"] >= self.bulk_polls and operation["node"]["status"] == "RUNNING":
            self._finish_bulk(operation_id)
        return operation["node"]

    def _finish_bulk(self, operation_id: str) -> None:
        node = self.bulk[operation_id]["node"]
        node["status"] = "COMPLETED"
        node["url"] = f"{self.url}/bulk/{operation_id.rsplit('/', 1)[-1]}.jsonl"
        self.bulk[operation_id.rsplit("/", 1)[-1]] = self.bulk[operation_id]

    def _set_metafields(self, metafields: list[dict[str, Any]]) -> dict[str, Any]:
        saved = []
        for item in metafields:
            row = {"id": f"gid://shopify/Metafield/{len(self.metafields) + 1}", **item}
            self.metafields.append(row)
            saved.append(row)
        return {"metafields": saved, "userErrors": []}

    def _storefront_token(self, data: dict[str, Any]) -> dict[str, Any]:
        token = f"storefront-{len(self.storefront_tokens) + 1}-{uuid.uuid4().hex[:12]}"
        self.storefront_tokens.append(token)
        return {
            "storefrontAccessToken": {"accessToken": token, "title": data.get("title")},
            "userErrors": [],
        }

    def _recommendations(
        self,
        info: Any,
        productId: str | None = None,
        intent: str = "RELATED",
        **_: Any,  # noqa: N803
    ) -> list[dict[str, Any]]:
        number = str(productId or "").rsplit("/", 1)[-1]
        chosen = self.complementary.get(number, []) if intent == "COMPLEMENTARY" else []
        return [
            {"id": f"gid://shopify/Product/{n}", "title": f"Product {n}", "handle": f"p-{n}"} for n in chosen
        ]

    def _flow_trigger(self, handle: str | None, payload: Any) -> dict[str, Any]:
        published = {
            name: value for name, value in published_triggers().items() if name not in self.undeployed
        }
        errors = _flow_errors(published, handle, payload)
        if not errors:
            with self._lock:
                self.flow_triggers.append({"handle": handle, "payload": payload})
        return {"userErrors": errors}

    def _delete_metafields(self, identifiers: list[dict[str, Any]]) -> dict[str, Any]:
        deleted = []
        for item in identifiers:
            key = (item["ownerId"], item["namespace"], item["key"])
            before = len(self.metafields)
            self.metafields = [m for m in self.metafields if (m["ownerId"], m["namespace"], m["key"]) != key]
            deleted.append(item if len(self.metafields) < before else None)
        return {"deletedMetafields": deleted, "userErrors": []}

    def current_metafields(self, owner: str) -> dict[str, str]:
        """The value each of ``owner``'s metafields holds now (the last set wins, as in Shopify)."""
        return {f"{m['namespace']}.{m['key']}": m["value"] for m in self.metafields if m["ownerId"] == owner}

    def _create_discount(self, data: dict[str, Any]) -> dict[str, Any]:
        code = str(data.get("code") or "")
        if any(str(d.get("code", "")).lower() == code.lower() for d in self.discounts):
            # Shopify's DiscountErrorCode TAKEN: codes are unique in a shop, compared without case
            return {
                "codeDiscountNode": None,
                "userErrors": [
                    {
                        "field": ["basicCodeDiscount", "code"],
                        "message": "Code must be unique. Please try a different code.",
                        "code": "TAKEN",
                    }
                ],
            }
        self.discounts.append(data)
        return {
            "codeDiscountNode": {"id": f"gid://shopify/DiscountCodeNode/{len(self.discounts)}"},
            "userErrors": [],
        }

    def _discount_by_code(self, code: str) -> dict[str, Any] | None:
        for number, discount in enumerate(self.discounts, start=1):
            if str(discount.get("code", "")).lower() == code.lower():
                return {"id": f"gid://shopify/DiscountCodeNode/{number}"}
        return None

    def _consent(self, data: dict[str, Any], field_name: str) -> dict[str, Any]:
        """The customer's consent set as asked; a customer the shop does not have is a user error."""
        customer_id = str(data.get("customerId") or "")
        state = data.get(field_name) or {}
        if customer_id not in self.customers:
            return {
                "customer": None,
                "userErrors": [
                    {"field": ["input", "customerId"], "message": "Customer not found", "code": "INVALID"}
                ],
            }
        consent = {
            "marketingState": state.get("marketingState"),
            "marketingOptInLevel": state.get("marketingOptInLevel") or "SINGLE_OPT_IN",
            "consentUpdatedAt": state.get("consentUpdatedAt"),
        }
        self.customers[customer_id][field_name] = consent
        self.consent_updates.append({"customerId": customer_id, field_name: consent})
        return {"customer": {"id": customer_id, field_name: consent}, "userErrors": []}


def published_triggers() -> dict[str, dict[str, Any]]:
    """The app's Flow trigger extensions as Shopify would have them once deployed (``extensions/``)."""
    found = {}
    for path in sorted(EXTENSIONS.glob("*/shopify.extension.toml")):
        config = tomllib.loads(path.read_text())
        for extension in config.get("extensions", []):
            if extension.get("type") == "flow_trigger":
                found[extension["handle"]] = config.get("settings", {})
    return found


REFERENCE_KEYS = {
    "customer_reference": "customer_id",
    "order_reference": "order_id",
    "product_reference": "product_id",
}


def _flow_errors(
    triggers: dict[str, dict[str, Any]], handle: str | None, payload: Any
) -> list[dict[str, Any]]:
    """Flow's refusals: an unknown trigger, a payload not of the trigger's fields."""
    if handle not in triggers:
        return [{"field": ["handle"], "message": f"Invalid handle '{handle}'"}]
    if not isinstance(payload, dict):
        return [{"field": ["payload"], "message": "Payload must be an object"}]
    fields = triggers[handle].get("fields", [])
    expected = {REFERENCE_KEYS.get(item["type"], item.get("key")) for item in fields}
    missing = sorted(key for key in expected if key not in payload)
    unknown = sorted(key for key in payload if key not in expected)
    errors = [{"field": ["payload", key], "message": f"Missing field '{key}'"} for key in missing]
    errors += [{"field": ["payload", key], "message": f"Unknown field '{key}'"} for key in unknown]
    return errors


def client_for(*fakes: FakeShopify) -> httpx.Client:
    """One httpx client for several shops, as one connector serves every installed shop: each
    https://<shop>/... request goes to the fake serving that shop (any other host to the first)."""
    targets = {fake.shop: httpx.URL(fake.url) for fake in fakes}
    first = httpx.URL(fakes[0].url)

    class ToLoopback(httpx.HTTPTransport):
        def handle_request(self, req: httpx.Request) -> httpx.Response:
            target = targets.get(req.url.host, first)
            req.url = req.url.copy_with(scheme=target.scheme, host=target.host, port=target.port)
            return super().handle_request(req)

    # No timeout: a busy machine makes the fake slow, never wrong (a test must not time out on it).
    return httpx.Client(transport=ToLoopback(), timeout=None)  # noqa: S113


def make_order(number: int, updated: datetime) -> dict[str, Any]:
    """One order node in the Admin API's shape, with a line, a customer in Riyadh and a parcel."""
    created = updated - timedelta(hours=2)
    line = {
        "id": f"gid://shopify/LineItem/{number}1",
        "title": "عطر العود الملكي",
        "quantity": 1,
        "sku": "OUD-001",
        "originalUnitPriceSet": {"shopMoney": {"amount": "250.0"}},
        "product": {"id": "gid://shopify/Product/13"},
    }
    return {
        "id": f"gid://shopify/Order/{number}",
        "name": f"#{number}",
        "createdAt": _iso(created),
        "updatedAt": _iso(updated),
        "processedAt": _iso(created),
        "cancelledAt": None,
        "cancelReason": None,
        "closedAt": None,
        "displayFinancialStatus": "PAID",
        "displayFulfillmentStatus": "FULFILLED",
        "currencyCode": "SAR",
        "paymentGatewayNames": ["shopify_payments"],
        "customerLocale": "ar",
        "email": f"customer{number}@example.test",
        "phone": None,
        "currentTotalPriceSet": {"shopMoney": {"amount": "250.0", "currencyCode": "SAR"}},
        "discountCodes": [],
        "customer": {
            "id": f"gid://shopify/Customer/{number}",
            "firstName": "محمد",
            "lastName": "العتيبي",
            "email": f"customer{number}@example.test",
            "phone": "+966501234567",
            "emailMarketingConsent": {
                "marketingState": "SUBSCRIBED",
                "marketingOptInLevel": "SINGLE_OPT_IN",
                "consentUpdatedAt": _iso(created - timedelta(days=30)),
            },
            "smsMarketingConsent": {
                "marketingState": "NOT_SUBSCRIBED",
                "marketingOptInLevel": "SINGLE_OPT_IN",
                "consentUpdatedAt": None,
                "consentCollectedFrom": "SHOPIFY",
            },
        },
        "shippingAddress": {
            "name": "محمد العتيبي",
            "address1": "شارع الملك فهد",
            "address2": None,
            "city": "الرياض",
            "province": "Riyadh",
            "provinceCode": "01",
            "zip": "12211",
            "countryCodeV2": "SA",
            "phone": "+966501234567",
        },
        "lineItems": {"nodes": [line], "edges": [{"node": line}]},
        "refunds": [],
        "fulfillments": [
            {
                "id": f"gid://shopify/Fulfillment/{number}",
                "status": "SUCCESS",
                "createdAt": _iso(created + timedelta(hours=1)),
                "updatedAt": _iso(updated),
                "displayStatus": "IN_TRANSIT",
                "trackingInfo": [
                    {
                        "company": "SMSA Express",
                        "number": f"SM{number}",
                        "url": f"https://track.example/{number}",
                    }
                ],
                "events": {
                    "nodes": [
                        {
                            "id": f"gid://shopify/FulfillmentEvent/{number}",
                            "status": "IN_TRANSIT",
                            "happenedAt": _iso(updated),
                            "message": "Item is now in transit",
                        }
                    ]
                },
            }
        ],
    }


def _matching(rows: list[dict[str, Any]], query: str | None) -> list[dict[str, Any]]:
    """Shopify's search syntax, the one form the connector uses: ``updated_at:>'ISO time'``."""
    if not query:
        return rows
    prefix = "updated_at:>"
    if not query.startswith(prefix):
        return rows
    since = datetime.fromisoformat(query[len(prefix) :].strip("'\"").replace("Z", "+00:00"))
    return [row for row in rows if datetime.fromisoformat(row["updatedAt"].replace("Z", "+00:00")) > since]


def _cursor(position: int) -> str:
    return base64.b64encode(str(position).encode()).decode()


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _now() -> str:
    return _iso(datetime.now(UTC))


def _json(body: Any, status: int = 200) -> Response:
    return Response(json.dumps(body), status, content_type="application/json; charset=utf-8")
