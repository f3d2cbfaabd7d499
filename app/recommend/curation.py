"""The merchant's own word on what goes with what, which comes before anything the model says.

Three sources, one table (``recommend_curation``): what the platform says for a product (WooCommerce's
``cross_sell_ids`` and ``upsell_ids``, arriving with every product; Shopify's complementary products
from Search & Discovery, fetched by the build job), and what the merchant sets in Aftercare: products
pinned to the top of every list, and products never to recommend.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from app.db import among
from app.models import Product, RecommendCuration, RecommendItem, Store

log = logging.getLogger(__name__)

STORE_WIDE = ""  # the product column of a pin or an exclusion
MERCHANT_KINDS = ("pin", "exclude")
COMPLEMENTARY_PRODUCTS = 50  # the store's best sellers whose complementary products are fetched


def replace(session: Session, store: Store, kind: str, product_id: str, others: Sequence[str]) -> None:
    """Make ``others`` (best first) the ``kind`` curation of ``product_id``."""
    session.execute(
        delete(RecommendCuration).where(
            RecommendCuration.store_id == store.id,
            RecommendCuration.kind == kind,
            RecommendCuration.product_external_id == product_id,
        )
    )
    rows = [
        {
            "store_id": store.id,
            "kind": kind,
            "product_external_id": product_id,
            "other_external_id": other,
            "position": position,
        }
        for position, other in enumerate(dict.fromkeys(o for o in others if o != product_id))
    ]
    if rows:
        session.add_all(RecommendCuration(**row) for row in rows)
        session.flush()


def merchant_choices(session: Session, store: Store) -> dict[str, list[str]]:
    """The store's pins (in order) and exclusions."""
    chosen: dict[str, list[str]] = {kind: [] for kind in MERCHANT_KINDS}
    for kind, other in session.execute(
        select(RecommendCuration.kind, RecommendCuration.other_external_id)
        .where(
            RecommendCuration.store_id == store.id,
            RecommendCuration.product_external_id == STORE_WIDE,
            RecommendCuration.kind.in_(MERCHANT_KINDS),
        )
        .order_by(RecommendCuration.position, RecommendCuration.id)
    ):
        chosen[kind].append(other)
    return chosen


def choose(session: Session, store: Store, product_id: str, kind: str | None) -> bool:
    """Pin ``product_id`` (last among the pins), exclude it, or (``kind`` None) let the model decide
    again. False when the store has no such product."""
    known = session.scalar(
        select(Product.id).where(Product.store_id == store.id, Product.external_id == product_id)
    )
    if known is None:
        return False
    chosen = merchant_choices(session, store)
    for held in MERCHANT_KINDS:
        if product_id in chosen[held]:
            replace(session, store, held, STORE_WIDE, [p for p in chosen[held] if p != product_id])
    if kind is not None:
        replace(session, store, kind, STORE_WIDE, [p for p in chosen[kind] if p != product_id] + [product_id])
    return True


def refresh_complementary(
    session: Session, store: Store, connector: object, credentials: str | None
) -> str | None:
    """Fetch the complementary products of the store's best sellers from a platform that keeps them
    apart from products (``connectors.base.ComplementaryProducts``). Returns an error to show, or None."""
    from connectors.base import ComplementaryProducts, ConnectorError

    if not isinstance(connector, ComplementaryProducts) or not credentials:
        return None
    products = list(
        session.scalars(
            select(RecommendItem.product_external_id)
            .where(RecommendItem.store_id == store.id)
            .order_by(RecommendItem.recent_orders.desc(), RecommendItem.orders.desc())
            .limit(COMPLEMENTARY_PRODUCTS)
        )
    )
    if not products:
        return None

    def keep(updated: str) -> None:
        store.credentials = updated

    try:
        found = connector.complementary(credentials, products, keep)
    except ConnectorError as exc:
        log.warning("store %s: complementary products not fetched: %s", store.id, exc)
        return str(exc)[:500]
    session.execute(
        delete(RecommendCuration).where(
            RecommendCuration.store_id == store.id,
            RecommendCuration.kind == "complementary",
            among(session, RecommendCuration.product_external_id, products),
        )
    )
    for product, others in found.items():
        replace(session, store, "complementary", product, others)
    return None
