"""Every sentence the merchant pages show exists in Arabic and Persian."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from app.billing import plans
from app.journeys import explain
from app.journeys.config import CHANNELS
from app.journeys.steps import STEPS, Anchor, Kind
from app.messages import blocks
from app.models import MessageStatus, StoreStatus
from app.web.admin import checklist, settings_form, view, words
from app.web.admin.pages.templates import BLOCK_TITLES
from app.web.admin.sending import words_shown as sending_words

ADMIN = Path(__file__).parents[3] / "app" / "web" / "admin"
CALL = re.compile(r"""\bt\(\s*(?:"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)')\s*\)""")


def used() -> set[str]:
    sources = [
        *ADMIN.glob("templates/admin/*.html"),
        *ADMIN.glob("pages/*.py"),
        ADMIN / "sending.py",
        ADMIN / "reviews.py",
    ]
    found = {a or b for path in sources for a, b in CALL.findall(path.read_text(encoding="utf-8"))}
    dynamic = {
        *(step.title for step in STEPS.values()),
        *(kind.value for kind in Kind),
        *(anchor.value for anchor in Anchor),
        *(status.value for status in MessageStatus),
        *(status.value for status in StoreStatus),
        *explain.PLANNED.values(),
        "merchant alert",
        *settings_form.UNITS,
        *CHANNELS,
        *("Monday Tuesday Wednesday Thursday Friday Saturday Sunday".split()),
        "from your latest order",
        "from a sample order",
        *(text for item in checklist.ITEMS.values() for text in (item.title, item.hint)),
        *(plan.title for plan in plans.PLANS.values()),
        *BLOCK_TITLES.values(),
        *(title for _, title in blocks.LINKS.values()),
        *view.ORDER_STATUS.values(),
        "plan alert",
        *sending_words(),
    }
    return found | dynamic


def test_the_pages_use_many_sentences():
    assert len(used()) > 150  # the scan itself works


@pytest.mark.parametrize("lang", ["ar", "fa"])
def test_every_sentence_is_translated(lang):
    missing = sorted(text for text in used() if text not in words.CATALOGUES[lang])
    assert missing == []


@pytest.mark.parametrize("lang", ["ar", "fa"])
def test_placeholders_survive_translation(lang):
    for english, translated in words.CATALOGUES[lang].items():
        assert set(re.findall(r"{\w+}", english)) == set(re.findall(r"{\w+}", translated)), english
