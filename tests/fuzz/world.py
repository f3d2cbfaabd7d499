"""A small, real world for requests to land in: stores of every platform, orders with planned messages,
a shipment, short links, clicks, an export, a custom template, and the signed links customers get.

Both the CI slice (``tests/fuzz/test_fuzz.py``) and the long run (``bench/fuzz.py``) seed it, so the ids,
codes and tokens the fuzzer starts from are ones the app really holds. The webhook secrets and shop
names are the connector contract suite's (``tests/connectors/test_contract.py``), so its kits sign
deliveries these stores accept.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import lxml.html
from flask import Flask
from sqlalchemy import select

from app import Services, clock, services, signing
from app.links import CHECK_IN, CLICK, OPEN, UNSUBSCRIBE, UNSUBSCRIBE_BY_CUSTOMER, Links
from app.messages import custom
from app.messages.render import Custom
from app.models import DataExport, Message, Order, ShortLink, Store
from app.web.admin.auth import PURPOSE as SIGN_IN
from app.web.connect.woocommerce import GRANT_PURPOSE
from connectors.shopify.client import ShopCredentials
from connectors.woocommerce.client import Credentials
from tests.connectors.test_contract import SANDBOX, SHOPIFY, SHOPIFY_SECRET, WOOCOMMERCE
from tests.helpers import ingest_order, ingest_shipment, make_store, order_snapshot, shipment_snapshot

SHOPIFY_CLIENT_ID = "0123456789abcdef0123456789abcdef"
OTHER_SHOP = "not-installed.myshopify.com"  # a shop that signs in (valid ID token) before installing

# The app settings the fuzzed world needs, on top of a database, secrets and folders.
SETTINGS: dict[str, Any] = {
    "shopify_client_id": SHOPIFY_CLIENT_ID,
    "shopify_client_secret": SHOPIFY_SECRET,
    "connect_rate_limit": "1000000 per minute",  # the limit has its own tests; here it would hide routes
}


@dataclass
class World:
    """What the fuzzer draws real values from."""

    secret_key: str
    store_id: int  # the sandbox store the merchant signs in to
    shopify_store_id: int
    woo_store_id: int
    other_store_id: int  # another merchant's store: its ids must never open anything of ours
    order_ids: list[int]
    message_ids: list[int]
    customer_ids: list[int]
    export_ids: list[int]
    short_codes: list[str]
    shop: str
    woo_site: str
    # purpose -> payloads our links are signed over (the fuzzer signs mutated copies of these)
    payloads: dict[str, list[Any]] = field(default_factory=dict)
    # form action -> what a browser would post from the page that holds it
    forms: dict[str, dict[str, list[str]]] = field(default_factory=dict)

    def __repr__(self) -> str:  # hypothesis prints the arguments of a failing example
        return f"World(store {self.store_id}, {len(self.order_ids)} orders, {len(self.message_ids)} messages)"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(repr(self))

    def ids(self) -> list[int]:
        return sorted(
            {
                self.store_id,
                self.shopify_store_id,
                self.woo_store_id,
                self.other_store_id,
                *self.order_ids,
                *self.message_ids,
                *self.customer_ids,
                *self.export_ids,
            }
        )

    def token(self, purpose: str, payload: Any) -> str:
        return signing.dumps(self.secret_key, purpose, payload)


def seed(app: Flask) -> World:
    """Fill the app's (migrated, empty) database and return what was made."""
    aftercare = services(app)
    now = clock.now()
    store = make_store(
        aftercare, platform="sandbox", external_id=SANDBOX.store_ref, webhook_secret=SANDBOX.secret
    )
    shopify = make_store(
        aftercare,
        platform="shopify",
        external_id=SHOPIFY.store_ref,
        name="Contract Toys",
        credentials=ShopCredentials(SHOPIFY.store_ref, "shpat_fuzz").to_json(),
    )
    woo = make_store(
        aftercare,
        platform="woocommerce",
        external_id=WOOCOMMERCE.store_ref,
        webhook_secret=WOOCOMMERCE.secret,
        credentials=Credentials(WOOCOMMERCE.store_ref, "ck_fuzz", "cs_fuzz").to_json(),
    )
    other = make_store(aftercare, name="Someone Else's Shop")
    for n, owner in enumerate((store, store, shopify, woo, other)):
        placed = now - timedelta(days=n * 9)
        snapshot = order_snapshot(f"{1001 + n}", placed_at=placed, phone="+966501234567", items=1 + n % 3)
        ingest_order(aftercare, owner, snapshot)
    ingest_shipment(
        aftercare, store, shipment_snapshot("1002", "delivered", shipped_at=now - timedelta(days=8))
    )
    links = Links(aftercare.settings)
    with aftercare.db.session() as db:
        orders = db.scalars(select(Order).order_by(Order.id)).all()
        messages = db.scalars(select(Message).order_by(Message.id)).all()
        mine = [m for m in messages if m.store_id == store.id]
        db.add(
            ShortLink(store_id=store.id, message_id=mine[0].id, code="fuzzcode1", url="https://tea.example/")
        )
        db.add(
            ShortLink(
                store_id=store.id,
                message_id=mine[0].id,
                code="fuzzstop1",
                url=links.unsubscribe(store.id, mine[0].order_id or 0, "marketing"),
            )
        )
        db.add(DataExport(store_id=store.id, request_ref="req-1", customer_external_id="c-1001", body="{}"))
        custom.save(
            db,
            db.get(Store, store.id),
            "thank_you",
            "ar",
            Custom(subject="شكرًا {{ customer.first_name }}", body="<p>{{ order.number }}</p>", short="شكرًا"),
            links,
        )
        db.flush()
        exports = db.scalars(select(DataExport.id)).all()
        world = World(
            secret_key=aftercare.settings.secret_key,
            store_id=store.id,
            shopify_store_id=shopify.id,
            woo_store_id=woo.id,
            other_store_id=other.id,
            order_ids=[o.id for o in orders],
            message_ids=[m.id for m in messages],
            customer_ids=sorted({o.customer_id for o in orders if o.customer_id}),
            export_ids=list(exports),
            short_codes=["fuzzcode1", "fuzzstop1"],
            shop=SHOPIFY.store_ref,
            woo_site=WOOCOMMERCE.store_ref,
        )
        world.payloads = {
            CHECK_IN: [[o.store_id, o.id] for o in orders],
            UNSUBSCRIBE: [[o.store_id, o.id, kind] for o in orders for kind in ("review", "marketing")],
            UNSUBSCRIBE_BY_CUSTOMER: [[o.store_id, o.customer_id, "service"] for o in orders],
            CLICK: [[m.store_id, m.id, "https://tea.example/green?utm=1"] for m in messages[:4]],
            OPEN: [[m.store_id, m.id, ""] for m in messages[:4]],
            SIGN_IN: [{"store": s.id, "once": "fuzz-once"} for s in (store, shopify, woo, other)],
            GRANT_PURPOSE: [{"site": WOOCOMMERCE.store_ref, "nonce": "fuzz-nonce"}],
        }
    world.forms = harvest_forms(app, aftercare, world)
    return world


