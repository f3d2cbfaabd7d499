"""A message body as blocks a merchant edits without HTML: heading, text, button, the order's items,
the products to review, the recommendations, and code.

Blocks compile to the same Jinja source a merchant could write by hand, so saving, checking and
sending go through the one sandboxed path (``custom.save`` -> ``sandbox.render``). The blocks
themselves ride along at the top of the saved body as a Jinja comment, which renders to nothing::

    {# aftercare:blocks <base64 JSON> #}
    <h1>...</h1>

A body whose code no longer matches its blocks (edited by hand through the API or the code view)
opens in the code view; a body with no blocks opens as blocks read from its top-level elements, each
one the reader does not recognise kept whole as a code block.

Text may carry ``{{ customer.first_name }}``-style placeholders and ``**bold**``; everything else in it
is text, never markup. In Arabic and Persian the editor shows each placeholder isolated left to right
inside the right-to-left text (``isolate``: Unicode's LRI ... PDI around it, which a text field cannot
do with markup), so ``{{ customer.first_name }}`` never reads ``}} customer.first_name {{``; the
marks are taken off again whatever comes back (``unisolate``), so nothing saved or sent holds them.
"""

from __future__ import annotations

import base64
import binascii
import html
import json
import re
from dataclasses import asdict, dataclass, field
from typing import Any

from app.messages.filters import LRI, PDI

MARKER = "{# aftercare:blocks "
KINDS = ("heading", "text", "button", "items", "reviews", "recommendations", "code")
LINKS = {  # what a button may point at: a Jinja expression, and the steps that have it
    "tracking": ("shipment.tracking_url", "The parcel's tracking page"),
    "review": (
        "(review_items[0].url ~ '#reviews') if review_items and review_items[0].url else ''",
        "The review page",
    ),
    "happy": ("check_in.happy", "All is well"),
    "unhappy": ("check_in.unhappy", "Something is not right"),
    "product": ("recommendations[0].url if recommendations else ''", "The first recommended product"),
}
MAX_BLOCKS = 40
MAX_TEXT = 5000
PLACEHOLDER = re.compile(r"({{.*?}})", re.DOTALL)
_TAG = re.compile(r"({{.*?}}|{%.*?%})", re.DOTALL)  # a placeholder, or a statement in a subject
_ISOLATED = re.compile(rf"{LRI}*({{{{.*?}}}}|{{%.*?%}}){PDI}*", re.DOTALL)
BOLD = re.compile(r"\*\*(.+?)\*\*", re.DOTALL)
# Words the compiled blocks carry, in the message's language.
WORDS = {
    "total": {"en": "Total", "ar": "المجموع", "fa": "جمع کل"},
    "on_delivery": {
        "en": " (to pay on delivery)",
        "ar": " (يُدفع عند الاستلام)",
        "fa": " (پرداخت هنگام تحویل)",
    },
    "write_review": {"en": "Write a review", "ar": "اكتب تقييمك", "fa": "نظرتان را بنویسید"},
}


class BlocksInvalid(ValueError):
    """The posted blocks are not of the shape below; the text says which one and why."""


@dataclass
class Block:
    kind: str
    text: str = ""  # heading, text, button's label, code's source
    link: str = ""  # button: a key of LINKS
    extra: dict[str, str] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


def isolate(text: str) -> str:
    """``text`` for a right-to-left field: each placeholder (and ``{% ... %}``) in LRI ... PDI."""
    return _TAG.sub(lambda found: f"{LRI}{found.group(1)}{PDI}", unisolate(text))


def unisolate(text: str) -> str:
    """``text`` without the isolates ``isolate`` put around its placeholders."""
    return _ISOLATED.sub(r"\1", text) if LRI in text or PDI in text else text


def from_json(data: Any) -> list[Block]:
    """Blocks from what the editor posts (a list of objects); raises BlocksInvalid."""
    if not isinstance(data, list) or len(data) > MAX_BLOCKS:
        raise BlocksInvalid(f"blocks must be a list of at most {MAX_BLOCKS}")
    blocks = []
    for number, item in enumerate(data, 1):
        if not isinstance(item, dict) or item.get("kind") not in KINDS:
            raise BlocksInvalid(f"block {number}: unknown kind")
        text, link = item.get("text", ""), item.get("link", "")
        if not isinstance(text, str) or not isinstance(link, str) or len(text) > MAX_TEXT:
            raise BlocksInvalid(f"block {number}: text must be at most {MAX_TEXT} characters")
        if item["kind"] == "button" and link not in LINKS:
            raise BlocksInvalid(f"block {number}: choose where the button leads")
        blocks.append(Block(item["kind"], unisolate(text), link if item["kind"] == "button" else ""))
    return blocks


def _inline(text: str) -> str:
    """Merchant text as Jinja source: placeholders kept, the rest escaped, ``**bold**`` and lines."""
    text = BOLD.sub("\x00\\1\x01", text.replace("\x00", "").replace("\x01", ""))
    parts = []
    for index, part in enumerate(PLACEHOLDER.split(text)):
        if index % 2:
            parts.append(part)
            continue
        escaped = html.escape(part, quote=False).replace("{", "&#123;").replace("}", "&#125;")
        parts.append(escaped.replace("\n", "<br>"))
    return "".join(parts).replace("\x00", "<strong>").replace("\x01", "</strong>")


