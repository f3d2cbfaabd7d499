"""What applying a snapshot says, and the one rule every upsert follows (invariant 3)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

CREATED = "created"  # the note of a result whose order (or parcel, product) is new to us


@dataclass(frozen=True)
class IngestResult:
    kind: str
    external_id: str
    changed: bool
    note: str = ""
    order_id: int | None = None  # the order whose plan may have changed
    related: bool = False  # its contact's other orders too (a new or changed order)


class OrderNotYetKnown(Exception):
    """A parcel or carrier event arrived before what it belongs to: the inbox keeps it and tries again
    once that is in."""


def newer(fields: Mapping[str, Any], stored: Mapping[str, Any]) -> bool:
    """Whether ``fields`` (with the store's ``remote_updated_at``) should replace ``stored``.

    Older changes nothing, so re-deliveries and late retries of old payloads are harmless. Stores keep
    modification times to the second, so two changes within one second share a time: a snapshot with
    the same time but different data is applied (the later arrival wins the tie), or reconcile could
    never repair an update lost inside that second; the same time and the same data is a re-delivery."""
    if fields["remote_updated_at"] < stored["remote_updated_at"]:
        return False
    if fields["remote_updated_at"] == stored["remote_updated_at"]:
        return any(stored[name] != value for name, value in fields.items())
    return True
