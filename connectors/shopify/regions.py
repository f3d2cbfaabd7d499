"""Shopify's province codes that are not ISO 3166-2's, from Shopify's address data (``worldwide``,
``db/data/regions/<country>.yml``: each zone's ``code`` and, where it differs, its ``iso_code``).

Only countries with several time zones matter here; elsewhere Shopify's ``provinceCode`` is ISO's.
"""

from __future__ import annotations

from functools import partial

from connectors.regions import iso_region

DIFFERING = {
    "MX": {
        "AGS": "AGU", "BC": "BCN", "CAMP": "CAM", "CHIS": "CHP", "CHIH": "CHH", "DF": "CMX",
        "CDMX": "CMX", "COAH": "COA", "DGO": "DUR", "GTO": "GUA", "HGO": "HID", "MICH": "MIC",
        "NL": "NLE", "QRO": "QUE", "Q ROO": "ROO", "TAMPS": "TAM", "TLAX": "TLA",
    },
}  # fmt: skip
region_code = partial(iso_region, DIFFERING)
