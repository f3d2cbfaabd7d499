"""What every merchant page is rendered with: the store, the merchant's language and direction, the
translator, local times and numbers, the CSRF token."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import g, render_template, request, session, url_for
from flask_wtf.csrf import generate_csrf
from sqlalchemy.orm import object_session

from app import setup, stores, timeline
from app.journeys import config as journey_config
from app.journeys import reasons
from app.journeys.steps import STEPS
from app.messages.localise import number
from app.messages.render import LOCALES, RTL_LOCALES
from app.models import Store
from app.web.admin import checklist, dates, words


def ui_language(store: Store) -> str:
    """The merchant's language: asked for (``?lang=``, or the ``locale`` Shopify adds to the App
    Home), remembered in the session, else the store's own."""
    asked = request.args.get("lang") or request.args.get("locale") or ""
    asked = asked.replace("-", "_").split("_")[0].lower()
    if asked in LOCALES:
        if not g.get("embedded"):
            session["lang"] = asked
        return asked
    remembered = session.get("lang")
    return (
        remembered
        if remembered in LOCALES
        else (store.default_locale if store.default_locale in LOCALES else "en")
    )


def translator(store: Store) -> Callable[[str], str]:
    """``t`` for the merchant's language, for what a view says outside a template (a flash)."""
    return words.translator(ui_language(store))


def page(template: str, store: Store, **context: Any) -> str:
    lang = ui_language(store)
    t = words.translator(lang)

    def step_title(name: str) -> str:
        return t(STEPS[name].title) if name in STEPS else t(name.replace("_", " "))

    def why(item: Any) -> str:
        """A message's or a journey entry's reason, in the merchant's language and the store's zone."""
        describe = getattr(item, "describe", None)
        if describe is not None:
            return str(describe(lang, store.timezone))
        return reasons.words(item.why, lang, store.timezone)

    def order_status(status: str) -> str:
        return t(ORDER_STATUS.get(status, status))

    def said(entry: Any) -> str:
        """A timeline entry as a sentence in the merchant's language."""
        return timeline.describe(entry, lang, store.timezone, step_title)

    return render_template(
        template,
        store=store,
        lang=lang,
        dir="rtl" if lang in RTL_LOCALES else "ltr",
        t=t,
        step_title=step_title,
        why=why,
        said=said,
        n=lambda value: number(value, lang),
        local=dates.formatter(lang, store.timezone, solar_hijri=_solar_hijri(store)),
        day=lambda value: dates.day(value, lang, solar_hijri=_solar_hijri(store)),
        order_status=order_status,
        embedded=bool(g.get("embedded")),
        csrf="" if g.get("embedded") else generate_csrf(),
        admin_url=admin_url,
        notices=g.get("notices", []),
        app_bridge_key=g.get("app_bridge_key"),
        steps=STEPS,
        attention=stores.attention(store),
        setup=checklist.progress(store),
        billing_notice=billing_notice(store),
        waiting=_waiting(store),
        **context,
    )


# The store's order statuses as the merchant's language names them (the platform's own word is kept
# on the order for the rest).
ORDER_STATUS = {
    "pending": "Awaiting payment",
    "paid": "Paid",
    "on_hold": "On hold",
    "completed": "Completed",
    "cancelled": "Cancelled",
    "refunded": "Refunded",
    "failed": "Payment failed",
}


def _solar_hijri(store: Store) -> bool:
    return journey_config.parse(store.journey).solar_hijri


def billing_notice(store: Store) -> str | None:
    """The plan banner's sentence, when the store is over its plan or its charge needs approving."""
    from app.billing import state

    return state.notice(store)


def _waiting(store: Store) -> setup.Waiting | None:
    """Messages held back because a channel cannot send, for the banner (the page's own session)."""
    session = object_session(store)
    return setup.waiting(session, store) if session is not None else None


def local_time(store: Store) -> Callable[[datetime | None], str]:
    """A formatter showing UTC times in the store's own time zone."""
    try:
        zone = ZoneInfo(store.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")

    def fmt(moment: datetime | None) -> str:
        return moment.astimezone(zone).strftime("%-d %b %Y %H:%M") if moment else ""

    return fmt


def admin_url(endpoint: str, **values: Any) -> str:
    """A link between merchant pages. Inside a platform's admin it carries the embedded hints (shop,
    host), so that App Bridge's patch flow can hand the next page a fresh ID token."""
    return url_for(endpoint, **values, **g.get("embedded_query", {}))
