"""Render a journey step for one order in the customer's language.

Templates run in Jinja2's sandbox with autoescaping for HTML (invariant 8): a customer called
``<script>`` or ``{{ 7*7 }}`` is text, never markup or code. The HTML part gets its CSS inlined,
because most email clients drop ``<style>`` blocks.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import css_inline
from babel import Locale, UnknownLocaleError
from babel.dates import format_date
from babel.numbers import format_currency
from jinja2 import FileSystemLoader, StrictUndefined, select_autoescape
from jinja2.sandbox import SandboxedEnvironment
from markupsafe import Markup, escape

from app.models import Customer, Order, Store

TEMPLATES = Path(__file__).parent / "templates"
LOCALES = ("en", "ar", "fa")
FALLBACK_LOCALE = "en"
LRI, PDI = "\u2066", "\u2069"  # Unicode isolates keep "#1042" and tracking codes whole inside RTL text


@dataclass(frozen=True)
class Rendered:
    locale: str
    subject: str
    text: str
    html: str


def _ltr_html(value: Any) -> Markup:
    return Markup('<bdi dir="ltr">{}</bdi>').format(escape(str(value)))


def _ltr_text(value: Any) -> str:
    return f"{LRI}{value}{PDI}"


_environment = SandboxedEnvironment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(enabled_extensions=("html.j2",), default_for_string=True),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
_environment.filters["ltr"] = _ltr_html
_environment.filters["ltr_text"] = _ltr_text
_inliner = css_inline.CSSInliner(keep_style_tags=False)


def choose_locale(order: Order, customer: Customer | None, store: Store) -> str:
    """The order's language, then the customer's, then the store's; reduced to one we have."""
    for candidate in (order.locale, customer.locale if customer else None, store.default_locale):
        if candidate:
            language = candidate.replace("-", "_").split("_")[0].lower()
            if language in LOCALES:
                return language
    return FALLBACK_LOCALE


def context_for(store: Store, order: Order, customer: Customer | None, locale: str) -> dict[str, Any]:
    """The variables every template can use."""
    try:
        babel_locale = Locale.parse(locale)
    except (ValueError, UnknownLocaleError):
        babel_locale = Locale.parse(FALLBACK_LOCALE)

    def money(amount: Decimal) -> str:
        return format_currency(amount, order.currency, locale=babel_locale)

    first_name = (customer.first_name if customer else None) or ""
    return {
        "locale": locale,
        "dir": "rtl" if babel_locale.character_order == "right-to-left" else "ltr",
        "store": {"name": store.name, "email": store.reply_to or store.sender_email or ""},
        "customer": {
            "first_name": first_name,
            "last_name": (customer.last_name if customer else None) or "",
        },
        "order": {
            "number": order.number,
            "total": money(order.total),
            "placed_on": format_date(order.placed_at, format="long", locale=babel_locale),
            "cash_on_delivery": order.cash_on_delivery,
        },
        "items": [
            {"title": line.title, "quantity": line.quantity, "price": money(line.unit_price * line.quantity)}
            for line in order.lines
        ],
    }


def render(step: str, store: Store, order: Order, customer: Customer | None) -> Rendered:
    locale = choose_locale(order, customer, store)
    context = context_for(store, order, customer, locale)
    subject = _environment.get_template(f"{locale}/{step}.subject.j2").render(context)
    text = _environment.get_template(f"{locale}/{step}.text.j2").render(context)
    html = _environment.get_template(f"{locale}/{step}.html.j2").render(context)
    return Rendered(
        locale=locale,
        subject=re.sub(r"\s+", " ", subject).strip(),  # a header: one line, whatever the template did
        text=text.strip() + "\n",
        html=_inliner.inline(html),
    )
