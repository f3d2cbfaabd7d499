"""Every sentence the merchant pages show exists in Arabic and Persian."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from app.journeys import explain
from app.journeys.config import CHANNELS
from app.journeys.steps import STEPS, Anchor, Kind
from app.models import MessageStatus, StoreStatus
from app.web.admin import settings_form, words

ADMIN = Path(__file__).parents[3] / "app" / "web" / "admin"
CALL = re.compile(r"""\bt\(\s*(?:"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)')\s*\)""")


def used() -> set[str]:
    sources = [*ADMIN.glob("templates/admin/*.html"), ADMIN / "pages.py", ADMIN / "reviews.py"]
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
