"""What the benches share: a fresh migrated database per run, the app's settings for it, and a store
seeded with many realistic orders written straight into the tables (seeding through ingest would
measure ingest; these benches measure what comes after)."""

from __future__ import annotations

import contextlib
import json
import random
import re
import socket
import tempfile
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg
from cryptography.fernet import Fernet
from sqlalchemy import insert, select

from app.db import Database
from app.migrate import upgrade
from app.models import Customer, Order, OrderLine, Product, Shipment, ShipmentEvent, Store

POSTGRES = "postgresql://postgres@127.0.0.1:5432/test"
KEY = Fernet.generate_key().decode()
SECRET_KEY = "b" * 40
BACKENDS = ("sqlite", "postgresql")


@contextlib.contextmanager
def database(backend: str) -> Iterator[str]:
    """A migrated, empty database of its own, dropped afterwards; yields its URL."""
    with tempfile.TemporaryDirectory() as folder:
        if backend == "sqlite":
            url = f"sqlite:///{folder}/bench.db"
            upgrade(url)
            yield url
            return
        name = f"aftercare_bench_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(POSTGRES, autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
            try:
                url = POSTGRES.rsplit("/", 1)[0] + "/" + name
                upgrade(url)
                yield url
            finally:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def analyze(db: Database) -> None:
    """PostgreSQL's statistics for tables just filled in bulk, as autovacuum gathers them soon after on
    a live database: without them the planner guesses at sizes and may choose a scan for an indexed
    read. Nothing to do on SQLite, whose planner does not depend on them for these reads."""
    if db.dialect == "postgresql":
        with db.autocommit.connect() as connection:
            connection.exec_driver_sql("ANALYZE")


