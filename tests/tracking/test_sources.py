"""Each tracking source against its fake on loopback: credentials checked, the published samples'
statuses mapped (unknown kept unknown), signatures, polling when no webhook comes, and outages."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from app import clock
from app.models import Message, ParcelTrack, Shipment, ShipmentEvent, TrackingAccount
from app.parcels import follow
from connectors import netguard
from connectors.base import ShipmentStatus
from tests.helpers import make_store
from tests.tracking.conftest import connect, fixture, parcel
from tracking.aftership import AfterShip, webhooks
from tracking.aftership import translate as aftership_translate
from tracking.aramex import Aramex
from tracking.aramex import translate as aramex_translate
from tracking.base import BadSignature, Refused, SourceDown
from tracking.dhl import DHL
from tracking.dhl import translate as dhl_translate

pytestmark = pytest.mark.any_database
T0 = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)


def _sources(aftership, aramex, dhl):
    return [
        (AfterShip(aftership.url), {"api_key": aftership.api_key}, {"api_key": "wrong"}, aftership),
        (Aramex(aramex.url), aramex.credentials, {**aramex.credentials, "password": "wrong"}, aramex),
        (DHL(dhl.url), {"api_key": dhl.api_key}, {"api_key": "wrong"}, dhl),
    ]


def test_each_source_takes_good_credentials_and_refuses_wrong_ones(aftership, aramex, dhl):
    """The settings page's check: one call proves the details, wrong ones are refused, an outage is
    told apart from a refusal."""
    for source, good, wrong, fake in _sources(aftership, aramex, dhl):
        source.check(good, netguard.session())
        with pytest.raises(Refused):
            source.check(wrong, netguard.session())
        fake.down = True
        with pytest.raises(SourceDown):
            source.check(good, netguard.session())


def test_aftership_tags_from_the_published_webhook_sample_map_onto_parcel_statuses():
    """AfterShip's sample: picked up and arrival scans in transit, then out for delivery; the
    carrier's estimate is read; every documented tag has a status and an undocumented one is unknown."""
    report = aftership_translate.tracking(fixture("aftership_webhook.json")["msg"])
    assert [event.status for event in report.events] == [
        ShipmentStatus.IN_TRANSIT,
        ShipmentStatus.IN_TRANSIT,
        ShipmentStatus.OUT_FOR_DELIVERY,
    ]
    assert report.events[0].happened_at == datetime(2026, 11, 1, 7, 40, tzinfo=UTC)  # +04:00 read
    assert report.carrier == "aramex" and report.estimated_delivery_at.date().isoformat() == "2026-11-05"
    assert aftership_translate.status("Delivered") is ShipmentStatus.DELIVERED
    assert aftership_translate.status("AttemptFail") is ShipmentStatus.ATTEMPTED_DELIVERY
    assert aftership_translate.status("AvailableForPickup") is ShipmentStatus.READY_FOR_PICKUP
    assert aftership_translate.status("Exception", "Exception_004") is ShipmentStatus.DELAYED
    assert aftership_translate.status("Exception", "Exception_011") is ShipmentStatus.FAILURE
    assert aftership_translate.status("Pending") is ShipmentStatus.UNKNOWN
    assert aftership_translate.status("SomethingNew") is ShipmentStatus.UNKNOWN


def test_dhl_statuses_from_its_sample_shipment_are_read_with_their_words():
    """DHL's coarse codes: "transit" with a courier is out for delivery, "failure" saying attempted is
    an attempt, "unknown" stays unknown; times keep their offsets."""
    report = dhl_translate.shipment("00340434161094042557", fixture("dhl_shipment.json")["shipments"][0])
    assert [event.status for event in report.events] == [
        ShipmentStatus.DELIVERED,
        ShipmentStatus.OUT_FOR_DELIVERY,
        ShipmentStatus.ATTEMPTED_DELIVERY,
        ShipmentStatus.IN_TRANSIT,
        ShipmentStatus.IN_TRANSIT,
        ShipmentStatus.LABEL_CREATED,
        ShipmentStatus.UNKNOWN,
    ]
    assert report.events[0].happened_at == datetime(2026, 11, 4, 8, 2, tzinfo=UTC)
    assert report.events[0].location == "CAIRO - EGYPT"


