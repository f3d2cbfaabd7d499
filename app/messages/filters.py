"""Filters every template may use, ours and the merchant's alike.

``number`` writes a count as the message's language does (Persian digits in Persian). ``ltr`` keeps
an order number, a tracking code or an address whole inside right-to-left text: HTML gets
``<bdi dir="ltr">``, plain text (subjects, SMS) the Unicode isolates LRI .. PDI.
"""

from __future__ import annotations

from typing import Any

from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup, escape

from app.messages.localise import number

LRI, PDI = "\u2066", "\u2069"


def ltr_html(value: Any) -> Markup:
    return Markup('<bdi dir="ltr">{}</bdi>').format(escape(str(value)))


def ltr_text(value: Any) -> str:
    return f"{LRI}{value}{PDI}"


@pass_context
def localised_number(context: Context, value: int | float) -> str:
    return number(value, context.get("locale", "en"))
