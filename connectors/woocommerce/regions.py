"""WooCommerce's state codes that are not ISO 3166-2's, from WooCommerce's ``i18n/states.php``.

Only countries with several time zones matter here. Elsewhere WooCommerce sends ISO's codes (``CA``,
``NSW``, ``JK``) or ISO's with the country (``CL-AI``), or, for a country it lists no states for
(Russia, Kazakhstan, Mongolia, the DR Congo), the words the customer typed.
"""

from __future__ import annotations

from functools import partial

from connectors.regions import iso_region

DIFFERING = {
    "MX": {
        "DF": "CMX", "JA": "JAL", "NL": "NLE", "AG": "AGU", "BC": "BCN", "BS": "BCS", "CM": "CAM",
        "CS": "CHP", "CH": "CHH", "CO": "COA", "CL": "COL", "DG": "DUR", "GT": "GUA", "GR": "GRO",
        "HG": "HID", "MX": "MEX", "MI": "MIC", "MO": "MOR", "NA": "NAY", "OA": "OAX", "PU": "PUE",
        "QT": "QUE", "QR": "ROO", "SL": "SLP", "SI": "SIN", "SO": "SON", "TB": "TAB", "TM": "TAM",
        "TL": "TLA", "VE": "VER", "YU": "YUC", "ZA": "ZAC",
    },
    "CN": {"CN32": "XJ"},  # WooCommerce numbers China's provinces; only Xinjiang keeps its own zone
}  # fmt: skip
region_code = partial(iso_region, DIFFERING)
