"""Every tracking source by name: adding one is a folder and a line here."""

from __future__ import annotations

from collections.abc import Mapping

import orjson

from tracking.aftership import AfterShip
from tracking.aftership import translate as aftership_translate
from tracking.aramex import Aramex
from tracking.base import BadPayload, Source, TrackReport
from tracking.dhl import DHL

TOPIC = "tracking/"  # inbox topics of tracking sources' webhooks: tracking/<source>
KINDS: dict[str, type] = {"aftership": AfterShip, "aramex": Aramex, "dhl": DHL}
AGGREGATORS = ("aftership",)


def build(endpoints: Mapping[str, str] | None = None) -> dict[str, Source]:
    """The sources, at their public addresses unless ``endpoints`` names another (tests, a proxy)."""
    endpoints = endpoints or {}
    return {name: kind(endpoints[name]) if name in endpoints else kind() for name, kind in KINDS.items()}


def choose(sources: Mapping[str, Source], accounts: set[str], carrier: str | None) -> str | None:
    """The source that follows a parcel of ``carrier`` for a store with ``accounts``: the carrier
    itself when the store connected it (fresher, no middleman), else an aggregator."""
    for name in sorted(accounts):
        source = sources.get(name)
        if source and source.capabilities.carriers is not None and source.capabilities.covers(carrier):
            return name
    for name in AGGREGATORS:
        if name in accounts:
            return name
    return None


def translate(topic: str, body: bytes) -> tuple[TrackReport, ...]:
    """A stored webhook body of a tracking source (its signature was checked when it arrived)."""
    source = topic.removeprefix(TOPIC)
    if source != "aftership":
        raise BadPayload(f"no webhooks from {source!r}")
    payload = orjson.loads(body)
    if not isinstance(payload, dict) or payload.get("event") not in ("tracking_update", "edd_revise"):
        return ()
    return (aftership_translate.tracking(payload.get("msg")),)
