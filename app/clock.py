"""The one source of "now".

Every module asks :func:`now` instead of calling ``datetime.now`` so that tests and the demo can
freeze or move time, and so that every timestamp is timezone-aware UTC (invariant 6).
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

_lock = threading.Lock()
_frozen: datetime | None = None
_offset = timedelta(0)


def now() -> datetime:
    """The current time, aware and in UTC."""
    with _lock:
        if _frozen is not None:
            return _frozen
        return datetime.now(UTC) + _offset


def freeze(at: datetime) -> None:
    """Stop the clock at ``at`` (must be timezone-aware)."""
    global _frozen
    if at.tzinfo is None:
        raise ValueError("freeze() needs an aware datetime")
    with _lock:
        _frozen = at.astimezone(UTC)


def advance(by: timedelta) -> None:
    """Move the clock forward; a frozen clock stays frozen at the new time."""
    global _frozen, _offset
    with _lock:
        if _frozen is not None:
            _frozen += by
        else:
            _offset += by


def reset() -> None:
    """Back to the real time."""
    global _frozen, _offset
    with _lock:
        _frozen = None
        _offset = timedelta(0)
