"""The dashboard's delivery times by carrier: the parcels delivered, their median days and middle
half, and how often the estimate each parcel was given when it was first followed held."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from app import clock
from app.parcels import estimate, follow
from tests.helpers import (
    ingest_order,
    ingest_shipment,
    make_store,
    order_snapshot,
    shipment_snapshot,
    signed_in,
)

T0 = datetime(2026, 11, 2, 6, 0, tzinfo=UTC)
D = timedelta(days=1)


def _parcel(
    aftercare, store, order: str, number: str, shipped: datetime, days: float | None, carrier: str = "Aramex"
) -> None:
    ingest_order(aftercare, store, order_snapshot(order, placed_at=shipped - timedelta(hours=2)))
    events = (("delivered", shipped + days * D),) if days is not None else ()
    snapshot = shipment_snapshot(order, shipped_at=shipped, events=events, tracking=number)
    ingest_shipment(aftercare, store, replace(snapshot, carrier=carrier))


def test_the_dashboard_shows_each_carriers_delivery_times_and_how_often_the_estimate_held(app, aftercare):
    """Five earlier Aramex parcels took 2 to 4 days; three more are followed when they ship (each
    given its estimate then, Nov 5-6) and two arrive inside it, one days late. DHL's lone parcel had
    no estimate to hold. The Arabic dashboard has the same table."""
    clock.freeze(T0 - 20 * D)
    store = make_store(aftercare)
    for n, days in enumerate((2, 3, 3, 4, 4)):
        _parcel(aftercare, store, f"8{n}", f"4079580000{n}", T0 - (15 - n) * D, days)
    _parcel(aftercare, store, "70", "1234567890", T0 - 10 * D, 1.5, "DHL Express")
    clock.freeze(T0)
    for n in range(3):
        _parcel(aftercare, store, f"9{n}", f"4079580001{n}", T0, None)
    estimate.forget(store.id)
    follow.follow_store(aftercare.db, store.id)  # no source connected: adopted, given its estimate
    for n, days in enumerate((3.25, 3.75, 10)):
        ingest_shipment(
            aftercare,
            store,
            shipment_snapshot(
                f"9{n}", shipped_at=T0, events=(("delivered", T0 + days * D),), tracking=f"4079580001{n}"
            ),
        )
    clock.freeze(T0 + 12 * D)
    client = signed_in(app, aftercare, store)
    page = client.get("/admin/dashboard").get_data(as_text=True)
    table = page.split('id="delivery-times"', 1)[1].split("</table>", 1)[0]
    rows = [re.sub(r"<[^>]+>", "|", row) for row in table.split("<tr>")[2:]]
    cells = [[cell for cell in row.split("|") if cell.strip()] for row in rows]
    assert cells[0] == ["Aramex", "8", "3.5", "3–4", "67% (2/3)"]
    assert cells[1] == ["DHL Express", "1", "1.5", "1.5–1.5", "—"]
    arabic = client.get("/admin/dashboard?lang=ar").get_data(as_text=True)
    assert "صحة التقدير" in arabic and "67% (2/3)" in arabic
