"""One contract, every connector (APScheduler's habit: the same tests over every implementation).

Each platform's kit signs requests as that platform does and brings its recorded payloads; the tests
check what the app relies on from any connector: a recorded order translates whole and the same way
twice, refunded units are set on their lines, removals and privacy requests become their snapshots,
forgeries are refused, and ``translate`` raises nothing but PayloadError whatever the body (fuzzed
with hypothesis, from nothing and from the recordings). Over HTTP, each kind of bad request gets its
clear 4xx and changes nothing, on both databases.
"""

from __future__ import annotations

import ast
import base64
import copy
import hashlib
import hmac
import json
import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, is_dataclass
from dataclasses import fields as dataclass_fields
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from enum import Enum
from pathlib import Path
from typing import Any

import pytest
import requests
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import String

from app import create_app, models, services
from connectors import fields
from connectors.base import (
    Connector,
    CustomerNotes,
    DataRequest,
    Delivery,
    EmbeddedAdmin,
    OrderRemoved,
    OrderSnapshot,
    PayloadError,
    Polling,
    RedactRequest,
    ReorderLinks,
    SignatureError,
    Snapshot,
    StoreUninstalled,
    WebhookRequest,
)
from connectors.registry import CONNECTORS
from connectors.sandbox import SandboxConnector
from connectors.sandbox import webhooks as sandbox_webhooks
from connectors.sandbox.store import SimulatedStore
from connectors.shopify import ShopifyConnector
from connectors.shopify import translate as shopify_translate
from connectors.woocommerce import WooCommerceConnector
from connectors.woocommerce import translate as woo_translate
from connectors.woocommerce.client import Credentials
from connectors.woocommerce.webhooks import sign as woo_sign
from tests.conftest import settings_for
from tests.fakes.shopify import make_order
from tests.fakes.woocommerce import FakeWooCommerce, capture, webhook_capture
from tests.helpers import count, make_store

T0 = datetime(2026, 11, 23, 7, 10, tzinfo=UTC)
SHOPIFY_SECRET = "shpss_" + "7" * 32
SHOPIFY_SHOP = "contract-toys.myshopify.com"
SHOPIFY_SAMPLES = Path(__file__).parent / "shopify" / "fixtures" / "webhooks"
WOO_SITE = "http://127.0.0.1:8080"  # the store the WooCommerce captures were recorded from
WOO_SECRET = "oboMzfVqfHKl4HBvck6X1TQAkZrweqxIePieuTXU"
SANDBOX_REF, SANDBOX_SECRET = "contract-sandbox", "sandbox-secret-" + "s" * 20

