"""Filters every template may use, ours and the merchant's alike.

``ltr`` keeps an order number, a tracking code or an address whole inside right-to-left text: HTML
gets ``<bdi dir="ltr">``, plain text (subjects, SMS) the Unicode isolates LRI .. PDI.
"""

from __future__ import annotations

from typing import Any

from markupsafe import Markup, escape

LRI, PDI = "\u2066", "\u2069"


def ltr_html(value: Any) -> Markup:
    return Markup('<bdi dir="ltr">{}</bdi>').format(escape(str(value)))


def ltr_text(value: Any) -> str:
    return f"{LRI}{value}{PDI}"
