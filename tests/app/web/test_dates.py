"""Times on the merchant pages: the store's zone, said; month names, digits and calendar of the
merchant's language."""

from __future__ import annotations

from datetime import UTC, datetime

from app.web.admin import dates

MOMENT = datetime(2026, 11, 3, 12, 30, tzinfo=UTC)


def test_english_names_the_zone():
    assert dates.when(MOMENT, "en", "Asia/Riyadh") == "3 Nov 2026 15:30 UTC+3"
    assert dates.when(MOMENT, "en", "America/Los_Angeles") == "3 Nov 2026 04:30 UTC-8"
    assert dates.when(MOMENT, "en", "Asia/Kolkata").endswith("UTC+5:30")


def test_arabic_has_arabic_month_names_and_persian_the_solar_hijri_calendar():
    assert "نوفمبر" in dates.when(MOMENT, "ar", "Asia/Riyadh")
    assert dates.when(MOMENT, "fa", "Asia/Tehran") == "۱۲ آبان ۱۴۰۵ ۱۶:۰۰ UTC+۳:۳۰"
    assert "Nov" not in dates.when(MOMENT, "fa", "Asia/Tehran", solar_hijri=False)


def test_each_time_is_isolated_from_the_text_around_it():
    html = str(dates.formatter("ar", "Asia/Riyadh")(MOMENT))
    assert html.startswith('<time datetime="2026-11-03T12:30:00+00:00" dir="rtl">')
