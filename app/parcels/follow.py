"""The worker's side: every open parcel with a tracking number gets its carrier detected and a source
chosen (``tracking.registry.choose``), is registered where the source wants to be told, and is polled
(for a webhook source, only as the fallback for webhooks that went missing).

A source that is down, slow or refuses us changes nothing but its own row: no message waits on it,
the parcel keeps moving on what the platform says, and the next poll is later (doubling, to a day).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import clock, ingest
from app.db import Database
from app.ingest.result import IngestResult
from app.models import ParcelTrack, Shipment, Store, TrackingAccount
from app.parcels import accounts, estimate
from app.parcels.merge import apply_report
from connectors import netguard
from connectors.base import ShipmentStatus
from tracking import detect, registry
from tracking.base import NotFound, Refused, Source, SourceDown, TrackReport

log = logging.getLogger(__name__)
FOLLOW_FOR = timedelta(days=60)  # a parcel shipped longer ago than this is not asked about any more
POLL_EVERY = timedelta(hours=2)
WEBHOOK_FALLBACK_EVERY = timedelta(hours=12)  # a webhook source's news comes by webhook
MAX_BACKOFF = timedelta(days=1)
BATCH = 200
CLOSED = (ShipmentStatus.DELIVERED.value, ShipmentStatus.FAILURE.value)


@dataclass(frozen=True)
class Due:
    track_id: int
    shipment_id: int
    source: str
    number: str
    carrier: str | None
    remote_id: str | None
    registered: bool
    failures: int


def adopt(session: Session, store: Store, now: datetime) -> int:
    """Give every open parcel with a tracking number its ``ParcelTrack`` (carrier, source, estimate);
    parcels already adopted get a source when the store connects one later."""
    names = set(accounts.stored(session, store))
    sources = registry.build()
    open_parcels = session.execute(
        select(Shipment, ParcelTrack)
        .outerjoin(ParcelTrack, ParcelTrack.shipment_id == Shipment.id)
        .where(
            Shipment.store_id == store.id,
            Shipment.tracking_number.is_not(None),
            Shipment.delivered_at.is_(None),
            Shipment.status.not_in(CLOSED),
            Shipment.created_at >= now - FOLLOW_FOR,
        )
    ).all()
    adopted = 0
    for shipment, track in open_parcels:
        carrier = detect.carrier(shipment.carrier, shipment.tracking_number)
        if track is None:
            track = ParcelTrack(store_id=store.id, shipment_id=shipment.id, carrier=carrier, next_poll_at=now)
            estimate.promise(session, store, shipment, track)
            session.add(track)
            adopted += 1
        if track.source is None:
            track.source = registry.choose(sources, names, carrier)
            track.next_poll_at = now
    session.flush()
    return adopted


def due(session: Session, store: Store, now: datetime) -> list[Due]:
    rows = session.execute(
        select(ParcelTrack, Shipment.tracking_number)
        .join(Shipment, Shipment.id == ParcelTrack.shipment_id)
        .where(
            ParcelTrack.store_id == store.id,
            ParcelTrack.source.is_not(None),
            ParcelTrack.next_poll_at <= now,
            Shipment.delivered_at.is_(None),
            Shipment.status.not_in(CLOSED),
        )
        .order_by(ParcelTrack.next_poll_at)
        .limit(BATCH)
    ).all()
    return [
        Due(
            track.id,
            track.shipment_id,
            track.source or "",
            number or "",
            track.carrier,
            track.remote_id,
            track.registered_at is not None,
            int((track.error or "0|").split("|", 1)[0]) if (track.error or "")[:1].isdigit() else 0,
        )
        for track, number in rows
    ]


def follow_store(db: Database, store_id: int, endpoints: dict[str, str] | None = None) -> list[IngestResult]:
    """One round for one store: adopt, then ask each due parcel's source. Network calls happen
    outside any transaction; each answer is applied in its own."""
    sources = registry.build(endpoints)
    now = clock.now()
    with db.session() as session:
        store = session.get(Store, store_id)
        if store is None:
            return []
        adopt(session, store, now)
        todo = due(session, store, now)
        creds = {
            name: accounts.credentials(row)
            for name, row in accounts.stored(session, store).items()
            if row.error is None
        }
    results: list[IngestResult] = []
    refused: set[str] = set()
    for item in todo:
        source = sources.get(item.source)
        if source is None or item.source not in creds or item.source in refused:
            continue
        try:
            remote_id, report = _ask(source, creds[item.source], item)
        except Refused as exc:
            refused.add(item.source)
            _refused(db, store_id, item.source, str(exc))
            continue
        except (SourceDown, NotFound) as exc:
            _failed(db, item, str(exc), now)
            continue
        with db.session() as session:
            store = session.get(Store, store_id)
            track = session.get(ParcelTrack, item.track_id)
            if store is None or track is None:
                continue
            track.remote_id = remote_id or track.remote_id
            track.registered_at = track.registered_at or (now if source.capabilities.register else None)
            track.polled_at, track.error = now, None
            every = WEBHOOK_FALLBACK_EVERY if source.capabilities.webhook else POLL_EVERY
            track.next_poll_at = now + every
            result = apply_report(session, store, report)
            ingest.replan(session, store, [result])
            results.append(result)
    return results


def _ask(source: Source, credentials: dict[str, str], item: Due) -> tuple[str | None, TrackReport]:
    http = netguard.session()
    remote_id = item.remote_id
    if source.capabilities.register and not item.registered:
        remote_id = source.register(credentials, http, item.number, item.carrier) or remote_id
    return remote_id, source.track(credentials, http, item.number, item.carrier, remote_id)


def _failed(db: Database, item: Due, error: str, now: datetime) -> None:
    """Try again later, twice as late each time (to a day); the parcel goes on as before."""
    failures = item.failures + 1
    wait = min(MAX_BACKOFF, timedelta(minutes=15) * (2 ** min(failures, 10)))
    with db.session() as session:
        track = session.get(ParcelTrack, item.track_id)
        if track is not None:
            track.polled_at = now
            track.error = f"{failures}|{error[:500]}"
            track.next_poll_at = now + wait
    log.info("tracking: %s for parcel %s: %s (next in %s)", item.source, item.shipment_id, error, wait)


def _refused(db: Database, store_id: int, source: str, error: str) -> None:
    """The source refused the store's credentials: the Tracking page says so until they are fixed."""
    with db.session() as session:
        row = session.scalars(
            select(TrackingAccount).where(
                TrackingAccount.store_id == store_id, TrackingAccount.source == source
            )
        ).first()
        if row is not None:
            row.error = error[:500]
    log.warning("tracking: %s refused store %s's credentials", source, store_id)
