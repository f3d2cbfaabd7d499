"""The browser tests' screenshots survive Chromium refusing a capture, and nothing else is hidden: a real
page in Debian's Chromium, whose first captures answer as Chromium did once under load."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Error as PlaywrightError

from tests import screenshots

REFUSAL = (
    "Page.screenshot: Protocol error (Page.captureScreenshot): Unable to capture screenshot\n"
    "Call log:\n  - taking page screenshot\n  - waiting for fonts to load...\n  - fonts loaded"
)


class Refusing:
    """A real page whose first ``refusals`` captures fail with ``message``."""

    def __init__(self, page, refusals: int, message: str = REFUSAL) -> None:
        self.page, self.refusals, self.message, self.asked = page, refusals, message, 0

    def wait_for_timeout(self, timeout: float) -> None:
        self.page.wait_for_timeout(timeout)

    def screenshot(self, *, path: str, full_page: bool) -> bytes:
        self.asked += 1
        if self.refusals:
            self.refusals -= 1
            raise PlaywrightError(self.message)
        return self.page.screenshot(path=path, full_page=full_page)


@pytest.fixture
def page(chromium):
    page = chromium.new_page(viewport={"width": 375, "height": 600})
    page.set_content("<body style='margin: 0'><div style='height: 1500px'>مرحبا</div>", wait_until="load")
    yield page
    page.close()


def test_a_capture_chromium_refuses_twice_is_kept_on_the_third_try(page, tmp_path: Path):
    refusing, shot = Refusing(page, refusals=2), tmp_path / "shots" / "page.png"
    screenshots.save(refusing, shot)
    assert refusing.asked == 3
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"  # a picture was written
    assert int.from_bytes(shot.read_bytes()[20:24], "big") == 1500  # the whole page, not the 600px screen


def test_a_capture_refused_every_time_fails_the_test(page, tmp_path: Path):
    refusing, shot = Refusing(page, refusals=screenshots.ATTEMPTS), tmp_path / "page.png"
    with pytest.raises(PlaywrightError, match="Unable to capture screenshot"):
        screenshots.save(refusing, shot)
    assert refusing.asked == screenshots.ATTEMPTS
    assert not shot.exists()


def test_any_other_browser_error_fails_at_once(page, tmp_path: Path):
    refusing = Refusing(page, refusals=1, message="Target page, context or browser has been closed")
    with pytest.raises(PlaywrightError, match="has been closed"):
        screenshots.save(refusing, tmp_path / "page.png")
    assert refusing.asked == 1
