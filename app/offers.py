"""Offers that are real: a discount code made in the store for one message's customer alone, and the
later order that used it.

The code is chosen when the message is rendered (the worker's render step) and kept on an
``offer_codes`` row tied to the message before anything is asked of the store; the store is asked to
create it just before the send (``scheduler.dispatch``), outside any transaction, and the row is marked
``created`` with the send's outcome. A worker that dies between the two leaves the row ``reserved``
with the same code, so the retry asks the store for that same code again, which the connector answers
with the one the store already has (``connectors.base.Offers``): a message never gets two codes, and
the customer never reads a code the store does not know.

Redemption: an order whose discount codes include one of ours is attributed to the message that carried
it (``redeem``, called by ingest), once, whichever order used it first.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from app import clock
from app.db import among, insert_ignore
from app.journeys import config as journey_config
from app.journeys.config import OfferConfig
from app.messages.localise import long_date, money, number
from app.models import Customer, Message, OfferCode, OfferStatus, Order, Store
from connectors import registry
from connectors.base import OfferRequest, Offers, OrderSnapshot

ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud or typed from a phone
PREFIX = {"win_back": "BACK", "cross_sell": "MORE", "buy_again": "AGAIN", "review_reward": "THANKS"}


def new_code(step: str) -> str:
    """``BACK-7QK2M-9XH4T``: 50 random bits, never guessed, easy to type."""
    body = "".join(secrets.choice(ALPHABET) for _ in range(10))
    return f"{PREFIX.get(step, 'GIFT')}-{body[:5]}-{body[5:]}"


def offer_for(store: Store, step: str) -> OfferConfig | None:
    """The offer this store's ``step`` carries, if the store's platform can make codes at all."""
    offer = journey_config.parse(store.journey).offer(step)
    platform = registry.CONNECTORS.get(store.platform)
    if offer is None or platform is None or not issubclass(platform, Offers):
        return None
    return offer


def reserve(session: Session, store: Store, message: Message, offer: OfferConfig) -> OfferCode:
    """The message's code: the one already chosen (a retry, a re-render), else a new one, expiring
    ``offer.days`` from now. Kept before the store is asked, so the code survives any crash."""
    row = session.scalars(
        select(OfferCode).where(OfferCode.store_id == store.id, OfferCode.message_id == message.id)
    ).first()
    if row is not None:
        return row
    order = session.get(Order, message.order_id) if message.order_id else None
    return keep(session, store, message.step, offer, order, message_id=message.id)


def keep(
    session: Session,
    store: Store,
    step: str,
    offer: OfferConfig,
    order: Order | None,
    *,
    message_id: int | None = None,
) -> OfferCode:
    """A new code for ``order``'s customer alone (its email; its account unless a guest), kept as
    ``reserved`` before the store is asked. A code made before its message exists (a review's
    thank-you, chosen when the review is approved) gets its ``message_id`` once the message is planned;
    either way ``redeem`` attributes the order that uses it."""
    customer = session.get(Customer, order.customer_id) if order and order.customer_id else None
    account = customer.external_id if customer and not customer.external_id.startswith("guest:") else None
    now = clock.now()
    for _ in range(5):  # a clash of 50 random bits is not expected; the unique key settles it anyway
        code = new_code(step)
        inserted = insert_ignore(
            session,
            OfferCode,
            {
                "store_id": store.id,
                "message_id": message_id,
                "step": step,
                "code": code,
                "code_key": code.lower(),
                "kind": offer.kind,
                "value": offer.value,
                "currency": store.currency,
                "recipient": (order.email if order else None) or None,
                "customer_external_id": account,
                "expires_at": now + timedelta(days=offer.days),
                "status": OfferStatus.RESERVED.value,
                "created_at": now,
            },
        )
        if inserted:
            row = session.scalars(
                select(OfferCode).where(OfferCode.store_id == store.id, OfferCode.code_key == code.lower())
            ).one()
            return row
        if message_id is not None:
            kept = session.scalars(
                select(OfferCode).where(OfferCode.store_id == store.id, OfferCode.message_id == message_id)
            ).first()
            if kept is not None:
                return kept  # a concurrent render kept this message's code first
    raise RuntimeError(f"store {store.id}: no {step} code could be kept")


def request(store: Store, row: OfferCode) -> OfferRequest:
    """What the store is asked to create for ``row``."""
    return OfferRequest(
        code=row.code,
        kind=row.kind,
        value=Decimal(row.value),
        currency=row.currency,
        starts_at=row.created_at,
        expires_at=row.expires_at,
        email=row.recipient,
        customer_external_id=row.customer_external_id,
        title=f"Aftercare {row.step} {row.code}",
    )


def created(session: Session, offer_id: int, external_id: str) -> None:
    """The store has the code now."""
    session.execute(
        update(OfferCode)
        .where(OfferCode.id == offer_id, OfferCode.status == OfferStatus.RESERVED.value)
        .values(
            status=OfferStatus.CREATED.value, external_id=external_id[:255], created_in_store_at=clock.now()
        )
    )


def describe(row: OfferCode, locale: str, store: Store) -> dict[str, Any]:
    """The template's ``offer``: the code, what it takes off (``10%``, ``$5.00`` in the customer's
    digits) and the last day it works, in the customer's calendar."""
    solar_hijri = journey_config.parse(store.journey).solar_hijri
    value = Decimal(row.value)
    if row.kind == "percent":
        amount = f"{number(int(value) if value == value.to_integral() else value, locale)}%"
    else:
        amount = money(value, row.currency, locale)
    return {
        "code": row.code,
        "amount": amount,
        "expires_on": long_date(row.expires_at, locale, store.timezone, solar_hijri=solar_hijri),
    }


