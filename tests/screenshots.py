"""Screenshots the browser tests keep under ``tests/artifacts/`` for a human to look at.

Chromium sometimes refuses a capture outright: ``Page.captureScreenshot: Unable to capture
screenshot``, after the fonts have loaded, in well under the timeout. It has no frame to copy yet
(a full-page capture first resizes the page and waits for a new one), and takes the very same
picture when asked again (MarketSquare/robotframework-browser#5237 traces it over 301 CI runs). One
make test in three with the other core busy lost a layout test to it. So that one refusal, only
that, is asked again after a pause. (Waiting for the page's animation frames first is no remedy: a
page the browser counts as hidden draws none, and the wait never ends.)
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from playwright.sync_api import Error as PlaywrightError

REFUSED = "Unable to capture screenshot"
ATTEMPTS = 3
PAUSE_MS = 250  # before asking again: time for the frame Chromium had not drawn


class Page(Protocol):
    """What ``save`` uses of Playwright's ``Page``."""

    def wait_for_timeout(self, timeout: float) -> None: ...

    def screenshot(self, *, path: str, full_page: bool) -> bytes: ...


def save(page: Page, path: Path) -> None:
    """A full-page screenshot of ``page`` at ``path``; any error but Chromium's refusal is raised at
    once, and the refusal itself after ``ATTEMPTS`` tries."""
    path.parent.mkdir(parents=True, exist_ok=True)
    for attempt in range(1, ATTEMPTS + 1):
        try:
            page.screenshot(path=str(path), full_page=True)
            return
        except PlaywrightError as exc:
            if REFUSED not in str(exc) or attempt == ATTEMPTS:
                raise
        page.wait_for_timeout(PAUSE_MS)
