"""Webhook answer time: Shopify gives an app 5 seconds, so how long does ours take?

    python -m bench.webhooks [--orders 200] [--rounds 3]

The app is served over loopback HTTP (werkzeug, threaded) on SQLite and on PostgreSQL. Each round
posts N signed orders/create deliveries (Shopify's published sample, one new order each: verify,
store in the inbox, ingest, plan the journey, answer) and, interleaved with them, N requests to
``/healthz`` (one database round trip) as the baseline measured in the same run. The figure to read
is the ratio webhook / baseline; absolute milliseconds depend on this machine's mood.
"""

from __future__ import annotations

import argparse
import base64
import copy
import hashlib
import hmac
import json
import statistics
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import psycopg
import requests
from cryptography.fernet import Fernet
from werkzeug.serving import make_server

from app import create_app, services
from app.migrate import upgrade
from app.models import Store

POSTGRES = "postgresql://postgres@127.0.0.1:5432/test"
SAMPLE = Path(__file__).resolve().parents[1] / "tests/connectors/shopify/fixtures/webhooks/orders_create.json"
SECRET = "shpss_" + "b" * 32
SHOP = "bench.myshopify.com"


def _serve(url: str) -> tuple[Any, str]:
    upgrade(url)
    app = create_app(
        {
            "database_url": url,
            "secret_key": "b" * 40,
            "encryption_keys": [Fernet.generate_key().decode()],
            "shopify_client_secret": SECRET,
            "outbox_dir": tempfile.mkdtemp(),
        }
    )
    with services(app).db.session() as session:
        session.add(Store(platform="shopify", external_id=SHOP, name="Bench", reply_to="hi@bench.example"))
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_port}"


def _delivery(number: int, same_customer: bool) -> tuple[bytes, dict[str, str]]:
    order = copy.deepcopy(json.loads(SAMPLE.read_text()))
    order.update(
        {"id": 10_000_000 + number, "name": f"#{number}", "cancelled_at": None, "financial_status": "paid"}
    )
    if not same_customer:  # the sample names one customer; a store's orders come from many
        order["customer"]["id"] = 20_000_000 + number
        order["customer"]["email"] = order["email"] = f"customer{number}@bench.example"
    body = json.dumps(order).encode()
    signature = base64.b64encode(hmac.new(SECRET.encode(), body, hashlib.sha256).digest()).decode()
    return body, {
        "Content-Type": "application/json",
        "X-Shopify-Topic": "orders/create",
        "X-Shopify-Hmac-Sha256": signature,
        "X-Shopify-Shop-Domain": SHOP,
        "X-Shopify-Event-Id": str(uuid.uuid4()),
    }


def _round(
    base: str, http: requests.Session, start: int, orders: int, same_customer: bool
) -> tuple[list[float], list[float]]:
    webhook, health = [], []
    for number in range(start, start + orders):
        body, headers = _delivery(number, same_customer)
        began = time.perf_counter()
        answer = http.post(f"{base}/webhooks/shopify", data=body, headers=headers, timeout=30)
        webhook.append(time.perf_counter() - began)
        assert answer.status_code == 200 and answer.json()["processed"], answer.text  # noqa: S101
        began = time.perf_counter()
        assert http.get(f"{base}/healthz", timeout=30).status_code == 200  # noqa: S101
        health.append(time.perf_counter() - began)
    return webhook, health


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--same-customer",
        action="store_true",
        help="every order by one customer (each re-plans all the others)",
    )
    args = parser.parse_args()
    name = f"aftercare_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(POSTGRES, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    backends = {
        "sqlite": f"sqlite:///{tempfile.mkdtemp()}/bench.db",
        "postgresql": POSTGRES.rsplit("/", 1)[0] + f"/{name}",
    }
    servers = {backend: _serve(url) for backend, url in backends.items()}
    results: dict[str, tuple[list[float], list[float]]] = {backend: ([], []) for backend in backends}
    try:
        with requests.Session() as http:
            for round_number in range(args.rounds):  # interleaved, so noise hits both alike
                for backend, (_, base) in servers.items():
                    webhook, health = _round(
                        base, http, round_number * args.orders, args.orders, args.same_customer
                    )
                    results[backend][0].extend(webhook)
                    results[backend][1].extend(health)
    finally:
        for server, _ in servers.values():
            server.shutdown()
        with psycopg.connect(POSTGRES, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    for backend, (webhook, health) in results.items():
        median, p95 = statistics.median(webhook), statistics.quantiles(webhook, n=20, method="inclusive")[-1]
        baseline = statistics.median(health)
        print(  # noqa: T201 - a benchmark reports on stdout
            f"{backend:10} orders/create median {median * 1000:6.1f} ms, p95 {p95 * 1000:6.1f} ms, "
            f"max {max(webhook) * 1000:6.1f} ms | /healthz median {baseline * 1000:5.1f} ms | "
            f"ratio {median / baseline:5.1f}x | p95 is {p95 / 5 * 100:.1f}% of Shopify's 5 s"
        )


if __name__ == "__main__":
    main()
