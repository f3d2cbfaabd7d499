"""The suppression list as one person meets it: the addresses their order recorded, and what each may
not get.

Kept apart from ``consent`` (which re-plans) so that planning can read it without a cycle.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import Order, Store, Suppression


def addresses(order: Order) -> list[str]:
    """The addresses of an order's own contact as the suppression list spells them: email in lower
    case, phone in E.164 (as ingest keeps it)."""
    return [address for address in ((order.email or "").lower(), order.phone or "") if address]


def of(session: Session, store: Store, wanted: list[str]) -> dict[str, set[str]]:
    """The suppressed kinds of each address ("all" for a bounce or a STOP)."""
    found: dict[str, set[str]] = {address: set() for address in wanted if address}
    if not found:
        return found
    rows = session.execute(
        select(Suppression.address, Suppression.kind).where(
            Suppression.store_id == store.id, Suppression.address.in_(list(found))
        )
    )
    for address, kind in rows:
        found[address].add(kind)
    return found


def chosen(found: dict[str, set[str]]) -> set[str]:
    """The kinds the person chose to stop, on any of their addresses (``of``'s answer): a bounce or
    a STOP ("all") is not a choice."""
    return set().union(*found.values()) - {"all"}
