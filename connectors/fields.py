"""What a snapshot's fields may hold: the types, sizes and ranges the app's tables keep (``app/models.py``).

A store can sign a body of the wrong shape (a plugin's bug, a hand-made request): the snapshots check
their own fields when they are made, so such a body is refused at the door (``PayloadError``, answered
400) instead of failing later in ingest or in the database. The rules:

- identifiers (external ids, order numbers, currency codes) must be present and fit, or the snapshot is
  refused: a cut identifier would name something else;
- text people read (titles, names, addresses, a status word) is cut to fit its column, and characters
  no database stores (NUL, unpaired surrogates) are dropped: refusing an order for a long street name
  would lose the order;
- a contact or a link that cannot be used as given (too long, a link that is not http(s)) is dropped;
- numbers are whole where they count things, finite and within the column where they are money, and
  times carry a time zone and fall between 1970 and 2200.

Each check raises ``ValueError``; ``connectors.base`` turns that into ``PayloadError``.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal
from enum import Enum
from typing import Any, TypeVar

# Column sizes, as in app/models.py (tests/connectors/test_contract.py checks they agree).
KEY = 255  # external ids, skus, tracking numbers, request refs
NUMBER = 64  # Order.number
WORD = 64  # Order.remote_status, Order.payment_method
NAME = 255  # names, address lines, cities, regions, carriers
TITLE = 500  # OrderLine.title, Product.title
EMAIL = 320
PHONE = 32
LOCALE = 16
POSTCODE = 32
URL = 2048
TOPIC = 64  # InboxEntry.topic
MONEY_MAX = Decimal("9999999999.99")  # Numeric(12, 2)

MAX_QUANTITY = 1_000_000
MAX_ITEMS = 5_000  # lines of an order, events of a parcel, tags of a product
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(2200, 1, 1, tzinfo=UTC)

_UNSTORABLE = re.compile(r"[\x00\ud800-\udfff]")
_CONTROL = re.compile(r"[\x00-\x1f\x7f\ud800-\udfff]")
_LOCALE = re.compile(r"[A-Za-z]{2,3}([_-][A-Za-z0-9]{1,8})*")
E = TypeVar("E", bound=Enum)


def key(value: Any, name: str, *, limit: int = KEY) -> str:
    """A required identifier: a non-empty string of printable characters that fits."""
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{name} is missing")
    if len(value) > limit or _CONTROL.search(value):
        raise ValueError(f"{name} is not a usable identifier ({len(value)} characters)")
    return value


def optional_key(value: Any, name: str) -> str | None:
    return None if value is None else key(value, name)


def text(value: Any, name: str, limit: int, *, required: bool = False) -> str | None:
    """Text people read, cut to ``limit``; None (or empty) stays None unless ``required``."""
    if value is None:
        if required:
            raise ValueError(f"{name} is missing")
        return None
    if not isinstance(value, str):
        raise ValueError(f"{name} must be text, not {type(value).__name__}")
    cleaned = _UNSTORABLE.sub("", value)[:limit]
    if required:
        return cleaned
    return cleaned or None


def contact(value: Any, name: str, limit: int) -> str | None:
    """An email address or phone number: dropped when it cannot be stored whole."""
    cleaned = text(value, name, limit + 1)
    if cleaned is None or len(cleaned) > limit or _CONTROL.search(cleaned):
        return None
    return cleaned.strip() or None


def url(value: Any, name: str) -> str | None:
    """A link we show or follow: http(s), without spaces or control characters, or nothing."""
    cleaned = text(value, name, URL + 1)
    if cleaned is None or len(cleaned) > URL or _CONTROL.search(cleaned) or " " in cleaned:
        return None
    return cleaned if cleaned.lower().startswith(("https://", "http://")) else None


def currency(value: Any, name: str) -> str:
    """An ISO 4217 code, upper-cased."""
    if not isinstance(value, str) or not (len(value) == 3 and value.isascii() and value.isalpha()):
        raise ValueError(f"{name} is not a currency code: {value!r}"[:200])
    return value.upper()


def country(value: Any, name: str) -> str | None:
    """An ISO 3166-1 alpha-2 code, upper-cased; anything else is dropped (the time zone then comes
    from the phone number or the store)."""
    cleaned = text(value, name, 8)
    if cleaned is None or not (len(cleaned) == 2 and cleaned.isascii() and cleaned.isalpha()):
        return None
    return cleaned.upper()


def locale(value: Any, name: str) -> str | None:
    cleaned = text(value, name, LOCALE + 1)
    if cleaned is None or len(cleaned) > LOCALE or not _LOCALE.fullmatch(cleaned):
        return None
    return cleaned


def count(value: Any, name: str, *, maximum: int = MAX_QUANTITY) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{name} must be a whole number")
    if not 0 <= value <= maximum:
        raise ValueError(f"{name} is out of range: {value}")
    return value


def money(value: Any, name: str) -> Decimal:
    if not isinstance(value, Decimal) or not value.is_finite():
        raise ValueError(f"{name} must be a finite amount")
    if not Decimal(0) <= value <= MONEY_MAX:
        raise ValueError(f"{name} is out of range: {value}")
    return value


def optional_money(value: Any, name: str) -> Decimal | None:
    return None if value is None else money(value, name)


def moment(value: Any, name: str) -> datetime:
    """An aware time between 1970 and 2200."""
    if not isinstance(value, datetime) or value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be a time with a time zone")
    try:
        within = EARLIEST <= value < LATEST
    except OverflowError:  # year 1 or 9999 with an offset
        within = False
    if not within:
        raise ValueError(f"{name} is out of range: {value.isoformat()}")
    return value


def optional_moment(value: Any, name: str) -> datetime | None:
    return None if value is None else moment(value, name)


def flag(value: Any, name: str) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"{name} must be true or false")
    return value


def maybe_flag(value: Any, name: str) -> bool | None:
    """True, false, or None where the platform records nothing."""
    return None if value is None else flag(value, name)


def member(value: Any, kind: type[E], name: str) -> E:
    if not isinstance(value, kind):
        raise ValueError(f"{name} must be a {kind.__name__}")
    return value


def items(value: Any, name: str, kind: type, *, maximum: int = MAX_ITEMS) -> tuple[Any, ...]:
    """A tuple of ``kind`` (snapshots check themselves when made), at most ``maximum`` long."""
    if not isinstance(value, tuple | list) or len(value) > maximum:
        raise ValueError(f"{name} must be a list of at most {maximum}")
    if not all(isinstance(item, kind) for item in value):
        raise ValueError(f"{name} holds something else")
    return tuple(value)


def distinct(ids: list[str], name: str) -> None:
    """Rows keyed by these ids are unique in the database: two with one id cannot both be stored."""
    if len(set(ids)) != len(ids):
        raise ValueError(f"{name} repeat an id")
