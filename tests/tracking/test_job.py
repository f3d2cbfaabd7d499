"""The worker's tracking job, as ``python -m scheduler`` runs it: each active store's parcels are
registered and polled at its sources, and silent ones reported, under a per-store lease."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from app import clock, create_app, services
from app.models import Message, Shipment
from scheduler import jobs
from tests.conftest import settings_for
from tests.helpers import make_store
from tests.tracking.conftest import aftership, connect, parcel  # noqa: F401 - the fake's fixture
from tracking import detect

T0 = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)


def test_the_job_follows_parcels_at_the_stores_sources_and_reports_silent_ones(
    aftership,  # noqa: F811
    database_url,
    tmp_path,
):
    """Round one registers the parcel at AfterShip; five silent days later the next round finds it
    has not moved (AfterShip has nothing either) and tells the customer and the merchant."""
    app = create_app(settings_for(database_url, tmp_path, tracking_endpoints={"aftership": aftership.url}))
    aftercare = services(app)
    try:
        clock.freeze(T0)
        store = make_store(aftercare, reply_to="owner@tea.example")
        connect(aftercare, store, "aftership", {"api_key": aftership.api_key, "webhook_secret": "w"})
        shipment_id = parcel(aftercare, store, "34071234567", carrier="أرامكس", shipped_at=T0)
        assert jobs.follow_tracking(aftercare, "worker-1") == 0
        assert aftership.by_number("34071234567")["slug"] == "aramex"  # the Arabic name, detected
        clock.freeze(T0 + timedelta(days=5))
        assert jobs.follow_tracking(aftercare, "worker-1") == 1
        with aftercare.db.session() as session:
            assert session.get(Shipment, shipment_id).status == "no_movement"
            steps = set(session.scalars(select(Message.step)))
            assert {"delivery_problem", "merchant_alert"} <= steps
    finally:
        aftercare.db.dispose()


def test_carriers_are_told_from_their_names_or_number_formats():
    """Names in any spelling win; otherwise a format only one carrier uses; else nobody is guessed."""
    assert detect.carrier("ARAMEX Saudi", None) == "aramex"
    assert detect.carrier("دي اتش ال", None) == "dhl"
    assert detect.carrier("SMSA Express", "290019283746") == "smsa"
    assert detect.carrier(None, "1234567890") == "dhl"
    assert detect.carrier("", "40795800592") == "aramex"
    assert detect.carrier(None, "1Z999AA10123456784") == "ups"
    assert detect.carrier("Local courier", "290019283746") is None
    assert (
        detect.link("aramex", "40795800592")
        == "https://www.aramex.com/track/results?ShipmentNumber=40795800592"
    )
