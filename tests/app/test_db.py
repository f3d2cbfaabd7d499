"""``app.db.insert_many``: what the ingest of a batch of orders and the planner's new messages are
written with, one statement for any number of rows, on both databases alike."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from app.db import insert_many
from app.models import Order
from tests.helpers import T0, make_store


def _order(store_id: int, n: int, **fields: object) -> dict[str, object]:
    return {
        "store_id": store_id,
        "external_id": f"o{n}",
        "number": f"#{n}",
        "status": "paid",
        "remote_status": "processing",
        "currency": "SAR",
        "total": Decimal("149.50"),
        "first_name": "نور",
        "contact": f"buyer{n}@example.test",
        "placed_at": T0 + timedelta(minutes=n),
        "remote_updated_at": T0 + timedelta(minutes=n),
        **fields,
    }


def test_new_rows_are_stored_as_given_and_those_already_held_are_left_alone(aftercare):
    store = make_store(aftercare)
    with aftercare.db.session() as session:
        first = insert_many(session, Order.__table__, [_order(store.id, 1)], ("external_id", "id"))
    with aftercare.db.session() as session:
        # o1 again (different total) and two new ones: only the new ones come back
        rows = [_order(store.id, 1, total=Decimal("1.00")), _order(store.id, 2), _order(store.id, 3)]
        again = dict(insert_many(session, Order.__table__, rows, ("external_id", "id")))
    assert set(again) == {"o2", "o3"}
    with aftercare.db.session() as session:
        stored = {o.external_id: o for o in session.scalars(select(Order).where(Order.store_id == store.id))}
    assert stored["o1"].id == dict(first)["o1"]
    assert stored["o1"].total == Decimal("149.50")  # the row already held is untouched
    assert stored["o2"].id == again["o2"]
    assert stored["o3"].first_name == "نور"
    assert stored["o3"].placed_at == T0 + timedelta(minutes=3)
    assert stored["o3"].cash_on_delivery is False  # a column left out gets its default
    assert stored["o3"].created_at is not None


def test_a_naive_time_is_refused_and_nothing_is_written(aftercare):
    store = make_store(aftercare)
    naive = datetime(2026, 11, 3, 9, 30)  # noqa: DTZ001 - the mistake under test
    with pytest.raises(Exception, match="naive datetime"), aftercare.db.session() as session:
        insert_many(session, Order.__table__, [_order(store.id, 1, placed_at=naive)], ("id",))
    with aftercare.db.session() as session:
        assert session.scalars(select(Order.id).where(Order.store_id == store.id)).first() is None
