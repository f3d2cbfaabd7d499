"""The customer's tracking page in Debian's Chromium (Playwright) over loopback, with scripts turned
off: English, Arabic and Persian, desktop and phone width, two parcels of one order, on their way and
then delivered. Screenshots go to ``tests/artifacts/tracking/`` (not committed)."""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import expect
from sqlalchemy import select

from app import clock, ingest
from app.links import Links
from app.models import Order, Store, TrackingBrand
from app.parcels import estimate
from app.recommend import model
from connectors.base import ShipmentEventSnapshot, ShipmentSnapshot, ShipmentStatus
from tests import screenshots
from tests.app.recommend.shop import order, product, write
from tests.helpers import ingest_order, ingest_shipment, make_store, order_snapshot, shipment_snapshot
from tracking.base import TrackEvent, TrackReport

ARTIFACTS = Path(__file__).parent / "artifacts" / "tracking"
T0 = datetime(2026, 11, 3, 6, 0, tzinfo=UTC)
H = timedelta(hours=1)
LOGO = "https://cdn.daraloud.example/logo.png"
WORDS = {
    "en": ("ltr", "On its way", "Delivered"),
    "ar": ("rtl", "في الطريق", "تم التسليم"),
    "fa": ("rtl", "در راه", "تحویل شد"),
}
# The DHL parcel's estimate (earlier DHL parcels took 2 to 4 days; shipped 3 Nov) and a history date,
# in each language's own words and calendar: Persian's is Solar Hijri (12 Aban 1405 is 3 Nov 2026).
DATES = {
    "en": ("November 6, 2026", "November 3, 2026"),
    "ar": ("6 نوفمبر 2026", "3 نوفمبر 2026"),
    "fa": ("۱۵ آبان ۱۴۰۵", "۱۲ آبان ۱۴۰۵"),
}

pytestmark = [pytest.mark.browser, pytest.mark.any_database]


def _order_in_two_parcels(aftercare) -> tuple[Store, int]:
    clock.freeze(T0 - 30 * 24 * H)
    store = make_store(aftercare, name="Dar Al Oud", reply_to="help@daraloud.example", timezone="Asia/Riyadh")
    for n, days in enumerate((2, 3, 3, 4, 4)):  # the store's own DHL history, for the estimate
        shipped = T0 - (25 - n) * 24 * H
        ingest_order(aftercare, store, order_snapshot(f"90{n}", placed_at=shipped - H))
        done = shipment_snapshot(
            f"90{n}", shipped_at=shipped, events=(("delivered", shipped + days * 24 * H),)
        )
        ingest_shipment(aftercare, store, replace(done, carrier="DHL Express", tracking_number=f"55{n}"))
    write(aftercare, store, *(product(str(code)) for code in (101, 102, 103)))
    clock.freeze(T0 + 40 * H)
    # what the recommendations learn from: other buyers' orders of the store's best seller
    write(aftercare, store, product("best"), *(order(["best"]) for _ in range(4)))
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
                logo_url=LOGO,
                help_url="https://daraloud.example/help",
                returns_url="https://daraloud.example/returns",
            )
        )
        order_id = session.scalars(select(Order.id).where(Order.external_id == "1001")).one()
        model.build(session, row)
    estimate.forget(store.id)
    return store, order_id


def _deliver_the_dhl_parcel(aftercare, store: Store) -> None:
    clock.freeze(T0 + 60 * H)
    with aftercare.db.session() as session:
        report = TrackReport(
            "dhl", "1234567890", (TrackEvent("d2", ShipmentStatus.DELIVERED, T0 + 58 * H, "delivered"),)
        )
        ingest.apply_all(session, session.get(Store, store.id), [report])


def _png() -> bytes:
    found = io.BytesIO()
    Image.new("RGB", (120, 40), "#6b2d5c").save(found, "PNG")
    return found.getvalue()


@pytest.mark.parametrize("lang", ["en", "ar", "fa"])
def test_the_tracking_page_reads_right_at_desktop_and_phone_width_without_scripts(
    aftercare, live_server, chromium, lang
):
    """Both parcels with their status and history, in the customer's language, direction and calendar,
    the estimate with its range, the carrier links, the store's logo, colour, help and returns links;
    once both are delivered, stars for each item and the store's recommendations. Nothing wider than
    a phone; every link and image has a name; it works with JavaScript off."""
    store, order_id = _order_in_two_parcels(aftercare)
    settings = aftercare.settings.model_copy(update={"public_url": live_server})
    url = Links(settings).tracking(store.id, order_id) + f"?lang={lang}"
    direction, moving, delivered = WORDS[lang]
    expected, shipped_day = DATES[lang]
    context = chromium.new_context(java_script_enabled=False)
    context.route(LOGO, lambda route: route.fulfill(status=200, content_type="image/png", body=_png()))
    try:
        page = context.new_page()
        for stage in ("on-its-way", "delivered"):
            if stage == "delivered":
                _deliver_the_dhl_parcel(aftercare, store)
            for width in (1100, 375):
                page.set_viewport_size({"width": width, "height": 900})
                page.goto(url)
                expect(page.locator("html")).to_have_attribute("dir", direction)
                expect(page.get_by_role("img", name="Dar Al Oud")).to_be_visible()
                assert page.evaluate("document.querySelector('header img').naturalWidth") == 120
                statuses = page.locator(".status")
                expect(statuses).to_have_count(2)
                expect(statuses.nth(0)).to_have_text(delivered)
                expect(page.locator("ol.history").nth(0)).to_contain_text(shipped_day)
                expect(page.locator("ol.history").nth(1)).to_contain_text("RIYADH - SAUDI ARABIA")
                expect(page.locator('a[href*="dhl.com"]')).to_have_count(1)
                expect(page.locator('a[href="https://daraloud.example/returns"]')).to_have_count(1)
                expect(page.locator('a[href="https://daraloud.example/help"]')).to_have_count(1)
                if stage == "on-its-way":
                    expect(page.get_by_role("heading", level=2)).to_have_count(3)  # each parcel, the items
                    expect(statuses.nth(1)).to_have_text(moving)
                    expect(page.locator("section").nth(1)).to_contain_text(expected)
                    expect(page.locator(".stars")).to_have_count(0)
                else:
                    expect(statuses.nth(1)).to_have_text(delivered)
                    expect(page.get_by_role("heading", level=2)).to_have_count(4)  # and recommendations
                    expect(page.locator(".stars")).to_have_count(3)  # one row of stars an item
                    expect(page.locator(".stars a")).to_have_count(15)
                    expect(page.locator("section#more, section[aria-labelledby=more] a")).to_have_count(1)
                screenshots.save(page, ARTIFACTS / f"tracking-{lang}-{width}-{stage}.png")
                overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
                assert overflow <= 0, f"{overflow}px wider than a {width}px screen"
                nameless = page.evaluate(
                    "[...document.querySelectorAll('a')]"
                    ".filter(a => !(a.innerText.trim() || a.getAttribute('aria-label'))).length"
                    " + [...document.querySelectorAll('img')].filter(i => !i.getAttribute('alt')).length"
                )
                assert nameless == 0
    finally:
        context.close()
