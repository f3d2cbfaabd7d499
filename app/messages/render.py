"""Render one journey step in one language: subject, HTML part and plain-text part.

Pure: the variables come from ``compose.py``. Templates run in Jinja2's sandbox with autoescaping
(invariant 8): a customer called ``<script>`` or ``{{ 7*7 }}`` is text, never markup or code. Each
step has one template per language, ``<locale>/<step>.html.j2``, with a ``subject`` block; the plain
text part is derived from the HTML (inscriptis) so the two never drift apart, and the HTML gets its CSS
inlined, because most email clients drop ``<style>`` blocks.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import css_inline
from inscriptis import get_text
from inscriptis.css_profiles import CSS_PROFILES
from inscriptis.model.config import ParserConfig
from jinja2 import FileSystemLoader, StrictUndefined, TemplateNotFound, select_autoescape
from jinja2.sandbox import SandboxedEnvironment
from markupsafe import Markup, escape

TEMPLATES = Path(__file__).parent / "templates"
LOCALES = ("en", "ar", "fa")
FALLBACK_LOCALE = "en"
RTL_LOCALES = frozenset({"ar", "fa"})
LRI, PDI = "\u2066", "\u2069"  # Unicode isolates keep "#1042" and tracking codes whole inside RTL text
TEXT_CONFIG = ParserConfig(css=CSS_PROFILES["strict"], display_links=True)
BDI_LTR = re.compile(r'<bdi dir="ltr">(.*?)</bdi>', re.DOTALL)


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


def _text_of(markup: str) -> str:
    # Keep the isolation of order numbers and codes that <bdi> gave the HTML part.
    markup = BDI_LTR.sub(lambda match: LRI + match.group(1) + PDI, markup)
    text = get_text(markup, TEXT_CONFIG)
    lines = [line.rstrip() for line in text.splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip() + "\n"


def render(step: str, locale: str, context: dict[str, Any]) -> Rendered:
    """Raises jinja2's errors for a broken template; the dispatcher records them as a failure."""
    try:
        template = _environment.get_template(f"{locale}/{step}.html.j2")
    except TemplateNotFound:
        locale = FALLBACK_LOCALE
        template = _environment.get_template(f"{locale}/{step}.html.j2")
    context = {**context, "locale": locale, "dir": "rtl" if locale in RTL_LOCALES else "ltr"}
    subject = "".join(template.blocks["subject"](template.new_context(context)))
    markup = template.render(context)
    body = markup.split("<body", 1)[-1]  # the text part starts at the body: no <title> or <style>
    return Rendered(
        locale=locale,
        subject=re.sub(r"\s+", " ", html.unescape(subject)).strip(),  # a header: one line, plain text
        text=_text_of("<body" + body),
        html=_inliner.inline(markup),
    )
