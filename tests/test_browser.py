"""The merchant pages end to end in Debian's Chromium (Playwright) against the app on loopback:
sign in by the signed link, change a delay and watch the message move, edit a template and watch the
preview, have a broken one refused, and keep screenshots of every page in English and Arabic under
``tests/artifacts/pages/`` (not committed)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from app import clock, domains
from app.models import Message, MessageTemplate, Store
from app.web.admin.auth import login_url
from tests import screenshots
from tests.helpers import T0, count, ingest_order, make_store, order_snapshot

ARTIFACTS = Path(__file__).parent / "artifacts" / "pages"
UNLABELLED = """[...document.querySelectorAll('input:not([type=hidden]), select, textarea')]
  .filter(field => !field.labels.length && !field.getAttribute('aria-label')).map(field => field.name)"""
PAGES = {
    "setup": "/admin/setup",
    "activity": "/admin/activity",
    "orders": "/admin/",
    "order": "/admin/orders/1",
    "journey": "/admin/journey",
    "messages": "/admin/templates",
    "editor": "/admin/templates/thank_you/ar",
    "editor-code": "/admin/templates/review_request/fa?mode=code",
    "dashboard": "/admin/dashboard",
    "tracking": "/admin/tracking",
    "plan": "/admin/billing",
    "sending": "/admin/sending",
    "reviews": "/admin/reviews",
    "recommendations": "/admin/recommendations",
}
SIGNED_OUT = {"front": "/", "signin": "/admin/signin"}  # what a merchant meets before signing in


@pytest.fixture
def merchant(app, aftercare, live_server, chromium) -> Iterator[tuple[Page, object]]:
    clock.freeze(T0)
    store = make_store(aftercare, name="Dar Al Oud", timezone="Asia/Riyadh")
    with aftercare.db.session() as session:  # a domain being authenticated: its records on the page
        domains.start(session, session.get(Store, store.id), "hello@dar-al-oud.example")
    ingest_order(aftercare, store, order_snapshot("1001", first_name="Layla", accepts_marketing=False))
    settings = aftercare.settings.model_copy(update={"public_url": live_server})
    context = chromium.new_context(viewport={"width": 1100, "height": 900})
    page = context.new_page()
    page.goto(login_url(settings, store.id))
    expect(page).to_have_url(f"{live_server}/admin/setup")  # a new store first meets the checklist
    yield page, store
    context.close()


def _send_at(aftercare, step):
    with aftercare.db.session() as session:
        return session.scalars(select(Message.send_at).where(Message.step == step)).one()


def test_changing_a_delay_moves_the_scheduled_message(merchant, aftercare, live_server):
    page, _ = merchant
    page.goto(f"{live_server}/admin/journey")
    page.get_by_label("Delay").first.fill("3")  # the first step is the thank-you note
    page.locator("#step\\.thank_you\\.unit").select_option("hours")
    page.get_by_role("button", name="Save and apply to scheduled messages").click()
    expect(page.get_by_role("status")).to_contain_text("1 scheduled messages moved, 0 cancelled")
    assert _send_at(aftercare, "thank_you") == T0.replace(hour=12)  # 09:30 + 3 h, in UTC
    page.goto(f"{live_server}/admin/activity")
    expect(page.locator("table").first).to_contain_text("3 Nov 2026 15:30")  # shown in Riyadh's time


def test_the_settings_form_works_from_the_keyboard(merchant, aftercare, live_server):
    page, _ = merchant
    page.goto(f"{live_server}/admin/journey")
    page.locator("#frequency_cap_hours").focus()
    page.keyboard.press("Control+A")
    page.keyboard.type("30")
    page.keyboard.press("Enter")  # submits the form it is in
    expect(page.get_by_role("status")).to_contain_text("Saved.")
    expect(page.locator("#frequency_cap_hours")).to_have_value("30.0")


def test_editing_a_template_updates_the_preview_and_a_broken_one_is_refused(merchant, aftercare, live_server):
    page, _ = merchant
    page.goto(f"{live_server}/admin/templates/thank_you/en?mode=code")
    expect(page.locator("#preview-source")).to_have_text("from your latest order")
    page.locator("#subject").fill("Hello {{ customer.first_name }}, from the editor")
    expect(page.locator("#preview-subject")).to_have_text("Hello Layla, from the editor")
    frame = page.frame_locator("#preview-frame")
    expect(frame.locator("h1")).to_contain_text("Thank you, Layla!")
    page.locator("#body").fill("<p>Line one</p>\n<p>{{ order.number }</p>")
    expect(page.locator("#preview-error")).to_contain_text("body, line 2")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_role("alert").first).to_contain_text("Not saved: body, line 2")
    assert count(aftercare, MessageTemplate) == 0
    page.locator("#body").fill("<p>Thanks {{ customer.first_name }}, we're on it.</p>")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text("Saved. New messages use this wording.")
    expect(frame.locator("p").first).to_have_text("Thanks Layla, we're on it.")
    expect(page.locator("#body")).to_have_attribute("dir", "ltr")  # code reads left to right, always


def test_each_dns_record_is_copied_with_one_click(merchant, live_server):
    page, _ = merchant
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server)
    page.goto(f"{live_server}/admin/sending")
    for purpose in ("dkim", "spf", "dmarc"):
        value = page.locator(f"#value-{purpose}").text_content()
        assert value.startswith("v=")
        page.locator(f'button[data-copy="value-{purpose}"]').click()
        page.wait_for_function("async (value) => (await navigator.clipboard.readText()) === value", arg=value)


def test_another_stores_session_cannot_read_this_stores_orders(merchant, aftercare, live_server, chromium):
    page, store = merchant
    other = make_store(aftercare, name="Other")
    with aftercare.db.session() as session:
        order_id = session.scalars(select(Message.order_id)).first()
    settings = aftercare.settings.model_copy(update={"public_url": live_server})
    stranger = chromium.new_context()
    try:
        intruder = stranger.new_page()
        intruder.goto(login_url(settings, other.id))
        assert intruder.request.get(f"{live_server}/admin/api/orders/{order_id}/journey").status == 404
        assert page.request.get(f"{live_server}/admin/api/orders/{order_id}/journey").status == 200
    finally:
        stranger.close()


@pytest.mark.any_database  # layout of pages the other tests here drive on each database
@pytest.mark.parametrize("lang", ["en", "ar", "fa"])
def test_screenshots_of_every_page(merchant, live_server, lang):
    page, _ = merchant
    for width in (1100, 390):
        page.set_viewport_size({"width": width, "height": 900})
        for name, path in PAGES.items():
            page.goto(f"{live_server}{path}{'&' if '?' in path else '?'}lang={lang}")
            expect(page.locator("html")).to_have_attribute("dir", "ltr" if lang == "en" else "rtl")
            screenshots.save(page, ARTIFACTS / f"{name}-{lang}-{width}.png")
            overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 0, f"{name} is {overflow}px wider than a {width}px screen"
            unlabelled = page.evaluate(UNLABELLED)
            assert unlabelled == [], f"{name}: fields without a label: {unlabelled}"
    anonymous = page.context.browser.new_context()
    try:
        visitor = anonymous.new_page()
        for width in (1100, 390):
            visitor.set_viewport_size({"width": width, "height": 900})
            for name, path in SIGNED_OUT.items():
                visitor.goto(f"{live_server}{path}?lang={lang}")
                screenshots.save(visitor, ARTIFACTS / f"{name}-{lang}-{width}.png")
                overflow = visitor.evaluate("document.documentElement.scrollWidth - window.innerWidth")
                assert overflow <= 0, f"{name} is {overflow}px wider than a {width}px screen"
    finally:
        anonymous.close()


def test_the_pages_run_under_their_policy_and_no_other_site_can_frame_them(merchant, live_server):
    """Chromium enforces the Content-Security-Policy: our own scripts run (the preview, the language
    menu), nothing is refused on any page, and a frame is refused."""
    page, _ = merchant
    refused: list[str] = []
    page.on("console", lambda message: refused.append(f"{page.url}: {message.text}"))
    for name, path in PAGES.items():
        page.goto(f"{live_server}{path}")
        if name == "dashboard":
            expect(page.locator(".chart svg")).to_have_count(3)  # pygal's charts still draw
    assert [text for text in refused if "Content Security Policy" in text] == []
    page.goto(f"{live_server}/admin/activity")
    page.locator("#lang").select_option("ar")  # the menu's change handler is a script with the nonce
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    with page.expect_console_message(lambda message: "frame-ancestors" in message.text):
        page.set_content(f'<iframe id="framed" src="{live_server}/admin/activity"></iframe>')
    assert "Dar Al Oud" not in page.frames[-1].content()


def test_no_page_requests_anything_from_another_origin(merchant, live_server):
    """Every request a merchant page makes (styles, scripts, charts, the preview frame) goes to our
    own origin: nothing from a third-party site (pygal's tooltip script used to come from one)."""
    page, _ = merchant
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    for lang in ("en", "ar"):
        for path in PAGES.values():
            page.goto(f"{live_server}{path}{'&' if '?' in path else '?'}lang={lang}")
            page.wait_for_load_state("networkidle")
    anonymous = page.context.browser.new_context()  # and the pages before signing in
    try:
        visitor = anonymous.new_page()
        visitor.on("request", lambda request: requested.append(request.url))
        for path in SIGNED_OUT.values():
            visitor.goto(f"{live_server}{path}")
            visitor.wait_for_load_state("networkidle")
    finally:
        anonymous.close()
    elsewhere = [url for url in requested if not url.startswith((live_server, "data:", "about:"))]
    assert requested and elsewhere == []
    assert f"{live_server}/admin/signin" in requested
    assert any(url.endswith("/admin/static/admin.css") for url in requested)


def test_dates_times_and_statuses_read_in_the_merchants_language(merchant, live_server):
    page, _ = merchant
    page.goto(f"{live_server}/admin/activity?lang=ar")
    when = page.locator("table time").first
    expect(when).to_contain_text("نوفمبر")  # Arabic month names, not "Nov"
    expect(when).to_contain_text("UTC+3")  # the time zone said
    page.goto(f"{live_server}/admin/activity?lang=fa")
    expect(page.locator("table time").first).to_contain_text("آبان")  # Solar Hijri, Persian digits
    expect(page.locator("table time").first).to_contain_text("۱۴۰۵")
    page.goto(f"{live_server}/admin/?lang=ar")
    expect(page.locator("table .status").first).to_have_text("مدفوع")  # the order status, translated
    page.goto(f"{live_server}/admin/dashboard?days=7&lang=ar")
    expect(page.locator('#periods a[aria-current="true"]')).to_have_attribute(
        "href", "/admin/dashboard?days=7"
    )
    labels = page.locator(".chart svg .axis.y .guides text").evaluate_all(
        "els => els.map(e => e.textContent)"
    )
    assert labels and all("." not in label and "٫" not in label for label in labels)  # whole numbers


# Where each character of each placeholder in ``text`` is drawn when laid out as the field lays it
# out (right to left, the field's font): the left edge of each, token by token.
PLACEHOLDER_EDGES = """([text, font]) => {
  const line = document.createElement('div');
  line.dir = 'rtl';
  line.style.cssText = `position:absolute;top:0;right:0;white-space:pre;font:${font}`;
  line.textContent = text;
  document.body.appendChild(line);
  const node = line.firstChild, edges = [];
  for (const found of text.matchAll(/{{.*?}}/g)) {
    edges.push([...found[0]].map((_, i) => {
      const range = document.createRange();
      range.setStart(node, found.index + i);
      range.setEnd(node, found.index + i + 1);
      return range.getBoundingClientRect().left;
    }));
  }
  line.remove();
  return edges;
}"""


@pytest.mark.parametrize("lang", ["ar", "fa"])
def test_placeholders_read_left_to_right_inside_right_to_left_block_text(
    merchant, aftercare, live_server, lang
):
    """In Arabic and Persian the block editor's text runs right to left, and each placeholder in it
    stays one left-to-right run (isolated), its characters in order; the code view is left to right
    always; nothing saved keeps the isolating marks. Screenshots in tests/artifacts/pages/."""
    page, _ = merchant
    words = {"ar": "شكراً {{ customer.first_name }}، رقم طلبك {{ order.number }} وصل.",
             "fa": "سپاس {{ customer.first_name }}، سفارش {{ order.number }} رسید."}[lang]  # fmt: skip
    page.goto(f"{live_server}/admin/templates/review_request/{lang}?lang={lang}")
    field = page.locator('fieldset.block[data-kind="text"] textarea').first
    field.fill(words)
    page.get_by_role("button", name={"ar": "حفظ", "fa": "ذخیره"}[lang], exact=True).click()
    expect(page.get_by_role("status")).to_be_visible()
    with aftercare.db.session() as session:
        saved = session.scalars(select(MessageTemplate).where(MessageTemplate.locale == lang)).one()
        assert "\u2066" not in saved.body + saved.subject and "{{ customer.first_name }}" in saved.body

    field = page.locator('fieldset.block[data-kind="text"] textarea').first
    shown = field.input_value()
    assert shown.replace("\u2066", "").replace("\u2069", "") == words
    assert field.evaluate("el => getComputedStyle(el).direction") == "rtl"
    font = field.evaluate("el => getComputedStyle(el).font")
    for token in page.evaluate(PLACEHOLDER_EDGES, [shown, font]):
        assert token == sorted(token), f"a placeholder is not laid out left to right: {token}"
    # the same words without the isolates scramble in a right-to-left line: the check above can fail
    raw = page.evaluate(PLACEHOLDER_EDGES, [words, font])
    assert any(token != sorted(token) for token in raw)

    page.locator("details.more summary").click()
    assert page.locator("#compiled").evaluate("el => getComputedStyle(el).direction") == "ltr"
    screenshots.save(page, ARTIFACTS / f"editor-placeholders-{lang}.png")
    page.get_by_role("button", name={"ar": "حرّر ككود", "fa": "ویرایش به‌صورت کد"}[lang]).click()
    expect(page.locator("#body")).to_have_attribute("dir", "ltr")
    assert page.locator("#body").evaluate("el => getComputedStyle(el).direction") == "ltr"
    assert "\u2066" not in page.locator("#body").input_value()
