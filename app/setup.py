"""What a store still has to set up before it sends well, and what is waiting because of it.

``checklist`` gives the sending items of the merchant's setup checklist (the pages own how it looks);
``waiting`` counts the messages held back because a channel cannot send (``channel_waiting``), with
the cause and the page that fixes it, for the banner every merchant page shows.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app import channel_settings
from app.config import Settings
from app.models import Message, MessageAttempt, MessageStatus, Store
from channels.base import StoreContext
from channels.smtp import NO_SENDER


@dataclass(frozen=True)
class Item:
    key: str  # sender | domain | channels | test_message
    title: str  # English; the pages word it (``words``)
    done: bool
    endpoint: str  # the page that does it
    anchor: str = ""


@dataclass(frozen=True)
class Waiting:
    count: int
    cause: str  # "no sender is set up", or the channel's own words
    endpoint: str
    anchor: str


TITLES = (
    "Set up a sender",
    "Authenticate your domain",
    "Connect SMS, WhatsApp or Flow",
    "Send yourself a test message",
)


def checklist(session: Session, settings: Settings, store: Store) -> list[Item]:
    """The sending items of the setup checklist, in the order a merchant does them."""
    ctx = channel_settings.context(session, store)
    has_sender = _has_sender(settings, ctx)
    domain_done = ctx.domain is not None or "smtp" in ctx.settings
    more = [name for name in ctx.settings if name != "smtp"]
    tested = session.scalar(
        select(func.count())
        .select_from(MessageAttempt)
        .where(MessageAttempt.store_id == store.id, MessageAttempt.outcome == "sent")
    )
    return [
        Item("sender", "Set up a sender", has_sender and bool(store.reply_to), "sending.page", "sender"),
        Item("domain", "Authenticate your domain", domain_done, "sending.page", "domain"),
        Item("channels", "Connect SMS, WhatsApp or Flow", bool(more), "sending.page", "channels"),
        Item("test_message", "Send yourself a test message", bool(tested), "sending.page", "test"),
    ]


def sender_ready(session: Session, settings: Settings, store: Store) -> bool:
    """The checklist's first item alone (every admin page shows whether it is done): a sender exists,
    the operator's relay or the store's own server, and the store's address for replies is set."""
    return bool(store.reply_to) and _has_sender(settings, channel_settings.context(session, store))


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
