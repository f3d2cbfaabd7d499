"""Dates, prices and phone numbers as a customer in each language expects them.

Babel formats dates and money for the locale. Persian readers get Persian digits (CLDR's ``arabext``
numbering, which Babel knows but does not apply to digits), and, unless the store turns it off,
dates in the Solar Hijri calendar that Iran and Afghanistan use (``jdatetime``): "۲ آذر ۱۴۰۵".
"""

from __future__ import annotations

import functools
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import jdatetime
import phonenumbers
from babel import Locale
from babel.dates import format_date
from babel.numbers import format_currency, format_decimal

PERSIAN_DIGITS = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")


def digits(text: str, locale: str) -> str:
    return text.translate(PERSIAN_DIGITS) if locale == "fa" else text


def long_date(moment: datetime, locale: str, zone: str, *, solar_hijri: bool = True) -> str:
    """The day of ``moment`` in the store's time zone, written out: "November 3, 2026", "3 نوفمبر
    2026" as Babel writes Arabic, "۱۳ آبان ۱۴۰۵" in Persian."""
    day = moment.astimezone(ZoneInfo(zone)).date()
    if locale == "fa" and solar_hijri:
        persian = jdatetime.date.fromgregorian(date=day, locale="fa_IR")
        return digits(f"{persian.day} {persian.strftime('%B')} {persian.year}", locale)
    return digits(format_date(day, format="long", locale=Locale.parse(locale)), locale)


# The formatters below are pure and asked the same questions thousands of times a batch (every
# message writes each item's price and the customer's number), while Babel parses the locale's
# pattern and phonenumbers its metadata anew on each call.
@functools.lru_cache(maxsize=4096)
def money(amount: Decimal | None, currency: str, locale: str) -> str:
    """With the locale's own numbering system: Persian separators (٬ ٫) and digits, "۱٬۲۹۹٫۵۰"."""
    if amount is None:
        return ""
    formatted = format_currency(amount, currency, locale=Locale.parse(locale), numbering_system="default")
    return digits(formatted, locale)


@functools.lru_cache(maxsize=4096)
def number(value: int | float | Decimal, locale: str) -> str:
    return digits(format_decimal(value, locale=Locale.parse(locale), numbering_system="default"), locale)


@functools.lru_cache(maxsize=8192)
def e164(phone: str | None, country: str | None) -> str | None:
    """The number in E.164 (``+966501234567``) for SMS and WhatsApp, read with the shipping country as
    the default region; None when it is not a possible number. Remembered: parsing costs a fraction
    of a millisecond, and a batch reads each order's number three times."""
    if not phone:
        return None
    try:
        number = phonenumbers.parse(phone, (country or "").upper() or None)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