def redeem(session: Session, store: Store, orders: Mapping[int, OrderSnapshot]) -> int:
    """Attribute each order that used one of our codes to the code's message; a code counts for the
    first order that used it and never again. Returns how many codes were newly redeemed."""
    wanted: dict[str, tuple[int, datetime]] = {}
    for order_id, snap in orders.items():
        for code in snap.discount_codes:
            wanted.setdefault(code.strip().lower(), (order_id, snap.placed_at))
    if not wanted:
        return 0
    done = 0
    for row in session.scalars(
        select(OfferCode)
        .where(
            OfferCode.store_id == store.id,
            among(session, OfferCode.code_key, sorted(wanted)),
            OfferCode.redeemed_order_id.is_(None),
        )
        .with_for_update()
    ):
        order_id, placed_at = wanted[row.code_key]
        if placed_at < row.created_at - timedelta(minutes=5):
            continue  # an order placed before we made the code cannot have used it
        row.redeemed_order_id, row.redeemed_at = order_id, placed_at
        done += 1
    session.flush()
    return done


def redeemed_orders(session: Session, store: Store, since: datetime) -> dict[int, tuple[int | None, str]]:
    """Orders placed since ``since`` that used one of our codes: order id -> (message id, step); the
    message id is None once the message is deleted (the code outlives it)."""
    found: dict[int, tuple[int | None, str]] = {}
    for order_id, message_id, step in session.execute(
        select(OfferCode.redeemed_order_id, OfferCode.message_id, OfferCode.step)
        .where(
            OfferCode.store_id == store.id,
            OfferCode.redeemed_order_id.is_not(None),
            OfferCode.redeemed_at >= since,
        )
        .order_by(OfferCode.id)
    ):
        if order_id is not None:  # always: only redeemed codes are selected
            found.setdefault(order_id, (message_id, step))
    return found


def codes_of(session: Session, store: Store, order_ids: list[int]) -> int:
    """How many codes orders ``order_ids`` redeemed (the order page and the tests)."""
    return int(
        session.scalar(
            select(func.count())
            .select_from(OfferCode)
            .where(OfferCode.store_id == store.id, among(session, OfferCode.redeemed_order_id, order_ids))
        )
        or 0
    )
