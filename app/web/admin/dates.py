"""Times on the merchant pages: in the store's zone, with the zone said, in the merchant's language.

English reads "3 Nov 2026 15:30 UTC+3"; Arabic gets Babel's Arabic month names ("٣ نوفمبر ٢٠٢٦"
where CLDR numbers Arabic that way); Persian gets Persian digits and, unless the store turned
``solar_hijri`` off, the Solar Hijri calendar ("۱۲ آبان ۱۴۰۵"). Each time is a ``<time>`` element,
isolated from the text around it (``unicode-bidi: isolate`` in the stylesheet), so a right-to-left
sentence never reorders its parts ("Dec 2026 4").
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import jdatetime
from babel import Locale
from babel.dates import format_date, format_datetime
from markupsafe import Markup, escape

from app.messages.localise import digits


def zone_of(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def offset_label(moment: datetime, lang: str) -> str:
    """``UTC+3``, ``UTC-7``, ``UTC+5:30``: short, unambiguous and the same in every language (the
    zone's abbreviation is often just "+03", and CLDR's localized names are long)."""
    offset = moment.utcoffset()
    minutes = int(offset.total_seconds() // 60) if offset is not None else 0
    sign = "+" if minutes >= 0 else "-"
    hours, rest = divmod(abs(minutes), 60)
    label = "UTC" if not minutes else f"UTC{sign}{hours}" + (f":{rest:02d}" if rest else "")
    return digits(label, lang)


def when(moment: datetime, lang: str, zone: str, *, solar_hijri: bool = True, with_zone: bool = True) -> str:
    """The day and time of ``moment`` in ``zone`` as plain text in ``lang``."""
    local = moment.astimezone(zone_of(zone))
    if lang == "fa" and solar_hijri:
        persian = jdatetime.datetime.fromgregorian(datetime=local.replace(tzinfo=None), locale="fa_IR")
        text = f"{persian.day} {persian.strftime('%B')} {persian.year} {local:%H:%M}"
    elif lang == "en":
        text = f"{local.day} {local:%b %Y %H:%M}"
    else:
        text = format_datetime(local, "d MMM y HH:mm", locale=Locale.parse(lang))
    text = digits(text, lang)
    return f"{text} {offset_label(local, lang)}" if with_zone else text


def day(value: date, lang: str, *, solar_hijri: bool = True) -> str:
    """A calendar day ("3 Nov 2026"), as ``when`` writes days."""
    if lang == "fa" and solar_hijri:
        persian = jdatetime.date.fromgregorian(date=value, locale="fa_IR")
        return digits(f"{persian.day} {persian.strftime('%B')} {persian.year}", lang)
    if lang == "en":
        return f"{value.day} {value:%b %Y}"
    return digits(format_date(value, "d MMM y", locale=Locale.parse(lang)), lang)


def formatter(lang: str, zone: str, *, solar_hijri: bool = True) -> Callable[[datetime | None], Markup]:
    """``local(moment)`` for templates: a ``<time>`` element with the machine-readable instant."""
    direction = "ltr" if lang == "en" else "rtl"

    def fmt(moment: datetime | None) -> Markup:
        if moment is None:
            return Markup("")
        return Markup('<time datetime="{iso}" dir="{dir}">{text}</time>').format(
            iso=moment.isoformat(),
            dir=direction,
            text=escape(when(moment, lang, zone, solar_hijri=solar_hijri)),
        )

    return fmt
