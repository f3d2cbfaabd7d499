"""A customer's zone from the shipping region where the country has several zones, even without a
valid phone number (a Los Angeles customer's check-in at 10:00 in Los Angeles, not 01:00)."""

from __future__ import annotations

import pytest

from app.journeys.timing import zone_for


@pytest.mark.parametrize(
    ("country", "region", "phone", "zone"),
    [
        ("US", "CA", None, "America/Los_Angeles"),
        ("US", "California", "+1310000", "America/Los_Angeles"),  # an invalid number does not matter
        ("US", "US-NY", None, "America/New_York"),
        ("CA", "BC", None, "America/Vancouver"),
        ("AU", "Western Australia", None, "Australia/Perth"),
        ("US", None, "+12125550123", "America/New_York"),  # no region: the phone narrows it
        ("US", "Atlantis", None, "Asia/Riyadh"),  # neither: the store's zone
        ("SA", "Riyadh", None, "Asia/Riyadh"),  # one zone: the country's
    ],
)
def test_the_region_names_the_zone(country, region, phone, zone):
    assert zone_for(country, phone, "Asia/Riyadh", region) == zone
