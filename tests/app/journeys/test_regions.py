"""A customer's zone from the shipping region where the country has several zones, even without a
valid phone number (a Los Angeles customer's check-in at 10:00 in Los Angeles, not 01:00), for every
such country, with the region as WooCommerce and Shopify send it."""

from __future__ import annotations

from zoneinfo import ZoneInfo, available_timezones

import pytest
from babel.core import get_global

from app.journeys import regions
from app.journeys.timing import zone_for
from connectors.shopify.regions import region_code as shopify_code
from connectors.woocommerce.regions import region_code as woocommerce_code


@pytest.mark.parametrize(
    ("country", "region", "phone", "zone"),
    [
        ("US", "CA", None, "America/Los_Angeles"),
        ("US", "California", "+1310000", "America/Los_Angeles"),  # an invalid number does not matter
        ("US", "US-NY", None, "America/New_York"),
        ("CA", "BC", None, "America/Vancouver"),
        ("CA", "NL", None, "America/St_Johns"),  # where most of the province lives, not its middle
        ("AU", "Western Australia", None, "Australia/Perth"),
        ("US", None, "+12125550123", "America/New_York"),  # no region: the phone narrows it
        ("US", "Atlantis", None, "Asia/Riyadh"),  # neither: the store's zone
        ("SA", "Riyadh", None, "Asia/Riyadh"),  # one zone: the country's
    ],
)
def test_the_region_names_the_zone(country, region, phone, zone):
    assert zone_for(country, phone, "Asia/Riyadh", region) == zone


# What WooCommerce 8's checkout stores in ``shipping.state`` (i18n/states.php), and what a customer
# types where WooCommerce lists no states (Russia, Kazakhstan, Mongolia, the DR Congo).
WOOCOMMERCE = [
    ("US", "CA", "America/Los_Angeles"),
    ("CA", "AB", "America/Edmonton"),
    ("AU", "QLD", "Australia/Brisbane"),
    ("BR", "AM", "America/Manaus"),
    ("MX", "QR", "America/Cancun"),  # WooCommerce's QR is ISO's ROO
    ("MX", "SO", "America/Hermosillo"),  # and SO is SON
    ("MX", "BC", "America/Tijuana"),
    ("ID", "PA", "Asia/Jayapura"),
    ("ID", "BA", "Asia/Makassar"),
    ("ID", "JK", "Asia/Jakarta"),
    ("CL", "CL-RM", "America/Santiago"),
    ("ES", "TF", "Atlantic/Canary"),
    ("CN", "CN32", "Asia/Urumqi"),
    ("RU", "Новосибирская область", "Asia/Novosibirsk"),
    ("RU", "Kaliningrad", "Europe/Kaliningrad"),
    ("RU", "moskva", "Europe/Moscow"),
    ("KZ", "Atyrau Region", "Asia/Atyrau"),
    ("RU", "Республика Саха", "Asia/Yakutsk"),
    ("MN", "Hovd", "Asia/Hovd"),
    ("CD", "Kinshasa", "Africa/Kinshasa"),
]
# Shopify's ``provinceCode`` (``province_code`` in webhooks), from its address data.
SHOPIFY = [
    ("US", "WA", "America/Los_Angeles"),
    ("CA", "NS", "America/Halifax"),
    ("MX", "Q ROO", "America/Cancun"),
    ("MX", "CHIH", "America/Chihuahua"),
    ("MX", "JAL", "America/Mexico_City"),
    ("RU", "NVS", "Asia/Novosibirsk"),
    ("RU", "KGD", "Europe/Kaliningrad"),
    ("RU", "PRI", "Asia/Vladivostok"),
    ("RU", "KAM", "Asia/Kamchatka"),
    ("ID", "KB", "Asia/Pontianak"),
    ("KZ", "23", "Asia/Atyrau"),
    ("MN", "071", "Asia/Hovd"),
    ("CD", "HK", "Africa/Lubumbashi"),
    ("PT", "20", "Atlantic/Azores"),
    ("EC", "W", "Pacific/Galapagos"),
    ("NZ", "CIT", "Pacific/Chatham"),
]


@pytest.mark.parametrize(("country", "state", "zone"), WOOCOMMERCE)
def test_a_woocommerce_state_names_the_customers_zone_without_a_phone(country, state, zone):
    assert zone_for(country, None, "UTC", woocommerce_code(country, state)) == zone


@pytest.mark.parametrize(("country", "code", "zone"), SHOPIFY)
def test_a_shopify_province_code_names_the_customers_zone_without_a_phone(country, code, zone):
    assert zone_for(country, None, "UTC", shopify_code(country, code)) == zone


def test_every_country_with_several_zones_has_its_regions_and_each_is_a_zone_of_that_country():
    """The table covers every country CLDR gives several zones that has regions at all (so Russia,
    Indonesia, Kazakhstan, Mongolia and the DR Congo as well as the Americas and Australia), and
    never names a zone the country does not use or this machine does not know."""
    known = available_timezones()
    several = {
        country
        for country, zones in get_global("territory_zones").items()
        if len([zone for zone in zones if zone in known]) > 1 and len(country) == 2
    }
    covered = regions.countries()
    assert {"US", "CA", "AU", "MX", "BR", "RU", "ID", "KZ", "MN", "CD"} <= covered
    assert several - covered <= {"AQ", "PF", "ZZ"}  # Antarctica, French Polynesia: no ISO regions
    for code, zone in regions._tables()[0].items():
        ZoneInfo(zone)
        assert zone in get_global("territory_zones")[code.split("-", 1)[0]], code


def test_the_connectors_read_the_region_from_the_platforms_recorded_orders():
    """Shopify's recorded orders/create carries ``province_code`` KY; a WooCommerce order of the
    recorded shape shipped to Quintana Roo carries ``state`` QR: both reach the planner as ISO codes."""
    import json
    from pathlib import Path

    from connectors.shopify import translate as shopify
    from connectors.woocommerce import translate as woocommerce

    fixtures = Path(__file__).parents[2] / "connectors"
    body = (fixtures / "shopify/fixtures/webhooks/orders_create.json").read_bytes()
    (placed,) = [snap for snap in shopify.translate("orders/create", body) if hasattr(snap, "shipping")]
    assert (placed.shipping.country, placed.shipping.region) == ("US", "KY")
    assert zone_for("US", None, "UTC", placed.shipping.region) == "America/New_York"

    data = json.loads((fixtures / "woocommerce/fixtures/rest/GET_order_completed.json").read_text())["body"]
    data["shipping"] = {**data["shipping"], "country": "MX", "state": "QR", "phone": ""}
    data["billing"] = {**data["billing"], "phone": ""}
    (placed,) = [snap for snap in woocommerce.order(data) if hasattr(snap, "shipping")]
    assert (placed.shipping.country, placed.shipping.region) == ("MX", "ROO")
    assert zone_for("MX", None, "UTC", placed.shipping.region) == "America/Cancun"
