"""A store's channels as the sending layer sees them: each channel's settings, read from
``channel_settings`` (decrypted, validated by the channel's own model), the store's authenticated
domain and the channels' own data, as one ``channels.base.StoreContext``.

Planning asks which channels a store can use for every order it plans, so the context is kept on the
database session (``session.info``) for the session's life; saving through here updates it.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError
from sqlalchemy import delete, select
from sqlalchemy.orm import Session, object_session

from app import clock, replies
from app.models import ChannelSetting, SendingDomain, Store, WhatsAppTemplate
from channels import registry
from channels.base import ChannelSettings, SigningDomain, StoreContext
from channels.whatsapp import Template, WhatsAppState

log = logging.getLogger(__name__)
CACHE = "aftercare.channel_context"
USABLE = "aftercare.channel_usable"  # store id -> (the context it was read from, channel names)


def _cache(session: Session) -> dict[int, StoreContext]:
    return session.info.setdefault(CACHE, {})


def stored(session: Session, store_id: int) -> dict[str, ChannelSettings]:
    """Every channel's saved settings for the store, skipping any that no longer validate (logged)."""
    found: dict[str, ChannelSettings] = {}
    for row in session.scalars(select(ChannelSetting).where(ChannelSetting.store_id == store_id)):
        model = registry.settings_model(row.channel)
        if model is None:
            continue
        try:
            found[row.channel] = model.model_validate_json(row.settings)
        except ValidationError as exc:
            log.warning("store %s: saved %s settings no longer validate: %s", store_id, row.channel, exc)
    return found


def context(session: Session, store: Store) -> StoreContext:
    """The store as its channels see it (kept for the session)."""
    cache = _cache(session)
    if store.id in cache:
        return cache[store.id]
    domain_row = session.scalars(
        select(SendingDomain)
        .where(SendingDomain.store_id == store.id, SendingDomain.verified_at.is_not(None))
        .order_by(SendingDomain.id)
    ).first()
    domain = (
        SigningDomain(domain_row.domain, domain_row.selector, domain_row.private_key, domain_row.from_email)
        if domain_row is not None
        else None
    )
    settings = stored(session, store.id)
    state: dict[str, Any] = {}
    if "whatsapp" in settings:
        templates = {
            (row.step, row.locale): Template(row.content_sid, row.status, row.rejection_reason)
            for row in session.scalars(select(WhatsAppTemplate).where(WhatsAppTemplate.store_id == store.id))
            if row.account_sid == getattr(settings["whatsapp"], "account_sid", None)
        }
        state["whatsapp"] = WhatsAppState(templates, replies.windows(session, store.id))
    built = StoreContext(
        store_id=store.id,
        name=store.sender_name or store.name,
        platform=store.platform,
        credentials=store.credentials,
        address=store.reply_to,
        settings=settings,
        domain=domain,
        state=state,
    )
    cache[store.id] = built
    return built


def keep(session: Session, built: StoreContext) -> None:
    """Replace the session's context of a store (the dispatcher adds where renewed credentials go)."""
    _cache(session)[built.store_id] = built


def forget(session: Session, store_id: int) -> None:
    _cache(session).pop(store_id, None)


def usable(store: Store) -> tuple[str, ...]:
    """The channels this store has configured, in the registry's order. Planning asks it for every
    step of every order; the answer is kept with the session's context of the store, and goes with it
    when the context is replaced."""
    session = object_session(store)
    if session is None:  # a detached store: only what the store row itself says
        ctx = StoreContext(store.id, store.name, store.platform, store.credentials, store.reply_to)
        return _configured(ctx)
    ctx = context(session, store)
    kept = session.info.setdefault(USABLE, {}).get(store.id)
    if kept is None or kept[0] is not ctx:
        kept = (ctx, _configured(ctx))
        session.info[USABLE][store.id] = kept
    return kept[1]


def _configured(ctx: StoreContext) -> tuple[str, ...]:
    return tuple(name for name, kind in registry.KINDS.items() if kind.configured(ctx))


def save(session: Session, store: Store, channel: str, settings: ChannelSettings | None) -> None:
    """Keep ``settings`` for ``channel`` (None: the channel is no longer set up)."""
    session.execute(
        delete(ChannelSetting).where(ChannelSetting.store_id == store.id, ChannelSetting.channel == channel)
    )
    if settings is not None:
        session.add(
            ChannelSetting(
                store_id=store.id,
                channel=channel,
                settings=settings.model_dump_json(),
                updated_at=clock.now(),
            )
        )
    session.flush()
    forget(session, store.id)


def save_values(session: Session, store: Store, channel: str, values: Mapping[str, Any]) -> None:
    """Validate and keep raw values (tests, the demo, migrations of old data)."""
    model = registry.settings_model(channel)
    if model is None:
        raise KeyError(channel)
    save(session, store, channel, model.model_validate(dict(values)))


def dumps(settings: ChannelSettings) -> str:
    return json.dumps(settings.model_dump(mode="json"))
