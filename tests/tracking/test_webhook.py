"""AfterShip's webhook over real HTTP: verified with the store's secret before anything is stored,
then applied by the worker like any delivery."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import requests
from sqlalchemy import select

from app import clock
from app.models import InboxEntry, Shipment
from tests.helpers import count, drain, make_store
from tests.tracking.conftest import connect, fixture, parcel
from tracking.aftership.webhooks import sign

T0 = datetime(2026, 11, 1, 6, 0, tzinfo=UTC)


def test_a_signed_aftership_webhook_moves_the_parcel_and_a_forged_one_changes_nothing(aftercare, live_server):
    """The published sample, signed with the store's webhook secret: stored, applied, the parcel out
    for delivery. Signed with another secret, for another store, or not JSON: refused, nothing stored."""
    clock.freeze(T0)
    store, other = make_store(aftercare), make_store(aftercare)
    connect(aftercare, store, "aftership", {"api_key": "k", "webhook_secret": "store-secret"})
    shipment_id = parcel(aftercare, store, "34071234567", carrier="Aramex", shipped_at=T0)
    body = json.dumps(fixture("aftership_webhook.json")).encode()
    url = f"{live_server}/webhooks/tracking/aftership/{store.id}"

    def post(target: str, data: bytes, secret: str) -> requests.Response:
        return requests.post(
            target, data=data, headers={"aftership-hmac-sha256": sign(secret, data)}, timeout=30
        )

    assert post(url, body, "another-secret").status_code == 401
    assert (
        post(f"{live_server}/webhooks/tracking/aftership/{other.id}", body, "store-secret").status_code == 404
    )
    assert post(f"{live_server}/webhooks/tracking/dhl/{store.id}", body, "store-secret").status_code == 404
    assert post(url, b"not json", "store-secret").status_code == 400
    assert count(aftercare, InboxEntry) == 0
    answer = post(url, body, "store-secret")
    assert answer.status_code == 200 and answer.json()["queued"]
    assert post(url, body, "store-secret").json()["duplicate"] is True
    drain(aftercare)
    with aftercare.db.session() as session:
        shipment = session.get(Shipment, shipment_id)
        assert shipment.status == "out_for_delivery"
        assert session.scalars(select(InboxEntry.status)).one() == "processed"
