"""The merchant pages over HTTP, on SQLite and PostgreSQL: forms are read from the page itself and
posted back as a browser would, with one field changed."""

from __future__ import annotations

import time
from datetime import timedelta
from decimal import Decimal

import jwt
import lxml.html
import pytest
from sqlalchemy import select, update

from app import clock, create_app, services
from app.models import Click, Message, Review, Store
from tests.conftest import settings_for
from tests.helpers import T0, ingest_order, make_store, order_snapshot, signed_in

PAGES = (
    "/admin/",
    "/admin/activity",
    "/admin/journey",
    "/admin/templates",
    "/admin/templates/check_in/fa",
    "/admin/dashboard",
    "/admin/tracking",
)


def form_of(page: str, action: str) -> dict[str, object]:
    """The values a browser would submit from the form posting to ``action``."""
    document = lxml.html.fromstring(page)
    [form] = [form for form in document.forms if form.action == action and form.method == "POST"]
    values: dict[str, object] = {}
    for name, value in form.form_values():
        values.setdefault(name, []).append(value)
    return {name: found if len(found) > 1 else found[0] for name, found in values.items()}


def _message(aftercare, step):
    with aftercare.db.session() as session:
        return session.scalars(select(Message).where(Message.step == step)).one()


@pytest.mark.parametrize("lang", ["en", "ar", "fa"])
def test_every_page_renders_in_each_language_and_direction(app, aftercare, lang):
    clock.freeze(T0)
    store = make_store(aftercare)
    ingest_order(aftercare, store, order_snapshot("1001", first_name="Layla"))
    client = signed_in(app, aftercare, store)
    for path in PAGES:
        response = client.get(path, query_string={"lang": lang})
        assert response.status_code == 200, path
        page = response.get_data(as_text=True)
        assert f'<html lang="{lang}" dir="{"ltr" if lang == "en" else "rtl"}">' in page, path
    journey = client.get("/admin/journey").get_data(as_text=True)  # the language stays for the session
    assert {"en": "Send window starts", "ar": "تبدأ نافذة الإرسال", "fa": "شروع بازهٔ ارسال"}[lang] in journey


def test_a_changed_delay_moves_the_scheduled_message_and_the_page_says_how_many(app, aftercare):
    clock.freeze(T0)
    store = make_store(aftercare)
    ingest_order(aftercare, store, order_snapshot("1001", accepts_marketing=False))
    assert _message(aftercare, "thank_you").send_at == T0
    client = signed_in(app, aftercare, store)
    values = form_of(client.get("/admin/journey").get_data(as_text=True), "/admin/journey")
    values.update({"step.thank_you.delay": "2", "step.thank_you.unit": "hours"})
    response = client.post("/admin/journey", data=values, follow_redirects=True)
    assert response.status_code == 200
    assert "Saved. 1 scheduled messages moved, 0 cancelled, 0 newly planned." in response.get_data(
        as_text=True
    )
    assert _message(aftercare, "thank_you").send_at == T0 + timedelta(hours=2)
    again = form_of(response.get_data(as_text=True), "/admin/journey")
    assert (again["step.thank_you.delay"], again["step.thank_you.unit"]) == ("2", "hours")

    values["step.thank_you.enabled"] = ""  # switched off: the planned thank-you is cancelled
    del values["step.thank_you.enabled"]
    page = client.post("/admin/journey", data=values, follow_redirects=True).get_data(as_text=True)
    assert (
        "0 scheduled messages moved, 1 cancelled" in page
        and _message(aftercare, "thank_you").status == "cancelled"
    )


def test_invalid_settings_are_explained_beside_their_fields_and_change_nothing(app, aftercare):
    store = make_store(aftercare)
    client = signed_in(app, aftercare, store)
    values = form_of(client.get("/admin/journey").get_data(as_text=True), "/admin/journey")
    values.update(
        {
            "window_start": "20:00",
            "window_end": "09:00",
            "timezone": "Mars/Olympus",
            "reply_to": "not an address",
            "step.check_in.delay": "-3",
        }
    )
    response = client.post("/admin/journey", data=values)
    assert response.status_code == 422
    document = lxml.html.fromstring(response.get_data(as_text=True))
    errors = {node.get("id"): node.text_content() for node in document.find_class("error-text")}
    assert "time zone" in errors["timezone-error"]
    assert "reply_to-error" in errors and "step.check_in.delay-error" in errors
    assert document.get_element_by_id("timezone").get("aria-invalid") == "true"
    values.update(
        {
            "timezone": "Asia/Riyadh",
            "reply_to": "hi@tea.example",
            "step.check_in.delay": "3",
        }
    )
    response = client.post("/admin/journey", data=values)
    assert response.status_code == 422 and "the send window must end after it starts" in response.get_data(
        as_text=True
    )
    with aftercare.db.session() as session:
        saved = session.get(Store, store.id)
        assert (saved.journey, saved.timezone, saved.reply_to) == (
            "",
            "UTC",
            "hello@tea-and-things.example",
        )


