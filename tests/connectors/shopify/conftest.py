"""The app with a Shopify app secret, and Shopify's published sample webhooks signed with it."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from flask import Flask

from app import create_app, services
from tests.conftest import settings_for
from tests.connectors import loopback
from tests.helpers import drain, make_store

FIXTURES = Path(__file__).parent / "fixtures" / "webhooks"  # copied from shared/fixtures/shopify
APP_SECRET = "shpss_" + "5" * 32
SHOP = "super-toys.myshopify.com"


@pytest.fixture
def app(database_url: str, tmp_path: Path) -> Iterator[Flask]:
    application = create_app(settings_for(database_url, tmp_path, shopify_client_secret=APP_SECRET))
    yield application
    services(application).db.dispose()


@pytest.fixture
def store(aftercare):
    return make_store(aftercare, platform="shopify", external_id=SHOP, webhook_secret=None)


def sample(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / f"{name}.json").read_text())


def sample_bytes(name: str) -> bytes:
    return (FIXTURES / f"{name}.json").read_bytes()


def sign(body: bytes, secret: str = APP_SECRET) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def post(
    aftercare: Any,
    live_server: str,
    topic: str,
    body: bytes | dict,
    *,
    event_id: str | None = None,
    triggered_at: str = "2026-11-23T10:00:00.000Z",
    signature: str | None = None,
) -> requests.Response:
    """A delivery as Shopify makes it: raw JSON, HMAC of the bytes, the shop and the event id; then the
    worker applies what was stored."""
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    headers = {
        "Content-Type": "application/json",
        "X-Shopify-Topic": topic,
        "X-Shopify-Hmac-Sha256": sign(raw) if signature is None else signature,
        "X-Shopify-Shop-Domain": SHOP,
        "X-Shopify-API-Version": "2026-01",
        "X-Shopify-Webhook-Id": str(uuid.uuid4()),
        "X-Shopify-Event-Id": event_id or str(uuid.uuid4()),
        "X-Shopify-Triggered-At": triggered_at,
    }
    response = loopback.post(f"{live_server}/webhooks/shopify", data=raw, headers=headers)
    drain(aftercare)
    return response
