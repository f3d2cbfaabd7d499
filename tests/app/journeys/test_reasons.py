"""Reasons are codes worded per language when shown: every code the code base writes has a sentence in
English, Arabic and Persian with the same placeholders, and an unknown or broken one never fails."""

from __future__ import annotations

import re
import string
from datetime import UTC, datetime
from pathlib import Path

import pytest

from app import timeline
from app.journeys.reasons import KIND_WORDS, MODIFIERS, PROBLEM_WORDS, SENTENCES, Reason, words
from app.models import TimelineEntry

ROOT = Path(__file__).parents[3]
WRITTEN = re.compile(r"""(?:Reason\.of|\bR)\(\s*"([a-z_]+)\"""")


def placeholders(sentence: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(sentence) if name}


def test_every_code_the_code_writes_has_words():
    sources = [*ROOT.glob("app/**/*.py"), *ROOT.glob("scheduler/**/*.py"), *ROOT.glob("channels/**/*.py")]
    written = {code for path in sources for code in WRITTEN.findall(path.read_text(encoding="utf-8"))}
    assert len(written) > 40  # the scan itself works
    assert written - set(SENTENCES) - {"event", "none"} == set()


@pytest.mark.parametrize("table", [SENTENCES, MODIFIERS, PROBLEM_WORDS, KIND_WORDS, timeline.EVENTS])
def test_each_language_has_the_same_placeholders(table):
    for code, (english, arabic, persian) in table.items():
        has_words = re.search(r"[a-z]", re.sub(r"\{[^}]*\}", "", english))
        assert arabic and persian and (arabic != english or not has_words), code
        assert placeholders(english) == placeholders(arabic) == placeholders(persian), code


def test_a_reason_reads_in_each_language_with_local_dates():
    reason = Reason.of(
        "parcel_problem", problem="attempted_delivery", at=datetime(2026, 11, 5, 10, tzinfo=UTC)
    )
    assert words(reason) == "held: the parcel reported a failed delivery attempt on 5 Nov"
    assert words(reason, "ar") == "معلّق: أبلغت الشحنة عن محاولة توصيل فاشلة في 5 نوفمبر"
    assert words(reason, "fa") == "در انتظار: برای مرسوله در ۱۴ آبان تلاش ناموفق برای تحویل گزارش شد"


def test_nested_reasons_and_modifiers_are_worded_too():
    paid = Reason.of("order_paid", at=datetime(2026, 11, 3, tzinfo=UTC))
    late = Reason.of("too_late", because=paid.with_(window=True))
    assert (
        str(late) == "too late: order paid on 3 Nov; moved into the send window in the customer's time zone"
    )
    assert words(late, "ar").startswith("فات الأوان: دُفع الطلب في 3 نوفمبر؛ نُقل")


def test_an_unknown_or_damaged_reason_never_breaks_a_page():
    assert words(Reason.of("from_a_newer_release", text="as it was written")) == "as it was written"
    assert words(Reason.of("merged_into")) == "merged into the review request for order "
    assert words(Reason.loads("order_paid", "{not json")) == "order paid on "


def test_a_timeline_line_reads_in_the_merchants_language():
    entry = TimelineEntry(kind="cancelled", step="thank_you", code="order_deleted", params="")
    assert timeline.describe(entry) == "Thank-you note: not sent, the order was deleted in the store."
    arabic = timeline.describe(entry, "ar", title=lambda name: "رسالة الشكر")
    assert arabic == "رسالة الشكر: لم تُرسل، حُذف الطلب في المتجر"