def test_forms_need_the_pages_csrf_token(app, aftercare):
    store = make_store(aftercare)
    client = signed_in(app, aftercare, store)
    values = form_of(client.get("/admin/journey").get_data(as_text=True), "/admin/journey")
    values["csrf_token"] = "forged"
    assert client.post("/admin/journey", data=values).status_code == 400
    assert client.post("/admin/pause").status_code == 400
    with aftercare.db.session() as session:
        assert session.get(Store, store.id).status == "active"


def test_pause_resume_cancel_and_send_now(app, aftercare, smtp):
    clock.freeze(T0)
    store = make_store(aftercare, smtp_port=smtp.port)
    ingest_order(aftercare, store, order_snapshot("1001", accepts_marketing=False))
    client = signed_in(app, aftercare, store)
    token = {
        "csrf_token": form_of(client.get("/admin/activity").get_data(as_text=True), "/admin/pause")[
            "csrf_token"
        ]
    }
    assert "Sending is paused" in client.post("/admin/pause", data=token, follow_redirects=True).get_data(
        as_text=True
    )
    with aftercare.db.session() as session:
        assert session.get(Store, store.id).status == "paused"
    client.post("/admin/resume", data=token)
    with aftercare.db.session() as session:
        assert session.get(Store, store.id).status == "active"
        session.execute(update(Message).values(send_at=T0 + timedelta(days=2)))  # say it waits for the window
    message = _message(aftercare, "thank_you")
    page = client.post(f"/admin/messages/{message.id}/send-now", data=token, follow_redirects=True)
    assert "goes out within a minute" in page.get_data(as_text=True)
    from scheduler.jobs import make_dispatcher

    make_dispatcher(aftercare, "w1").run_until_idle()
    assert _message(aftercare, "thank_you").status == "sent" and len(smtp.wait_for(1)) == 1
    assert client.post(f"/admin/messages/{message.id}/cancel", data=token).status_code == 404  # already sent


def test_a_store_never_acts_on_another_stores_messages(app, aftercare):
    clock.freeze(T0)
    mine, theirs = make_store(aftercare), make_store(aftercare, name="Other")
    ingest_order(aftercare, theirs, order_snapshot("1001"))
    client = signed_in(app, aftercare, mine)
    token = {
        "csrf_token": form_of(client.get("/admin/activity").get_data(as_text=True), "/admin/pause")[
            "csrf_token"
        ]
    }
    message = _message(aftercare, "thank_you")
    assert client.post(f"/admin/messages/{message.id}/cancel", data=token).status_code == 404
    assert _message(aftercare, "thank_you").status == "scheduled"


def test_dashboard_counts_and_attributes_revenue_to_clicks_within_the_window(app, aftercare):
    clock.freeze(T0)
    store = make_store(aftercare, timezone="Asia/Riyadh")
    ingest_order(aftercare, store, order_snapshot("1001", accepts_marketing=False))
    with aftercare.db.session() as session:
        message = session.scalars(select(Message)).one()
        session.execute(update(Message).values(status="sent", sent_at=T0, recipient="layla@example.test"))
        session.add(
            Click(
                store_id=store.id,
                message_id=message.id,
                url="https://tea.example/p",
                clicked_at=T0 + timedelta(hours=1),
            )
        )
        session.add(
            Review(
                store_id=store.id,
                customer_id=message.customer_id,
                product_external_id="101",
                rating=5,
                created_at=T0,
            )
        )
    later = order_snapshot("1002", placed_at=T0 + timedelta(days=2), accepts_marketing=False)
    ingest_order(
        aftercare, store, later.__class__(**{**later.__dict__, "customer": order_snapshot("1001").customer})
    )
    too_late = order_snapshot("1003", placed_at=T0 + timedelta(days=9), accepts_marketing=False)
    ingest_order(
        aftercare,
        store,
        too_late.__class__(**{**too_late.__dict__, "customer": order_snapshot("1001").customer}),
    )
    clock.freeze(T0 + timedelta(days=10))
    page = signed_in(app, aftercare, store).get("/admin/dashboard").get_data(as_text=True)
    document = lxml.html.fromstring(page)
    figure = {
        key: document.get_element_by_id(key).text_content()
        for key in ("total-sent", "total-clicks", "total-reviews", "total-orders")
    }
    assert figure == {"total-sent": "1", "total-clicks": "1", "total-reviews": "1", "total-orders": "1"}
    assert [node.text_content() for node in document.find_class("revenue")] == [str(Decimal("19.99") * 2)]
    [step] = document.xpath('//tr[@data-step="thank_you"]')  # the click's step earned it
    assert [step.find_class(name)[0].text_content() for name in ("by-code", "by-click")] == ["0", "1"]
    assert page.count("<svg") == 3