def free_port() -> int:
    """A loopback port nothing listens on yet."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def web_concurrency() -> list[str]:
    """gunicorn's ``--workers`` and ``--threads`` as the Procfile's web process has them (its default
    for ``WEB_CONCURRENCY``), so a bench always measures the app as it is deployed."""
    procfile = (Path(__file__).resolve().parents[1] / "Procfile").read_text()
    web = next(line for line in procfile.splitlines() if line.startswith("web:"))
    workers = re.search(r"--workers \$\{WEB_CONCURRENCY:-(\d+)\}", web)
    threads = re.search(r"--threads (\d+)", web)
    if workers is None or threads is None:
        raise SystemExit(f"the Procfile's web line no longer says its workers and threads: {web}")
    return ["--workers", workers.group(1), "--threads", threads.group(1)]


def settings(url: str, **overrides: Any) -> dict[str, Any]:
    return {
        "database_url": url,
        "secret_key": SECRET_KEY,
        "encryption_keys": [KEY],
        "outbox_dir": str(Path(tempfile.gettempdir()) / "aftercare-bench-outbox"),
        **overrides,
    }


def environment(url: str, **overrides: Any) -> dict[str, str]:
    """The same settings as ``AFTERCARE_*`` variables, for processes the bench starts."""
    values = settings(url, **overrides)
    env = {
        f"AFTERCARE_{key.upper()}": str(value) for key, value in values.items() if key != "encryption_keys"
    }
    env["AFTERCARE_ENCRYPTION_KEYS"] = KEY
    return env


PLACES = [
    ("SA", "Riyadh", "+9665"),
    ("EG", "Cairo", "+2010"),
    ("IR", "Tehran", "+9891"),
    ("GB", "London", "+4477"),
]


def seed(
    db: Database,
    store_id: int,
    orders: int,
    *,
    now: datetime,
    days: int = 40,
    repeat_share: float = 0.3,
    rng: random.Random | None = None,
    analysed: bool = True,
) -> None:
    """``orders`` orders of ``store_id`` placed over the last ``days`` days: three in ten by repeat
    buyers, one to three lines from 200 products, most shipped and many delivered, a few cancelled;
    then analysed, as a live database's tables would be by then (``analysed=False``: not, as in the
    minutes after a new store's first burst, before autovacuum has looked)."""
    rng = rng or random.Random(7)  # noqa: S311 - sample data
    contacts = max(1, int(orders * (1 - repeat_share)))
    with db.session() as session:
        session.execute(
            insert(Product),
            [
                {
                    "store_id": store_id,
                    "external_id": str(1000 + n),
                    "title": f"Product {n}",
                    "url": f"https://shop.example/p/{n}",
                    "price": Decimal("19.50"),
                    "in_stock": n % 17 != 0,
                    "tags": "",
                    "remote_updated_at": now,
                    "created_at": now,
                    "updated_at": now,
                }
                for n in range(200)
            ],
        )
        session.execute(
            insert(Customer),
            [
                {
                    "store_id": store_id,
                    "external_id": f"c{n}",
                    "email": f"c{n}@example.test",
                    "created_at": now,
                    "updated_at": now,
                }
                for n in range(contacts)
            ],
        )
        customer_ids = dict(
            session.execute(
                select(Customer.external_id, Customer.id).where(Customer.store_id == store_id)
            ).all()
        )
    chunk = 5000
    for start in range(0, orders, chunk):
        rows, lines, parcels = [], [], []
        for number in range(start, min(orders, start + chunk)):
            who = number % contacts if number >= contacts else number
            country, city, prefix = PLACES[who % len(PLACES)]
            placed = now - timedelta(minutes=rng.randrange(days * 24 * 60))
            status = "cancelled" if rng.random() < 0.04 else ("completed" if rng.random() < 0.5 else "paid")
            rows.append(
                {
                    "store_id": store_id,
                    "external_id": f"o{number}",
                    "number": f"#{10000 + number}",
                    "customer_id": customer_ids[f"c{who}"],
                    "status": status,
                    "remote_status": status,
                    "cash_on_delivery": False,
                    "currency": "USD",
                    "total": Decimal("39.00"),
                    "locale": ("ar", "fa", "en")[who % 3],
                    "email": f"c{who}@example.test",
                    "phone": f"{prefix}{who % 10_000_000:07d}"[:13],
                    "first_name": f"Name{who}",
                    "contact": f"c{who}@example.test",
                    "placed_at": placed,
                    "paid_at": placed,
                    "cancelled_at": placed if status == "cancelled" else None,
                    "remote_updated_at": placed,
                    "ship_city": city,
                    "ship_country": country,
                    "check_in_answer": None,
                    "created_at": placed,
                    "updated_at": placed,
                }
            )
            for line in range(rng.randint(1, 3)):
                product = str(1000 + rng.randrange(200))
                lines.append(
                    (
                        f"o{number}",
                        {
                            "external_id": f"o{number}-{line}",
                            "product_external_id": product,
                            "title": f"Product {product}",
                            "quantity": 1,
                            "refunded_quantity": 0,
                            "unit_price": Decimal("19.50"),
                        },
                    )
                )
            if status != "cancelled" and rng.random() < 0.75:
                shipped = placed + timedelta(days=1)
                delivered = (
                    shipped + timedelta(days=3)
                    if rng.random() < 0.6 and shipped + timedelta(days=3) < now
                    else None
                )
                parcels.append((f"o{number}", shipped, delivered))
        with db.session() as session:
            session.execute(insert(Order), rows)
            ids = dict(
                session.execute(
                    select(Order.external_id, Order.id).where(
                        Order.store_id == store_id,
                        Order.external_id.in_([row["external_id"] for row in rows]),
                    )
                ).all()
            )
            session.execute(
                insert(OrderLine),
                [{"store_id": store_id, "order_id": ids[order], **line} for order, line in lines],
            )
            if parcels:
                session.execute(
                    insert(Shipment),
                    [
                        {
                            "store_id": store_id,
                            "order_id": ids[order],
                            "external_id": f"s-{order}",
                            "carrier": "Aramex",
                            "tracking_number": f"AX{ids[order]:010d}",
                            "status": "delivered" if delivered else "in_transit",
                            "shipped_at": shipped,
                            "delivered_at": delivered,
                            "remote_updated_at": delivered or shipped,
                            "created_at": shipped,
                            "updated_at": shipped,
                        }
                        for order, shipped, delivered in parcels
                    ],
                )
                shipment_ids = dict(
                    session.execute(
                        select(Shipment.external_id, Shipment.id).where(
                            Shipment.store_id == store_id,
                            Shipment.external_id.in_([f"s-{order}" for order, _, _ in parcels]),
                        )
                    ).all()
                )
                events = [
                    {
                        "store_id": store_id,
                        "shipment_id": shipment_ids[f"s-{order}"],
                        "external_id": f"e-{order}-{n}",
                        "status": status,
                        "happened_at": at,
                    }
                    for order, shipped, delivered in parcels
                    for n, (status, at) in enumerate(
                        [("in_transit", shipped)] + ([("delivered", delivered)] if delivered else [])
                    )
                ]
                session.execute(insert(ShipmentEvent), events)
    if analysed:
        analyze(db)


def outbox_journey() -> str:
    """Every step through the development outbox (files), so a bench measures us, not a mail server."""
    from app.journeys.steps import STEPS

    return json.dumps({"steps": {step: {"channels": ["outbox"]} for step in STEPS}})


def store(db: Database, **fields: Any) -> int:
    """A store row; returns its id."""
    values = {
        "platform": "sandbox",
        "external_id": f"bench-{uuid.uuid4().hex[:6]}",
        "name": "Bench Boutique",
        "journey": outbox_journey(),
        "reply_to": "hello@bench.example",
        "plan": "scale",  # a bench store sends more than the Free plan's 300 a month
        **fields,
    }
    with db.session() as session:
        row = Store(**values)
        session.add(row)
        session.flush()
        return row.id


NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
