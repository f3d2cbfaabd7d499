"""Which carrier a parcel travels with: from the name the platform gives (in any spelling, Arabic
included), else from the tracking number's format. None when neither says: the parcel then keeps
what the platform tells us, as before."""

from __future__ import annotations

import re
from urllib.parse import quote

NAMES: dict[str, str] = {
    "aramex": "aramex",
    "أرامكس": "aramex",
    "ارامكس": "aramex",
    "dhl": "dhl",
    "dhlexpress": "dhl",
    "دياتشال": "dhl",
    "smsa": "smsa",
    "smsaexpress": "smsa",
    "سمسا": "smsa",
    "fedex": "fedex",
    "ups": "ups",
}
# Formats that belong to one carrier only; an ambiguous length (FedEx's and SMSA's 12 digits) is not
# guessed.
FORMATS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^1Z[0-9A-Z]{16}$"), "ups"),
    (re.compile(r"^J?JD\d{18}$"), "dhl"),  # DHL's piece ids
    (re.compile(r"^\d{10}$"), "dhl"),  # DHL Express waybills
    (re.compile(r"^\d{11}$"), "aramex"),  # Aramex waybills
)
LINKS = {
    "aramex": "https://www.aramex.com/track/results?ShipmentNumber={number}",
    "dhl": "https://www.dhl.com/global-en/home/tracking/tracking-express.html?submit=1&tracking-id={number}",
    "smsa": "https://www.smsaexpress.com/trackingdetails?tracknumbers={number}",
    "fedex": "https://www.fedex.com/fedextrack/?trknbr={number}",
    "ups": "https://www.ups.com/track?tracknum={number}",
}
LABELS = {"aramex": "Aramex", "dhl": "DHL Express", "smsa": "SMSA Express", "fedex": "FedEx", "ups": "UPS"}


def carrier(name: str | None, number: str | None) -> str | None:
    squeezed = re.sub(r"[\W_]+", "", (name or "").casefold())
    for known, code in NAMES.items():
        if squeezed and (squeezed == known or squeezed.startswith(known)):
            return code
    cleaned = re.sub(r"[\s-]+", "", (number or "").upper())
    for pattern, code in FORMATS:
        if pattern.match(cleaned):
            return code
    return None


def link(code: str | None, number: str | None) -> str | None:
    """The carrier's own tracking page for ``number``."""
    if not code or not number or code not in LINKS:
        return None
    return LINKS[code].format(number=quote(number, safe=""))


def label(code: str | None, given: str | None = None) -> str:
    return given or LABELS.get(code or "", code or "")
