"""A customer's time zone from the shipping address's region, for countries with several zones.

The phone number narrows a zone only when it is a valid number of that country, and a shop's
checkout often holds no phone at all; the region (state, province, oblast) is on nearly every
shipping address. ``region_zones.tsv`` holds every region of every country with several zones, by its
ISO 3166-2 code, with its names; it is derived from published data (``region_zones_build``), not
written by hand. The connectors give the region as its ISO 3166-2 code where the platform names one
(``CA``, ``US-CA``), else as the words the customer typed (``Новосибирская область``, ``Novosibirsk``),
and both are found here. Countries not listed fall back to the phone, then the store's zone
(``timing.zone_for``).
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache, lru_cache
from pathlib import Path

TABLE = Path(__file__).with_name("region_zones.tsv")
_WORDS = re.compile(r"[\W_]+")
# What a typed region adds to its name ("Atyrau Region", "Novosibirsk Oblast", "Республика Тыва").
_KINDS = frozenset(
    "oblast oblasti oblys oblysy region province provinsi state krai kray okrug autonomous republic "
    "respublika city capital district territory aimag aymag область край республика округ город".split()
)
_SHORTEST_PREFIX = 4


def _key(name: str) -> str:
    """A name as it compares: case, accents, punctuation, spacing and words like "oblast" ignored."""
    plain = "".join(c for c in unicodedata.normalize("NFKD", name) if not unicodedata.combining(c))
    words = _WORDS.sub(" ", plain.casefold()).split()
    return " ".join(word for word in words if word not in _KINDS) or " ".join(words)


@cache
def _tables() -> tuple[dict[str, str], dict[tuple[str, str], str]]:
    """(ISO code -> zone, (country, name) -> zone); a name two zones share names neither."""
    codes: dict[str, str] = {}
    named: dict[tuple[str, str], str | None] = {}
    for line in TABLE.read_text(encoding="utf-8").splitlines():
        if not line or line.startswith("#"):
            continue
        code, zone, names = line.split("\t")
        codes[code] = zone
        country = code.split("-", 1)[0]
        for name in names.split("|"):
            key = (country, _key(name))
            named[key] = zone if named.get(key, zone) == zone else None
    return codes, {key: zone for key, zone in named.items() if zone is not None}


def zone_for_region(country: str | None, region: str | None) -> str | None:
    """The IANA zone of ``region`` in ``country``, or None when we do not know it."""
    country = (country or "").strip().upper()
    text = (region or "").strip()
    if not country or not text:
        return None
    code = text.upper()
    code = code if code.startswith(f"{country}-") else f"{country}-{code}"
    return _tables()[0].get(code) or _by_name(country, _key(text))


@lru_cache(maxsize=4096)
def _by_name(country: str, key: str) -> str | None:
    """The zone of the region so named, or whose name begins so ("Atyrau" for "Atyrauskaja"), when
    every region it could be lies in one zone."""
    named = _tables()[1]
    if (country, key) in named:
        return named[country, key]
    if len(key) < _SHORTEST_PREFIX:
        return None
    zones = {zone for (where, name), zone in named.items() if where == country and name.startswith(key)}
    return zones.pop() if len(zones) == 1 else None


def countries() -> frozenset[str]:
    """The countries whose regions are known here."""
    return frozenset(code.split("-", 1)[0] for code in _tables()[0])
