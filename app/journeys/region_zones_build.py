"""Writes ``region_zones.tsv``: the time zone of every region of every country that has several.

Run ``pip install -e '.[regions]' && python -m app.journeys.region_zones_build`` when the data
packages move on. The regions and their names come from the ``iso3166-2`` package (ISO 3166-2
subdivisions with a point inside each and their local and English names), the zone at that point from
``timezonefinder`` (the polygons of timezone-boundary-builder, from OpenStreetMap), and a country's
zones from Babel's CLDR data, the same list ``timing.zone_for`` reads. A point that falls in a zone
outside its country's list (the sea, a border) leaves its region out: the phone decides there.

A region's point is its middle, not where its people live: ``MOST_PEOPLE`` corrects the regions where
the two differ (checked against the regions' largest cities), so that the region takes the zone most
of its people live in. Nothing else is written by hand.
"""

from __future__ import annotations

import importlib.resources
import json
import re
import sys
from importlib.metadata import version
from pathlib import Path
from zoneinfo import available_timezones

from babel.core import get_global

TABLE = Path(__file__).with_name("region_zones.tsv")
MOST_PEOPLE = {
    "CA-NL": "America/St_Johns",  # the middle is in Labrador; most live on the island of Newfoundland
    "CA-NU": "America/Iqaluit",  # the middle is in Kivalliq; most live in Qikiqtaaluk, around Iqaluit
}
_TAG = re.compile(r"\s*\([a-z]{3}\)(?:,\s*|$)")  # "Москва (rus), Moscow (eng)": the language tags


def names(subdivision: dict) -> list[str]:
    """The region's ISO name and its local and English names, each once."""
    found = [subdivision.get("name") or ""]
    found += _TAG.split(subdivision.get("localOtherName") or "")
    seen: list[str] = []
    for name in (n.strip().replace("\t", " ").replace("|", " ") for n in found):
        if name and name not in seen:
            seen.append(name)
    return seen


def build() -> list[tuple[str, str, list[str]]]:
    from timezonefinder import TimezoneFinder  # the extra "regions"; never needed at run time

    data = json.loads((importlib.resources.files("iso3166_2") / "iso3166-2.json").read_text("utf-8"))
    known = available_timezones()
    finder = TimezoneFinder()
    rows: list[tuple[str, str, list[str]]] = []
    for country, zones in sorted(get_global("territory_zones").items()):
        zones = [zone for zone in zones if zone in known]
        if len(zones) < 2:
            continue
        for code, subdivision in sorted((data.get(country) or {}).items()):
            point = subdivision.get("latLng") or []
            zone = MOST_PEOPLE.get(code)
            if zone is None and len(point) == 2:
                zone = finder.timezone_at(lng=float(point[1]), lat=float(point[0]))
            if zone is not None and zone in zones:
                rows.append((code, zone, names(subdivision)))
    return rows


def main() -> int:
    rows = build()
    sources = ", ".join(f"{name} {version(name)}" for name in ("iso3166-2", "timezonefinder", "babel"))
    lines = [
        "# Written by python -m app.journeys.region_zones_build from " + sources + ".",
        "# ISO 3166-2 code, IANA zone, the region's names separated by |",
    ]
    lines += [f"{code}\t{zone}\t{'|'.join(found)}" for code, zone, found in rows]
    TABLE.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"{len(rows)} regions written to {TABLE}")  # noqa: T201 - the command's one line
    return 0


if __name__ == "__main__":
    sys.exit(main())
