"""Time to first byte of the customer's tracking page, against ``/healthz`` in the same run.

    python -m bench.tracking [--orders 2000] [--requests 300] [--backend sqlite|postgresql|both]

The app is served over loopback HTTP (werkzeug, threaded) on a migrated database seeded with a store's
orders (most shipped, many delivered: the delivery estimate is learned from them). Each request is
timed to the first byte of the body, interleaved with a request to ``/healthz`` (one database round
trip) so noise hits both alike. Two kinds of tracking request: the same parcel again (the rendered
page comes from the cache, the view is still recorded as a click) and a different order each time
(rendered afresh: history, estimate, items). The last line states the ratio to read.
"""

from __future__ import annotations

import argparse
import logging
import random
import statistics
import threading
import time
from typing import Any

import requests
from sqlalchemy import select
from werkzeug.serving import make_server

from app import create_app, services
from app.links import Links
from app.models import Order, Shipment
from bench.common import BACKENDS, NOW, database, seed, settings, store


def _ttfb(http: requests.Session, url: str) -> float:
    began = time.perf_counter()
    with http.get(url, stream=True, timeout=30) as answer:
        assert answer.status_code == 200, answer.status_code  # noqa: S101
        answer.raw.read(1)
        return time.perf_counter() - began


def _run(backend: str, orders: int, count: int) -> dict[str, list[float]]:
    with database(backend) as url:
        app = create_app(settings(url, public_url="http://127.0.0.1:1"))
        aftercare = services(app)
        store_id = store(aftercare.db)
        seed(aftercare.db, store_id, orders, now=NOW)
        with aftercare.db.session() as session:
            order_ids = list(
                session.scalars(
                    select(Order.id)
                    .where(Order.store_id == store_id)
                    .where(select(Shipment.id).where(Shipment.order_id == Order.id).exists())
                )
            )
        server = make_server("127.0.0.1", 0, app, threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        base = f"http://127.0.0.1:{server.server_port}"
        links = Links(aftercare.settings)
        rng = random.Random(7)  # noqa: S311 - which orders to open
        paths = [links.tracking(store_id, rng.choice(order_ids)).split("/t/", 1)[1] for _ in range(count)]
        same = links.tracking(store_id, order_ids[0]).split("/t/", 1)[1]
        found: dict[str, list[float]] = {"cached": [], "fresh": [], "healthz": []}
        try:
            with requests.Session() as http:
                _ttfb(http, f"{base}/t/{same}")  # warm: the first render and the learned history
                for path in paths:
                    found["cached"].append(_ttfb(http, f"{base}/t/{same}"))
                    found["healthz"].append(_ttfb(http, f"{base}/healthz"))
                    found["fresh"].append(_ttfb(http, f"{base}/t/{path}"))
                    found["healthz"].append(_ttfb(http, f"{base}/healthz"))
        finally:
            server.shutdown()
            aftercare.db.dispose()
        return found


def _line(backend: str, name: str, values: list[float], baseline: float) -> str:
    median = statistics.median(values)
    p95 = statistics.quantiles(values, n=20, method="inclusive")[-1]
    return (
        f"{backend:10} /t/ {name:6} TTFB median {median * 1000:6.1f} ms, p95 {p95 * 1000:6.1f} ms | "
        f"/healthz median {baseline * 1000:5.1f} ms | ratio {median / baseline:4.1f}x"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=2000)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--backend", choices=[*BACKENDS, "both"], default="both")
    args = parser.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line a request drowns the figures
    backends = BACKENDS if args.backend == "both" else (args.backend,)
    results: dict[str, Any] = {backend: _run(backend, args.orders, args.requests) for backend in backends}
    lines = []
    for backend, found in results.items():
        baseline = statistics.median(found["healthz"])
        lines.append(_line(backend, "cached", found["cached"], baseline))
        lines.append(_line(backend, "fresh", found["fresh"], baseline))
    for line in lines:
        print(line)  # noqa: T201 - a benchmark reports on stdout
    worst = max(
        statistics.median(found["fresh"]) / statistics.median(found["healthz"]) for found in results.values()
    )
    print(f"tracking page TTFB is at most {worst:.1f}x /healthz's (fresh render, {', '.join(backends)})")  # noqa: T201


if __name__ == "__main__":
    main()
