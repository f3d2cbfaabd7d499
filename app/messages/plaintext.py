"""The plain-text part of an email, from its HTML: paragraphs and headings as blocks of text with a
blank line between, ``<br>`` as a line break, links as ``[text](address)``, tables as aligned columns,
list items with a bullet or their number.

The HTML is what our templates make (and a merchant's, cleaned by nh3 to ``sandbox.TAGS``), so a
walk over lxml's tree that knows those few elements is enough. It replaced inscriptis, which lays out
any HTML with CSS and cost about as much as rendering, inlining and sending the message together
(a third of a worker's time per message in ``bench.dispatch``); this costs a tenth of that.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import lxml.html
from lxml.etree import _Element

SKIPPED = frozenset({"head", "title", "style", "script", "template"})
SPACED = frozenset({"p", "h1", "h2", "h3", "h4", "h5", "h6", "table", "ul", "ol", "blockquote", "hr"})
BLOCKS = SPACED | frozenset({"div", "center", "tr", "li", "body", "html", "tbody", "thead"})
CELLS = frozenset({"td", "th"})
SPACE = re.compile(r"[ \t\n\r\f\v]+")  # HTML's white space: a no-break space is kept
COLUMN_GAP = "  "


class _Lines:
    """Text gathered into lines: inline text joins the current line, a block starts a new one."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.current: list[str] = []

    def inline(self, text: str | None) -> None:
        if text:
            self.current.append(text)

    def end_line(self) -> None:
        line = SPACE.sub(" ", "".join(self.current)).strip()
        self.current = []
        if line:
            self.lines.append(line)

    def blank(self) -> None:
        self.end_line()
        if self.lines and self.lines[-1]:
            self.lines.append("")

    def block(self, lines: list[str]) -> None:
        self.end_line()
        self.lines.extend(lines)


def text_of(markup: str) -> str:
    """``markup`` (a whole document or a fragment) as plain text, ending in one line break."""
    if not markup.strip():
        return "\n"
    root = lxml.html.document_fromstring(markup)
    out = _Lines()
    _walk(root, out)
    out.end_line()
    return "\n".join(_tidy(out.lines)) + "\n"


def _tidy(lines: list[str]) -> Iterator[str]:
    """No blank line at either end, never two in a row."""
    blank = False
    started = False
    for line in lines:
        if not line:
            blank = started
            continue
        if blank:
            yield ""
        blank, started = False, True
        yield line


def _walk(element: _Element, out: _Lines) -> None:
    tag = element.tag if isinstance(element.tag, str) else ""
    if tag in SKIPPED or not tag:  # comments and processing instructions are not text either
        out.inline(element.tail)
        return
    if tag == "br":
        out.end_line()
    elif tag == "table":
        out.blank()
        out.block(_table(element))
        out.blank()
        out.inline(element.tail)
        return
    elif tag == "a" and element.get("href"):
        out.inline(f"[{_inline_text(element)}]({element.get('href')})")
        out.inline(element.tail)
        return
    elif tag == "img":
        out.inline(element.get("alt"))
    elif tag in SPACED:
        out.blank()
    elif tag in BLOCKS:
        out.end_line()
    if tag == "li":
        parent = element.getparent()
        if parent is not None and parent.tag == "ol":
            out.inline(f"{sum(1 for _ in element.itersiblings(preceding=True)) + 1}. ")
        else:
            out.inline("* ")
    out.inline(element.text)
    for child in element:
        _walk(child, out)
    if tag in SPACED:
        out.blank()
    elif tag in BLOCKS:
        out.end_line()
    out.inline(element.tail)


def _inline_text(element: _Element) -> str:
    """A link's words: its text on one line, the words of any element inside it included."""
    inner = _Lines()
    inner.inline(element.text)
    for child in element:
        _walk(child, inner)
    inner.end_line()
    return " ".join(inner.lines)


def _table(table: _Element) -> list[str]:
    """Each row's cells side by side, every column as wide as its widest line."""
    rows: list[list[list[str]]] = []
    for row in table.iter("tr"):
        if next(row.iterancestors("table"), None) is not table:
            continue  # a table inside a cell is laid out as that cell's text
        cells = []
        for cell in row:
            if cell.tag in CELLS:
                lines = _Lines()
                lines.inline(cell.text)
                for child in cell:
                    _walk(child, lines)
                lines.end_line()
                cells.append([line for line in lines.lines if line])
        if any(cells):
            rows.append(cells)
    columns = max((len(cells) for cells in rows), default=0)
    widths = [
        max((len(line) for cells in rows if n < len(cells) for line in cells[n]), default=0)
        for n in range(columns)
    ]
    out = []
    for cells in rows:
        for number in range(max(len(cell) for cell in cells)):
            parts = [
                (cell[number] if number < len(cell) else "").ljust(widths[n]) for n, cell in enumerate(cells)
            ]
            out.append(COLUMN_GAP.join(parts).rstrip())
    return out
