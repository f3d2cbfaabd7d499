"""Render one journey step in one language: subject, HTML part, plain-text part and short text.

Pure: the variables come from ``compose.py``. Templates run in Jinja2's sandbox with autoescaping
(invariant 8): a customer called ``<script>`` or ``{{ 7*7 }}`` is text, never markup or code. Each
step has one template per language, ``<locale>/<step>.html.j2``, with a ``subject`` block and a
``short`` block (the SMS and WhatsApp text); the plain-text part is derived from the HTML (``plaintext``)
so the two never drift apart, and the HTML gets its CSS inlined, because most email clients drop
``<style>`` blocks.

A merchant may replace a step's subject, body and short text (``Custom``). Those run in a stricter
sandbox (``sandbox.py``) and their body is placed inside our layout, so the footer with the
unsubscribe link, the direction and the styles stay ours whatever the merchant writes.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import css_inline
from jinja2 import FileSystemLoader, StrictUndefined, TemplateNotFound, select_autoescape
from jinja2.sandbox import SandboxedEnvironment
from markupsafe import Markup

from app.messages import plaintext, sandbox
from app.messages.blocks import unisolate
from app.messages.filters import localised_number, ltr_html, ltr_text

TEMPLATES = Path(__file__).parent / "templates"
LOCALES = ("en", "ar", "fa")
FALLBACK_LOCALE = "en"
RTL_LOCALES = frozenset({"ar", "fa"})
BDI_LTR = re.compile(r'<bdi dir="ltr">(.*?)</bdi>', re.DOTALL)
TITLE = re.compile(r"<title>(.*?)</title>", re.DOTALL)  # the layout's, which holds the subject block


@dataclass(frozen=True)
class Rendered:
    locale: str
    subject: str
    text: str
    html: str
    short: str  # for SMS and WhatsApp: a few lines, no markup


@dataclass(frozen=True)
class Custom:
    """A merchant's own wording for one step in one language (``short`` empty: ours is kept)."""

    subject: str
    body: str
    short: str = ""

    def __post_init__(self) -> None:
        # The editor isolates placeholders in right-to-left fields; none of its marks is kept.
        for name in ("subject", "body", "short"):
            object.__setattr__(self, name, unisolate(getattr(self, name)))


_environment = SandboxedEnvironment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(enabled_extensions=("html.j2",), default_for_string=True),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    auto_reload=False,  # our templates ship with the code: no stat of three files for every message
)
_environment.filters["ltr"] = ltr_html
_environment.filters["ltr_text"] = ltr_text
_environment.filters["number"] = localised_number
_inliner = css_inline.CSSInliner(keep_style_tags=False)


def _text_of(markup: str) -> str:
    # Keep the isolation of order numbers and codes that <bdi> gave the HTML part.
    markup = BDI_LTR.sub(lambda match: ltr_text(match.group(1)), markup)
    return plaintext.text_of(markup)


def _plain(rendered: str) -> str:
    """Rendered with autoescaping, wanted as plain text (a header, an SMS): one space between words."""
    return re.sub(r"\s+", " ", html.unescape(rendered)).strip()


def render(step: str, locale: str, context: dict[str, Any], custom: Custom | None = None) -> Rendered:
    """Raises jinja2's errors for a broken template (and ``sandbox.TemplateProblem`` for a merchant's);
    the dispatcher records them as a failure."""
    try:
        template = _environment.get_template(f"{locale}/{step}.html.j2")
    except TemplateNotFound:
        locale = FALLBACK_LOCALE
        template = _environment.get_template(f"{locale}/{step}.html.j2")
    context = {**context, "locale": locale, "dir": "rtl" if locale in RTL_LOCALES else "ltr"}

    def block(name: str) -> str:
        if name not in template.blocks:
            return ""
        return "".join(template.blocks[name](template.new_context(context)))

    if custom is None:
        markup = template.render(context)
        # The layout's <title> is the subject block rendered with the page: read it there instead of
        # rendering the block a second time (a template without the layout renders it on its own).
        titled = TITLE.search(markup)
        subject = _plain(titled.group(1) if titled is not None else block("subject"))
        short = _plain(block("short"))
    else:
        subject = _plain(sandbox.render(custom.subject, context, "subject"))
        short = _plain(sandbox.render(custom.short, context, "short")) if custom.short else ""
        short = short or _plain(block("short"))
        body = Markup(sandbox.clean_html(sandbox.render(custom.body, context, "body")))  # noqa: S704 - rendered with autoescaping, then cleaned by nh3
        wrapper = _environment.get_template("custom.html.j2")
        markup = wrapper.render({**context, "custom_subject": subject, "custom_body": body})
    short = short or subject
    if "unsubscribe" in context:  # on a phone too, every message a customer may refuse says how
        short += f"\n{context['unsubscribe']['stop']}: {context['unsubscribe']['url']}"
    body_markup = markup.split("<body", 1)[-1]  # the text part starts at the body: no <title> or <style>
    return Rendered(
        locale=locale,
        subject=subject,
        text=_text_of("<body" + body_markup),
        html=_inliner.inline(markup),
        short=short,
    )


def default_source(step: str, locale: str) -> Custom | None:
    """Our own wording of a step, as a merchant starts editing it: the inside of each block."""
    path = TEMPLATES / locale / f"{step}.html.j2"
    if not path.is_file():
        return None
    source = path.read_text(encoding="utf-8")

    def block(name: str) -> str:
        found = re.search(r"{%\s*block " + name + r"\s*%}(.*?){%\s*endblock\s*%}", source, re.DOTALL)
        return found.group(1).strip() if found else ""

    return Custom(subject=block("subject"), body=block("body"), short=block("short"))
