"""Keep every step's WhatsApp template on the store's Twilio account: create what is missing (per step
and language), submit it for WhatsApp's approval, and follow its status until WhatsApp decides.

The worker runs it for every store with WhatsApp set up (``scheduler.jobs.sync_whatsapp_templates``).
Twilio is asked outside any transaction; each answer is written at once in a short one of its own. A
new Twilio account (another Account SID saved) gets templates of its own.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass

from sqlalchemy import select

from app import channel_settings, clock
from app.db import Database
from app.journeys.steps import STEPS, Kind
from app.models import Store, WhatsAppTemplate
from channels.base import ChannelError
from channels.twilio_api import Account
from channels.whatsapp import WhatsAppSettings
from channels.whatsapp.templates import FINAL, LOCALES, ContentApi, friendly_name

log = logging.getLogger(__name__)


def category(step: str) -> str:
    """WhatsApp's category: offers are marketing, everything about the order is a utility."""
    return "MARKETING" if STEPS[step].kind is Kind.MARKETING else "UTILITY"


@dataclass(frozen=True)
class _Work:
    step: str
    locale: str
    content_sid: str | None  # None: to create


def sync(db: Database, store_id: int, api: ContentApi) -> Counter[str]:
    """Create, submit and follow the store's templates; how many of each status it ended with."""
    with db.session() as session:
        store = session.get(Store, store_id)
        settings = (
            channel_settings.context(session, store).of("whatsapp", WhatsAppSettings) if store else None
        )
        if store is None or settings is None:
            return Counter()
        rows = {
            (row.step, row.locale): row
            for row in session.scalars(select(WhatsAppTemplate).where(WhatsAppTemplate.store_id == store_id))
        }
        work = []
        for step in STEPS:
            for locale in LOCALES:
                row = rows.get((step, locale))
                if row is None or row.account_sid != settings.account_sid:
                    work.append(_Work(step, locale, None))
                elif row.status not in FINAL:
                    work.append(_Work(step, locale, row.content_sid))
        statuses = Counter(row.status for row in rows.values() if row.status in FINAL)
    account = Account(settings.account_sid, settings.auth_token)
    for item in work:
        name = friendly_name(store_id, item.step, item.locale)
        try:
            if item.content_sid is None:
                sid = api.create(account, name, item.locale)
                approval = api.submit(account, sid, name, category(item.step))
            else:
                sid, approval = item.content_sid, api.status(account, item.content_sid)
        except ChannelError as exc:
            log.warning("store %s: WhatsApp template %s: %s", store_id, name, exc)
            statuses["error"] += 1
            continue
        _keep(db, store_id, item, settings.account_sid, sid, approval.status, approval.reason)
        statuses[approval.status] += 1
    return statuses


def _keep(
    db: Database, store_id: int, item: _Work, account_sid: str, sid: str, status: str, reason: str
) -> None:
    with db.session() as session:
        row = session.scalars(
            select(WhatsAppTemplate).where(
                WhatsAppTemplate.store_id == store_id,
                WhatsAppTemplate.step == item.step,
                WhatsAppTemplate.locale == item.locale,
            )
        ).first()
        if row is None:
            row = WhatsAppTemplate(store_id=store_id, step=item.step, locale=item.locale)
            session.add(row)
        row.account_sid, row.content_sid = account_sid, sid
        row.status, row.rejection_reason, row.checked_at = status, reason[:2000], clock.now()
