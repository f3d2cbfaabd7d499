"""A store's lifecycle as it affects sending: connect, pause, resume, disconnect, uninstall.

Pausing keeps every scheduled message (the dispatcher does not claim a paused store's rows) so that
resuming sends what is due; uninstalling stops everything at once and says why on every message.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import outbox
from app.journeys.reasons import Reason
from app.models import Message, MessageStatus, Store, StoreStatus

OPEN = (MessageStatus.SCHEDULED, MessageStatus.HELD, MessageStatus.SENDING)
# A store that needs its merchant keeps ``sync_error`` as this mark, the reason, a newline and the fix,
# so that a later poll, which clears its own errors, leaves it standing.
ATTENTION_MARK = "needs attention: "


@dataclass(frozen=True)
class Attention:
    """Why a store that still works needs its merchant, and what they should do (for its pages)."""

    reason: str
    fix: str


def connect(
    session: Session,
    platform: str,
    external_id: str,
    *,
    name: str,
    credentials: str,
    webhook_secret: str | None = None,
    timezone: str | None = None,
    email: str | None = None,
) -> tuple[Store, bool]:
    """Create the store, or reconnect it with new credentials; returns it and whether it is new.

    A reconnected store keeps its settings, history and webhook secret, and sends again: messages that
    waited while it was disconnected go out, and an uninstalled store starts afresh. ``webhook_secret``
    is used for a new store only (a connector that registers webhooks before saving passes it), and so is
    ``email``, the platform's address of the store (its Reply-To until the merchant sets another)."""
    store = session.scalars(
        select(Store).where(Store.platform == platform, Store.external_id == external_id).with_for_update()
    ).first()
    created = store is None
    if store is None:
        store = Store(
            platform=platform,
            external_id=external_id,
            name=name,
            webhook_secret=webhook_secret or secrets.token_urlsafe(32),
            timezone=_zone(timezone) or "UTC",
            reply_to=(email or "").strip()[:320] or None,
        )
        session.add(store)
    store.name = name or store.name
    store.credentials = credentials
    store.status = StoreStatus.ACTIVE if store.status != StoreStatus.PAUSED else store.status
    store.sync_error = None
    session.flush()
    return store, created


def disconnect(session: Session, store: Store, reason: str) -> None:
    """The platform refused our credentials: keep everything, send nothing until reconnected."""
    if store.status in (StoreStatus.ACTIVE, StoreStatus.PAUSED):
        store.status = StoreStatus.DISCONNECTED
    store.sync_error = reason


def needs_attention(session: Session, store: Store, reason: str, fix: str) -> None:
    """The store works, but not fully, until the merchant acts (keys made read-only: orders are still
    read and messages sent, but disabled webhooks cannot be switched back on). Its status stays what
    it was; its pages say why and what to do. Reconnecting, or the next check that succeeds, clears it."""
    store.sync_error = f"{ATTENTION_MARK}{reason}\n{fix}"


def attended(session: Session, store: Store) -> None:
    """What needed the merchant was put right."""
    if attention(store) is not None:
        store.sync_error = None


def attention(store: Store) -> Attention | None:
    error = store.sync_error or ""
    if not error.startswith(ATTENTION_MARK):
        return None
    reason, _, fix = error.removeprefix(ATTENTION_MARK).partition("\n")
    return Attention(reason, fix)


def pause(session: Session, store: Store) -> None:
    if store.status == StoreStatus.ACTIVE:
        store.status = StoreStatus.PAUSED


def resume(session: Session, store: Store) -> None:
    if store.status == StoreStatus.PAUSED:
        store.status = StoreStatus.ACTIVE


def uninstall(session: Session, store: Store) -> int:
    """Stop all sending for the store now; returns how many messages were cancelled. Its plan is
    ended by the worker's ``billing`` job (``app.billing.providers.end_departed``), which tells the
    platform or the operator's billing hook, as it does for a store that disconnected."""
    store.status = StoreStatus.UNINSTALLED
    messages = session.scalars(
        select(Message).where(Message.store_id == store.id, Message.status.in_(OPEN)).with_for_update()
    ).all()
    for message in messages:
        outbox.cancel(session, message, Reason.of("store_uninstalled"))
    return len(messages)


def _zone(name: str | None) -> str | None:
    """``name`` if it is an IANA zone this machine knows, else None."""
    if not name:
        return None
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None
    return name


def webhook_secret_for(session: Session, platform: str, external_id: str) -> str:
    """The secret a store's webhooks are (or will be) signed with: kept across reconnects."""
    secret = session.scalars(
        select(Store.webhook_secret).where(Store.platform == platform, Store.external_id == external_id)
    ).first()
    return secret or secrets.token_urlsafe(32)
