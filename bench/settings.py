"""Saving the journey settings re-plans the store's open and recent orders inside the request: how
long does that take as a store grows?

    python -m bench.settings [--orders 100 500 2000]

For each size, a store with that many recent paid orders (three orders in ten by repeat buyers) is
built on SQLite and on PostgreSQL; then the thank-you delay is changed and ``journeys.apply.apply``
re-plans everything. The baseline, measured in the same run, is re-planning one order
(``schedule.refresh_order``, what every webhook does); the ratio says how many webhooks' worth of
work one save is, and the seconds whether it fits in a request (gunicorn's default timeout is 30 s).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import uuid
from datetime import timedelta
from decimal import Decimal

import psycopg
from cryptography.fernet import Fernet

from app import clock, create_app, ingest, services
from app.journeys import apply as journey_apply
from app.journeys import config as journey_config
from app.journeys import schedule
from app.migrate import upgrade
from app.models import Order, Store
from connectors.base import AddressSnapshot, CustomerSnapshot, LineSnapshot, OrderSnapshot, OrderStatus

POSTGRES = "postgresql://postgres@127.0.0.1:5432"


def _order(number: int) -> OrderSnapshot:
    placed = clock.now() - timedelta(minutes=7 * number)
    customer = number - number % 10 if number % 10 < 3 else number  # three orders in ten by repeat buyers
    return OrderSnapshot(
        external_id=str(number),
        number=f"#{number}",
        status=OrderStatus.PAID,
        remote_status="paid",
        currency="SAR",
        total=Decimal("120.00"),
        placed_at=placed,
        updated_at=placed,
        paid_at=placed,
        payment_method="card",
        cash_on_delivery=False,
        locale="ar",
        customer=CustomerSnapshot(
            external_id=f"c{customer}",
            email=f"c{customer}@bench.example",
            first_name="Layla",
            accepts_marketing=True,
        ),
        shipping=AddressSnapshot(name="Layla", city="Riyadh", country="SA"),
        lines=(LineSnapshot(external_id=f"{number}-1", title="Oud", quantity=1, unit_price=Decimal(120)),),
    )


def _measure(url: str, orders: int) -> tuple[float, float, journey_apply.Applied]:
    upgrade(url)
    app = create_app(
        {
            "database_url": url,
            "secret_key": "b" * 40,
            "encryption_keys": [Fernet.generate_key().decode()],
            "outbox_dir": tempfile.mkdtemp(),
        }
    )
    db = services(app).db
    with db.session() as session:
        store = Store(platform="sandbox", external_id="bench", name="Bench", reply_to="hi@bench.example")
        session.add(store)
        session.flush()
        for number in range(1, orders + 1):
            ingest.apply(session, store, _order(number))
    single = []
    with db.session() as session:
        store = session.query(Store).one()
        some = session.query(Order).limit(20).all()
        for order in some:
            started = time.perf_counter()
            schedule.refresh_order(session, store, order)
            single.append(time.perf_counter() - started)
    with db.session() as session:
        store = session.query(Store).one()
        changed = journey_config.JourneyConfig.model_validate(
            {"steps": {"thank_you": {"delay_minutes": 120}}}
        )
        started = time.perf_counter()
        applied = journey_apply.apply(session, store, changed, sync_limit=10**9)
        whole = time.perf_counter() - started
    db.dispose()
    return statistics.median(single), whole, applied


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, nargs="+", default=[100, 500, 2000])
    args = parser.parse_args()
    for size in args.orders:
        for backend in ("sqlite", "postgresql"):
            if backend == "sqlite":
                url = f"sqlite:///{tempfile.mkdtemp()}/bench.db"
                single, whole, applied = _measure(url, size)
            else:
                name = f"bench_{uuid.uuid4().hex[:10]}"
                with psycopg.connect(f"{POSTGRES}/test", autocommit=True) as admin:
                    admin.execute(f'CREATE DATABASE "{name}"')
                    try:
                        single, whole, applied = _measure(f"{POSTGRES}/{name}", size)
                    finally:
                        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            print(  # noqa: T201 - a benchmark reports on stdout
                f"{backend:10} {size:5} orders: save {whole:6.2f} s = {whole / single:6.0f}x one re-plan "
                f"({single * 1000:.1f} ms); {applied.moved} moved, {applied.cancelled} cancelled, "
                f"{applied.scheduled} planned"
            )


if __name__ == "__main__":
    main()