# Bounded, and the same examples on every run: the suite takes seconds and never flakes.
FUZZ = settings(
    max_examples=120,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def b64_hmac(body: bytes, secret: str) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def shopify_sample(name: str) -> dict[str, Any]:
    return json.loads((SHOPIFY_SAMPLES / f"{name}.json").read_text())


@dataclass(frozen=True)
class Kit:
    """One platform as the contract tests meet it."""

    platform: str
    connector: Connector
    store_ref: str
    secret: str | None  # what the store row holds (None where one app secret signs everything)
    signature_header: str
    order_topic: str
    order: dict[str, Any]  # a recorded (or, for the sandbox, simulated) order payload
    topics: tuple[str, ...]  # every topic translate reads
    headers: Callable[[str, bytes], dict[str, str]]  # what the platform sends with a body
    refunded: Callable[[], tuple[list[Snapshot], str]]  # an order with one unit refunded, and its line
    triggered_header: str | None = None
    removal: tuple[str, bytes, str] | None = None
    privacy: tuple[tuple[str, bytes, type], ...] = ()
    # every recorded (or simulated) webhook body by name, with its topic: the fuzzer damages each
    recordings: tuple[tuple[str, str, Any], ...] = ()

    def request(self, topic: str, body: bytes, **changes: str) -> WebhookRequest:
        headers = {**self.headers(topic, body), **changes}
        return WebhookRequest(headers=headers, body=body, content_type="application/json")

    def delivered(self, topic: str, body: bytes) -> list[Snapshot]:
        delivery = self.connector.verify_webhook(self.request(topic, body), self.secret)
        return self.connector.translate(delivery)


# --- sandbox ---------------------------------------------------------------------------------------


def _sandbox_store() -> SimulatedStore:
    return SimulatedStore(
        SANDBOX_REF, SANDBOX_SECRET, "http://127.0.0.1:1/webhooks/sandbox", seed=5, now=lambda: T0
    )


def _sandbox_headers(topic: str, body: bytes) -> dict[str, str]:
    return {
        sandbox_webhooks.STORE_HEADER: SANDBOX_REF,
        sandbox_webhooks.TOPIC_HEADER: topic,
        sandbox_webhooks.DELIVERY_HEADER: uuid.uuid4().hex,
        sandbox_webhooks.TRIGGERED_HEADER: T0.isoformat(),
        sandbox_webhooks.SIGNATURE_HEADER: sandbox_webhooks.sign(body, SANDBOX_SECRET),
    }


SANDBOX_ORDER = _sandbox_store().new_order(status="paid")
SANDBOX_RECORDINGS = (
    ("order", "order.updated", SANDBOX_ORDER),
    ("shipment", "shipment.updated", _sandbox_store().shipment(SANDBOX_ORDER, "in_transit")),
    ("product", "product.updated", _sandbox_store().catalog_payloads()[0]),
)


def _sandbox_refunded() -> tuple[list[Snapshot], str]:
    order = copy.deepcopy(SANDBOX_ORDER)
    order["line_items"][0]["refunded_quantity"] = 1
    return SANDBOX.delivered("order.updated", json.dumps(order).encode()), str(order["line_items"][0]["id"])


# --- Shopify ---------------------------------------------------------------------------------------


def _shopify_headers(topic: str, body: bytes) -> dict[str, str]:
    return {
        "X-Shopify-Topic": topic,
        "X-Shopify-Hmac-Sha256": b64_hmac(body, SHOPIFY_SECRET),
        "X-Shopify-Shop-Domain": SHOPIFY_SHOP,
        "X-Shopify-Event-Id": str(uuid.uuid4()),
        "X-Shopify-Triggered-At": "2026-11-23T10:00:00.000Z",
    }


SHOPIFY_ORDER = {**shopify_sample("orders_create"), "cancelled_at": None, "financial_status": "paid"}
# Shopify's fulfillment samples are "pending" (not yet a parcel): shipped, they are read whole.
SHOPIFY_RECORDINGS = (
    ("orders_updated", "orders/updated", SHOPIFY_ORDER),
    ("orders_create", "orders/create", shopify_sample("orders_create")),
    (
        "fulfillments_create",
        "fulfillments/create",
        {**shopify_sample("fulfillments_create"), "status": "success"},
    ),
    (
        "fulfillments_update",
        "fulfillments/update",
        {**shopify_sample("fulfillments_update"), "status": "success"},
    ),
    ("fulfillment_events_create", "fulfillment_events/create", shopify_sample("fulfillment_events_create")),
    ("customers_redact", "customers/redact", shopify_sample("customers_redact")),
    ("customers_data_request", "customers/data_request", shopify_sample("customers_data_request")),
)


def _shopify_refunded() -> tuple[list[Snapshot], str]:
    order = copy.deepcopy(SHOPIFY_ORDER)
    line = order["line_items"][0]["id"]
    order["financial_status"] = "partially_refunded"
    order["refunds"] = [
        {"id": 509562969, "refund_line_items": [{"id": 104689539, "line_item_id": line, "quantity": 1}]}
    ]
    return SHOPIFY.delivered("orders/updated", json.dumps(order).encode()), str(line)


# --- WooCommerce -----------------------------------------------------------------------------------


def _woo_headers(topic: str, body: bytes) -> dict[str, str]:
    resource, event = topic.split(".", 1) if "." in topic else (topic, "")
    return {
        "X-WC-Webhook-Source": f"{WOO_SITE}/",
        "X-WC-Webhook-Topic": topic,
        "X-WC-Webhook-Resource": resource,
        "X-WC-Webhook-Event": event,
        "X-WC-Webhook-Signature": woo_sign(body, WOO_SECRET),
        "X-WC-Webhook-ID": "1",
        "X-WC-Webhook-Delivery-ID": uuid.uuid4().hex,
    }


WOO_ORDER = json.loads(webhook_capture("order_updated_completed")[1])
WOO_RECORDINGS = tuple(
    (name, topic, json.loads(webhook_capture(name)[1]))
    for name, topic in (
        ("order_created_guest_processing", "order.created"),
        ("order_updated_processing", "order.updated"),
        ("order_updated_completed", "order.updated"),
        ("product_updated", "product.updated"),
    )
)


def _woo_refunded() -> tuple[list[Snapshot], str]:
    """WooCommerce's order names its refunds but not their lines: the connector reads them from the
    store when it polls, so this one goes through the fake store over loopback."""
    shop = FakeWooCommerce()
    shop.seed_from_captures()
    key = shop.add_key()
    with shop.serving():
        line = shop.orders[15]["line_items"][0]["id"]
        shop.refund(15, {line: 1}, modified=T0 + timedelta(days=1))
        credentials = Credentials(shop.url, key.consumer_key, key.consumer_secret).to_json()
        changes = WOOCOMMERCE.connector.changes_since(credentials, T0)  # type: ignore[attr-defined]
        [change] = [c for c in changes if isinstance(c.snapshots[0], OrderSnapshot)]
    return change.snapshots, str(line)


SANDBOX = Kit(
    platform="sandbox",
    connector=SandboxConnector(),
    store_ref=SANDBOX_REF,
    secret=SANDBOX_SECRET,
    signature_header=sandbox_webhooks.SIGNATURE_HEADER,
    order_topic="order.updated",
    order=SANDBOX_ORDER,
    topics=("order.created", "order.updated", "product.updated", "shipment.updated"),
    headers=_sandbox_headers,
    refunded=_sandbox_refunded,
    triggered_header=sandbox_webhooks.TRIGGERED_HEADER,
    recordings=SANDBOX_RECORDINGS,
)
SHOPIFY = Kit(
    platform="shopify",
    connector=ShopifyConnector(client_secret=SHOPIFY_SECRET),
    store_ref=SHOPIFY_SHOP,
    secret=None,
    signature_header="X-Shopify-Hmac-Sha256",
    order_topic="orders/updated",
    order=SHOPIFY_ORDER,
    topics=tuple(sorted(shopify_translate.TOPICS)),
    headers=_shopify_headers,
    refunded=_shopify_refunded,
    triggered_header="X-Shopify-Triggered-At",
    privacy=(
        ("customers/redact", (SHOPIFY_SAMPLES / "customers_redact.json").read_bytes(), RedactRequest),
        ("shop/redact", (SHOPIFY_SAMPLES / "shop_redact.json").read_bytes(), RedactRequest),
        (
            "customers/data_request",
            (SHOPIFY_SAMPLES / "customers_data_request.json").read_bytes(),
            DataRequest,
        ),
        ("app/uninstalled", (SHOPIFY_SAMPLES / "app_uninstalled.json").read_bytes(), StoreUninstalled),
    ),
    recordings=SHOPIFY_RECORDINGS,
)
WOOCOMMERCE = Kit(
    platform="woocommerce",
    connector=WooCommerceConnector(sleep=lambda seconds: None),
    store_ref=WOO_SITE,
    secret=WOO_SECRET,
    signature_header="X-WC-Webhook-Signature",
    order_topic="order.updated",
    order=WOO_ORDER,
    topics=("order.created", "order.updated", "order.restored", "order.deleted", "product.updated"),
    headers=_woo_headers,
    refunded=_woo_refunded,
    removal=("order.deleted", b'{"id":15}', "15"),
    recordings=WOO_RECORDINGS,
)
KITS = [pytest.param(kit, id=kit.platform) for kit in (SANDBOX, SHOPIFY, WOOCOMMERCE)]


def test_every_registered_connector_has_a_kit():
    assert set(CONNECTORS) == {param.values[0].platform for param in KITS}


# --- what every connector promises --------------------------------------------------------------------


@pytest.mark.parametrize("kit", KITS)
def test_a_recorded_order_translates_whole_and_the_same_way_twice(kit):
    body = json.dumps(kit.order).encode()
    first, again = kit.delivered(kit.order_topic, body), kit.delivered(kit.order_topic, body)
    order = first[0]
    assert isinstance(order, OrderSnapshot) and order.lines and order.customer is not None
    assert first == again


@pytest.mark.parametrize("kit", KITS)
def test_refunded_units_are_set_on_their_line(kit):
    """Refunded items are left out of review requests and recommendations: the connector says which."""
    snapshots, line_id = kit.refunded()
    order = snapshots[0]
    assert isinstance(order, OrderSnapshot)
    refunded = {line.external_id: line.refunded_quantity for line in order.lines}
    assert refunded[line_id] == 1
    assert all(units == 0 for external_id, units in refunded.items() if external_id != line_id)


@pytest.mark.parametrize("kit", [p for p in KITS if p.values[0].removal])
def test_a_removed_order_becomes_a_removal(kit):
    topic, body, external_id = kit.removal
    assert kit.delivered(topic, body) == [OrderRemoved(external_id)]


@pytest.mark.parametrize("kit", [p for p in KITS if p.values[0].privacy])
def test_privacy_requests_become_their_snapshots(kit):
    for topic, body, kind in kit.privacy:
        [snapshot] = kit.delivered(topic, body)
        assert isinstance(snapshot, kind), topic


@pytest.mark.parametrize("kit", KITS)
def test_verification_refuses_forgeries(kit):
    body = json.dumps(kit.order).encode()
    genuine = kit.request(kit.order_topic, body)
    assert kit.connector.verify_webhook(genuine, kit.secret).body == body
    forgeries = {
        "another secret": kit.request(
            kit.order_topic, body, **{kit.signature_header: b64_hmac(body, "guess")}
        ),
        "no signature": kit.request(kit.order_topic, body, **{kit.signature_header: ""}),
        "not ASCII": kit.request(kit.order_topic, body, **{kit.signature_header: "é" * 44}),
        "body changed": WebhookRequest(headers=genuine.headers, body=body.replace(b"1", b"2", 1)),
    }
    for name, forged in forgeries.items():
        with pytest.raises(SignatureError):
            kit.connector.verify_webhook(forged, kit.secret)
            pytest.fail(name)


@pytest.mark.parametrize("kit", [p for p in KITS if p.values[0].triggered_header])
def test_a_trigger_time_without_a_time_zone_is_refused(kit):
    """The header is not signed: it may say anything, and must never reach the database naive."""
    body = json.dumps(kit.order).encode()
    for value in ("2026-11-23T10:00:00", "0001-01-01T00:00:00+05:00", "yesterday"):
        with pytest.raises(PayloadError):
            kit.connector.verify_webhook(
                kit.request(kit.order_topic, body, **{kit.triggered_header: value}), kit.secret
            )


@pytest.mark.parametrize("kit", KITS)
def test_a_body_nested_thousands_deep_is_a_payload_error(kit):
    for body in (b"[" * 5000 + b"]" * 5000, b'{"a":' * 5000 + b"1" + b"}" * 5000):
        with pytest.raises(PayloadError):
            kit.delivered(kit.order_topic, body)


# --- translate is total: PayloadError or snapshots that fit, whatever the body ---------------------------

JSON_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    st.sampled_from(
        [
            "",
            "x" * 700,
            "\x00",
            "\ud800",
            "2026-11-23T07:05:50",
            "2026-11-23T07:05:50+03:00",
            "0001-01-01T00:00:00",
            "9999-12-31T23:59:59-12:00",
            "9" * 30,
            "-1",
            "1e400",
            "NaN",
            "processing",
            "success",
            "LABEL_VOIDED",
            "javascript:alert(1)",
        ]
    ),
)
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)


