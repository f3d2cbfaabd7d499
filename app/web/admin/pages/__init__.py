"""The merchant's pages, one module per feature, on one blueprint (``pages.<view>`` endpoints):
activity (upcoming and recent messages, pause), journey (steps, timing, sender), templates (the block
editor, tests to oneself), dashboard (charts), billing (plans), setup (the first-hour checklist and
the home page). Server-rendered, one form per action, every query filtered by the signed-in store; in
Arabic and Persian the whole page runs right to left (``words.py``)."""

from __future__ import annotations

from app.web.admin.pages import activity as _activity  # noqa: E402,F401  (registers the views)
from app.web.admin.pages import billing, dashboard, journey, setup, templates  # noqa: E402,F401
from app.web.admin.pages.activity import activity
from app.web.admin.pages.common import bp

__all__ = ["activity", "bp"]
