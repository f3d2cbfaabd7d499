"""The plain-text part of an email reads like the HTML part: blocks, links with their address, tables
in columns, lists with bullets or numbers, and nothing of the head."""

from __future__ import annotations

from app.messages.plaintext import text_of

PAGE = """<!DOCTYPE html><html><head><title>Subject</title><style>p { color: red; }</style></head>
<body><h1>Hello   <b>Layla</b></h1>
<p>Line one<br>line   two &amp; <a href="https://shop.example/a?b=1&amp;c=2">our <em>shop</em></a>.</p>
<!-- a comment -->
<table><tr><td>Oud Candle &times; 2</td><td>SAR 99.50</td></tr>
<tr><td>Total</td><td>SAR 149.50</td></tr></table>
<ul><li>first</li><li>second</li></ul><ol><li>one</li><li>two</li></ol>
<p><img src="logo.png" alt="Dar &amp; Co"> 10&nbsp;%</p></body></html>"""


def test_blocks_links_and_line_breaks():
    """Each block is a paragraph of its own, runs of spaces are one, a link keeps its address."""
    text = text_of(PAGE)
    assert text.startswith(
        "Hello Layla\n\nLine one\nline two & [our shop](https://shop.example/a?b=1&c=2).\n"
    )
    assert "Subject" not in text and "color" not in text and "comment" not in text
    assert text.endswith("Dar & Co 10\xa0%\n")  # an image by its words; a no-break space kept


def test_tables_are_columns_and_lists_are_marked():
    text = text_of(PAGE)
    assert "Oud Candle × 2  SAR 99.50\nTotal           SAR 149.50\n" in text
    assert "* first\n* second\n\n1. one\n2. two\n" in text


def test_a_table_inside_a_cell_is_that_cell_s_text():
    """A merchant's nested table is laid out once, inside its cell, not again as rows of the outer."""
    text = text_of("<table><tr><td><table><tr><td>inner</td><td>cell</td></tr></table></td></tr></table>")
    assert text == "inner  cell\n"


def test_empty_markup_is_an_empty_line():
    assert text_of("") == "\n" and text_of("<p> </p>") == "\n"
