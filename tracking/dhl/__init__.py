"""DHL Express through DHL's unified tracking API: polled (its push API needs a contract with DHL)."""

from __future__ import annotations

from collections.abc import Mapping

import requests

from tracking.base import Capabilities, Field, Polled, TrackReport
from tracking.dhl import client


class DHL(Polled):
    name = "dhl"
    label = "DHL Express"
    capabilities = Capabilities(register=False, webhook=False, poll=True, carriers=frozenset({"dhl"}))
    fields = (Field("api_key", "API key (DHL Developer Portal)", secret=True),)

    def __init__(self, base_url: str = "https://api-eu.dhl.com") -> None:
        self.base_url = base_url

    def check(self, credentials: Mapping[str, str], http: requests.Session) -> None:
        client.check(self.base_url, credentials, http)

    def track(
        self,
        credentials: Mapping[str, str],
        http: requests.Session,
        number: str,
        carrier: str | None,
        remote_id: str | None = None,
    ) -> TrackReport:
        return client.track(self.base_url, credentials, http, number)
