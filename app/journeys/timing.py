"""Time zones, send windows, quiet days, public holidays and the frequency cap.

Pure functions over aware datetimes. Local-time arithmetic goes through ``zoneinfo`` so that a
window of 09:00-20:00 stays 09:00-20:00 on both sides of a DST change; the customer's zone comes from
the shipping country (Babel's CLDR territory data), narrowed by the phone number (phonenumbers) where
a country has several zones, with the store's zone as the fallback.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

import holidays
import phonenumbers
from babel.core import get_global
from phonenumbers import timezone as phone_zones

from app.journeys import regions
from app.journeys.config import JourneyConfig

MAX_DAYS_AHEAD = 21  # a window search never looks further; the validator forbids all-quiet weeks


@functools.cache
def _known_zones() -> frozenset[str]:
    return frozenset(available_timezones())


def zone_for(country: str | None, phone: str | None, store_zone: str, region: str | None = None) -> str:
    """The customer's IANA zone name: the country's, or where it has several, the shipping region's
    (``regions``), else the phone number's."""
    zones = [
        zone
        for zone in get_global("territory_zones").get((country or "").upper(), ())
        if zone in _known_zones()
    ]
    if len(zones) == 1:
        return zones[0]
    by_region = regions.zone_for_region(country, region) if len(zones) > 1 else None
    if by_region is not None and by_region in _known_zones():
        return by_region
    if zones and phone:
        try:
            number = phonenumbers.parse(phone, (country or "").upper() or None)
            for zone in phone_zones.time_zones_for_number(number):
                if zone in zones:
                    return zone
        except phonenumbers.NumberParseException:
            pass
    if store_zone in zones or not zones:
        return store_zone if store_zone in _known_zones() else "UTC"
    return store_zone if store_zone in _known_zones() else zones[0]


@functools.cache
def _holidays(country: str, year: int) -> frozenset[date]:
    try:
        return frozenset(holidays.country_holidays(country, years=year).keys())
    except NotImplementedError:  # a country the package does not know
        return frozenset()


def is_sending_day(day: date, config: JourneyConfig, country: str | None) -> bool:
    if day.weekday() in config.quiet_days:
        return False
    return not (config.skip_public_holidays and country and day in _holidays(country.upper(), day.year))


def next_in_window(moment: datetime, zone: str, config: JourneyConfig, country: str | None) -> datetime:
    """The first instant at or after ``moment`` inside the send window on a sending day, in UTC."""
    tz = ZoneInfo(zone)
    local = moment.astimezone(tz)
    for _ in range(MAX_DAYS_AHEAD):
        day = local.date()
        if is_sending_day(day, config, country):
            start = _local(day, config.window_start, tz)
            end = _local(day, config.window_end, tz)
            if local < start:
                return start.astimezone(UTC)
            if local < end:
                return local.astimezone(UTC)
        local = _local(day + timedelta(days=1), time(0, 0), tz)
    return moment  # unreachable with a valid config; never lose a message over it


def _local(day: date, at: time, tz: ZoneInfo) -> datetime:
    """``at`` on ``day`` in ``tz``. The round trip through UTC moves a time that a spring-forward
    change skipped to the first real instant after it; an ambiguous autumn time takes its first
    occurrence."""
    return datetime.combine(day, at, tzinfo=tz).astimezone(UTC).astimezone(tz)


def first_free_slot(
    candidate: datetime,
    busy: Iterable[datetime],
    cap: timedelta,
    place: tuple[str, JourneyConfig, str | None] | None,
) -> datetime:
    """The earliest time at or after ``candidate`` at least ``cap`` away from every busy time,
    and inside the window when ``place`` (zone, config, country) is given. Never gives up: a capped
    message is deferred, not dropped."""
    taken = sorted(busy)
    moment = next_in_window(candidate, *place) if place else candidate
    for _ in range(len(taken) + MAX_DAYS_AHEAD + 1):
        clash = [other for other in taken if abs(moment - other) < cap]
        if not clash:
            return moment
        moment = max(clash) + cap
        if place:
            moment = next_in_window(moment, *place)
    return moment


def safe_zone(name: str | None) -> str:
    if name:
        try:
            ZoneInfo(name)
            return name
        except (ZoneInfoNotFoundError, ValueError):
            pass
    return "UTC"
