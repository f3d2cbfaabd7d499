"""Merchant pages: signed-link sign-in, and no store ever sees another's orders (invariant 1)."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from app import clock, privacy
from app.models import Order, Store
from app.web.admin.auth import login_token
from tests.helpers import T0, ingest_order, make_store, order_snapshot, signed_in


def _order_id(aftercare, store) -> int:
    with aftercare.db.session() as session:
        return session.scalars(select(Order.id).where(Order.store_id == store.id)).one()


def test_pages_need_a_signed_in_store(app, aftercare):
    client = app.test_client()
    assert client.get("/admin/").status_code == 401
    assert client.get("/admin/orders/1").status_code == 401


def test_forged_or_expired_links_are_refused(app, aftercare):
    store = make_store(aftercare)
    client = app.test_client()
    token = login_token(aftercare.settings, store.id)
    assert client.get("/admin/login", query_string={"token": token[:-2] + "xx"}).status_code == 401
    assert client.get("/admin/login", query_string={"token": ""}).status_code == 401
    assert client.get("/admin/login").status_code == 401
    clock.advance(timedelta(seconds=aftercare.settings.admin_link_max_age_seconds + 5))
    response = client.get("/admin/login", query_string={"token": token})
    assert response.status_code == 401 and b"expired" in response.data


def test_session_cookie_is_httponly_and_samesite(app, aftercare):
    store = make_store(aftercare)
    response = app.test_client().get(
        "/admin/login", query_string={"token": login_token(aftercare.settings, store.id)}
    )
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_merchant_sees_own_orders_and_messages(app, aftercare):
    clock.freeze(T0)
    store = make_store(aftercare)
    ingest_order(aftercare, store, order_snapshot("5150", first_name="Shirin"))
    client = signed_in(app, aftercare, store)
    page = client.get("/admin/").get_data(as_text=True)
    assert "#5150" in page and "Shirin" in page and "Thank-you note" in page
    detail = client.get(f"/admin/orders/{_order_id(aftercare, store)}").get_data(as_text=True)
    assert "Green Tea 1" in detail and "scheduled" in detail and "Order #5150 received" in detail


def test_another_stores_orders_are_invisible(app, aftercare):
    clock.freeze(T0)
    mine, theirs = make_store(aftercare, name="Mine"), make_store(aftercare, name="Theirs")
    ingest_order(aftercare, mine, order_snapshot("1", first_name="Maryam"))
    ingest_order(aftercare, theirs, order_snapshot("2", first_name="Omid"))
    client = signed_in(app, aftercare, mine)
    page = client.get("/admin/").get_data(as_text=True)
    assert "Maryam" in page and "Omid" not in page
    response = client.get(f"/admin/orders/{_order_id(aftercare, theirs)}")
    assert response.status_code == 404 and b"Omid" not in response.data


def test_signing_into_another_store_replaces_the_session(app, aftercare):
    clock.freeze(T0)
    first, second = make_store(aftercare, name="First"), make_store(aftercare, name="Second")
    ingest_order(aftercare, first, order_snapshot("1", first_name="Amal"))
    client = signed_in(app, aftercare, first)
    client.get("/admin/login", query_string={"token": login_token(aftercare.settings, second.id)})
    assert "Amal" not in client.get("/admin/").get_data(as_text=True)


def test_hostile_customer_name_is_shown_as_text(app, aftercare):
    clock.freeze(T0)
    store = make_store(aftercare)
    ingest_order(aftercare, store, order_snapshot("1", first_name='<script>alert("x")</script>'))
    page = signed_in(app, aftercare, store).get("/admin/").get_data(as_text=True)
    assert "<script>alert" not in page and "&lt;script&gt;" in page


def test_unknown_pages_answer_404_not_500(app, aftercare):
    client = app.test_client()
    assert client.get("/no-such-page").status_code == 404
    assert client.get("/admin/orders/not-a-number").status_code in (401, 404)
    assert client.get("/healthz").json == {"status": "ok"}


def test_a_customers_data_export_is_downloadable_by_its_store_only(app, aftercare):
    store = make_store(aftercare)
    other = make_store(aftercare, name="Other shop")
    ingest_order(aftercare, store, order_snapshot("7001", email="layla@example.test"))
    with aftercare.db.session() as session:
        export = privacy.record_export(
            session, session.get(Store, store.id), "req-1", None, "layla@example.test"
        )
        export_id = export.id
    client = signed_in(app, aftercare, store)
    listing = client.get("/admin/api/data-exports").get_json()["exports"]
    assert [item["request"] for item in listing] == ["req-1"]
    download = client.get(listing[0]["url"])
    assert download.status_code == 200 and "attachment" in download.headers["Content-Disposition"]
    assert download.get_json()["customers"][0]["email"] == "layla@example.test"
    stranger = signed_in(app, aftercare, other)
    assert stranger.get(f"/admin/api/data-exports/{export_id}").status_code == 404
    assert stranger.get("/admin/api/data-exports").get_json()["exports"] == []


def test_signing_in_again_emails_a_fresh_link_to_the_stores_own_address(app, aftercare, smtp):
    store = make_store(
        aftercare, platform="woocommerce", external_id="https://shop.example", smtp_port=smtp.port
    )
    client = app.test_client()
    assert "/admin/signin" in client.get("/admin/").get_data(as_text=True)  # where an expired session points
    page = client.get("/admin/signin").get_data(as_text=True)
    token = page.split('name="csrf_token" value="')[1].split('"')[0]
    assert client.post("/admin/signin", data={"address": "shop.example"}).status_code == 400  # no token
    answer = client.post("/admin/signin", data={"address": "nobody.example", "csrf_token": token})
    assert "sign-in link is on its way" in answer.get_data(as_text=True)
    assert smtp.wait_for(1, timeout=0.3) == []  # the same answer, and nothing sent, for a stranger
    client.post("/admin/signin", data={"address": "https://shop.example/", "csrf_token": token})
    [mail] = smtp.wait_for(1)
    assert mail.rcpt_tos == ["hello@tea-and-things.example"]
    [link] = re.findall(r"http://\S+/admin/login\?token=\S+", mail.message.get_body(("plain",)).get_content())
    fresh = app.test_client()
    assert fresh.get(link.replace("http://127.0.0.1:8000", "")).status_code == 302
    assert fresh.get("/admin/api/session").get_json()["store_id"] == store.id
