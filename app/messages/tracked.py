"""Every web link in a rendered message, sent through our signed redirect so the click is recorded;
and, where the store turned it on, a 1x1 image that records the first open.

The HTML's links (``href`` of ``<a>`` only: images are not clicks) are rewritten in the text of the
HTML as the CSS inliner wrote it out (html5ever's serializer: lowercase names, every value in double
quotes with ``&`` and ``"`` escaped), so a regular expression over its tags finds each exactly; parsing
the document with lxml and writing it out again cost a tenth of a worker's time per message. The
plain-text part, derived from the same HTML, gets the same URLs replaced. Only http(s) links are
wrapped: ``mailto:`` and ``tel:`` stay as they are, and so does the unsubscribe link, which must work
without us in between.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from html import escape, unescape

import lxml.html

DOCTYPE = "<!doctype html>"
URL = re.compile(r"https?://[^\s<>\"']+")
# An <a> start tag as html5ever writes it: attributes with values in double quotes (a value may hold
# ">" but never a bare '"'), then ">" or "/>".
A_TAG = re.compile(r'<a((?:\s+[^\s"\'>/=]+(?:="[^"]*")?)*)(\s*/?>)', re.IGNORECASE)
ATTRIBUTE = re.compile(r'\s+([^\s"\'>/=]+)(?:="([^"]*)")?')


def rewrite(html: str, text: str, wrap: Callable[[str], str], ours: str) -> tuple[str, str]:
    """``html`` and ``text`` with each web link not under ``ours`` (our public URL) replaced by
    ``wrap(url)``."""
    wrapped: dict[str, str] = {}

    def replace(url: str) -> str:
        if not url.startswith(("https://", "http://")) or url.startswith(ours):
            return url
        if url not in wrapped:
            wrapped[url] = wrap(url)
        return wrapped[url]

    def attribute(match: re.Match[str]) -> str:
        name, value = match.group(1), match.group(2)
        if name.lower() != "href" or value is None:
            return match.group(0)
        return f'{match.group(0)[: match.start(1) - match.start(0)]}href="{escape(replace(unescape(value)))}"'

    def tag(match: re.Match[str]) -> str:
        return "<a" + ATTRIBUTE.sub(attribute, match.group(1)) + match.group(2)

    rewritten = A_TAG.sub(tag, html)
    for original in sorted(wrapped, key=len, reverse=True):  # longest first: no URL is a prefix victim
        text = text.replace(original, wrapped[original])
    return rewritten, text


def with_pixel(html: str, url: str) -> str:
    """``html`` with an invisible image from ``url`` at the end of its body. Opens are a rough figure
    (Apple Mail loads every image in advance; many clients load none), so they are off by default."""
    document = lxml.html.document_fromstring(html)
    body = document.find("body")
    if body is None:
        return html
    pixel = lxml.html.Element(
        "img", src=url, width="1", height="1", alt="", style="display:block;border:0;width:1px;height:1px"
    )
    body.append(pixel)
    return lxml.html.tostring(document, encoding="unicode", doctype=DOCTYPE)


def shorten(text: str, short: Callable[[str], str]) -> str:
    """Every web address in a text message replaced by ``short(url)`` (the same code for a repeated
    one). Unlike email, our own links are shortened too: the stop link is long, and it still works."""
    codes: dict[str, str] = {}

    def replace(match: re.Match[str]) -> str:
        url = match.group(0)
        if url not in codes:
            codes[url] = short(url)
        return codes[url]

    return URL.sub(replace, text)
