"""The merchant's recommendations page: why each product was chosen, the revenue it earned, pins and
exclusions posted from the page's own forms; bad input is a 4xx, and no store reaches another's."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app import clock
from app.links import Links
from app.messages import compose
from app.models import Message, RecommendCuration, Store
from tests.app.recommend.shop import days, order, product, write
from tests.app.recommend.test_buy_again_flow import _rebuying_store
from tests.helpers import make_store, signed_in


def _token(page: str) -> dict[str, str]:
    """The CSRF token every form of the page carries, as a browser would post it."""
    return {"csrf_token": page.split('name="csrf_token" value="')[1].split('"')[0]}


def _sent_reminder(aftercare, store):
    write(aftercare, store, order(["100"], email="noor@example.test"))
    with aftercare.db.session() as session:
        message = session.scalars(select(Message).where(Message.step == "buy_again")).first()
        compose.build(session, session.get(Store, store.id), message, Links(aftercare.settings))
        message.status, message.sent_at = "sent", clock.now() + days(21)
    clock.freeze(clock.now() + days(22))
    write(aftercare, store, order(["100"], email="noor@example.test"))


@pytest.mark.parametrize(
    ("lang", "why", "money"),
    [
        ("en", "re-bought every 21 days", "$12.50"),
        ("ar", "يُعاد شراؤه كل 21 يومًا", "12.50"),
        ("fa", "هر ۲۱ روز", "۱۲٫۵۰"),
    ],
)
def test_the_page_says_why_and_what_it_earned_in_each_language(app, aftercare, lang, why, money):
    store = _rebuying_store(aftercare, currency="USD")
    _sent_reminder(aftercare, store)
    client = signed_in(app, aftercare, store)
    page = client.get("/admin/recommendations", query_string={"lang": lang}).get_data(as_text=True)
    assert f'<html lang="{lang}" dir="{"ltr" if lang == "en" else "rtl"}">' in page
    assert "Product 100" in page and why in page and money in page


def test_pin_and_exclude_from_the_page(app, aftercare):
    store = _rebuying_store(aftercare)
    _sent_reminder(aftercare, store)
    client = signed_in(app, aftercare, store)
    page = client.get("/admin/recommendations").get_data(as_text=True)
    form = _token(page)
    assert (
        client.post(
            "/admin/recommendations/choose", data={**form, "product": "200", "choice": "pin"}
        ).status_code
        == 302
    )
    assert (
        client.post(
            "/admin/recommendations/choose", data={**form, "product": "100", "choice": "exclude"}
        ).status_code
        == 302
    )
    with aftercare.db.session() as session:
        kinds = {
            (c.kind, c.other_external_id)
            for c in session.scalars(select(RecommendCuration).where(RecommendCuration.store_id == store.id))
        }
    assert kinds == {("pin", "200"), ("exclude", "100")}
    page = client.get("/admin/recommendations").get_data(as_text=True)
    assert "Pinned: Product 200" in page and "Excluded: Product 100" in page
    for bad in (
        {"product": "200", "choice": "promote"},
        {"product": "", "choice": "pin"},
        {"product": "x" * 300, "choice": "pin"},
    ):
        assert client.post("/admin/recommendations/choose", data={**form, **bad}).status_code == 400
    assert (
        client.post(
            "/admin/recommendations/choose", data={**form, "product": "999", "choice": "pin"}
        ).status_code
        == 404
    )
    assert client.post(
        "/admin/recommendations/choose", data={"product": "200", "choice": "model"}
    ).status_code in (400, 403)


def test_a_store_never_pins_or_sees_another_stores_products(app, aftercare):
    mine = make_store(aftercare)
    theirs = _rebuying_store(aftercare)
    _sent_reminder(aftercare, theirs)
    write(aftercare, mine, product("500"))
    client = signed_in(app, aftercare, mine)
    page = client.get("/admin/recommendations").get_data(as_text=True)
    assert "Product 100" not in page
    form = _token(page)
    assert (
        client.post(
            "/admin/recommendations/choose", data={**form, "product": "100", "choice": "pin"}
        ).status_code
        == 404
    )
