"""What counts as one scan when several sources report a parcel: the same status within
``SAME_SCAN`` is the same scan. Every report is kept; which one is shown is decided when the history
is read, from the set of reports alone, so the history never depends on the order they arrived in
(a rule applied as they arrive would: a report dropped as the twin of one that a still earlier
report later replaces could not come back)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Protocol, TypeVar

from connectors.base import ShipmentStatus

# Two sources reporting one scan rarely agree to the second (a platform copies a carrier's event
# minutes later, with its own clock): the same status this close is the same scan.
SAME_SCAN = timedelta(minutes=10)


class Scan(Protocol):
    external_id: str
    status: str
    happened_at: datetime
    source: str | None  # None: the platform


S = TypeVar("S", bound=Scan)


def distinct(events: Iterable[S]) -> list[S]:
    """A parcel's reports with each scan once, oldest first: a report of the same status as a kept
    one from another source, within ``SAME_SCAN`` of it, is that scan again and is left out (so of
    twins the earliest, by time then id, is shown). Two reports from one source are two scans. It
    depends only on the set of reports, never on the order they arrived in; unknown statuses are
    always kept."""
    kept: list[S] = []
    for event in sorted(events, key=lambda e: (e.happened_at, e.external_id)):
        if event.status != ShipmentStatus.UNKNOWN.value and any(
            _same(seen, event) for seen in reversed(kept) if event.happened_at - seen.happened_at <= SAME_SCAN
        ):
            continue
        kept.append(event)
    return kept


def _same(one: Scan, other: Scan) -> bool:
    return one.status == other.status and one.source != other.source


def twins(events: Iterable[S], event: S) -> list[S]:
    """The reports of the same scan as ``event`` (itself included)."""
    return [
        other
        for other in events
        if other is event or (_same(other, event) and abs(other.happened_at - event.happened_at) <= SAME_SCAN)
    ]