def paths(value: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every place in a JSON document a value sits."""
    yield prefix
    if isinstance(value, dict):
        for key, item in value.items():
            yield from paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from paths(item, (*prefix, index))


def mutated(document: Any, where: tuple[Any, ...], value: Any, delete: bool) -> Any:
    """``document`` with the value at ``where`` replaced by ``value`` (or removed)."""
    copied = copy.deepcopy(document)
    if not where:
        return value
    parent = copied
    for step in where[:-1]:
        parent = parent[step]
    if delete:
        del parent[where[-1]]
    else:
        parent[where[-1]] = value
    return copied


@st.composite
def mutations(draw: st.DrawFn, document: Any) -> Any:
    """The recorded document with one to three of its values replaced by anything JSON can hold."""
    places = list(paths(document))
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        where = draw(st.sampled_from(places))
        document = mutated(document, where, draw(JSON_VALUES), delete=bool(where) and draw(st.booleans()))
        places = list(paths(document))
    return document


def assert_storable(value: Any, where: str = "snapshot") -> None:
    """What ingest writes can be stored on both databases: text without NUL or unpaired surrogates,
    counts that fit an integer column, finite money that fits Numeric(12, 2), times with a zone."""
    if value is None or isinstance(value, bool | Enum):
        return
    if isinstance(value, str):
        assert len(value) <= fields.URL and not re.search(r"[\x00\ud800-\udfff]", value), where
    elif isinstance(value, int):
        assert 0 <= value < 2**31, where
    elif isinstance(value, Decimal):
        assert value.is_finite() and abs(value) <= fields.MONEY_MAX, where
    elif isinstance(value, datetime):
        assert value.tzinfo is not None and fields.EARLIEST <= value < fields.LATEST, where
    elif isinstance(value, tuple):
        for item in value:
            assert_storable(item, where)
    elif is_dataclass(value):
        for field in dataclass_fields(value):
            assert_storable(getattr(value, field.name), f"{type(value).__name__}.{field.name}")
    else:
        pytest.fail(f"{where} holds a {type(value).__name__}")


def assert_total(translate: Callable[[], list[Snapshot] | Snapshot]) -> None:
    """Either a PayloadError or snapshots that can be stored; nothing else may come out."""
    try:
        result = translate()
    except PayloadError:
        return
    for snapshot in result if isinstance(result, list) else [result]:
        assert_storable(snapshot)


@pytest.mark.parametrize("kit", KITS)
@FUZZ
@given(data=st.data())
def test_translate_of_any_json_raises_only_payload_error(kit, data):
    topic = data.draw(st.sampled_from(kit.topics))
    body = json.dumps(data.draw(JSON_VALUES)).encode()
    assert_total(lambda: kit.connector.translate(Delivery(topic, "fuzzed", body)))


RECORDINGS = [
    pytest.param(kit, topic, document, id=f"{kit.platform}-{name}")
    for kit in (SANDBOX, SHOPIFY, WOOCOMMERCE)
    for name, topic, document in kit.recordings
]


@pytest.mark.parametrize(("kit", "topic", "recorded"), RECORDINGS)
def test_every_recording_translates_as_it_was_recorded(kit, topic, recorded):
    """What the fuzzer damages is a body the connector reads whole: a damaged one that is refused
    is refused for the damage."""
    assert kit.connector.translate(Delivery(topic, "recorded", json.dumps(recorded).encode()))


@pytest.mark.parametrize(("kit", "topic", "recorded"), RECORDINGS)
@settings(FUZZ, max_examples=50)  # fewer per recording, as there are fourteen of them
@given(data=st.data())
def test_translate_of_a_damaged_recording_raises_only_payload_error(kit, topic, recorded, data):
    body = json.dumps(data.draw(mutations(recorded))).encode()
    assert_total(lambda: kit.connector.translate(Delivery(topic, "fuzzed", body)))


@pytest.mark.parametrize("kit", KITS)
@FUZZ
@given(body=st.binary(max_size=200))
def test_translate_of_any_bytes_raises_only_payload_error(kit, body):
    assert_total(lambda: kit.connector.translate(Delivery(kit.order_topic, "fuzzed", body)))


POLLED = [
    pytest.param(shopify_translate.order_node, make_order(5000001, T0), id="shopify-order-node"),
    pytest.param(
        woo_translate.order,
        {
            **capture("GET_order_completed")["body"],
            "refunds": [{"id": 9, "total": "-62.50", "line_items": []}],
        },
        id="woocommerce-polled-order",
    ),
    pytest.param(woo_translate.product, capture("GET_product_arabic")["body"], id="woocommerce-product"),
]


@pytest.mark.parametrize(("read", "recorded"), POLLED)
@FUZZ
@given(data=st.data())
def test_what_polling_reads_is_translated_totally_too(read, recorded, data):
    """A poll skips what it cannot read (PayloadError); anything else would stop the store's sync."""
    damaged = data.draw(mutations(recorded))
    assert_total(lambda: read(damaged) if isinstance(damaged, dict) else read({"value": damaged}))


def test_the_field_limits_are_the_columns():
    """connectors/ never imports app/: its copy of the column sizes must agree with app/models.py."""
    length = {
        (table, column): models.Base.metadata.tables[table].c[column].type.length
        for table, column in [
            ("orders", "external_id"),
            ("orders", "number"),
            ("orders", "remote_status"),
            ("orders", "payment_method"),
            ("orders", "ship_name"),
            ("orders", "ship_postcode"),
            ("order_lines", "title"),
            ("customers", "email"),
            ("customers", "phone"),
            ("customers", "locale"),
            ("products", "url"),
            ("inbox", "topic"),
            ("inbox", "delivery_id"),
            ("stores", "external_id"),
        ]
        if isinstance(models.Base.metadata.tables[table].c[column].type, String)
    }
    assert length == {
        ("orders", "external_id"): fields.KEY,
        ("orders", "number"): fields.NUMBER,
        ("orders", "remote_status"): fields.WORD,
        ("orders", "payment_method"): fields.WORD,
        ("orders", "ship_name"): fields.NAME,
        ("orders", "ship_postcode"): fields.POSTCODE,
        ("order_lines", "title"): fields.TITLE,
        ("customers", "email"): fields.EMAIL,
        ("customers", "phone"): fields.PHONE,
        ("customers", "locale"): fields.LOCALE,
        ("products", "url"): fields.URL,
        ("inbox", "topic"): fields.TOPIC,
        ("inbox", "delivery_id"): fields.KEY,
        ("stores", "external_id"): fields.KEY,
    }
    assert models.MONEY.precision == 12 and models.MONEY.scale == 2


def test_capabilities_are_protocols_checked_with_isinstance():
    sandbox, shopify, woocommerce = SANDBOX.connector, SHOPIFY.connector, WOOCOMMERCE.connector
    assert [isinstance(c, Polling) for c in (sandbox, shopify, woocommerce)] == [False, True, True]
    assert [isinstance(c, CustomerNotes) for c in (sandbox, shopify, woocommerce)] == [False, False, True]
    assert [isinstance(c, EmbeddedAdmin) for c in (sandbox, shopify, woocommerce)] == [False, True, False]
    # a reorder link needs no configured connector: composing asks the registry's class
    registered = [CONNECTORS[name] for name in ("sandbox", "shopify", "woocommerce")]
    assert [issubclass(c, ReorderLinks) for c in registered] == [False, True, True]


def test_connectors_touch_neither_the_database_nor_the_web_framework():
    """Connectors are pure: views that read or write rows live in app/web/ (no connectors/*/routes.py),
    and nothing under connectors/ imports the app, SQLAlchemy or Flask."""
    folder = Path(__file__).parents[2] / "connectors"
    assert sorted(folder.glob("*/routes.py")) == []
    imported = {
        f"{path.relative_to(folder)}: {name}"
        for path in sorted(folder.rglob("*.py"))
        for node in ast.walk(ast.parse(path.read_text()))
        for name in (
            [alias.name for alias in node.names]
            if isinstance(node, ast.Import)
            else [node.module or ""]
            if isinstance(node, ast.ImportFrom)
            else []
        )
        if name.split(".")[0] in {"app", "sqlalchemy", "flask", "flask_wtf", "werkzeug"}
    }
    assert imported == set()


def test_the_app_asks_connectors_capabilities_by_protocol_not_by_attribute_name():
    """A capability is a Protocol in connectors/base.py checked with isinstance (or issubclass on
    the registry's class): nothing outside connectors/ probes a connector with hasattr/getattr,
    which would let a misspelt or half-made capability pass unseen."""
    root = Path(__file__).parents[2]
    probes = re.compile(r"\b(?:hasattr|getattr)\(\s*[\w.]*(?:connector|CONNECTORS)", re.IGNORECASE)
    found = [
        f"{path.relative_to(root)}:{number}"
        for folder in ("app", "scheduler", "channels", "tracking")
        for path in sorted((root / folder).rglob("*.py"))
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if probes.search(line)
    ]
    assert found == []


# --- over HTTP: every bad request gets its 4xx and nothing is stored ---------------------------------------


@pytest.fixture
def app(database_url: str, tmp_path: Path) -> Iterator[Flask]:
    application = create_app(settings_for(database_url, tmp_path, shopify_client_secret=SHOPIFY_SECRET))
    yield application
    services(application).db.dispose()


@pytest.fixture
def held_stores(aftercare):
    for kit in (SANDBOX, SHOPIFY, WOOCOMMERCE):
        make_store(aftercare, platform=kit.platform, external_id=kit.store_ref, webhook_secret=kit.secret)


def bad_requests(kit: Kit) -> Iterator[Any]:
    body = json.dumps(kit.order).encode()
    deep = b'{"a":' * 5000 + b"1" + b"}" * 5000
    yield pytest.param(kit, deep, {}, 400, id=f"{kit.platform}-nested-5000-deep")
    yield pytest.param(
        kit, body, {kit.signature_header: "é" * 44}, 401, id=f"{kit.platform}-non-ascii-signature"
    )
    yield pytest.param(kit, body, {"__delivery__": "d" * 300}, 400, id=f"{kit.platform}-delivery-id-too-long")
    if kit.triggered_header:
        yield pytest.param(
            kit,
            body,
            {kit.triggered_header: "2026-11-23T10:00:00"},
            400,
            id=f"{kit.platform}-naive-trigger-time",
        )


HTTP = requests.Session()  # no timeout: a test never depends on the machine's speed

DELIVERY_HEADERS = {
    "sandbox": sandbox_webhooks.DELIVERY_HEADER,
    "shopify": "X-Shopify-Event-Id",
    "woocommerce": "X-WC-Webhook-Delivery-ID",
}


@pytest.mark.parametrize(
    ("kit", "body", "changes", "status"),
    [case for kit in (SANDBOX, SHOPIFY, WOOCOMMERCE) for case in bad_requests(kit)],
)
def test_a_bad_request_gets_a_clear_4xx_and_changes_nothing(
    aftercare, live_server, held_stores, kit, body, changes, status
):
    headers = {**kit.headers(kit.order_topic, body), "Content-Type": "application/json"}
    if "__delivery__" in changes:
        changes = {DELIVERY_HEADERS[kit.platform]: changes["__delivery__"]}
    headers.update(changes)
    answer = HTTP.post(f"{live_server}/webhooks/{kit.platform}", data=body, headers=headers)
    assert answer.status_code == status, answer.text
    assert count(aftercare, models.InboxEntry) == 0 and count(aftercare, models.Order) == 0
