"""Aramex, asked directly: polled (Aramex pushes nothing to a merchant's own system)."""

from __future__ import annotations

from collections.abc import Mapping

import requests

from tracking.aramex import client
from tracking.base import Capabilities, Field, Polled, TrackReport


class Aramex(Polled):
    name = "aramex"
    label = "Aramex"
    capabilities = Capabilities(register=False, webhook=False, poll=True, carriers=frozenset({"aramex"}))
    fields = (
        Field("username", "User name"),
        Field("password", "Password", secret=True),
        Field("account_number", "Account number"),
        Field("account_pin", "Account PIN", secret=True),
        Field("account_entity", "Account entity (e.g. RUH)"),
        Field("account_country_code", "Account country code (e.g. SA)"),
    )

    def __init__(self, base_url: str = "https://ws.aramex.net") -> None:
        self.base_url = base_url

    def check(self, credentials: Mapping[str, str], http: requests.Session) -> None:
        # A waybill nobody has: a good account answers "non-existing", a bad one is refused.
        client.track_shipments(self.base_url, credentials, http, ["00000000000"])

    def track(
        self,
        credentials: Mapping[str, str],
        http: requests.Session,
        number: str,
        carrier: str | None,
        remote_id: str | None = None,
    ) -> TrackReport:
        return client.track(self.base_url, credentials, http, number)
