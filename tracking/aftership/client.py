"""AfterShip's Tracking API (https://www.aftership.com/docs/tracking/2024-04/api): the key in the
``as-api-key`` header, answers as ``{"meta": {"code", "message"}, "data": ...}``.

- ``POST /trackings`` registers a number (``slug`` when we know the carrier); meta code 4003 means it
  is already registered, and its id is in the answer;
- ``GET /trackings/{id}`` is the poll fallback, for webhooks that did not arrive;
- ``GET /couriers`` is the cheapest call that proves the key.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import requests

from tracking.aftership import translate
from tracking.base import BadPayload, NotFound, SourceDown, TrackReport, answer, calling

VERSION = "2024-04"
ALREADY_EXISTS = 4003


class Client:
    def __init__(self, base_url: str, api_key: str, http: requests.Session) -> None:
        self.base = f"{base_url.rstrip('/')}/tracking/{VERSION}"
        self.headers = {"as-api-key": api_key, "Content-Type": "application/json"}
        self.http = http

    def _call(self, method: str, path: str, body: Any = None) -> dict[str, Any]:
        response = calling(self.http, method, self.base + path, headers=self.headers, json=body)
        meta = _meta(response)
        if response.status_code == 400 and meta.get("code") == ALREADY_EXISTS:
            return _json(response)
        answer(response)
        return _json(response)

    def couriers(self) -> None:
        self._call("GET", "/couriers")

    def create(self, number: str, slug: str | None) -> str | None:
        body: dict[str, Any] = {"tracking_number": number}
        if slug:
            body["slug"] = slug
        found = self._call("POST", "/trackings", body).get("data") or {}
        return str(found["id"]) if isinstance(found, dict) and found.get("id") else None

    def get(self, remote_id: str) -> TrackReport:
        data = self._call("GET", f"/trackings/{remote_id}").get("data")
        if not data:
            raise NotFound("AfterShip has no such tracking")
        try:
            return translate.tracking(data)
        except BadPayload as exc:
            raise SourceDown(f"AfterShip answered in an unknown shape: {exc}") from exc


def _json(response: requests.Response) -> dict[str, Any]:
    try:
        found = response.json()
    except ValueError as exc:
        raise SourceDown("AfterShip's answer is not JSON") from exc
    if not isinstance(found, dict):
        raise SourceDown("AfterShip's answer is not an object")
    return found


def _meta(response: requests.Response) -> Mapping[str, Any]:
    try:
        found = response.json()
    except ValueError:
        return {}
    meta = found.get("meta") if isinstance(found, dict) else None
    return meta if isinstance(meta, dict) else {}
