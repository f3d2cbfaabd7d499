"""Fake tracking sources over loopback, answering as their published API references describe:

- AfterShip Tracking API 2024-04 (https://www.aftership.com/docs/tracking/2024-04): ``as-api-key``
  header (401, meta code 401 otherwise), ``GET /couriers``, ``POST /trackings`` (201; 400 with meta
  code 4003 and the existing tracking when the number is already there), ``GET /trackings/{id}``
  (404, meta code 4004, for an unknown id); answers ``{"meta": {...}, "data": ...}``.
- Aramex Shipment Tracking API, JSON endpoint of the WCF service: ``ClientInfo`` checked field by
  field (HTTP 200 with ``HasErrors`` and notification ERR01 when wrong), ``TrackingResults`` as
  ``[{"Key": waybill, "Value": [TrackingResult...]}]`` with WCF dates, ``NonExistingWaybills``.
- DHL Shipment Tracking - Unified API: ``GET /track/shipments?trackingNumber=``, ``DHL-API-Key``
  (401 problem+json otherwise), 404 problem+json for an unknown number.

Each can be taken down (``down = True``: 503, as an outage looks) and records every request.
"""

from __future__ import annotations

import itertools
import json
import secrets
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask import Flask, jsonify, request

from tracking.aftership.webhooks import sign


def _wcf(moment: datetime) -> str:
    return f"/Date({int(moment.timestamp() * 1000)}+0300)/"


@dataclass
class FakeAfterShip:
    api_key: str = field(default_factory=lambda: secrets.token_hex(12))
    webhook_secret: str = field(default_factory=lambda: secrets.token_hex(12))
    down: bool = False
    trackings: dict[str, dict[str, Any]] = field(default_factory=dict)  # id -> tracking
    calls: list[str] = field(default_factory=list)
    _ids: Any = field(default_factory=lambda: itertools.count(1))

    def by_number(self, number: str) -> dict[str, Any] | None:
        return next((t for t in self.trackings.values() if t["tracking_number"] == number), None)

    def scan(
        self, number: str, at: datetime, tag: str, message: str = "", subtag: str = "", city: str = ""
    ) -> None:
        """The carrier scanned the parcel (AfterShip will show it in the tracking's checkpoints)."""
        tracking = self.by_number(number)
        assert tracking is not None, f"{number} is not registered"
        tracking["checkpoints"].append(
            {
                "checkpoint_time": at.isoformat(),
                "tag": tag,
                "subtag": subtag or f"{tag}_001",
                "message": message or tag,
                "city": city or None,
                "country_iso3": "SAU",
                "location": city or None,
            }
        )
        tracking["tag"] = tag

    def webhook(self, number: str) -> tuple[bytes, dict[str, str]]:
        """The body and headers AfterShip posts for the tracking's latest state."""
        body = json.dumps(
            {
                "event": "tracking_update",
                "event_id": secrets.token_hex(8),
                "is_tracking_first_tag": False,
                "msg": self.by_number(number),
                "ts": 1733000000,
            }
        ).encode()
        return body, {
            "aftership-hmac-sha256": sign(self.webhook_secret, body),
            "Content-Type": "application/json",
        }

    def app(self) -> Flask:
        app = Flask("fake-aftership")
        base = "/tracking/2024-04"

        def meta(code: int, message: str, data: Any = None, status: int | None = None):  # noqa: ANN202
            return jsonify(meta={"code": code, "message": message}, data=data or {}), status or code

        @app.before_request
        def gate():  # noqa: ANN202
            self.calls.append(f"{request.method} {request.path}")
            if self.down:
                return meta(503, "Service Unavailable")
            if request.headers.get("as-api-key") != self.api_key:
                return meta(401, "Invalid API key.")
            return None

        @app.get(f"{base}/couriers")
        def couriers():  # noqa: ANN202
            return meta(200, "OK", {"total": 2, "couriers": [{"slug": "aramex"}, {"slug": "dhl"}]})

        @app.post(f"{base}/trackings")
        def create():  # noqa: ANN202
            body = request.get_json(silent=True) or {}
            number = body.get("tracking_number")
            if not isinstance(number, str) or not number:
                return meta(4001, "Invalid JSON data.", status=400)
            found = self.by_number(number)
            if found is not None:
                return meta(4003, "Tracking already exists.", found, status=400)
            tracking_id = f"as{next(self._ids):06d}"
            self.trackings[tracking_id] = {
                "id": tracking_id,
                "tracking_number": number,
                "slug": body.get("slug") or "aramex",
                "tag": "Pending",
                "checkpoints": [],
                "aftership_estimated_delivery_date": None,
            }
            return meta(201, "Created", self.trackings[tracking_id])

        @app.get(f"{base}/trackings/<tracking_id>")
        def get(tracking_id: str):  # noqa: ANN202
            if tracking_id not in self.trackings:
                return meta(4004, "Tracking does not exist.", status=404)
            return meta(200, "OK", self.trackings[tracking_id])

        return app


