"""Arabic and Persian emails laid out right to left, as a real browser engine draws them (Debian's
Chromium through Playwright). Screenshots are kept under ``tests/artifacts/emails/`` for a human
to look at; the assertions read the layout itself: where the heading, the item names and the prices
sit, and that order numbers and tracking codes stay left to right inside the right-to-left text."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser

from app.journeys.steps import STEPS
from app.links import Links
from app.messages import samples
from app.messages.render import LOCALES, render
from tests import screenshots
from tests.helpers import make_store

ARTIFACTS = Path(__file__).parents[2] / "artifacts" / "emails"
pytestmark = pytest.mark.any_database  # layout: the store row is only where the sample order comes from
PHONE, DESKTOP = {"width": 375, "height": 900}, {"width": 900, "height": 900}
LAYOUT = """() => {
  const box = (element) => element && element.getBoundingClientRect();
  const text = (element) => {  // where the words are, not the block that holds them
    const range = document.createRange();
    range.selectNodeContents(element);
    return range.getBoundingClientRect();
  };
  const card = box(document.querySelector('.card'));
  const heading = document.querySelector('h1');
  const first = document.querySelector('table.items tr td');
  const price = document.querySelector('table.items tr td.price');
  const code = document.querySelector('bdi');
  return {
    card: {left: card.left, right: card.right},
    heading: heading && {left: text(heading).left, right: text(heading).right,
      direction: getComputedStyle(heading).direction, align: getComputedStyle(heading).textAlign},
    title: box(first) && {left: box(first).left, right: box(first).right},
    price: box(price) && {left: box(price).left, right: box(price).right},
    code: code && {text: code.textContent, direction: getComputedStyle(code).direction},
    overflow: document.documentElement.scrollWidth > window.innerWidth,
  };
}"""


@pytest.fixture
def browser(chromium: Browser) -> Browser:
    return chromium


def _layout(browser: Browser, html: str, name: str, viewport: dict[str, int]) -> dict[str, Any]:
    page = browser.new_page(viewport=viewport)
    try:
        page.set_content(html, wait_until="load")
        screenshots.save(page, ARTIFACTS / f"{name}.png")
        return page.evaluate(LAYOUT)
    finally:
        page.close()


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
@pytest.mark.parametrize("locale", LOCALES)
def test_thank_you_reads_in_the_direction_of_its_language(aftercare, browser, locale, viewport):
    store = make_store(aftercare, name="Dar Al Oud", currency="SAR", timezone="Asia/Riyadh")
    context = samples.sample_context(store, "thank_you", locale, Links(aftercare.settings))
    rendered = render("thank_you", locale, context)
    layout = _layout(browser, rendered.html, f"thank_you-{locale}-{viewport['width']}", viewport)
    card, heading, title, price = layout["card"], layout["heading"], layout["title"], layout["price"]
    assert not layout["overflow"]  # nothing wider than a phone
    if locale in ("ar", "fa"):
        assert heading["direction"] == "rtl" and heading["align"] in ("right", "start")
        assert card["right"] - heading["right"] < 40 < heading["left"] - card["left"]  # hugs the right edge
        assert price["right"] <= title["left"]  # the price column is on the left, the item on the right
        assert layout["code"] == {"text": "#1042", "direction": "ltr"}
    else:
        assert heading["direction"] == "ltr"
        assert heading["left"] - card["left"] < 40 < card["right"] - heading["right"]
        assert title["right"] <= price["left"]


@pytest.mark.parametrize("locale", ["ar", "fa"])
def test_every_step_in_arabic_and_persian_is_right_to_left(aftercare, browser, locale):
    store = make_store(aftercare, name="Dar Al Oud", currency="SAR", timezone="Asia/Riyadh")
    links = Links(aftercare.settings)
    for step in STEPS:
        rendered = render(step, locale, samples.sample_context(store, step, locale, links))
        layout = _layout(browser, rendered.html, f"{step}-{locale}", PHONE)
        assert layout["heading"]["direction"] == "rtl", step
        assert layout["card"]["right"] - layout["heading"]["right"] < 40, step
        assert not layout["overflow"], step
        if layout["code"] is not None:
            assert layout["code"]["direction"] == "ltr", step
