"""The merchant's accounts at tracking sources: entered on the Tracking page, proved with one call to
the source before they are kept (encrypted, invariant 8), and read back by the worker."""

from __future__ import annotations

import json
from collections.abc import Mapping

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from app import clock
from app.db import affected
from app.models import Store, TrackingAccount
from connectors import netguard
from tracking.base import Refused, Source, SourceDown


class AccountProblem(ValueError):
    """Why the details were not kept: an English sentence with ``{}`` places (the page translates it)
    and what goes in them."""

    def __init__(self, sentence: str, **values: str) -> None:
        super().__init__(sentence.format(**values))
        self.sentence = sentence
        self.values = values


def stored(session: Session, store: Store) -> dict[str, TrackingAccount]:
    rows = session.scalars(select(TrackingAccount).where(TrackingAccount.store_id == store.id))
    return {row.source: row for row in rows}


def credentials(account: TrackingAccount) -> dict[str, str]:
    try:
        found = json.loads(account.credentials or "{}")
    except ValueError:
        return {}
    return {str(k): str(v) for k, v in found.items()} if isinstance(found, dict) else {}


def save(session: Session, store: Store, source: Source, given: Mapping[str, str]) -> TrackingAccount:
    """Check ``given`` with the source and keep it. A secret left blank keeps the stored one (the page
    never shows secrets back). Raises ``AccountProblem`` and keeps nothing when the source refuses
    the details or cannot be reached."""
    existing = stored(session, store).get(source.name)
    before = credentials(existing) if existing else {}
    values: dict[str, str] = {}
    for field in source.fields:
        value = (given.get(field.name) or "").strip()[:500]
        if not value and field.secret:
            value = before.get(field.name, "")
        if field.required and not value:
            raise AccountProblem("{field} is needed.", field=field.label)
        values[field.name] = value
    checkable = {k: v for k, v in values.items() if k != "webhook_secret"}
    try:
        source.check(checkable, netguard.session())
    except Refused as exc:
        raise AccountProblem("{source} refused these details.", source=source.label) from exc
    except SourceDown as exc:
        raise AccountProblem(
            "{source} could not be reached to check them: {reason}", source=source.label, reason=str(exc)
        ) from exc
    if existing is None:
        existing = TrackingAccount(store_id=store.id, source=source.name, credentials="")
        session.add(existing)
    existing.credentials = json.dumps(values)
    existing.checked_at = clock.now()
    existing.error = None
    session.flush()
    return existing


def remove(session: Session, store: Store, source_name: str) -> bool:
    done = session.execute(
        delete(TrackingAccount).where(
            TrackingAccount.store_id == store.id, TrackingAccount.source == source_name
        )
    )
    return bool(affected(done))