SHOPIFY_SECRET = "shopify-client-secret-for-the-tests-0123456789"


@pytest.fixture
def shopify_app(database_url, tmp_path):
    application = create_app(
        settings_for(
            database_url, tmp_path, shopify_client_id="client-id", shopify_client_secret=SHOPIFY_SECRET
        )
    )
    yield application
    services(application).db.dispose()


def _id_token(shop: str, secret: str = SHOPIFY_SECRET) -> str:
    now = int(time.time())
    claims = {
        "iss": f"https://{shop}/admin",
        "dest": f"https://{shop}",
        "aud": "client-id",
        "sub": "42",
        "exp": now + 60,
        "nbf": now - 5,
        "iat": now,
        "jti": f"jti-{now}",
        "sid": "session",
    }
    return jwt.encode(claims, secret, algorithm="HS256")


def test_inside_shopify_the_id_token_decides_the_store(shopify_app):
    aftercare = services(shopify_app)
    clock.freeze(T0)
    mine = make_store(aftercare, platform="shopify", external_id="mine.myshopify.com")
    theirs = make_store(aftercare, platform="shopify", external_id="theirs.myshopify.com")
    ingest_order(aftercare, theirs, order_snapshot("1001"))
    client = shopify_app.test_client()
    headers = {"Authorization": f"Bearer {_id_token('mine.myshopify.com')}"}
    assert client.get("/admin/api/session", headers=headers).get_json()["store_id"] == mine.id
    with aftercare.db.session() as session:
        their_order = session.scalars(select(Message.order_id)).first()
    assert client.get(f"/admin/api/orders/{their_order}/journey", headers=headers).status_code == 404
    page = client.get("/admin/activity", headers=headers)
    assert page.status_code == 200 and "Other" not in page.get_data(as_text=True)
    wrong_secret = "not-the-secret-but-just-as-long-0123456789"
    forged = {"Authorization": f"Bearer {_id_token('theirs.myshopify.com', secret=wrong_secret)}"}
    refused = client.get("/admin/api/session", headers=forged)
    assert refused.status_code == 401 and refused.headers["X-Shopify-Retry-Invalid-Session-Request"] == "1"
    # without a session cookie the CSRF token is not needed (the header cannot be forged cross-site),
    # and the answer is the page itself with the news on it: no cookie would carry a flash
    paused = client.post("/admin/pause", headers=headers)
    assert paused.status_code == 200 and "Sending is paused" in paused.get_data(as_text=True)
    assert 'href="/admin/journey?shop=mine.myshopify.com&amp;embedded=1"' in paused.get_data(as_text=True)
    assert '<meta name="shopify-api-key" content="client-id">' in paused.get_data(as_text=True)
    with aftercare.db.session() as session:
        assert (session.get(Store, mine.id).status, session.get(Store, theirs.id).status) == (
            "paused",
            "active",
        )


def test_a_large_store_is_re_planned_by_the_worker_and_the_page_shows_the_result(database_url, tmp_path):
    application = create_app(settings_for(database_url, tmp_path, settings_sync_replan_orders=0))
    aftercare = services(application)
    try:
        clock.freeze(T0)
        store = make_store(aftercare)
        ingest_order(aftercare, store, order_snapshot("1001", accepts_marketing=False))
        client = signed_in(application, aftercare, store)
        values = form_of(client.get("/admin/journey").get_data(as_text=True), "/admin/journey")
        values.update({"step.thank_you.delay": "2", "step.thank_you.unit": "hours"})
        page = client.post("/admin/journey", data=values, follow_redirects=True).get_data(as_text=True)
        assert "being re-planned" in page and "Re-planning your scheduled messages" in page
        assert 'data-refresh="5"' in page and 'id="stop-refresh"' in page  # it looks again by itself
        assert _message(aftercare, "thank_you").send_at == T0  # not yet: the worker does it

        from scheduler import jobs

        assert jobs.settings_replans(aftercare, "w1") == 1
        assert _message(aftercare, "thank_you").send_at == T0 + timedelta(hours=2)
        page = client.get("/admin/journey").get_data(as_text=True)
        assert "Last change: 1 scheduled messages moved, 0 cancelled, 0 newly planned." in page
        assert "Re-planning" not in page and jobs.settings_replans(aftercare, "w1") == 0
    finally:
        aftercare.db.dispose()


