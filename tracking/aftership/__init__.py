"""AfterShip, the aggregator: told of every number, it follows 1,000+ carriers and pushes signed
updates; a poll reads a tracking when a webhook went missing."""

from __future__ import annotations

from collections.abc import Mapping

import requests

from connectors.base import Headers
from tracking.aftership import client, translate, webhooks
from tracking.base import Capabilities, Field, NotFound, Pushed, TrackReport


class AfterShip:
    name = "aftership"
    label = "AfterShip"
    capabilities = Capabilities(register=True, webhook=True, poll=True, carriers=None)
    fields = (
        Field("api_key", "API key", secret=True),
        Field("webhook_secret", "Webhook secret", secret=True),
    )

    def __init__(self, base_url: str = "https://api.aftership.com") -> None:
        self.base_url = base_url

    def _client(self, credentials: Mapping[str, str], http: requests.Session) -> client.Client:
        return client.Client(self.base_url, credentials.get("api_key", ""), http)

    def check(self, credentials: Mapping[str, str], http: requests.Session) -> None:
        self._client(credentials, http).couriers()

    def register(
        self, credentials: Mapping[str, str], http: requests.Session, number: str, carrier: str | None
    ) -> str | None:
        return self._client(credentials, http).create(number, translate.SLUGS.get(carrier or ""))

    def track(
        self,
        credentials: Mapping[str, str],
        http: requests.Session,
        number: str,
        carrier: str | None,
        remote_id: str | None = None,
    ) -> TrackReport:
        remote_id = remote_id or self.register(credentials, http, number, carrier)
        if remote_id is None:
            raise NotFound("AfterShip gave no id for this number")
        return self._client(credentials, http).get(remote_id)

    def verify(self, secret: str, body: bytes, headers: Headers) -> Pushed:
        return webhooks.verify(secret, body, headers)
