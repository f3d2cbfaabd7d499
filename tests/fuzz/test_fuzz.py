"""No request produces a 5xx or logs an unhandled error (issue 12, invariant 10): the quick slice.

The routes come from the app's ``url_map``, so a route added later is swept and fuzzed without
editing this file. First a sweep sends every rule every method it allows, as a stranger, a signed-in
merchant and an embedded one, with real ids and the page's own forms; then hypothesis mutates
requests (``strategies.py``), signed webhooks and signed links. Bounded and derandomized: the same
requests on every run, no deadline, seconds per database. ``python -m bench.fuzz`` is the long run.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app import create_app, services
from connectors.shopify import ShopifyConnector
from tests.conftest import settings_for
from tests.fakes.shopify import FakeShopify
from tests.fuzz import strategies
from tests.fuzz.senders import ClientSender
from tests.fuzz.strategies import AUTHS, Call
from tests.fuzz.world import OTHER_SHOP, SETTINGS, SHOPIFY_CLIENT_ID, World, seed
from tests.helpers import drain
from tests.routes import path_of, rules

FUZZ = settings(
    max_examples=150,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)


@pytest.fixture
def fuzzed(database_url: str, tmp_path: Path) -> Iterator[Flask]:
    """The app as merchants meet it, Shopify's token exchange served by a fake for a shop installing."""
    application = create_app(settings_for(database_url, tmp_path, **SETTINGS))
    fake = FakeShopify(
        shop=OTHER_SHOP, client_id=SHOPIFY_CLIENT_ID, client_secret=SETTINGS["shopify_client_secret"]
    )
    with fake.serving():
        services(application).connectors["shopify"] = ShopifyConnector(
            client_id=SHOPIFY_CLIENT_ID,
            client_secret=SETTINGS["shopify_client_secret"],
            http_client=fake.client(),
        )
        yield application
    services(application).db.dispose()


@pytest.fixture
def world(fuzzed: Flask) -> World:
    return seed(fuzzed)


@pytest.fixture
def sender(fuzzed: Flask, world: World) -> ClientSender:
    return ClientSender(fuzzed, world)


SHOPS = (strategies.SHOPIFY.store_ref, OTHER_SHOP, "someone-else.myshopify.com", "x.example")


def answered(sender: ClientSender, call: Call, caplog: pytest.LogCaptureFixture) -> int:
    """Send ``call``; fail on a 5xx or on an error logged while it was answered."""
    caplog.clear()
    answer = sender.send(call)
    assert answer.status < 500, f"{call}\nanswered {answer.status}: {answer.body[:500]!r}"
    logged = [f"{r.getMessage()} {r.exc_text or ''}" for r in caplog.records if r.levelno >= logging.ERROR]
    assert not logged, f"{call}\nlogged: {logged}"
    return answer.status


def test_every_route_and_method_answers_everyone_without_a_5xx(fuzzed, world, sender, caplog):
    """Each (rule, method) of the url_map with real arguments and the page's own form or JSON, for
    each kind of caller."""
    real = {
        "platform": "sandbox",
        "step": "thank_you",
        "locale": "ar",
        "token": world.token(strategies.CHECK_IN, world.payloads[strategies.CHECK_IN][0]),
        "code": world.short_codes[0],
    }
    swept = set()
    for rule, method in rules(fuzzed):
        segments = {
            name: str(world.order_ids[0]) if name.endswith("_id") else real.get(name, "x")
            for name in rule.arguments
        }
        path = path_of(rule, segments)
        forms = [v for where, v in world.forms.items() if where == path]
        body = strategies.form_encode([(k, v) for k, vs in forms[0].items() for v in vs]) if forms else b""
        headers = (("Content-Type", "application/x-www-form-urlencoded"),) if forms else ()
        for auth in ("anonymous", "cookie", "id-token"):
            extra: tuple[tuple[str, str], ...] = ()
            if auth == "id-token":
                extra = (("Authorization", f"Bearer {strategies.id_token(world.shop)}"),)
            answered(
                sender,
                Call(method, path, headers=headers + extra, body=body, auth=auth, csrf="valid"),
                caplog,
            )
        swept.add(rule.endpoint)
    assert swept == {rule.endpoint for rule in fuzzed.url_map.iter_rules()} - {"static"}
    assert len(AUTHS) > 3


@FUZZ
@given(data=st.data())
def test_mutated_requests_to_any_route_never_answer_5xx(fuzzed, world, sender, caplog, data):
    answered(sender, data.draw(strategies.route_calls(fuzzed, world, SHOPS)), caplog)


@FUZZ
@given(data=st.data())
def test_signed_webhooks_with_mutated_bodies_and_headers_never_answer_5xx(
    fuzzed, world, sender, caplog, data
):
    """Signed correctly or not; what is stored is then applied by the worker without an error."""
    answered(sender, data.draw(strategies.webhook_calls()), caplog)
    drain(services(fuzzed))
    logged = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert not logged


@FUZZ
@given(data=st.data())
def test_links_signed_over_mutated_content_never_answer_5xx(fuzzed, world, sender, caplog, data):
    answered(sender, data.draw(strategies.link_calls(world)), caplog)