def test_inside_shopify_the_sections_are_app_bridges_menu_and_the_settings_use_its_save_bar(shopify_app):
    """Embedded, the sections are App Bridge's ``<ui-nav-menu>`` (in the admin's own sidebar, not a
    bar of our own) and the settings forms carry ``data-save-bar``, so App Bridge shows the admin's
    contextual save bar when they change; standalone, neither appears and our own nav is there."""
    aftercare = services(shopify_app)
    make_store(aftercare, platform="shopify", external_id="mine.myshopify.com")
    client = shopify_app.test_client()
    headers = {"Authorization": f"Bearer {_id_token('mine.myshopify.com')}"}
    journey = client.get("/admin/journey", headers=headers).get_data(as_text=True)
    assert "<ui-nav-menu>" in journey and 'class="topbar"' not in journey
    assert '<form method="post" action="/admin/journey' in journey and "data-save-bar" in journey
    editor = client.get("/admin/templates/thank_you/ar", headers=headers).get_data(as_text=True)
    assert 'id="editor"' in editor and "data-save-bar" in editor
    woo = signed_in(shopify_app, aftercare, make_store(aftercare))
    standalone = woo.get("/admin/journey").get_data(as_text=True)
    assert "<ui-nav-menu>" not in standalone and "data-save-bar" not in standalone
    assert 'class="topbar"' in standalone and "app-bridge.js" not in standalone


def test_activity_and_the_order_page_name_the_stores_order_number_each_step_once_and_one_scheduled_line(
    app, aftercare
):
    """Activity names the store's order number (#1215), never our row id ("Order 2"); a step has one
    name everywhere ("Thank-you note", never "thank you" or ``thank_you``); and the order's timeline
    says "scheduled" once, at the latest time, however often the journey was re-planned."""
    clock.freeze(T0)
    store = make_store(aftercare)
    ingest_order(aftercare, store, order_snapshot("900"))  # our row 1, so row ids and numbers differ
    ingest_order(aftercare, store, order_snapshot("1215", first_name="Layla", accepts_marketing=False))
    client = signed_in(app, aftercare, store)
    values = form_of(client.get("/admin/journey").get_data(as_text=True), "/admin/journey")
    for hours in ("2", "3", "4"):  # three re-plans of the scheduled thank-you
        values.update({"step.thank_you.delay": hours, "step.thank_you.unit": "hours"})
        assert client.post("/admin/journey", data=values).status_code == 302
    activity = client.get("/admin/activity").get_data(as_text=True)
    assert "#1215" in activity and "Order 2" not in activity
    with aftercare.db.session() as session:
        order_id = session.scalars(select(Message.order_id).where(Message.step == "thank_you")).all()[-1]
    text = lxml.html.fromstring(client.get(f"/admin/orders/{order_id}").get_data(as_text=True)).text_content()
    assert "#1215" in text
    assert "Thank-you note" in text and "thank you" not in text.lower().replace("thank-you", "")
    assert "thank_you" not in text
    assert text.count("Thank-you note: scheduled for") == 1


def test_the_journey_page_puts_the_common_choices_first_and_the_rest_behind_more(app, aftercare):
    """Each step's on/off and delay, the send window and the cap are in sight; what a step counts
    from, its channels and offer, and the rarer timings are behind "More", opened when one of them
    was refused."""
    store = make_store(aftercare)
    client = signed_in(app, aftercare, store)
    tree = lxml.html.fromstring(client.get("/admin/journey").get_data(as_text=True))

    def behind_more(field_id: str) -> bool:
        (field,) = tree.xpath(f'//*[@id="{field_id}"]')
        return any("more" in (parent.get("class") or "") for parent in field.iterancestors("details"))

    for common in ("step.thank_you.delay", "step.check_in.unit", "window_start", "frequency_cap_hours"):
        assert not behind_more(common), common
    for rarer in (
        "step.check_in.anchor",
        "step.win_back.offer_value",
        "attribution_days",
        "merge_review_days",
    ):
        assert behind_more(rarer), rarer
    assert all(details.get("open") is None for details in tree.xpath('//details[contains(@class, "more")]'))
