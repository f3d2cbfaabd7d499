"""One row at a time: insert it if new, else apply the newer snapshot (``result.newer``)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db import insert_ignore
from app.ingest.result import newer
from app.models import Product, Shipment, Store


def upsert_newer(
    session: Session,
    model: type[Product] | type[Shipment],
    store: Store,
    external_id: str,
    fields: dict[str, Any],
) -> tuple[Any, bool, dict[str, Any] | None]:
    """Insert the row if it is new, otherwise apply ``fields`` when they are newer than the stored
    ones. The row stays locked for the transaction. Returns the row, whether it was created, and the
    values it held before an update (None when nothing was updated), so callers can say what changed.
    Rows with concurrent inserts are created with INSERT .. ON CONFLICT DO NOTHING and then locked, so
    two deliveries about one new row racing in two workers end with one row and the newer data."""
    created = insert_ignore(session, model, {"store_id": store.id, "external_id": external_id, **fields})
    row = session.scalars(
        select(model).where(model.store_id == store.id, model.external_id == external_id).with_for_update()
    ).one()
    if created:
        return row, True, None
    before = {name: getattr(row, name) for name in fields}
    if not newer(fields, before):
        return row, False, None
    for name, value in fields.items():
        setattr(row, name, value)
    return row, False, before
