"""Recommendations: the per-store model (``model``), the merchant's curation (``curation``), the
lookup that picks products after an order (``lookup``), and what each pick earned (``picks``)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from app.models import Order, Store
from app.recommend import lookup
from app.recommend.lookup import LIMIT, Mode, Pick, for_order, rebuyable, reorder_url

__all__ = ["LIMIT", "Mode", "Pick", "buy_again", "for_order", "rebuyable", "reorder_url"]


def buy_again(session: Session, store: Store, order: Order) -> list[Pick]:
    """The products of ``order`` to remind the customer to buy again (see ``lookup.buy_again``)."""
    return lookup.buy_again(session, order)