def test_aramex_update_codes_from_its_sample_map_and_an_unlisted_code_stays_unknown():
    """SH012 picked up, SH001 received at the warehouse, SH003 out for delivery, SH005 delivered;
    WCF dates are UTC milliseconds whatever offset follows; SH999 with vague words is unknown."""
    pair = fixture("aramex_track.json")["TrackingResults"][0]
    report = aramex_translate.results(pair["Key"], pair["Value"])
    assert [(event.said, event.status) for event in report.events] == [
        ("SH005", ShipmentStatus.DELIVERED),
        ("SH003", ShipmentStatus.OUT_FOR_DELIVERY),
        ("SH001", ShipmentStatus.IN_TRANSIT),
        ("SH012", ShipmentStatus.IN_TRANSIT),
        ("SH999", ShipmentStatus.UNKNOWN),
    ]
    assert report.events[0].happened_at == datetime.fromtimestamp(1762268400, tz=UTC)
    assert aramex_translate.status("SH777", "Attempted delivery - consignee not available") is (
        ShipmentStatus.ATTEMPTED_DELIVERY
    )


def test_aftership_signature_is_checked_over_the_raw_body():
    """The documented signature (base64 HMAC-SHA256 of the body with the webhook secret) is taken;
    a changed byte, another secret or no header is refused."""
    body = json.dumps(fixture("aftership_webhook.json")).encode()
    good = {"aftership-hmac-sha256": webhooks.sign("s3cret", body)}
    assert webhooks.verify("s3cret", body, good).reports[0].tracking_number == "34071234567"
    for secret, sent, headers in (
        ("s3cret", body + b" ", good),
        ("other", body, good),
        ("s3cret", body, {}),
        ("", body, good),
    ):
        with pytest.raises(BadSignature):
            webhooks.verify(secret, sent, headers)


def test_a_parcel_is_registered_with_aftership_and_polled_when_no_webhook_comes(aftercare, aftership):
    """Polling is the fallback: the worker registers the number (with the carrier's slug), and a later
    round reads the scans AfterShip has, which join the parcel's history and move it."""
    clock.freeze(T0)
    store = make_store(aftercare)
    connect(aftercare, store, "aftership", {"api_key": aftership.api_key, "webhook_secret": "x"})
    shipment_id = parcel(aftercare, store, "34071234567", carrier="Aramex", shipped_at=T0)
    endpoints = {"aftership": aftership.url}
    follow.follow_store(aftercare.db, store.id, endpoints)
    tracking = aftership.by_number("34071234567")
    assert tracking is not None and tracking["slug"] == "aramex"
    aftership.scan("34071234567", T0 + timedelta(hours=20), "InTransit", "Arrived at facility", city="Riyadh")
    aftership.scan("34071234567", T0 + timedelta(hours=30), "OutForDelivery", "Out for delivery")
    clock.freeze(T0 + follow.WEBHOOK_FALLBACK_EVERY / 2)
    follow.follow_store(aftercare.db, store.id, endpoints)
    assert aftership.calls.count("GET /tracking/2024-04/trackings/as000001") == 1  # not due yet
    clock.freeze(T0 + timedelta(hours=31))
    follow.follow_store(aftercare.db, store.id, endpoints)
    with aftercare.db.session() as session:
        shipment = session.get(Shipment, shipment_id)
        history = session.scalars(select(ShipmentEvent).where(ShipmentEvent.shipment_id == shipment_id)).all()
        assert shipment.status == "out_for_delivery"
        assert {(e.status, e.source, e.location) for e in history} >= {
            ("in_transit", "aftership", "Riyadh, SAU"),
            ("out_for_delivery", "aftership", "SAU"),
        }
        out = session.scalars(select(Message).where(Message.step == "out_for_delivery")).one()
        assert out.status == "scheduled"


