"""Every web link in a rendered message, sent through our signed redirect so the click is recorded;
and, where the store turned it on, a 1x1 image that records the first open.

lxml rewrites the HTML's links (``href`` only: images are not clicks); the plain-text part, derived
from the same HTML, gets the same URLs replaced. Only http(s) links are wrapped: ``mailto:`` and
``tel:`` stay as they are, and so does the unsubscribe link, which must work without us in between.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import lxml.html

DOCTYPE = "<!doctype html>"
URL = re.compile(r"https?://[^\s<>\"']+")


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

    document = lxml.html.document_fromstring(html)
    for element, attribute, link, _ in list(document.iterlinks()):
        if element.tag == "a" and attribute == "href":
            element.set("href", replace(link))
    rewritten = lxml.html.tostring(document, encoding="unicode", doctype=DOCTYPE)
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
