"""The suppression list as one customer meets it: every address they have, and what each may not get.

Kept apart from ``consent`` (which re-plans) so that planning can read it without a cycle.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import Customer, Store, Suppression


def addresses(customer: Customer) -> list[str]:
    """Every address of the customer as the suppression list spells it: email in lower case, phone in
    E.164 (as ingest keeps it)."""
    return [address for address in ((customer.email or "").lower(), customer.phone or "") if address]


def of(session: Session, store: Store, customer: Customer) -> dict[str, set[str]]:
    """The suppressed kinds of each of the customer's addresses ("all" for a bounce or a STOP)."""
    found: dict[str, set[str]] = {address: set() for address in addresses(customer)}
    rows = session.execute(
        select(Suppression.address, Suppression.kind).where(
            Suppression.store_id == store.id, Suppression.address.in_(list(found))
        )
    )
    for address, kind in rows:
        found[address].add(kind)
    return found


def chosen(found: dict[str, set[str]]) -> set[str]:
    """The kinds the customer chose to stop, on any of their addresses (``of``'s answer): a bounce or
    a STOP ("all") is not a choice."""
    return set().union(*found.values()) - {"all"}
