"""The customer's tracking page in Debian's Chromium (Playwright) over loopback, with scripts turned
off: English, Arabic and Persian, desktop and phone width, two parcels of one order. Screenshots go
to ``tests/artifacts/tracking/`` (not committed)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from app import clock, ingest
from app.links import Links
from app.models import Order, Store, TrackingBrand
from connectors.base import ShipmentEventSnapshot, ShipmentSnapshot, ShipmentStatus
from tests.helpers import ingest_order, make_store, order_snapshot
from tracking.base import TrackEvent, TrackReport

ARTIFACTS = Path(__file__).parent / "artifacts" / "tracking"
T0 = datetime(2026, 11, 3, 6, 0, tzinfo=UTC)
H = timedelta(hours=1)
WORDS = {
    "en": ("ltr", "On its way", "Delivered"),
    "ar": ("rtl", "في الطريق", "تم التسليم"),
    "fa": ("rtl", "در راه", "تحویل شد"),
}

pytestmark = [pytest.mark.browser, pytest.mark.any_database]


def _order_in_two_parcels(aftercare) -> tuple[Store, int]:
    clock.freeze(T0 + 40 * H)
    store = make_store(aftercare, name="Dar Al Oud", reply_to="help@daraloud.example", timezone="Asia/Riyadh")
    ingest_order(aftercare, store, order_snapshot("1001", placed_at=T0 - 20 * H, items=3))
    with aftercare.db.session() as session:
        row = session.get(Store, store.id)
        for n, (number, events) in enumerate(
            (
                (
                    "40795800592",
                    (("in_transit", T0), ("out_for_delivery", T0 + 26 * H), ("delivered", T0 + 30 * H)),
                ),
                ("1234567890", (("label_created", T0 + 2 * H), ("in_transit", T0 + 12 * H))),
            )
        ):
            ingest.apply_all(
                session,
                row,
                [
                    ShipmentSnapshot(
                        external_id=f"S-{n}",
                        order_external_id="1001",
                        status=ShipmentStatus(events[-1][0]),
                        updated_at=events[-1][1],
                        carrier="Aramex" if n == 0 else "DHL Express",
                        tracking_number=number,
                        shipped_at=T0,
                        delivered_at=events[-1][1] if events[-1][0] == "delivered" else None,
                        events=tuple(
                            ShipmentEventSnapshot(f"{number}-{k}", ShipmentStatus(s), at)
                            for k, (s, at) in enumerate(events)
                        ),
                    )
                ],
            )
        ingest.apply_all(
            session,
            row,
            [
                TrackReport(
                    "dhl",
                    "1234567890",
                    (
                        TrackEvent(
                            "d1",
                            ShipmentStatus.IN_TRANSIT,
                            T0 + 20 * H,
                            "transit",
                            "Arrived at DHL facility in RIYADH - SAUDI ARABIA",
                            "RIYADH - SAUDI ARABIA",
                        ),
                    ),
                )
            ],
        )
        session.add(
            TrackingBrand(
                store_id=store.id,
                color="#6b2d5c",
                help_url="https://daraloud.example/help",
                returns_url="https://daraloud.example/returns",
            )
        )
        order_id = session.scalars(select(Order.id).where(Order.store_id == store.id)).one()
    return store, order_id


@pytest.mark.parametrize("lang", ["en", "ar", "fa"])
def test_the_tracking_page_reads_right_at_desktop_and_phone_width_without_scripts(
    aftercare, live_server, chromium, lang
):
    """Both parcels with their status and history, in the customer's language and direction, the
    carrier links and the store's help and returns links; nothing wider than a phone; every link
    has a name; it works with JavaScript off."""
    store, order_id = _order_in_two_parcels(aftercare)
    settings = aftercare.settings.model_copy(update={"public_url": live_server})
    url = Links(settings).tracking(store.id, order_id) + f"?lang={lang}"
    direction, moving, delivered = WORDS[lang]
    context = chromium.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        for width in (1100, 375):
            page.set_viewport_size({"width": width, "height": 900})
            page.goto(url)
            expect(page.locator("html")).to_have_attribute("dir", direction)
            expect(page.get_by_role("heading", level=2)).to_have_count(3)  # each parcel, the items
            statuses = page.locator(".status")
            expect(statuses).to_have_count(2)
            expect(statuses.nth(0)).to_have_text(delivered)
            expect(statuses.nth(1)).to_have_text(moving)
            expect(page.locator("ol.history").nth(1)).to_contain_text("RIYADH - SAUDI ARABIA")
            expect(page.locator('a[href*="dhl.com"]')).to_have_count(1)
            expect(page.locator('a[href="https://daraloud.example/returns"]')).to_have_count(1)
            page.screenshot(path=str(ARTIFACTS / f"tracking-{lang}-{width}.png"), full_page=True)
            overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 0, f"{overflow}px wider than a {width}px screen"
            nameless = page.evaluate(
                "[...document.querySelectorAll('a')]"
                ".filter(a => !(a.innerText.trim() || a.getAttribute('aria-label'))).length"
            )
            assert nameless == 0
    finally:
        context.close()
