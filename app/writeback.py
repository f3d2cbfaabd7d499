"""Telling the store what a customer chose with us, where the platform keeps marketing consent itself
(Shopify's customer consent): an opt-in on our page, an unsubscribe from our link.

The choice is already in force here (``app.evidence`` holds it, the planner reads it); this only keeps
the store in agreement, so its own marketing (Shopify Email, say) respects it too. Rows marked
``write_back`` wait until the store accepts them: the store is called outside any transaction, and a
row the store cannot take now (down, throttled, refused credentials) is tried again next run. A choice
of a guest, who has no account at the store, has nothing to be told to.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from app import clock
from app.db import Database
from app.models import Consent, Customer, Order, Store
from connectors.base import RETRYABLE_ERRORS, AuthError, Connector, ConnectorError, ConsentWriteBack

log = logging.getLogger(__name__)
BATCH = 100
GUEST = "a guest checkout: the store has no customer account to tell"


@dataclass(frozen=True)
class Pending:
    consent_id: int
    customer_external_id: str | None
    channel: str
    granted: bool
    at: datetime


def pending_stores(session: Session) -> list[int]:
    """Stores with a choice the store has not been told of."""
    return list(session.scalars(select(Consent.store_id).where(Consent.write_back.is_(True)).distinct()))


def push(db: Database, connectors: dict[str, Connector], store_id: int) -> int:
    """Tell the store of up to ``BATCH`` waiting choices; returns how many it accepted."""
    with db.session() as session:
        store = session.get(Store, store_id)
        if store is None:
            return 0
        connector = connectors.get(store.platform)
        if not isinstance(connector, ConsentWriteBack):  # nothing to tell: this platform keeps none
            session.execute(update(Consent).where(Consent.store_id == store_id).values(write_back=False))
            return 0
        credentials = store.credentials or ""
        rows = session.scalars(
            select(Consent)
            .where(Consent.store_id == store_id, Consent.write_back.is_(True))
            .order_by(Consent.recorded_at, Consent.id)
            .limit(BATCH)
        ).all()
        work = [
            Pending(row.id, _account(session, store, row.address), row.channel, row.granted, row.recorded_at)
            for row in rows
        ]
    renewed: list[str] = []
    done: dict[int, str | None] = {}  # consent id -> None when told, else why not (kept waiting)
    for item in work:
        if item.customer_external_id is None:
            done[item.consent_id] = GUEST  # the store has no one to tell
            continue
        try:
            connector.write_consent(
                renewed[-1] if renewed else credentials,
                item.customer_external_id,
                item.channel,
                item.granted,
                item.at,
                renewed.append,
            )
            done[item.consent_id] = None
        except (AuthError, *RETRYABLE_ERRORS) as exc:  # try again next run, the rest too
            log.warning("store %s: consent write-back waits: %s", store_id, exc)
            break
        except ConnectorError as exc:  # the store refused this one: keep why, stop asking
            log.warning("store %s: consent %s refused: %s", store_id, item.consent_id, exc)
            done[item.consent_id] = str(exc)[:1000]
    now = clock.now()
    with db.session() as session:
        for consent_id, error in done.items():
            session.execute(
                update(Consent)
                .where(Consent.id == consent_id, Consent.write_back.is_(True))
                .values(write_back=False, written_back_at=None if error else now, write_back_error=error)
            )
        if renewed:
            store = session.get(Store, store_id)
            if store is not None:
                store.credentials = renewed[-1]
    return sum(1 for error in done.values() if error is None)


def _account(session: Session, store: Store, address: str) -> str | None:
    """The store's customer account the address belongs to: the account of the latest order placed
    with it (guests have none)."""
    customer_id = session.scalar(
        select(Order.customer_id)
        .where(
            Order.store_id == store.id,
            or_(Order.email == address, Order.phone == address),
            Order.customer_id.is_not(None),
        )
        .order_by(Order.placed_at.desc())
        .limit(1)
    )
    if customer_id is None:
        return None
    external = session.scalar(
        select(Customer.external_id).where(Customer.store_id == store.id, Customer.id == customer_id)
    )
    if not external or external.startswith("guest:"):
        return None
    return external
