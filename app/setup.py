"""What a store still has to set up before it sends well, and what is waiting because of it.

``sender_ready``, ``domain_ready`` and ``channels_ready`` answer the sending items of the merchant's
setup checklist (``app.web.admin.checklist`` owns how it looks); each reads the store's channel
context, which the session keeps, so every admin page asks them at no cost. ``waiting`` counts the
messages held back because a channel cannot send (``channel_waiting``), with the cause and the page
that fixes it, for the banner every merchant page shows.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import channel_settings
from app.config import Settings
from app.models import Message, MessageStatus, Store
from channels.base import StoreContext
from channels.smtp import NO_SENDER


@dataclass(frozen=True)
class Waiting:
    count: int
    cause: str  # "no sender is set up", or the channel's own words
    endpoint: str
    anchor: str


def sender_ready(session: Session, settings: Settings, store: Store) -> bool:
    """A sender exists, the operator's relay or the store's own server, and the store's address for
    replies is set."""
    return bool(store.reply_to) and _has_sender(settings, channel_settings.context(session, store))


def domain_ready(session: Session, settings: Settings, store: Store) -> bool:
    """Mail goes From the store's own address: its domain is authenticated, or its own server sends."""
    ctx = channel_settings.context(session, store)
    return ctx.domain is not None or "smtp" in ctx.settings


def channels_ready(session: Session, settings: Settings, store: Store) -> bool:
    """A channel beyond email is set up (SMS, WhatsApp, Flow, the store's own webhook)."""
    return any(name != "smtp" for name in channel_settings.context(session, store).settings)


def _has_sender(settings: Settings, ctx: StoreContext) -> bool:
    return bool(settings.platform_smtp_url and settings.sending_domain) or "smtp" in ctx.settings


def waiting(session: Session, store: Store) -> Waiting | None:
    """The store's messages that wait for a channel, and why (the most common cause)."""
    rows = (
        session.execute(
            select(Message.reason_params).where(
                Message.store_id == store.id,
                Message.status == MessageStatus.SCHEDULED,
                Message.reason_code == "channel_waiting",
            )
        )
        .scalars()
        .all()
    )
    if not rows:
        return None
    causes: Counter[str] = Counter()
    for params in rows:
        if NO_SENDER in params:
            causes[NO_SENDER] += 1
        elif "moments ago" not in params:  # the batch's later messages did not knock again: no news
            causes[_channel(params)] += 1
    cause = causes.most_common(1)[0][0] if causes else "a channel is unreachable"
    anchor = "sender" if cause == NO_SENDER else "channels"
    return Waiting(len(rows), cause, "sending.page", anchor)


def _channel(params: str) -> str:
    """The first channel named in a ``channel_waiting`` reason's ``tried`` list."""
    for name in channel_settings.registry.NAMES:
        if f'"{name}' in params:
            return f"{name} is unreachable"
    return "a channel is unreachable"
