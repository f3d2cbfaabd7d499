"""Sync over the Admin GraphQL API against a fake that meters points as Shopify does."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from app import sync
from app.models import Order, Shipment, Store
from connectors.base import AuthError, OrderSnapshot, PayloadError, ShipmentSnapshot
from connectors.shopify import ShopifyConnector, backfill, queries, translate
from connectors.shopify.client import ShopCredentials, ShopifyClient
from tests.fakes.shopify import FakeShopify, VirtualClock, make_order
from tests.helpers import count, make_store

GRAPHQL = Path(__file__).parent / "fixtures" / "graphql"
NOW = datetime.now(UTC).replace(microsecond=0)
TOKEN = "shpat_" + "a" * 32


@pytest.fixture
def shopify():
    """The fake and every client of it keep one virtual time: waiting for points takes no real time."""
    fake = FakeShopify(access_tokens={TOKEN}, maximum=1000.0, restore_rate=5000.0, clock=VirtualClock())
    with fake.serving():
        yield fake


def credentials(fake: FakeShopify) -> str:
    return ShopCredentials(fake.shop, TOKEN).to_json()


def connector(fake: FakeShopify) -> ShopifyConnector:
    return ShopifyConnector(
        client_secret="unused", http_client=fake.client(), sleep=fake.clock.sleep, clock=fake.clock
    )


def client_of(fake: FakeShopify, token: str = TOKEN) -> ShopifyClient:
    return ShopifyClient(
        fake.shop, token, http_client=fake.client(), sleep=fake.clock.sleep, clock=fake.clock
    )


def test_a_throttled_query_waits_for_its_points_and_nothing_fails(shopify):
    """The bucket is empty (another job of ours used it): Shopify says THROTTLED; we wait and ask again."""
    shopify.add_orders(40, NOW - timedelta(hours=3))
    shopify.restore_rate = 2000.0
    shopify.available = 0
    client = client_of(shopify)
    search = f"updated_at:>'{(NOW - timedelta(hours=6)).strftime('%Y-%m-%dT%H:%M:%SZ')}'"
    nodes = list(client.paginate(queries.ORDERS, "orders", {"first": queries.ORDERS_PAGE, "query": search}))
    assert len(nodes) == 40 and len({n["id"] for n in nodes}) == 40
    assert client.throttled >= 1 and shopify.throttled == client.throttled
    assert client.bucket.maximum == 1000.0 and client.expected_cost > 500
    assert shopify.clock.slept and sum(shopify.clock.slept) < 60  # waited for points, in virtual time


def test_the_client_reads_the_recorded_throttle_status(shopify):
    """The recorded THROTTLED answer: 752 points asked, 666 available, 50 a second -> wait ~1.7 s."""
    recorded = json.loads((GRAPHQL / "throttled_error_response.json").read_text())
    waits = []
    client = ShopifyClient(
        shopify.shop, TOKEN, http_client=shopify.client(), sleep=waits.append, clock=lambda: 0.0
    )
    client._remember(recorded["extensions"])  # what execute() does with every answer
    assert client.bucket.wait_for(client.expected_cost, 0.0) == pytest.approx((752 - 666) / 50)


def test_a_query_over_the_single_query_limit_is_an_error_not_a_wait(shopify):
    client = client_of(shopify)
    too_big = queries.ORDERS
    with pytest.raises(PayloadError, match="max cost limit"):
        client.execute(too_big, {"first": 50})


def test_a_refused_token_is_an_auth_error(shopify):
    client = client_of(shopify, "shpat_revoked")
    with pytest.raises(AuthError):
        client.execute(queries.PRODUCTS, {"first": 1})


@pytest.mark.slow
def test_a_bulk_backfill_of_5000_orders_finishes_and_every_order_arrives_whole(shopify):
    """5,000 orders would be 1,000 pages of the paged query; the bulk operation takes a handful of
    queries. (The fake runs the bulk query for real on the schema, which costs most of this test.)"""
    shopify.add_orders(5_000, NOW - timedelta(days=40), step=timedelta(minutes=8))
    shopify.restore_rate = 50.0  # Shopify's standard rate: the backfill must not need more
    shopify.bulk_polls = 2  # still RUNNING at the first poll
    changes = connector(shopify).changes_since(credentials(shopify), NOW - timedelta(days=60))
    orders = parcels = 0
    seen = set()
    for change in changes:
        for snapshot in change.snapshots:
            if isinstance(snapshot, OrderSnapshot):
                orders += 1
                seen.add(snapshot.external_id)
                assert snapshot.lines and snapshot.lines[0].title == "عطر العود الملكي"
                email = [c for c in snapshot.customer.consents if c.channel == "email"]
                assert email and email[0].granted and snapshot.shipping.country == "SA"
            elif isinstance(snapshot, ShipmentSnapshot):
                parcels += 1
    assert orders == len(seen) == 5_000 and parcels == 5_000
    assert shopify.throttled == 0 and shopify.queries < 20  # a run, a few polls: not 1,000 pages
    assert shopify.clock.slept == [backfill.POLL_SECONDS]  # one poll found it running, and no real wait


def test_bulk_results_rebuild_orders_from_parent_and_child_lines():
    lines = (GRAPHQL / "bulk_operation_result_orders_metafields.jsonl").read_text().splitlines()
    recorded = [json.loads(line) for line in lines]
    adapted = [
        json.dumps(
            {k: v for k, v in item.items() if k != "__typename"}
            | ({"title": "x"} if "__parentId" in item else {})
        )
        for item in recorded
    ]
    orders = list(backfill.read_jsonl(iter(adapted)))
    assert [o["id"] for o in orders] == [item["id"] for item in recorded if "__parentId" not in item]
    assert sum(len(o["lineItems"]) for o in orders) == sum("__parentId" in item for item in recorded)


def test_reconcile_brings_in_orders_a_webhook_missed(aftercare, shopify):
    """Through the app's sync: changed orders since the cursor are fetched page by page and ingested."""
    shopify.add_orders(12, NOW - timedelta(minutes=50))
    aftercare.connectors["shopify"] = connector(shopify)
    store = make_store(
        aftercare, platform="shopify", external_id=shopify.shop, credentials=credentials(shopify)
    )
    with aftercare.db.session() as session:
        session.get(Store, store.id).synced_until = NOW - timedelta(hours=2)
    result = sync.reconcile(aftercare, store.id)
    assert result.error is None and result.fetched == 12
    with aftercare.db.session() as session:
        assert len(session.scalars(select(Order)).all()) == 12
        assert len(session.scalars(select(Shipment).where(Shipment.status == "in_transit")).all()) == 12
        assert session.get(Store, store.id).synced_until == max(
            datetime.fromisoformat(o["updatedAt"].replace("Z", "+00:00")) for o in shopify.orders
        )


