"""Every web link of a message goes through our redirect; the markup around it is left as it was."""

from __future__ import annotations

from app.messages.tracked import rewrite

OURS = "https://app.example/"


def wrap(url: str) -> str:
    return f"https://app.example/r/{len(url)}?u={url}"


def test_web_links_are_wrapped_in_the_html_and_the_text():
    html = '<p><a class="b" href="https://shop.example/p?a=1&amp;b=2" style="color: red;">Shop</a></p>'
    text = "[Shop](https://shop.example/p?a=1&b=2)"
    new_html, new_text = rewrite(html, text, wrap, OURS)
    # the address is read unescaped (30 characters) and written escaped; the other attributes kept
    expected = "https://app.example/r/30?u=https://shop.example/p?a=1&amp;b=2"
    assert new_html == f'<p><a class="b" href="{expected}" style="color: red;">Shop</a></p>'
    assert new_text == "[Shop](https://app.example/r/30?u=https://shop.example/p?a=1&b=2)"


def test_only_hrefs_of_links_to_the_web_outside_ours_are_wrapped():
    """mailto: and our own pages stay; an attribute's words that look like a link are not one; an
    <abbr> is not an <a>; an image is not a click."""
    html = (
        '<a title="a &gt; b href=" href="mailto:care@shop.example">m</a>'
        '<a href="https://app.example/u/tok">stop</a><abbr title="https://x.example/">x</abbr>'
        '<img src="https://shop.example/logo.png"><a data-x=">" href="https://shop.example/">go</a>'
    )
    new_html, _ = rewrite(html, "", wrap, OURS)
    assert new_html == html.replace(
        'href="https://shop.example/"', 'href="https://app.example/r/21?u=https://shop.example/"'
    )
