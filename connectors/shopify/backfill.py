"""Backfill by bulk operation: Shopify runs the whole orders query on its side and hands back a JSONL
file, so a store's history costs a handful of points instead of thousands of pages.

In the file each order is one line; the nodes of its nested connections (line items) follow on lines
of their own, each naming its order in ``__parentId``. Lines are read one at a time and each order is
yielded once its children are in, so a large store never sits in memory at once.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

import httpx

from connectors.base import PayloadError, TransientError
from connectors.shopify import queries
from connectors.shopify.client import ShopifyClient

log = logging.getLogger(__name__)

POLL_SECONDS = 2.0
MAX_WAIT_SECONDS = 3600.0
CHILD_FIELDS = {"LineItem": "lineItems"}


def orders_since(
    client: ShopifyClient,
    since: datetime,
    *,
    poll: float = POLL_SECONDS,
    sleep: Callable[[float], None] = time.sleep,
) -> Iterator[dict[str, Any]]:
    """Every order updated after ``since``, as GraphQL nodes with their line items."""
    inner = queries.BULK_ORDERS_INNER.replace(
        "QUERY", f"updated_at:>'{since.strftime('%Y-%m-%dT%H:%M:%SZ')}'"
    )
    started = client.execute(queries.BULK_RUN, {"query": inner})["bulkOperationRunQuery"]
    problems = started.get("userErrors") or []
    if problems:  # e.g. another bulk query of ours is still running for this shop
        raise TransientError(f"bulk query not started: {'; '.join(p['message'] for p in problems)}")
    operation_id = started["bulkOperation"]["id"]
    waited = 0.0
    while True:
        node = client.execute(queries.BULK_POLL, {"id": operation_id})["node"] or {}
        status = node.get("status")
        if status == "COMPLETED":
            break
        if status in ("FAILED", "CANCELED", "EXPIRED"):
            raise TransientError(f"bulk query {operation_id} ended {status}: {node.get('errorCode')}")
        if waited >= MAX_WAIT_SECONDS:
            raise TransientError(f"bulk query {operation_id} still {status} after {waited:.0f}s")
        sleep(poll)
        waited += poll
    if not node.get("url"):
        return  # nothing matched: Shopify gives no file
    yield from read_jsonl(_lines(client, node["url"]))


def read_jsonl(lines: Iterator[str]) -> Iterator[dict[str, Any]]:
    """Re-assemble parents and children: ``lineItems`` becomes a list on its order."""
    current: dict[str, Any] | None = None
    for line in lines:
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except ValueError as exc:
            raise PayloadError(f"bulk result line is not JSON: {exc}") from exc
        parent = item.pop("__parentId", None)
        if parent is None:
            if current is not None:
                yield current
            current = {**item, "lineItems": []}
            continue
        if current is None or current["id"] != parent:
            raise PayloadError(f"bulk result child of {parent} is not after its order")
        current["lineItems"].append(item)
    if current is not None:
        yield current


def _lines(client: ShopifyClient, url: str) -> Iterator[str]:
    http = client.http_client or httpx.Client(timeout=60)
    try:
        with http.stream("GET", url) as response:
            if response.status_code != 200:
                raise TransientError(f"bulk result download answered {response.status_code}")
            yield from response.iter_lines()
    except httpx.HTTPError as exc:
        raise TransientError(f"bulk result download failed: {exc}") from exc
    finally:
        if client.http_client is None:
            http.close()
