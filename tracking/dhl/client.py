"""DHL's Shipment Tracking - Unified API: ``GET /track/shipments?trackingNumber=...&service=express``
with the key in ``DHL-API-Key``; 401 for a wrong key, 404 for a number DHL does not know, 429 over
the rate limit; the answer is ``{"shipments": [{"id", "status", "events", ...}]}``."""

from __future__ import annotations

from collections.abc import Mapping

import requests

from tracking.base import NotFound, SourceDown, TrackReport, answer, calling
from tracking.dhl import translate

PATH = "/track/shipments"
PROBE = "00340434161094042557"  # DHL's own sample number from its documentation


def track(base_url: str, credentials: Mapping[str, str], http: requests.Session, number: str) -> TrackReport:
    response = calling(
        http,
        "GET",
        base_url.rstrip("/") + PATH,
        params={"trackingNumber": number, "service": "express"},
        headers={"DHL-API-Key": credentials.get("api_key", ""), "Accept": "application/json"},
    )
    answer(response)
    try:
        found = response.json()
    except ValueError as exc:
        raise SourceDown("DHL's answer is not JSON") from exc
    shipments = found.get("shipments") if isinstance(found, dict) else None
    if not shipments:
        raise NotFound("DHL does not know this number")
    return translate.shipment(number, shipments[0])


def check(base_url: str, credentials: Mapping[str, str], http: requests.Session) -> None:
    try:
        track(base_url, credentials, http, PROBE)
    except NotFound:
        pass  # the key was taken; the number just is not there
