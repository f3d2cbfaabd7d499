"""A platform's region (state, province) code as ISO 3166-2 names it, which the journey's time zone
lookup reads (``app.journeys.regions``). Most platforms use ISO's own codes; where one does not, its
connector lists its codes that differ, taken from the platform's published list."""

from __future__ import annotations

from collections.abc import Mapping


def iso_region(differing: Mapping[str, Mapping[str, str]], country: str, code: object) -> str | None:
    """``code`` as ISO 3166-2's subdivision code (without the country) when the platform's differs,
    else as it came; None when there is none."""
    text = str(code or "").strip()
    if not text:
        return None
    return differing.get(country.strip().upper(), {}).get(text.upper(), text)
