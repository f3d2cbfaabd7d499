"""The contract every tracking source keeps, and the one shape its news arrives in.

A source's status words are its own; each ``translate.py`` maps them onto our parcel statuses and
keeps what it cannot place as ``ShipmentStatus.UNKNOWN`` (shown in the history, never moving the
parcel). Errors are translated at the boundary: a source raises ``Refused`` for credentials it will
not take, ``SourceDown`` for anything worth trying again later, ``NotFound`` for a number it does not
know; nothing else escapes a client.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

import requests

from connectors.base import Headers, ShipmentStatus
from connectors.netguard import AddressRefused


class TrackingError(Exception):
    """Base of what a tracking source raises."""


class Refused(TrackingError):
    """The source refused our credentials: the merchant must fix them on the settings page."""


class SourceDown(TrackingError):
    """No usable answer now (a timeout, a 5xx, a rate limit): try again later; nothing waits on it."""


class NotFound(TrackingError):
    """The source does not know this number (yet)."""


class BadPayload(TrackingError):
    """A pushed body is not in the source's documented shape: answer 400, store nothing."""


class BadSignature(TrackingError):
    """A pushed body's signature is missing or wrong: answer 401, store nothing."""


@dataclass(frozen=True)
class Capabilities:
    """What a source can do, declared so the worker and the settings page ask nothing of it that it
    cannot: ``register`` (it must be told of a number before it follows it), ``webhook`` (it pushes
    signed updates), ``poll`` (it answers for a number when asked), and which carriers it covers
    (``None``: any carrier, as an aggregator)."""

    register: bool = False
    webhook: bool = False
    poll: bool = True
    carriers: frozenset[str] | None = None

    def covers(self, carrier: str | None) -> bool:
        return self.carriers is None or (carrier is not None and carrier in self.carriers)


@dataclass(frozen=True)
class Field:
    """A credential the merchant types on the settings page."""

    name: str
    label: str
    secret: bool = False
    required: bool = True


@dataclass(frozen=True)
class TrackEvent:
    """One scan, in the source's own words and in ours. ``key`` is stable for the same scan across
    polls and webhooks, so a scan heard twice is recorded once."""

    key: str
    status: ShipmentStatus
    happened_at: datetime
    said: str = ""  # the source's own status word or code, for the merchant
    detail: str = ""
    location: str = ""


@dataclass(frozen=True)
class TrackReport:
    """What a source knows of one tracking number now."""

    source: str
    tracking_number: str
    events: tuple[TrackEvent, ...] = ()
    carrier: str | None = None  # our carrier code, when the source says
    remote_id: str | None = None  # the source's own id for it (an aggregator's tracking id)
    estimated_delivery_at: datetime | None = None


@dataclass(frozen=True)
class Pushed:
    """A verified webhook body, translated: the reports it carries."""

    reports: tuple[TrackReport, ...] = field(default_factory=tuple)


class Source(Protocol):
    """A tracking source. ``credentials`` is the mapping of its ``fields`` the merchant entered;
    ``http`` a ``requests.Session`` from ``connectors.netguard`` (it refuses private addresses)."""

    name: str
    label: str
    capabilities: Capabilities
    fields: tuple[Field, ...]
    base_url: str

    def check(self, credentials: Mapping[str, str], http: requests.Session) -> None:
        """Prove the credentials with one cheap call. Raises ``Refused`` or ``SourceDown``."""

    def track(
        self,
        credentials: Mapping[str, str],
        http: requests.Session,
        number: str,
        carrier: str | None,
        remote_id: str | None = None,
    ) -> TrackReport:
        """Every event the source holds for ``number`` (``remote_id``: the source's own id, when it
        gave one at registration). Raises ``Refused``, ``SourceDown``, ``NotFound``."""

    def register(
        self, credentials: Mapping[str, str], http: requests.Session, number: str, carrier: str | None
    ) -> str | None:
        """Ask the source to follow ``number``; returns its id for it. Only for ``register``
        sources. Raises ``Refused``, ``SourceDown``."""

    def verify(self, secret: str, body: bytes, headers: Headers) -> Pushed:
        """Check a pushed body's signature with the merchant's webhook ``secret`` and translate it.
        Raises ``BadSignature`` or ``BadPayload``. Only for ``webhook`` sources."""


class Polled:
    """What a carrier asked directly shares: nothing to register (it knows its own waybills) and no
    webhook (it is polled). A source subclasses it and writes ``check`` and ``track``."""

    label: str

    def register(
        self, credentials: Mapping[str, str], http: requests.Session, number: str, carrier: str | None
    ) -> str | None:
        return None

    def verify(self, secret: str, body: bytes, headers: Headers) -> Pushed:
        raise NotImplementedError(f"{self.label} sends no webhooks")


_CONTROL = dict.fromkeys([*range(0, 32), 127], " ")


def clean(value: object, limit: int) -> str:
    """A source's words as we keep them: text, no control characters, at most ``limit`` long."""
    return str(value or "").translate(_CONTROL).strip()[:limit]


def answer(response: requests.Response) -> None:
    """The HTTP errors every source shares, translated: 401/403 refused, 404 not found, 408/429/5xx
    worth trying again."""
    if response.status_code in (401, 403):
        raise Refused(f"the source refused the credentials ({response.status_code})")
    if response.status_code == 404:
        raise NotFound("the source does not know this number")
    if response.status_code in (408, 429) or response.status_code >= 500:
        raise SourceDown(f"the source answered {response.status_code}")
    if response.status_code >= 400:
        raise SourceDown(f"the source refused the request ({response.status_code})")


def calling(http: requests.Session, method: str, url: str, **kwargs: object) -> requests.Response:
    """One request with a bounded wait; a connection that fails or is refused by the address guard
    is ``SourceDown`` (the guard's sentence, which says nothing of what is listening inside)."""
    try:
        return http.request(method, url, timeout=(5, 15), **kwargs)  # type: ignore[arg-type]
    except AddressRefused as exc:
        raise SourceDown(str(exc)) from exc
    except requests.RequestException as exc:
        if isinstance(exc.__context__, AddressRefused):
            raise SourceDown(str(exc.__context__)) from exc
        raise SourceDown(f"could not reach the source: {exc.__class__.__name__}") from exc
