"""The block editor's blocks compile to Jinja source the one sandboxed renderer takes, ride along in
the saved body, and read back; a body changed by hand opens as code."""

from __future__ import annotations

import pytest

from app.messages import blocks, sandbox
from app.messages.render import default_source


def test_text_is_text_with_placeholders_and_bold_never_markup():
    source = blocks.compile_blocks(
        [blocks.Block("text", "Hi {{ customer.first_name }}, **thanks** <b>{% x %}")], "en"
    )
    assert source == "<p>Hi {{ customer.first_name }}, <strong>thanks</strong> &lt;b&gt;&#123;% x %&#125;</p>"
    assert sandbox.render(source, {"customer": {"first_name": "Layla"}}, "body") == (
        "<p>Hi Layla, <strong>thanks</strong> &lt;b&gt;&#123;% x %&#125;</p>"
    )


def test_saved_blocks_read_back_and_code_changed_by_hand_does_not():
    chosen = [
        blocks.Block("heading", "رأيك يهمنا"),
        blocks.Block("reviews"),
        blocks.Block("button", "قيّم", "review"),
    ]
    body = blocks.dump(chosen, "ar")
    assert blocks.load(body, "ar") == chosen
    assert blocks.load(body + "\n<p>edited</p>", "ar") is None
    assert not blocks.strip_marker(body).startswith("{#")


@pytest.mark.parametrize("locale", ["en", "ar", "fa"])
@pytest.mark.parametrize("step", ["thank_you", "review_request", "cross_sell"])
def test_our_own_wording_opens_as_blocks(step, locale):
    read = blocks.read(default_source(step, locale).body)
    kinds = [block.kind for block in read]
    assert {"text"} <= set(kinds)
    assert {"thank_you": "items", "review_request": "reviews", "cross_sell": "recommendations"}[step] in kinds


@pytest.mark.parametrize(
    "posted",
    [{"kind": "script"}, {"kind": "button", "text": "Go", "link": "https://elsewhere.example"}, "text", [{}]],
)
def test_blocks_of_the_wrong_shape_are_refused(posted):
    with pytest.raises(blocks.BlocksInvalid):
        blocks.from_json(posted if isinstance(posted, list) else [posted])
