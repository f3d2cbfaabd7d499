"""Aramex's Shipment Tracking API, JSON flavour of the WCF service
(``/ShippingAPI.V2/Tracking/Service_1_0.svc/json/TrackShipments``): every request carries
``ClientInfo`` (user name, password, version, account number, PIN, entity, country code); the answer
is ``HasErrors``, ``Notifications`` [{Code, Message}], ``NonExistingWaybills`` and ``TrackingResults``
[{Key: waybill, Value: [TrackingResult]}]. Wrong credentials answer HTTP 200 with ``HasErrors`` and a
notification (ERR01 and its neighbours), not 401.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import requests

from tracking.aramex import translate
from tracking.base import NotFound, Refused, SourceDown, TrackReport, answer, calling

PATH = "/ShippingAPI.V2/Tracking/Service_1_0.svc/json/TrackShipments"
AUTH_CODES = frozenset({"ERR01", "ERR02", "ERR03", "ERR04", "ERR05"})  # user, password, account, pin


def client_info(credentials: Mapping[str, str]) -> dict[str, Any]:
    return {
        "UserName": credentials.get("username", ""),
        "Password": credentials.get("password", ""),
        "Version": "v1.0",
        "AccountNumber": credentials.get("account_number", ""),
        "AccountPin": credentials.get("account_pin", ""),
        "AccountEntity": credentials.get("account_entity", ""),
        "AccountCountryCode": credentials.get("account_country_code", ""),
        "Source": 24,
    }


def track_shipments(
    base_url: str, credentials: Mapping[str, str], http: requests.Session, numbers: list[str]
) -> dict[str, TrackReport]:
    body = {
        "ClientInfo": client_info(credentials),
        "GetLastTrackingUpdateOnly": False,
        "Shipments": numbers,
        "Transaction": {"Reference1": "aftercare"},
    }
    response = calling(http, "POST", base_url.rstrip("/") + PATH, json=body)
    answer(response)
    try:
        found = response.json()
    except ValueError as exc:
        raise SourceDown("Aramex's answer is not JSON") from exc
    if not isinstance(found, dict):
        raise SourceDown("Aramex's answer is not an object")
    notes = [note for note in found.get("Notifications") or [] if isinstance(note, dict)]
    if found.get("HasErrors"):
        if any(note.get("Code") in AUTH_CODES for note in notes):
            raise Refused(
                "Aramex refused the account details: " + "; ".join(str(n.get("Message")) for n in notes)
            )
        raise SourceDown("Aramex answered with errors: " + "; ".join(str(n.get("Code")) for n in notes))
    reports = {}
    for pair in found.get("TrackingResults") or []:
        if isinstance(pair, dict) and isinstance(pair.get("Key"), str):
            reports[pair["Key"]] = translate.results(pair["Key"], pair.get("Value"))
    return reports


def track(base_url: str, credentials: Mapping[str, str], http: requests.Session, number: str) -> TrackReport:
    reports = track_shipments(base_url, credentials, http, [number])
    if number not in reports:
        raise NotFound("Aramex does not know this waybill")
    return reports[number]