def test_a_revoked_token_disconnects_the_store(aftercare, shopify):
    aftercare.connectors["shopify"] = connector(shopify)
    revoked = ShopCredentials(shopify.shop, "shpat_revoked").to_json()
    store = make_store(aftercare, platform="shopify", external_id=shopify.shop, credentials=revoked)
    with aftercare.db.session() as session:
        session.get(Store, store.id).synced_until = NOW - timedelta(hours=2)
    sync.reconcile(aftercare, store.id)
    with aftercare.db.session() as session:
        assert session.get(Store, store.id).status == "disconnected"


def test_ratings_and_discount_codes_are_written_back(shopify):
    """Both mutations run against the real schema in the fake (their variables are type-checked)."""
    client = client_of(shopify)
    client.set_rating("13", 4.46, 12)
    assert [(m["namespace"], m["key"], m["value"]) for m in shopify.metafields] == [
        ("reviews", "rating", '{"value": "4.5", "scale_min": "1.0", "scale_max": "5.0"}'),
        ("reviews", "rating_count", "12"),
    ]
    discount_id = client.create_discount_code(
        "BACK-7Q2", 10, customer_id="191167", starts_at=NOW, ends_at=NOW + timedelta(days=14)
    )
    [created] = shopify.discounts
    assert discount_id.startswith("gid://shopify/DiscountCodeNode/")
    assert created["code"] == "BACK-7Q2" and created["customerGets"]["value"]["percentage"] == 0.1
    assert created["customerSelection"] == {"customers": {"add": ["gid://shopify/Customer/191167"]}}


def fulfillment_node(number: int, display: str, status: str = "SUCCESS") -> dict:
    node = make_order(number, NOW)["fulfillments"][0]
    return {**node, "id": f"gid://shopify/Fulfillment/{number}", "status": status, "displayStatus": display}


def test_only_shipped_fulfillments_become_parcels_and_unknown_means_unknown(aftercare, shopify):
    """LABEL_VOIDED, SUBMITTED and a fulfillment still PENDING say nothing has shipped: no parcel, so
    no "your order has shipped"; the order's real parcel still arrives."""
    shopify.add_orders(2, NOW - timedelta(minutes=50))
    first, second = shopify.orders
    first["fulfillments"] = [
        fulfillment_node(71, "LABEL_VOIDED"),
        fulfillment_node(72, "SUBMITTED"),
        fulfillment_node(73, "IN_TRANSIT"),
    ]
    second["fulfillments"] = [
        fulfillment_node(74, "IN_TRANSIT", status="PENDING"),
        fulfillment_node(75, "DELIVERED"),
    ]
    aftercare.connectors["shopify"] = connector(shopify)
    store = make_store(
        aftercare, platform="shopify", external_id=shopify.shop, credentials=credentials(shopify)
    )
    with aftercare.db.session() as session:
        session.get(Store, store.id).synced_until = NOW - timedelta(hours=2)
    assert sync.reconcile(aftercare, store.id).error is None
    with aftercare.db.session() as session:
        parcels = dict(session.execute(select(Shipment.external_id, Shipment.status)).all())
    assert parcels == {"73": "in_transit", "75": "delivered"}
    assert count(aftercare, Order) == 2


def test_an_unknown_display_status_or_a_parcel_missing_a_field_drops_only_that_parcel():
    node = make_order(5000009, NOW)
    good = node["fulfillments"][0]
    unknown = {**good, "id": "gid://shopify/Fulfillment/81", "displayStatus": "TELEPORTED"}
    broken = {key: value for key, value in good.items() if key != "createdAt"} | {
        "id": "gid://shopify/Fulfillment/82"
    }
    node["fulfillments"] = [unknown, broken, good]
    node["lineItems"] = node["lineItems"]["nodes"]
    order, *parcels = translate.order_node(node)
    assert isinstance(order, OrderSnapshot) and [p.external_id for p in parcels] == ["5000009"]
