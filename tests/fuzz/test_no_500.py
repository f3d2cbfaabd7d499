"""Issue 12, item 9: every one of these answered 500. Each class gets a clear 4xx and changes nothing,
over real HTTP, on SQLite and on PostgreSQL (which refuses NUL bytes, out-of-range integers and
over-long strings where SQLite stores them).

The stores, orders and secrets are the fuzzer's seeded world, so the webhooks below are signed as
each platform signs them: only the one thing named is wrong.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select
from werkzeug.routing import IntegerConverter

from app import create_app, services
from app.models import Base, Store
from tests.conftest import settings_for
from tests.fuzz.senders import COOKIE, HttpSender
from tests.fuzz.strategies import KITS, SHOPIFY, WOOCOMMERCE, Call, deep, encode, form_encode, id_token
from tests.fuzz.world import SETTINGS, World, seed
from tests.helpers import ingest_order, order_snapshot
from tests.routes import rules

LONG_LABEL = "a" * 64
FORM = ("Content-Type", "application/x-www-form-urlencoded")
JSON = ("Content-Type", "application/json")


@pytest.fixture
def app(database_url: str, tmp_path: Path) -> Iterator[Flask]:
    application = create_app(settings_for(database_url, tmp_path, **SETTINGS))
    yield application
    services(application).db.dispose()


@pytest.fixture
def world(app: Flask) -> World:
    return seed(app)


@pytest.fixture
def http(app: Flask, world: World, live_server: str) -> HttpSender:
    host, port = live_server.removeprefix("http://").split(":")
    sender = HttpSender(host, int(port), world, services(app).settings)
    sender._session(ended=False)  # signed in before anything is compared
    return sender


def contents(app: Flask) -> dict[str, list[Any]]:
    """Every row of every table, in key order: what "changes nothing" compares."""
    with services(app).db.session() as db:
        return {
            table.name: [tuple(row) for row in db.execute(select(table).order_by(*table.primary_key.columns))]
            for table in Base.metadata.sorted_tables
        }


def signed(kit: Any, body: bytes, **changes: str) -> Call:
    """A delivery of ``kit``'s platform signed over ``body``, with some headers changed."""
    headers = {**kit.headers(kit.order_topic, body), "Content-Type": "application/json", **changes}
    return Call("POST", f"/webhooks/{kit.platform}", headers=tuple(headers.items()), body=body)


def woo_order(**changes: Any) -> bytes:
    return json.dumps({**WOOCOMMERCE.order, **changes}).encode()


def woo_shipped(date_shipped: Any) -> bytes:
    item = {
        "tracking_provider": "aramex",
        "tracking_number": "AX1",
        "date_shipped": date_shipped,
        "tracking_id": "t1",
    }
    return woo_order(meta_data=[{"id": 90, "key": "_wc_shipment_tracking_items", "value": [item]}])


