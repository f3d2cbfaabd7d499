"""Fake tracking sources on loopback, and a store with an order and its parcel to follow."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from app import Services
from app.models import Shipment, Store, TrackingAccount
from connectors.base import ShipmentSnapshot, ShipmentStatus
from tests.fakes.serve import serving
from tests.fakes.tracking import FakeAfterShip, FakeAramex, FakeDHL
from tests.helpers import ingest_order, ingest_shipment, order_snapshot

FIXTURES = Path(__file__).parent / "fixtures"


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


@pytest.fixture
def aftership() -> Iterator[FakeAfterShip]:
    fake = FakeAfterShip()
    with serving(fake.app()) as url:
        fake.url = url  # type: ignore[attr-defined]
        yield fake


@pytest.fixture
def aramex() -> Iterator[FakeAramex]:
    fake = FakeAramex()
    with serving(fake.app()) as url:
        fake.url = url  # type: ignore[attr-defined]
        yield fake


@pytest.fixture
def dhl() -> Iterator[FakeDHL]:
    fake = FakeDHL()
    with serving(fake.app()) as url:
        fake.url = url  # type: ignore[attr-defined]
        yield fake


def connect(aftercare: Services, store: Store, source: str, credentials: dict[str, str]) -> None:
    """The account as the Tracking page keeps it once checked."""
    with aftercare.db.session() as session:
        session.add(TrackingAccount(store_id=store.id, source=source, credentials=json.dumps(credentials)))


def parcel(
    aftercare: Services,
    store: Store,
    number: str,
    *,
    carrier: str | None,
    shipped_at: datetime,
    order: str = "1001",
    country_snapshot: Any = None,
) -> int:
    """An order (paid) and its shipped parcel as the platform reports it: no carrier events."""
    ingest_order(aftercare, store, country_snapshot or order_snapshot(order, placed_at=shipped_at))
    ingest_shipment(
        aftercare,
        store,
        ShipmentSnapshot(
            external_id=f"S-{order}",
            order_external_id=order,
            status=ShipmentStatus.IN_TRANSIT,
            updated_at=shipped_at,
            carrier=carrier,
            tracking_number=number,
            shipped_at=shipped_at,
        ),
    )
    with aftercare.db.session() as session:
        return session.scalars(select(Shipment.id).where(Shipment.external_id == f"S-{order}")).one()
