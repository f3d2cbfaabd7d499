"""A review end to end in Debian's Chromium: the customer opens the review request in the mailbox
(aiosmtpd), clicks the fourth star, lands on our page with four stars set, adds words and a photo and
sends them; the merchant approves it on the Reviews page; the worker publishes it to the store (a fake
WooCommerce on loopback) and the reminder is cancelled. In English and Arabic, at desktop and phone
width; screenshots go to ``tests/artifacts/reviews/`` (not committed)."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import expect
from sqlalchemy import select

from app.models import Review
from app.reviews import publish
from app.web.admin.auth import login_url
from connectors.woocommerce.client import Credentials
from tests import screenshots
from tests.app.reviews.helpers import delivered_order, message, send_due
from tests.fakes.woocommerce import FakeWooCommerce
from tests.helpers import make_store
from tests.live import app, live_server  # noqa: F401 - fixtures

ARTIFACTS = Path(__file__).parent / "artifacts" / "reviews"
WORDS = {
    "en": {"saved": "4-star rating is saved", "sent": "Your review is saved", "send": "Send my review"},
    "ar": {"saved": "حُفظ تقييمك", "sent": "حُفظ تقييمك. يمكنك", "send": "أرسل تقييمي"},
}


@pytest.fixture
def woo() -> Iterator[FakeWooCommerce]:
    fake = FakeWooCommerce()
    fake.products[101] = {"id": 101, "name": "Green Tea 1"}
    with fake.serving():
        yield fake


def _photo() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (640, 480), (190, 140, 60)).save(out, "JPEG")
    return out.getvalue()


@pytest.mark.any_database  # the publishing itself is proved on both databases (tests/app/reviews)
@pytest.mark.parametrize("width", [1100, 375], ids=["desktop", "phone"])
@pytest.mark.parametrize("lang", ["en", "ar"])
def test_a_customer_rates_from_the_email_and_the_store_shows_it(
    app,  # noqa: F811 - the fixture imported above
    aftercare,
    live_server,  # noqa: F811
    chromium,
    smtp,
    woo,
    lang,
    width,
):
    shot = f"{lang}-{width}"
    key = woo.add_key()
    store = make_store(
        aftercare,
        name="Dar Al Oud",
        platform="woocommerce",
        external_id=woo.url,
        credentials=Credentials(woo.url, key.consumer_key, key.consumer_secret).to_json(),
        smtp_port=smtp.port,
        timezone="Asia/Riyadh",
    )
    order_id = delivered_order(aftercare, store, items=1, locale=lang, first_name="Layla")
    send_due(aftercare, order_id, "review_request")
    [mail] = [m for m in smtp.wait_for(3, timeout=1.0) if m.message["X-Aftercare-Step"] == "review_request"]
    html = mail.message.get_body(("html",)).get_content()

    customer = chromium.new_context(viewport={"width": width, "height": 900})
    page = customer.new_page()
    page.set_content(html)  # the email as the customer's mail client shows it
    expect(page.locator("a.star")).to_have_count(5)
    screenshots.save(page, ARTIFACTS / f"email-{shot}.png")
    page.locator("a.star").nth(3).click()
    expect(page).to_have_url(f"{live_server}/rv/" + page.url.split("/rv/")[1])
    expect(page.locator("#star4")).to_be_checked()
    expect(page.locator("html")).to_have_attribute("dir", "rtl" if lang == "ar" else "ltr")
    expect(page.get_by_role("status")).to_contain_text(WORDS[lang]["saved"])
    with aftercare.db.session() as session:
        assert session.scalars(select(Review.rating)).one() == 4  # recorded by the one click
    screenshots.save(page, ARTIFACTS / f"page-stars-{shot}.png")
    page.locator("#body").fill(
        "Smells wonderful, lasts for weeks." if lang == "en" else "رائحته رائعة وتدوم أسابيع."
    )
    page.locator("#photos").set_input_files(
        {"name": "IMG_0042.JPG", "mimeType": "image/jpeg", "buffer": _photo()}
    )
    page.get_by_role("button", name=WORDS[lang]["send"]).click()
    expect(page.get_by_role("status").first).to_contain_text(WORDS[lang]["sent"])
    expect(page.locator(".thumbs img")).to_have_count(1)
    expect(page.locator("#star4")).to_be_checked()
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the review page is {overflow}px wider than a {width}px screen"
    screenshots.save(page, ARTIFACTS / f"page-sent-{shot}.png")
    customer.close()

    settings = aftercare.settings.model_copy(update={"public_url": live_server})
    merchant = chromium.new_context(viewport={"width": width, "height": 900})
    admin = merchant.new_page()
    admin.goto(login_url(settings, store.id))
    admin.goto(f"{live_server}/admin/reviews?lang={lang}")
    row = admin.locator("#reviews tbody tr").first
    expect(row).to_contain_text("Green Tea 1")
    expect(row.locator("img")).to_have_count(1)
    screenshots.save(admin, ARTIFACTS / f"merchant-{shot}.png")
    row.locator("form").first.get_by_role("button").click()  # approve
    expect(admin.get_by_role("status").first).to_be_visible()
    admin.wait_for_load_state("load")  # the page after the approval, styles and all, before measuring
    overflow = admin.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the Reviews page is {overflow}px wider than a {width}px screen"
    screenshots.save(admin, ARTIFACTS / f"merchant-approved-{shot}.png")
    merchant.close()

    assert publish.run(aftercare) == 1  # the worker's next round
    [published] = woo.reviews
    assert published["rating"] == 4 and published["product_id"] == 101 and published["status"] == "approved"
    assert ("weeks" in published["review"]) if lang == "en" else ("أسابيع" in published["review"])
    reminder = message(aftercare, order_id, "review_reminder")
    assert reminder is not None and reminder.status == "cancelled"
    assert reminder.reason_code == "every_item_reviewed"