ARAMEX_CLIENT = ("UserName", "Password", "AccountNumber", "AccountPin", "AccountEntity", "AccountCountryCode")


@dataclass
class FakeAramex:
    credentials: dict[str, str] = field(
        default_factory=lambda: {
            "username": "api@store.example",
            "password": secrets.token_hex(6),
            "account_number": "20016",
            "account_pin": "331421",
            "account_entity": "RUH",
            "account_country_code": "SA",
        }
    )
    down: bool = False
    waybills: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    calls: list[list[str]] = field(default_factory=list)

    def scan(
        self, number: str, at: datetime, code: str, description: str, location: str = "Riyadh, Saudi Arabia"
    ) -> None:
        self.waybills.setdefault(number, []).append(
            {
                "WaybillNumber": number,
                "UpdateCode": code,
                "UpdateDescription": description,
                "UpdateDateTime": _wcf(at),
                "UpdateLocation": location,
                "Comments": "",
                "ProblemCode": "",
                "GrossWeight": "0.5",
                "ChargeableWeight": "0.5",
                "WeightUnit": "KG",
            }
        )

    def app(self) -> Flask:
        app = Flask("fake-aramex")
        expected = {
            "UserName": "username",
            "Password": "password",
            "AccountNumber": "account_number",
            "AccountPin": "account_pin",
            "AccountEntity": "account_entity",
            "AccountCountryCode": "account_country_code",
        }

        @app.post("/ShippingAPI.V2/Tracking/Service_1_0.svc/json/TrackShipments")
        def track():  # noqa: ANN202
            if self.down:
                return "Service Unavailable", 503
            body = request.get_json(silent=True) or {}
            info = body.get("ClientInfo") or {}
            shipments = [str(s) for s in body.get("Shipments") or []]
            self.calls.append(shipments)
            if any(info.get(theirs) != self.credentials[ours] for theirs, ours in expected.items()):
                return jsonify(
                    Transaction=None,
                    Notifications=[{"Code": "ERR01", "Message": "Invalid username or password"}],
                    HasErrors=True,
                    TrackingResults=[],
                    NonExistingWaybills=[],
                )
            results = [
                {
                    "Key": number,
                    "Value": sorted(self.waybills[number], key=lambda r: r["UpdateDateTime"], reverse=True),
                }
                for number in shipments
                if number in self.waybills
            ]
            return jsonify(
                Transaction={"Reference1": (body.get("Transaction") or {}).get("Reference1", "")},
                Notifications=[],
                HasErrors=False,
                TrackingResults=results,
                NonExistingWaybills=[number for number in shipments if number not in self.waybills],
            )

        return app


@dataclass
class FakeDHL:
    api_key: str = field(default_factory=lambda: secrets.token_hex(12))
    down: bool = False
    shipments: dict[str, dict[str, Any]] = field(default_factory=dict)
    calls: list[str] = field(default_factory=list)

    def scan(
        self, number: str, at: datetime, code: str, description: str, city: str = "RIYADH - SAUDI ARABIA"
    ) -> None:
        shipment = self.shipments.setdefault(
            number, {"id": number, "service": "express", "origin": {}, "destination": {}, "events": []}
        )
        event = {
            "timestamp": at.isoformat(),
            "location": {"address": {"addressLocality": city}},
            "statusCode": code,
            "status": description,
            "description": description,
        }
        shipment["events"].insert(0, event)  # DHL lists the newest first
        shipment["status"] = event

    def app(self) -> Flask:
        app = Flask("fake-dhl")

        def problem(status: int, title: str, detail: str):  # noqa: ANN202
            response = jsonify(status=status, title=title, detail=detail)
            response.status_code = status
            response.content_type = "application/problem+json"
            return response

        @app.get("/track/shipments")
        def track():  # noqa: ANN202
            number = request.args.get("trackingNumber", "")
            self.calls.append(number)
            if self.down:
                return problem(503, "Service Unavailable", "Try again later")
            if request.headers.get("DHL-API-Key") != self.api_key:
                return problem(401, "Unauthorized", "Invalid API key")
            if number not in self.shipments:
                return problem(404, "No result found", "No shipment with given tracking number found.")
            return jsonify(shipments=[self.shipments[number]], possibleAdditionalShipmentsUrl=[])

        return app
