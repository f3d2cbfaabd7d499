"""A customer's time zone from the shipping address's region, for countries with several zones.

The phone number narrows a zone only when it is a valid number of that country, and a shop's
checkout often holds no phone at all; the region (state, province) is on nearly every shipping
address. Each region is named by its ISO 3166-2 code (``CA``), as platforms send it, or by its
English name (``California``). A region split between zones takes the zone most of its people live
in. Countries not listed here fall back to the phone, then the store's zone (``timing.zone_for``).
"""

from __future__ import annotations

_US = {
    "America/New_York": "CT DE DC FL GA IN KY ME MD MA MI NH NJ NY NC OH PA RI SC VT VA WV",
    "America/Chicago": "AL AR IL IA KS LA MN MS MO NE ND OK SD TN TX WI",
    "America/Denver": "CO MT NM UT WY ID",
    "America/Phoenix": "AZ",
    "America/Los_Angeles": "CA NV OR WA",
    "America/Anchorage": "AK",
    "Pacific/Honolulu": "HI",
}
_CA = {
    "America/Toronto": "ON QC",
    "America/Halifax": "NS NB PE",
    "America/St_Johns": "NL",
    "America/Winnipeg": "MB",
    "America/Regina": "SK",
    "America/Edmonton": "AB NT",
    "America/Vancouver": "BC",
    "America/Whitehorse": "YT",
    "America/Iqaluit": "NU",
}
_AU = {
    "Australia/Sydney": "NSW ACT",
    "Australia/Melbourne": "VIC",
    "Australia/Brisbane": "QLD",
    "Australia/Adelaide": "SA",
    "Australia/Darwin": "NT",
    "Australia/Perth": "WA",
    "Australia/Hobart": "TAS",
}
_MX = {
    "America/Mexico_City": "CMX DIF MEX JAL NLE PUE GUA VER MIC OAX CHP GRO HID TAM COA SLP TLA TAB YUC "
    "ZAC AGU QUE DUR MOR CAM COL",
    "America/Cancun": "ROO",
    "America/Tijuana": "BCN",
    "America/Mazatlan": "SIN NAY BCS",
    "America/Hermosillo": "SON",
    "America/Chihuahua": "CHH",
}
_BR = {
    "America/Sao_Paulo": "SP RJ MG ES PR SC RS GO DF BA SE AL PE PB RN CE PI MA PA AP TO",
    "America/Manaus": "AM RR RO",
    "America/Cuiaba": "MT",
    "America/Campo_Grande": "MS",
    "America/Rio_Branco": "AC",
}
_NAMES = {
    "US": {
        "alabama": "AL", "alaska": "AK", "arizona": "AZ", "arkansas": "AR", "california": "CA",
        "colorado": "CO", "connecticut": "CT", "delaware": "DE", "district of columbia": "DC",
        "florida": "FL", "georgia": "GA", "hawaii": "HI", "idaho": "ID", "illinois": "IL",
        "indiana": "IN", "iowa": "IA", "kansas": "KS", "kentucky": "KY", "louisiana": "LA",
        "maine": "ME", "maryland": "MD", "massachusetts": "MA", "michigan": "MI", "minnesota": "MN",
        "mississippi": "MS", "missouri": "MO", "montana": "MT", "nebraska": "NE", "nevada": "NV",
        "new hampshire": "NH", "new jersey": "NJ", "new mexico": "NM", "new york": "NY",
        "north carolina": "NC", "north dakota": "ND", "ohio": "OH", "oklahoma": "OK", "oregon": "OR",
        "pennsylvania": "PA", "rhode island": "RI", "south carolina": "SC", "south dakota": "SD",
        "tennessee": "TN", "texas": "TX", "utah": "UT", "vermont": "VT", "virginia": "VA",
        "washington": "WA", "west virginia": "WV", "wisconsin": "WI", "wyoming": "WY",
    },
    "CA": {
        "ontario": "ON", "quebec": "QC", "québec": "QC", "nova scotia": "NS", "new brunswick": "NB",
        "prince edward island": "PE", "newfoundland and labrador": "NL", "manitoba": "MB",
        "saskatchewan": "SK", "alberta": "AB", "british columbia": "BC", "yukon": "YT",
        "northwest territories": "NT", "nunavut": "NU",
    },
    "AU": {
        "new south wales": "NSW", "australian capital territory": "ACT", "victoria": "VIC",
        "queensland": "QLD", "south australia": "SA", "northern territory": "NT",
        "western australia": "WA", "tasmania": "TAS",
    },
}  # fmt: skip
ZONES: dict[str, dict[str, str]] = {
    country: {code: zone for zone, codes in table.items() for code in codes.split()}
    for country, table in {"US": _US, "CA": _CA, "AU": _AU, "MX": _MX, "BR": _BR}.items()
}


def zone_for_region(country: str | None, region: str | None) -> str | None:
    """The IANA zone of ``region`` in ``country``, or None when we do not know it."""
    table = ZONES.get((country or "").upper())
    if not table or not region:
        return None
    key = region.strip()
    key = key.split("-", 1)[1] if key.upper().startswith(f"{(country or '').upper()}-") else key
    code = _NAMES.get((country or "").upper(), {}).get(key.lower(), key.upper())
    return table.get(code)
