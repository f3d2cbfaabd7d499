"""Orders, many at a time: a worker's batch of deliveries is written in a handful of statements.

For the batch's orders: the accounts behind them are inserted or refreshed in two statements, the
stored orders are read (and locked) in one, the new ones inserted and the newer ones updated in one
statement each, their lines replaced, their timeline lines and the platforms' consent written in bulk.
Invariant 3 holds per order: of several snapshots of one order in the batch the newest wins (the later
arrival on a tie), and it is applied only when it is newer than what is stored (``newer``).

Each order keeps its own contact as the store recorded it on that order; the customer row is the
account, which several people may share (invariant 6).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import bindparam, delete, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from app import clock, evidence, offers, timeline
from app.db import among, bulk_insert, insert_many
from app.ingest.result import CREATED, IngestResult, newer
from app.journeys.reasons import Reason
from app.journeys.state import REMOVED
from app.messages.localise import e164
from app.models import Customer, Order, OrderLine, Store
from app.recommend import model as recommend_model
from connectors.base import CustomerSnapshot, OrderRemoved, OrderSnapshot, OrderStatus

LINE_FIELDS = (
    "external_id",
    "product_external_id",
    "title",
    "sku",
    "quantity",
    "refunded_quantity",
    "unit_price",
    "variant_external_id",
)


def apply_orders(session: Session, store: Store, snapshots: Sequence[OrderSnapshot]) -> list[IngestResult]:
    """Write ``snapshots`` (in arrival order); one result each, in the same order."""
    if not snapshots:
        return []
    latest: dict[str, OrderSnapshot] = {}
    for snap in snapshots:  # the newest of each order; on a tie the later arrival
        held = latest.get(snap.external_id)
        if held is None or snap.updated_at >= held.updated_at:
            latest[snap.external_id] = snap
    customers = _customers(session, store, [s for s in latest.values() if s.customer is not None])
    stored = {
        row.external_id: row
        for row in session.scalars(
            select(Order)
            .where(Order.store_id == store.id, among(session, Order.external_id, sorted(latest)))
            .with_for_update()
        )
    }
    fresh, updated, outcome, before = [], [], {}, {}
    for external_id, snap in latest.items():
        fields = _fields(snap, customers.get(snap.customer.external_id) if snap.customer else None)
        row = stored.get(external_id)
        if row is None:
            fresh.append({"store_id": store.id, "external_id": external_id, **fields})
            outcome[external_id] = CREATED
        elif newer(fields, {name: getattr(row, name) for name in fields}):
            updated.append((row, fields))
            before[external_id] = {"status": row.status, "remote_status": row.remote_status}
            outcome[external_id] = "updated"
        else:
            outcome[external_id] = "same"
    ids = _insert(session, store, fresh)
    ids.update({row.external_id: row.id for row, _ in updated})  # before _update expires the rows
    _update(session, updated)
    _replace_lines(session, store, {ids[e]: latest[e] for e in ids})
    _note(session, store, latest, ids, outcome, before)
    _consent(session, store, [latest[e] for e in ids])
    # Changes to known orders (a cancellation, a refund) wait for the recommendation model's next full
    # build, but their contacts' lists are ranked again at once, before the planner reads them. New
    # orders join the model after planning (``app.ingest.learn``).
    recommend_model.refresh(session, store, [ids[e] for e, state in outcome.items() if state == "updated"])
    offers.redeem(session, store, {ids[e]: latest[e] for e in ids})
    results = []
    for snap in snapshots:
        state = outcome[snap.external_id]
        if state == "same" or latest[snap.external_id] is not snap:
            results.append(
                IngestResult("order", snap.external_id, changed=False, note="not newer than stored")
            )
        else:
            order_id = ids[snap.external_id]
            results.append(
                IngestResult("order", snap.external_id, True, state, order_id=order_id, related=True)
            )
    return results


def apply_removal(session: Session, store: Store, snap: OrderRemoved) -> IngestResult:
    """A deleted (trashed) order stops: its scheduled messages are cancelled by the planner, saying
    the order was deleted in the store; restoring it in the store plans it again."""
    order = session.scalars(
        select(Order)
        .where(Order.store_id == store.id, Order.external_id == snap.external_id)
        .with_for_update()
    ).first()
    if order is None or order.remote_status == REMOVED:
        return IngestResult("order", snap.external_id, changed=False, note="nothing to remove")
    order.status = OrderStatus.CANCELLED.value
    order.remote_status = REMOVED
    order.cancelled_at = order.cancelled_at or clock.now()
    timeline.note(session, store.id, order.id, "deleted")
    session.flush()
    return IngestResult(
        "order", snap.external_id, changed=True, note="removed", order_id=order.id, related=True
    )


# --- the accounts ------------------------------------------------------------------------------------


def _customers(session: Session, store: Store, snapshots: list[OrderSnapshot]) -> dict[str, Customer]:
    """The account behind each order, inserted when new and refreshed from its newest order. Customers
    carry no modification time of their own; what a message needs (email, phone, name, language) is
    the order's own, kept on the order: an account shared by several people, or a guest email reused
    with another name, must never redirect one order's messages to another order's buyer."""
    accounts: dict[str, tuple[CustomerSnapshot, str | None]] = {}
    for snap in sorted(snapshots, key=lambda s: s.updated_at):
        assert snap.customer is not None  # noqa: S101 - filtered by the caller
        accounts[snap.customer.external_id] = (
            snap.customer,
            snap.shipping.country if snap.shipping else None,
        )
    if not accounts:
        return {}
    now = clock.now()
    dialect_insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    session.execute(
        dialect_insert(Customer.__table__).on_conflict_do_nothing(),
        [
            {"store_id": store.id, "external_id": key, "created_at": now, "updated_at": now}
            for key in sorted(accounts)  # every worker locks accounts in one order: none waits in a cycle
        ],
    )
    rows = {
        row.external_id: row
        for row in session.scalars(
            select(Customer).where(
                Customer.store_id == store.id, among(session, Customer.external_id, sorted(accounts))
            )
        )
    }
    refresh = [
        {
            "row_id": rows[key].id,
            "new_email": _email(snap.email),
            "new_first": snap.first_name,
            "new_last": snap.last_name,
            "new_phone": _phone(snap.phone, country),
            "new_locale": snap.locale,
            "now": now,
        }
        for key, (snap, country) in sorted(accounts.items())  # in one order, as above
        if rows[key].redacted_at is None  # never refill personal data the store asked us to erase
    ]
    if refresh:
        table = Customer.__table__
        session.connection().execute(
            update(table)
            .where(table.c.id == bindparam("row_id"))
            .values(
                email=func.coalesce(bindparam("new_email"), table.c.email),
                first_name=func.coalesce(bindparam("new_first"), table.c.first_name),
                last_name=func.coalesce(bindparam("new_last"), table.c.last_name),
                phone=func.coalesce(bindparam("new_phone"), table.c.phone),
                locale=func.coalesce(bindparam("new_locale"), table.c.locale),
                updated_at=bindparam("now"),
            ),
            refresh,
        )
    return rows


def _email(raw: str | None) -> str | None:
    return (raw or "").strip().lower() or None


def _phone(raw: str | None, country: str | None) -> str | None:
    """E.164 when it can be read (with the shipping country for a local number), so SMS, WhatsApp and
    the suppression list all know it by one spelling."""
    return (e164(raw, country) or raw.strip() or None) if raw else None


# --- the orders themselves ------------------------------------------------------------------------------


def _fields(snap: OrderSnapshot, customer: Customer | None) -> dict[str, Any]:
    address = snap.shipping
    contact = snap.customer
    country = address.country if address else None
    redacted = customer is not None and customer.redacted_at is not None
    email = None if redacted or contact is None else _email(contact.email)
    phone = None if redacted or contact is None else _phone(contact.phone, country)
    return {
        "number": snap.number,
        "customer_id": customer.id if customer else None,
        "status": snap.status.value,
        "remote_status": snap.remote_status,
        "payment_method": snap.payment_method,
        "cash_on_delivery": snap.cash_on_delivery,
        "currency": snap.currency,
        "total": snap.total,
        "locale": snap.locale or (contact.locale if contact else None),
        "email": email,
        "phone": phone,
        "first_name": None if redacted or contact is None else contact.first_name,
        "last_name": None if redacted or contact is None else contact.last_name,
        "contact": email or phone,
        "placed_at": snap.placed_at,
        "paid_at": snap.paid_at,
        "cancelled_at": snap.cancelled_at,
        "remote_updated_at": snap.updated_at,
        "ship_name": address.name if address else None,
        "ship_address1": address.address1 if address else None,
        "ship_address2": address.address2 if address else None,
        "ship_city": address.city if address else None,
        "ship_region": address.region if address else None,
        "ship_postcode": address.postcode if address else None,
        "ship_country": country,
    }


def _insert(session: Session, store: Store, rows: list[dict[str, Any]]) -> dict[str, int]:
    """New orders in one statement; their ids by external id. A concurrent worker that inserted one
    first wins the row; ours then updates it like any newer snapshot would (newer wins either way)."""
    if not rows:
        return {}
    now = clock.now()
    stamped = [{**row, "created_at": now, "updated_at": now} for row in rows]
    ids = dict(insert_many(session, Order.__table__, stamped, ("external_id", "id")))
    raced = [row for row in rows if row["external_id"] not in ids]
    if raced:
        stored = {
            row.external_id: row
            for row in session.scalars(
                select(Order)
                .where(
                    Order.store_id == store.id,
                    among(session, Order.external_id, [r["external_id"] for r in raced]),
                )
                .with_for_update()
            )
        }
        for row in raced:
            held = stored[row["external_id"]]
            fields = {key: value for key, value in row.items() if key not in ("store_id", "external_id")}
            if newer(fields, {name: getattr(held, name) for name in fields}):
                _update(session, [(held, fields)])
            ids[row["external_id"]] = held.id
    return ids


def _update(session: Session, updated: list[tuple[Order, dict[str, Any]]]) -> None:
    """Newer snapshots over stored orders: one executemany UPDATE."""
    if not updated:
        return
    table = Order.__table__
    names = list(updated[0][1])
    now = clock.now()
    params = [
        {"row_id": row.id, "now": now, **{f"new_{name}": fields[name] for name in names}}
        for row, fields in updated
    ]
    session.connection().execute(
        update(table)
        .where(table.c.id == bindparam("row_id"))
        .values(updated_at=bindparam("now"), **{name: bindparam(f"new_{name}") for name in names}),
        params,
    )
    for row, _ in updated:
        session.expire(row)


def _replace_lines(session: Session, store: Store, orders: dict[int, OrderSnapshot]) -> None:
    if not orders:
        return
    session.execute(delete(OrderLine).where(among(session, OrderLine.order_id, sorted(orders))))
    # COPY on PostgreSQL: a batch of 200 orders is a thousand lines, and as one INSERT of many rows
    # they cost 56 ms a batch to build and send
    lines = [
        (store.id, order_id, *(getattr(line, name) for name in LINE_FIELDS))
        for order_id, snap in orders.items()
        for line in snap.lines
    ]
    bulk_insert(session, OrderLine.__table__, lines, ("store_id", "order_id", *LINE_FIELDS))


def _note(
    session: Session,
    store: Store,
    latest: dict[str, OrderSnapshot],
    ids: dict[str, int],
    outcome: dict[str, str],
    before: dict[str, dict[str, Any]],
) -> None:
    entries = []
    for external_id, order_id in ids.items():
        snap = latest[external_id]
        if outcome[external_id] == CREATED:
            event = {"number": snap.number, "status": snap.remote_status}
            entries.append((store.id, order_id, "received", Reason.of("none"), "", event))
            continue
        held = before.get(external_id, {})
        if held.get("remote_status") == REMOVED:
            entries.append((store.id, order_id, "restored", Reason.of("none"), "", {}))
        if held.get("status") not in (None, snap.status.value):
            event = {"old": held["status"], "new": snap.status.value}
            entries.append((store.id, order_id, "status", Reason.of("none"), "", event))
    timeline.note_many(session, entries)


def _consent(session: Session, store: Store, snapshots: list[OrderSnapshot]) -> None:
    """The store's word on marketing for each order's email and phone, channel by channel, kept when
    it is the newest evidence (``app.evidence``). A platform that records nothing (None, no consents)
    writes nothing, so an opt-in given another way is never overwritten. SMS consent only ever comes
    from an SMS consent: it never rides on the email flag."""
    found: list[evidence.Evidence] = []
    for snap in snapshots:
        customer = snap.customer
        if customer is None:
            continue
        country = snap.shipping.country if snap.shipping else None
        email = _email(customer.email)
        phone = _phone(customer.phone, country)
        stated = {item.channel for item in customer.consents}
        if "email" not in stated and customer.accepts_marketing is not None and email:
            found.append(
                evidence.Evidence(email, "email", customer.accepts_marketing, store.platform, snap.updated_at)
            )
        for item in customer.consents:
            if item.channel == "email":
                address = _email(item.address) or email
            else:
                address = _phone(item.address, country) if item.address else phone
            if not address:
                continue
            at = item.at or snap.updated_at
            found.append(evidence.Evidence(address, item.channel, item.granted, item.source, at, item.words))
    evidence.record(session, store, found)