def cases(w: World) -> Iterator[tuple[str, Call, int]]:
    """(what, the request, the answer it must get)."""
    order = json.dumps(SHOPIFY.order).encode()
    yield "non-ascii-shopify-hmac", signed(SHOPIFY, order, **{"X-Shopify-Hmac-Sha256": "é" * 44}), 401
    # a store address whose host label is over 63 characters, everywhere one is given
    site = f"https://{LONG_LABEL}.example"
    form = f"site_url={encode(site)}&address={LONG_LABEL}.example&consumer_key=ck_1&consumer_secret=cs_1"
    for action in ("/connect/woocommerce/keys", "/connect/woocommerce/authorize", "/admin/signin"):
        yield f"long-label-{action}", admin("POST", action, form.encode(), FORM), 400
    woo = woo_order()
    yield "long-label-woo-source", signed(WOOCOMMERCE, woo, **{"X-WC-Webhook-Source": f"{site}/"}), 400
    shop = f"{LONG_LABEL}.myshopify.com"
    yield "long-label-shopify-domain", signed(SHOPIFY, order, **{"X-Shopify-Shop-Domain": shop}), 400
    home = Call("GET", "/shopify", query=f"shop={shop}&embedded=1&id_token={id_token(shop)}")
    yield "long-label-app-home", home, 400
    # found by the fuzzer: an App Bridge ID token, signed, whose claims are not what Shopify puts there
    for dest in (5, None, "http://[", ["https://x"]):
        bearer = ("Authorization", f"Bearer {id_token(w.shop, {'dest': dest})}")
        yield f"id-token-dest-{dest!r}", Call("GET", "/admin/activity", headers=(bearer,)), 401
    # /s/ with a NUL byte (PostgreSQL's text cannot hold one)
    yield "nul-short-link", Call("GET", "/s/%00"), 400
    yield "nul-short-link-after-code", Call("GET", f"/s/{w.short_codes[0]}%00"), 400
    # JSON nested thousands deep: every platform's webhook (signed), and every JSON the app reads
    for kit in KITS:
        yield f"deep-json-{kit.platform}", signed(kit, deep(5000)), 400
    for method, path in API_WRITES:
        yield f"deep-json-{method}-{path}", admin(method, path, deep(5000), JSON), 400
    yield "deep-json-woo-callback", Call("POST", CALLBACK, headers=(JSON,), body=deep(5000)), 400
    # a Triggered-At style header without a time zone, and other headers the signature does not cover
    for kit in KITS:
        if kit.triggered_header:
            naive = {kit.triggered_header: "2026-11-23T10:00:00"}
            yield f"naive-trigger-{kit.platform}", signed(kit, json.dumps(kit.order).encode(), **naive), 400
    sandbox = KITS[0]
    nul_store = signed(sandbox, json.dumps(sandbox.order).encode(), **{"X-Sandbox-Store": "a\x00b"})
    yield "nul-sandbox-store-header", nul_store, 400
    # a bad WooCommerce date in a signed body
    for name, body in (
        ("date_completed_gmt-words", woo_order(date_completed_gmt="yesterday")),
        ("date_completed_gmt-number", woo_order(date_completed_gmt=1795392000)),
        ("date_shipped-digits", woo_shipped("9" * 30)),
        ("date_shipped-words", woo_shipped("the 3rd")),
    ):
        yield f"woo-{name}", signed(WOOCOMMERCE, body), 400
    # an over-long Topic header (inbox.topic holds 64 characters)
    for kit in KITS:
        topic = next(name for name in kit.headers("x", b"") if name.lower().endswith("topic"))
        long_topic = {topic: "order." + "x" * 300}
        yield f"long-topic-{kit.platform}", signed(kit, json.dumps(kit.order).encode(), **long_topic), 400
    # a lone surrogate (or a NUL) in a template save or preview, as JSON or as a form
    for text in ("\\ud800", "a\\udfffb", "\\u0000"):
        template = f'{{"subject": "Thanks{text}", "body": "<p>Hi</p>", "short": "Thanks"}}'.encode()
        for method, path in API_WRITES[:2]:
            yield f"template-{text}-{method}", admin(method, path, template, JSON), 400
    nul_form = b"subject=a%00&body=b&short=c"
    yield "template-form-nul", admin("POST", "/admin/templates/thank_you/en", nul_form, FORM), 400


API_WRITES = (
    ("PUT", "/admin/api/templates/thank_you/en"),
    ("POST", "/admin/api/templates/thank_you/en/preview"),
    ("POST", "/admin/api/suppressions"),
    ("DELETE", "/admin/api/suppressions"),
)
CALLBACK = "/connect/woocommerce/callback"


def admin(method: str, path: str, body: bytes, content_type: tuple[str, str]) -> Call:
    """A write by the signed-in merchant, with the session's CSRF token."""
    return Call(method, path, headers=(content_type,), body=body, auth="cookie", csrf="valid")


def test_each_input_that_answered_500_gets_a_clear_4xx_and_changes_nothing(app, world, http, caplog):
    """One world for all of them (seeding it is the slow part); each is checked on its own."""
    wrong = []
    for name, call, status in cases(world):
        before = contents(app)
        caplog.clear()
        answer = http.send(call)
        logged = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
        if answer.status != status or logged or contents(app) != before:
            changed = contents(app) != before
            wrong.append(f"{name}: {answer.status} (expected {status}), changed: {changed}, logged: {logged}")
    assert wrong == []


