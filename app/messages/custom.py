"""A merchant's own wording for a step: the documented variables, the check on save, the store.

``save`` refuses a template that does not parse or does not render against the samples
(``samples.py``), with the field, the line and the reason, and changes nothing; what it accepts is
what the dispatcher will render (``render.render(.., custom=load(..))``). Only customer-facing steps
are editable; the alert to the merchant stays ours.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, delete, select
from sqlalchemy.orm import Session

from app.db import affected
from app.journeys.steps import STEPS
from app.links import Links
from app.messages import samples
from app.messages.render import LOCALES, Custom, default_source, render
from app.messages.sandbox import TemplateProblem
from app.models import MessageTemplate, Store

EVERY = "every step"
TRACKING = "shipped, out_for_delivery, delivered, delivery_problem"
# Every variable a template may use and the steps that have it. The editor shows this list; a test
# checks it against what compose.build really gives each step.
VARIABLES: dict[str, tuple[str, str]] = {
    "customer.first_name": ("The customer's first name; may be empty", EVERY),
    "customer.last_name": ("The customer's last name; may be empty", EVERY),
    "order.number": ("The order number as the store shows it, e.g. #1042", EVERY),
    "order.total": ("The order total with its currency, in the customer's language", EVERY),
    "order.placed_on": ("The day the order was placed (Solar Hijri in Persian unless turned off)", EVERY),
    "order.cash_on_delivery": ("True when the customer pays on delivery", EVERY),
    "items": ("The order's lines: each has title, quantity and price", EVERY),
    "store.name": ("The store's name", EVERY),
    "store.email": ("The store's reply-to address", EVERY),
    "shipment.carrier": (
        "The carrier's name; may be empty",
        TRACKING,
    ),
    "shipment.tracking_number": (
        "The tracking number; may be empty (use |ltr inside Arabic or Persian text)",
        TRACKING,
    ),
    "shipment.tracking_url": (
        "Our tracking page for this order (status, history, the carrier's link)",
        TRACKING,
    ),
    "shipment.carrier_url": ("The carrier's own tracking page; may be empty", TRACKING),
    "tracking_url": ("Our tracking page for this order", EVERY),
    "estimate.earliest": (
        "Expected delivery, first day, from the store's own history (estimate may be empty)",
        "thank_you, shipped",
    ),
    "estimate.latest": ("Expected delivery, last day", "thank_you, shipped"),
    "estimate.same_day": ('"true" when the first and last day are the same', "thank_you, shipped"),
    "shipment.status": (
        "in_transit, out_for_delivery, delivered, attempted_delivery, delayed or failure",
        TRACKING,
    ),
    "shipment.problem": ("What went wrong, in words; empty unless there is a problem", "delivery_problem"),
    "review_items": (
        "The products to review: each has title, url, stars (five one-click links, 1 to 5) and page "
        "(our review page); may be empty",
        "review_request, review_reminder",
    ),
    "recommendations": (
        "Products to offer: each has title, url, price; on buy_again also reorder_url (one click to a "
        "cart holding it) and quantity (empty for one)",
        "cross_sell, buy_again",
    ),
    "coupon": (
        "The message's code (made for this customer alone), or the shared one; may be empty",
        "win_back, cross_sell",
    ),
    "offer.code": (
        "The code made in the store for this customer alone; offer may be empty",
        "win_back, cross_sell",
    ),
    "offer.amount": ("What it takes off: 10% or an amount in the store's currency", "win_back, cross_sell"),
    "offer.expires_on": ("The last day the code works, in the customer's calendar", "win_back, cross_sell"),
    "opt_in.url": ("Our double opt-in page; opt_in is empty once they agreed to offers", "thank_you"),
    "opt_in.label": ("The link's words: Yes, send me offers", "thank_you"),
    "check_in.happy": ("Link the customer clicks when all is well", "check_in"),
    "check_in.unhappy": ("Link the customer clicks when something is not right", "check_in"),
    "nps": ("Eleven links, for 0 to 10, when the store asks the NPS question; else empty", "check_in"),
    "unsubscribe.url": (
        "The one-click unsubscribe page (the footer already carries it)",
        "every step but thank_you",
    ),
    "locale": ("en, ar or fa: the language this message is in", EVERY),
}
FILTERS_HELP = (
    "Filters: ltr (keeps a code whole inside right-to-left text), upper, lower, title, default, truncate."
)


def editable(step: str, locale: str) -> bool:
    return step in STEPS and locale in LOCALES


def _one(store_id: int, step: str, locale: str) -> tuple[ColumnElement[bool], ...]:
    return (
        MessageTemplate.store_id == store_id,
        MessageTemplate.step == step,
        MessageTemplate.locale == locale,
    )


def _row(session: Session, store_id: int, step: str, locale: str) -> MessageTemplate | None:
    return session.scalars(select(MessageTemplate).where(*_one(store_id, step, locale))).first()


def load(session: Session, store_id: int, step: str, locale: str) -> Custom | None:
    row = _row(session, store_id, step, locale)
    return None if row is None else Custom(subject=row.subject, body=row.body, short=row.short)


def load_all(session: Session, store_id: int) -> dict[tuple[str, str], Custom]:
    """Every wording of the store's own, by (step, locale): one query for a batch of messages."""
    return {
        (row.step, row.locale): Custom(subject=row.subject, body=row.body, short=row.short)
        for row in session.scalars(select(MessageTemplate).where(MessageTemplate.store_id == store_id))
    }


def current(session: Session, store_id: int, step: str, locale: str) -> tuple[Custom, bool]:
    """The wording in use and whether it is the merchant's own."""
    own = load(session, store_id, step, locale)
    if own is not None:
        return own, True
    default = default_source(step, locale)
    assert default is not None  # noqa: S101 - every editable step has a default in every locale
    return default, False


def contexts(session: Session, store: Store, step: str, locale: str, links: Links) -> list[dict[str, Any]]:
    """What a template is tried against: the recent real order first, then the two samples."""
    tried = [
        samples.sample_context(store, step, locale, links),
        samples.sample_context(store, step, locale, links, sparse=True),
    ]
    recent = samples.recent_context(session, store, step, locale, links)
    return [recent, *tried] if recent is not None else tried


def check(session: Session, store: Store, step: str, locale: str, custom: Custom, links: Links) -> None:
    """Raises ``TemplateProblem`` for the first field that fails against any of the contexts."""
    for field in ("subject", "body"):
        if not getattr(custom, field).strip():
            raise TemplateProblem(field, None, "may not be empty")
    for context in contexts(session, store, step, locale, links):
        render(step, locale, context, custom)


def save(session: Session, store: Store, step: str, locale: str, custom: Custom, links: Links) -> None:
    """Check, then store; raises ``TemplateProblem`` (and stores nothing) when the check fails."""
    check(session, store, step, locale, custom, links)
    row = _row(session, store.id, step, locale)
    if row is None:
        row = MessageTemplate(store_id=store.id, step=step, locale=locale)
        session.add(row)
    row.subject, row.body, row.short = custom.subject, custom.body, custom.short


def reset(session: Session, store_id: int, step: str, locale: str) -> bool:
    """Back to our wording; True when there was a template of the merchant's to remove."""
    result = session.execute(delete(MessageTemplate).where(*_one(store_id, step, locale)))
    return bool(affected(result))