def harvest_forms(app: Flask, aftercare: Services, world: World) -> dict[str, dict[str, list[str]]]:
    """Every POST form on the pages a merchant and a customer see, as a browser would submit it."""
    from app.web.admin.auth import login_token

    client = app.test_client()
    client.get("/admin/login", query_string={"token": login_token(aftercare.settings, world.store_id)})
    links = Links(aftercare.settings)
    order = world.payloads[CHECK_IN][0]
    pages = [
        "/admin/activity",
        "/admin/journey",
        "/admin/templates/thank_you/ar",
        "/connect/woocommerce",
        "/admin/signin",
        _local(links.check_in(order[0], order[1])["happy"]),
        _local(links.unsubscribe(order[0], order[1], "marketing")),
    ]
    forms: dict[str, dict[str, list[str]]] = {}
    for path in pages:
        page = client.get(path).get_data(as_text=True)
        for form in lxml.html.fromstring(page).forms:
            if (form.method or "GET").upper() != "POST":
                continue
            values: dict[str, list[str]] = {}
            for name, value in form.form_values():
                if name != "csrf_token":  # the sender puts in the token of the session it uses
                    values.setdefault(name, []).append(value)
            for name in form.inputs.keys():  # unticked boxes and empty fields: names the view reads
                if name != "csrf_token":
                    values.setdefault(name, [])
            forms.setdefault((form.action or path).split("?")[0], values)
    return forms


def _local(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}" if parts.query else parts.path
