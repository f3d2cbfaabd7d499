"""Snapshots -> rows -> planner.

Idempotent and order-insensitive (invariant 3, ``result.newer``): a snapshot older than what we hold
changes nothing, so re-deliveries and late retries of old payloads are harmless.

``apply`` writes one snapshot and says which order it touched; ``apply_all`` writes a batch (a
worker's deliveries, a poll's page): its orders in bulk (``orders.apply_orders``), everything else in
arrival order, then plans every order it touched once, set-based (``journeys.reconcile``), and last
adds its new orders to the store's recommendation model (``learn``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy.orm import Session

from app import privacy, stores
from app.ingest.orders import apply_orders, apply_removal
from app.ingest.parcels import apply_shipment, apply_shipment_event
from app.ingest.products import apply_product
from app.ingest.result import CREATED, IngestResult, OrderNotYetKnown, newer
from app.journeys import reconcile
from app.models import Store
from app.parcels.merge import apply_report
from app.recommend import model as recommend_model
from connectors.base import (
    DataRequest,
    OrderRemoved,
    OrderSnapshot,
    ProductSnapshot,
    RedactRequest,
    ShipmentEventUpdate,
    ShipmentSnapshot,
    Snapshot,
    StoreUninstalled,
)
from tracking.base import TrackReport

__all__ = ["IngestResult", "OrderNotYetKnown", "apply", "apply_all", "apply_many", "learn", "newer", "replan"]


def apply_all(session: Session, store: Store, snapshots: Iterable[Snapshot]) -> list[IngestResult]:
    """Apply ``snapshots``, then re-plan every order they touched, once."""
    results = apply_many(session, store, list(snapshots))
    replan(session, store, results)
    learn(session, store, results)
    return results


def apply_many(session: Session, store: Store, snapshots: Sequence[Snapshot]) -> list[IngestResult]:
    """Apply ``snapshots`` without planning: the orders first and together (a parcel can then find the
    order that came with it), except orders the batch also deletes, which keep their arrival order
    (a delete and a restore must not swap); everything else in arrival order."""
    removed = {snap.external_id for snap in snapshots if isinstance(snap, OrderRemoved)}
    bulk = [s for s in snapshots if isinstance(s, OrderSnapshot) and s.external_id not in removed]
    results: dict[int, IngestResult] = dict(
        zip(map(id, bulk), apply_orders(session, store, bulk), strict=True)
    )
    for snapshot in snapshots:
        if id(snapshot) not in results:
            results[id(snapshot)] = apply(session, store, snapshot)
    return [results[id(snapshot)] for snapshot in snapshots]


def replan(session: Session, store: Store, results: Iterable[IngestResult]) -> None:
    """Re-plan what ``results`` touched: changed orders with their contacts' other recent orders,
    orders whose parcels moved on their own."""
    related: set[int] = set()
    alone: set[int] = set()
    for result in results:
        if result.changed and result.order_id is not None:
            (related if result.related else alone).add(result.order_id)
    if not (related or alone):
        return
    session.flush()
    orders = reconcile.orders_of(session, store, related | alone)
    near = reconcile.related(session, store, [o for o in orders if o.id in related])
    reconcile.refresh(session, store, list({o.id: o for o in [*orders, *near]}.values()))


def learn(session: Session, store: Store, results: Iterable[IngestResult]) -> None:
    """Add the new orders among ``results`` to the store's recommendation model (its items' and pairs'
    counts, and their contacts' lists ranked again), as the last writes of the caller's transaction.

    Last, because those upserts add to rows that every batch of the store shares (a best seller's item
    and its pairs), and PostgreSQL holds a row written until the commit: written before planning, a
    second worker's batch waited for the first's whole planning; written after it, only for this step.
    A new order is asked for recommendations only once it has shipped, so its planning does not read
    the model; one that arrives already shipped (a backfill) has its cross-sell decided on the model as
    it stood before its batch, and the lookup is asked again at send time."""
    created = sorted({r.order_id for r in results if r.kind == "order" and r.note == CREATED and r.order_id})
    recommend_model.learn(session, store, created)


def apply(session: Session, store: Store, snapshot: Snapshot) -> IngestResult:
    """Apply one snapshot for ``store`` inside the caller's transaction; re-planning is the caller's
    (``apply_all``), so a batch of deliveries plans each order once."""
    if isinstance(snapshot, OrderSnapshot):
        return apply_orders(session, store, [snapshot])[0]
    if isinstance(snapshot, ProductSnapshot):
        return apply_product(session, store, snapshot)
    if isinstance(snapshot, ShipmentSnapshot):
        return apply_shipment(session, store, snapshot)
    if isinstance(snapshot, OrderRemoved):
        return apply_removal(session, store, snapshot)
    if isinstance(snapshot, ShipmentEventUpdate):
        return apply_shipment_event(session, store, snapshot)
    if isinstance(snapshot, TrackReport):  # a tracking source's news of a number
        return apply_report(session, store, snapshot)
    if isinstance(snapshot, RedactRequest):
        if snapshot.scope == "store":
            privacy.redact_store(session, store)
            return IngestResult("store", store.external_id, changed=True, note="erased")
        erased = privacy.redact_customer(
            session, store, snapshot.customer_external_id, snapshot.email, snapshot.order_external_ids
        )
        return IngestResult("customer", snapshot.customer_external_id or "", bool(erased), note="erased")
    if isinstance(snapshot, DataRequest):
        privacy.record_export(
            session,
            store,
            snapshot.request_ref,
            snapshot.customer_external_id,
            snapshot.email,
            snapshot.order_external_ids,
        )
        return IngestResult("customer", snapshot.customer_external_id or "", True, note="exported")
    if isinstance(snapshot, StoreUninstalled):
        cancelled = stores.uninstall(session, store)
        return IngestResult("store", store.external_id, True, note=f"uninstalled, {cancelled} cancelled")
    raise TypeError(f"not a snapshot: {snapshot!r}")
