"""The store's products: titles, links, prices, stock and tags, newest snapshot wins."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from app.ingest.result import CREATED, IngestResult
from app.ingest.upsert import upsert_newer
from app.models import Product, Store
from app.recommend import curation
from connectors.base import ProductSnapshot


def apply_product(session: Session, store: Store, snap: ProductSnapshot) -> IngestResult:
    fields: dict[str, Any] = {
        "title": snap.title,
        "url": snap.url,
        "image_url": snap.image_url,
        "price": snap.price,
        "in_stock": snap.in_stock,
        "tags": ",".join(snap.tags),
        "remote_updated_at": snap.updated_at,
    }
    _, created, before = upsert_newer(session, Product, store, snap.external_id, fields)
    if not created and before is None:
        return IngestResult("product", snap.external_id, changed=False, note="not newer than stored")
    for kind, others in (("cross_sell", snap.cross_sell_ids), ("upsell", snap.upsell_ids)):
        if others is not None:  # None: the platform does not curate in its product payloads
            curation.replace(session, store, kind, snap.external_id, others)
    return IngestResult("product", snap.external_id, changed=True, note=CREATED if created else "updated")