def test_a_path_id_out_of_range_is_not_found_on_every_route_that_takes_one(app, world, http, caplog):
    """Every rule of the url_map with an ``int`` argument, every method it allows, signed in with a
    valid CSRF token: 2^31 is past PostgreSQL's INTEGER, 2^63 past SQLite's, and then some."""
    before = contents(app)
    tried = []
    for number in (str(2**31), str(2**63), str(2**64), "9" * 40, "9" * 5000):
        for rule, method in rules(app):
            converters = rule._converters.values()  # werkzeug keeps no public map of them
            if method in ("HEAD", "OPTIONS") or not any(isinstance(c, IntegerConverter) for c in converters):
                continue
            path = re.sub(r"<int:[^>]+>", number, rule.rule)
            answer = http.send(Call(method, path, auth="cookie", csrf="valid", headers=(FORM,)))
            tried.append((method, rule.rule, number, answer.status))
    assert {status for *_, status in tried} == {404}, [t for t in tried if t[-1] != 404]
    assert len({rule for _, rule, _, _ in tried}) >= 5  # order, its journey, an export, cancel, send now
    assert contents(app) == before
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []


def test_a_test_send_of_wording_a_newer_order_cannot_take_says_so(app, world, http, caplog):
    """Found by the fuzzer's seeding: the wording was checked when saved, but a newer order (six items)
    makes it divide by zero. "Send a test" answered 500 (and the exception could not even be raised
    through the database session: TemplateProblem was a frozen dataclass); now the editor says why."""
    wording = {
        "subject": "Hi{% if items|length > 5 %}{{ 1 // 0 }}{% endif %}",
        "body": "<p>x</p>",
        "short": "x",
    }
    saved = http.send(
        Call(
            "PUT",
            "/admin/api/templates/thank_you/en",
            headers=(JSON,),
            body=json.dumps(wording).encode(),
            auth="cookie",
            csrf="valid",
        )
    )
    assert saved.status == 200, saved.body
    ingest_order(services(app), store_of(app, world.store_id), order_snapshot("2001", items=6))
    answer = http.send(
        Call("POST", "/admin/templates/thank_you/en/test", headers=(FORM,), auth="cookie", csrf="valid")
    )
    assert answer.status == 302
    flashed = SimpleCookie(answer.headers["Set-Cookie"])[COOKIE].value  # the news rides in the cookie
    page = http.raw("GET", answer.headers["Location"], [("Cookie", f"{COOKIE}={flashed}")], b"").body.decode()
    assert "The test could not be sent: subject, line 1: integer division or modulo by zero" in page
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []


def store_of(app: Flask, store_id: int) -> Store:
    with services(app).db.session() as db:
        store = db.get(Store, store_id)
        db.expunge(store)
        return store


JOURNEY_CHANGES = {  # found by the fuzzer: each answered 500 (on PostgreSQL at least)
    "quiet day blank": ("quiet_days", ""),
    "quiet days run together": ("quiet_days", "0123"),
    "sender name over 255": ("sender_name", "n" * 256),
    "store address over 320": ("reply_to", "r" * 310 + "@shop.example"),
}


def test_the_journey_form_with_a_field_no_column_holds_says_which(app, world, http, caplog):
    """The settings page's own form, posted back with one field changed: a value the column cannot
    hold is refused beside its field (422) and nothing is saved; a quiet day that is no weekday is
    not one (the form only ever sends 0 to 6)."""
    wrong = []
    for name, (field, value) in JOURNEY_CHANGES.items():
        form = {**world.forms["/admin/journey"], field: [value]}
        body = form_encode([(key, v) for key, values in form.items() for v in values])
        before = contents(app)
        caplog.clear()
        answer = http.send(admin("POST", "/admin/journey", body, FORM))
        logged = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
        saved = contents(app) != before
        expected = 302 if field == "quiet_days" else 422
        if answer.status != expected or logged or (saved and expected == 422):
            wrong.append(f"{name}: {answer.status} (expected {expected}), saved: {saved}, logged: {logged}")
    assert wrong == []