def compile_blocks(blocks: list[Block], locale: str) -> str:
    """The Jinja source of the body (without the marker)."""
    words = {key: value.get(locale, value["en"]) for key, value in WORDS.items()}
    out = []
    for block in blocks:
        if block.kind == "heading":
            out.append(f"<h1>{_inline(block.text.strip())}</h1>")
        elif block.kind == "text":
            for paragraph in re.split(r"\n\s*\n", block.text.strip()):
                if paragraph.strip():
                    out.append(f"<p>{_inline(paragraph.strip())}</p>")
        elif block.kind == "button":
            target = LINKS[block.link][0]
            out.append(
                f'{{% if ({target}) %}}<p><a class="button" href="{{{{ {target} }}}}">'
                f"{_inline(block.text.strip())}</a></p>{{% endif %}}"
            )
        elif block.kind == "items":
            label = json.dumps(words["total"], ensure_ascii=False)
            suffix = json.dumps(words["on_delivery"], ensure_ascii=False)
            out.append(
                f'{{% with total_label = {label} ~ ({suffix} if order.cash_on_delivery else "") %}}'
                '{% include "items.html.j2" %}{% endwith %}'
            )
        elif block.kind == "reviews":
            out.append(
                '<table class="items" role="presentation">\n{% for item in review_items %}\n'
                '<tr><td>{{ item.title|ltr }}</td><td class="price">{% if item.url %}'
                f'<a href="{{{{ item.url }}}}#reviews">{html.escape(words["write_review"])}</a>'
                "{% endif %}</td></tr>\n{% endfor %}\n</table>"
            )
        elif block.kind == "recommendations":
            out.append(
                '<table class="items" role="presentation">\n{% for product in recommendations %}\n'
                '<tr><td>{% if product.url %}<a href="{{ product.url }}">{{ product.title }}</a>'
                "{% else %}{{ product.title }}{% endif %}</td>"
                '<td class="price">{{ product.price }}</td></tr>\n'
                "{% endfor %}\n</table>"
            )
        else:
            out.append(block.text.strip())
    return "\n".join(part for part in out if part)


def dump(blocks: list[Block], locale: str) -> str:
    """The body to save: the marker with the blocks, then their compiled source."""
    encoded = base64.b64encode(json.dumps([b.as_json() for b in blocks]).encode()).decode()
    return f"{MARKER}{encoded} #}}\n{compile_blocks(blocks, locale)}"


def load(body: str, locale: str) -> list[Block] | None:
    """The blocks of a saved body; None when its code was changed by hand since (code view)."""
    if not body.startswith(MARKER):
        return None
    head, _, rest = body.partition("\n")
    encoded = head[len(MARKER) :].removesuffix("#}").strip()
    try:
        blocks = from_json(json.loads(base64.b64decode(encoded, validate=True)))
    except (ValueError, binascii.Error, BlocksInvalid):
        return None
    return blocks if compile_blocks(blocks, locale) == rest else None


def strip_marker(body: str) -> str:
    """The code alone, as the code view shows it."""
    return body.partition("\n")[2] if body.startswith(MARKER) else body


# --- reading a body that was not made of blocks (our own wording) ------------------------------------

_CHUNK = re.compile(
    r"(?P<h><h1>(?P<htext>.*?)</h1>)"
    r"|(?P<p><p>(?P<ptext>.*?)</p>)"
    r"|(?P<items>{%\s*with total_label.*?{%\s*include \"items.html.j2\"\s*%}\s*{%\s*endwith\s*%})"
    r"|(?P<table><table class=\"items\".*?</table>)",
    re.DOTALL,
)
_SIMPLE = re.compile(r"^(?:[^<{]|<strong>|</strong>|<br>|{{.*?}})*$", re.DOTALL)


def _text_of(markup: str) -> str | None:
    """Inner markup as block text, or None when it holds more than text, bold and placeholders."""
    if not _SIMPLE.match(markup):
        return None
    text = markup.replace("<br>", "\n").replace("<strong>", "**").replace("</strong>", "**")
    parts = PLACEHOLDER.split(text)
    return "".join(part if i % 2 else html.unescape(part) for i, part in enumerate(parts))


def read(body: str) -> list[Block]:
    """Blocks for a body's top-level elements; what is not recognised stays as code, whole."""
    blocks: list[Block] = []
    position = 0

    def code(source: str) -> None:
        if source.strip():
            blocks.append(Block("code", source.strip()))

    for found in _CHUNK.finditer(body):
        code(body[position : found.start()])
        position = found.end()
        if found.group("h") and (text := _text_of(found.group("htext"))) is not None:
            blocks.append(Block("heading", text))
        elif found.group("p") and (text := _text_of(found.group("ptext"))) is not None:
            blocks.append(Block("text", text))
        elif found.group("items"):
            blocks.append(Block("items"))
        elif found.group("table") and "in recommendations" in found.group("table"):
            blocks.append(Block("recommendations"))
        elif found.group("table") and "in review_items" in found.group("table"):
            blocks.append(Block("reviews"))
        else:
            code(found.group(0))
    code(body[position:])
    return blocks