@pytest.mark.parametrize("which", ["aramex", "dhl"])
def test_a_carrier_asked_directly_is_polled_and_wins_over_the_aggregator(
    aftercare, aftership, aramex, dhl, which
):
    """A store with the carrier's own account gets its parcels followed there, not through AfterShip."""
    clock.freeze(T0)
    store = make_store(aftercare)
    connect(aftercare, store, "aftership", {"api_key": aftership.api_key, "webhook_secret": "x"})
    if which == "aramex":
        connect(aftercare, store, "aramex", aramex.credentials)
        number, name = "40795800592", "Aramex"
        aramex.scan(number, T0 + timedelta(hours=5), "SH012", "Picked Up From Shipper")
        aramex.scan(number, T0 + timedelta(hours=29), "SH005", "Delivered")
    else:
        connect(aftercare, store, "dhl", {"api_key": dhl.api_key})
        number, name = "1234567890", "DHL Express"
        dhl.scan(number, T0 + timedelta(hours=5), "transit", "Departed Facility in DUBAI")
        dhl.scan(number, T0 + timedelta(hours=29), "delivered", "Delivered")
    shipment_id = parcel(aftercare, store, number, carrier=name, shipped_at=T0)
    clock.freeze(T0 + timedelta(hours=30))
    follow.follow_store(
        aftercare.db, store.id, {"aftership": aftership.url, "aramex": aramex.url, "dhl": dhl.url}
    )
    with aftercare.db.session() as session:
        shipment = session.get(Shipment, shipment_id)
        track = session.scalars(select(ParcelTrack).where(ParcelTrack.shipment_id == shipment_id)).one()
        assert (track.carrier, track.source) == (which, which)
        assert shipment.status == "delivered" and shipment.delivered_at == T0 + timedelta(hours=29)
    assert aftership.trackings == {}


def test_an_outage_or_a_refusal_holds_nothing_and_polls_later(aftercare, aramex):
    """Aramex down: the parcel keeps what the platform said, its messages go ahead, the next poll is
    later. Aramex refusing the account: the Tracking page is told, nothing else stops."""
    clock.freeze(T0)
    store = make_store(aftercare)
    connect(aftercare, store, "aramex", aramex.credentials)
    shipment_id = parcel(aftercare, store, "40795800592", carrier="Aramex", shipped_at=T0)
    aramex.down = True
    follow.follow_store(aftercare.db, store.id, {"aramex": aramex.url})
    with aftercare.db.session() as session:
        track = session.scalars(select(ParcelTrack).where(ParcelTrack.shipment_id == shipment_id)).one()
        assert "503" in (track.error or "") and track.next_poll_at > T0
        shipped = session.scalars(select(Message).where(Message.step == "shipped")).one()
        assert shipped.status == "scheduled" and shipped.send_at == T0
    calls = len(aramex.calls)
    follow.follow_store(aftercare.db, store.id, {"aramex": aramex.url})
    assert len(aramex.calls) == calls  # backing off, not hammering
    aramex.down = False
    aramex.credentials["password"] = "changed-at-aramex"
    clock.freeze(T0 + timedelta(days=1))
    follow.follow_store(aftercare.db, store.id, {"aramex": aramex.url})
    with aftercare.db.session() as session:
        account = session.scalars(select(TrackingAccount)).one()
        assert "refused" in (account.error or "")
        assert session.scalars(select(Message).where(Message.step == "shipped")).one().status == "scheduled"


def test_a_parcel_no_source_knows_keeps_what_the_platform_says(aftercare, aramex):
    """With only Aramex connected, an SMSA parcel is not asked about anywhere, and an Aramex waybill
    Aramex does not know (yet) is asked again later; both stay as the platform says, their messages
    as they were."""
    clock.freeze(T0)
    store = make_store(aftercare)
    connect(aftercare, store, "aramex", aramex.credentials)
    smsa = parcel(aftercare, store, "290019283746", carrier="SMSA Express", shipped_at=T0, order="1001")
    unknown = parcel(aftercare, store, "40795800592", carrier="Aramex", shipped_at=T0, order="1002")
    follow.follow_store(aftercare.db, store.id, {"aramex": aramex.url})
    assert aramex.calls == [["40795800592"]]  # the SMSA number never went to Aramex
    with aftercare.db.session() as session:
        tracks = {t.shipment_id: t for t in session.scalars(select(ParcelTrack))}
        assert (tracks[smsa].carrier, tracks[smsa].source) == ("smsa", None)
        assert tracks[unknown].source == "aramex" and "does not know" in tracks[unknown].error
        assert tracks[unknown].next_poll_at > T0
        assert {s.status for s in session.scalars(select(Shipment))} == {"in_transit"}
        shipped = session.scalars(select(Message).where(Message.step == "shipped")).all()
        assert [m.status for m in shipped] == ["scheduled", "scheduled"]
