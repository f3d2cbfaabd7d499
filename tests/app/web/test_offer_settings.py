"""The merchant sets each marketing step's code on the journey page: value, kind and days."""

from __future__ import annotations

from decimal import Decimal

from app import clock
from app.journeys import config as journey_config
from app.models import Store
from tests.app.web.test_pages import form_of
from tests.helpers import T0, make_store, signed_in


def test_the_merchant_sets_the_come_back_code_and_the_cross_sells(app, aftercare):
    clock.freeze(T0)
    store = make_store(aftercare)
    client = signed_in(app, aftercare, store)
    values = form_of(client.get("/admin/journey").get_data(as_text=True), "/admin/journey")
    assert (values["step.win_back.offer_value"], values["step.win_back.offer_kind"]) == ("10", "percent")
    assert values["step.cross_sell.offer_value"] == "0"  # the cross-sell carries none unless given one
    values.update(
        {
            "step.win_back.offer_value": "15",
            "step.win_back.offer_days": "14",
            "step.cross_sell.offer_value": "7.50",
            "step.cross_sell.offer_kind": "amount",
            "step.cross_sell.offer_days": "10",
        }
    )
    assert client.post("/admin/journey", data=values, follow_redirects=True).status_code == 200
    with aftercare.db.session() as session:
        config = journey_config.parse(session.get(Store, store.id).journey)
    assert (config.offer("win_back").value, config.offer("win_back").days) == (Decimal(15), 14)
    assert config.offer("cross_sell").kind == "amount" and config.offer("cross_sell").value == Decimal("7.50")


def test_a_percentage_over_100_or_a_bad_number_is_refused_beside_its_field(app, aftercare):
    store = make_store(aftercare)
    client = signed_in(app, aftercare, store)
    values = form_of(client.get("/admin/journey").get_data(as_text=True), "/admin/journey")
    for field, value, said in (
        ("step.win_back.offer_value", "150", "at most 100"),
        ("step.win_back.offer_value", "ten", "such as 10"),
        ("step.win_back.offer_days", "0", "greater than or equal to 1"),
    ):
        response = client.post("/admin/journey", data={**values, field: value})
        assert response.status_code == 422 and said in response.get_data(as_text=True), field
    with aftercare.db.session() as session:
        assert session.get(Store, store.id).journey in ("", None)  # nothing changed


def test_zero_keeps_the_shared_code_the_merchant_typed(app, aftercare):
    store = make_store(aftercare)
    client = signed_in(app, aftercare, store)
    values = form_of(client.get("/admin/journey").get_data(as_text=True), "/admin/journey")
    values.update({"step.win_back.offer_value": "0", "win_back_coupon": "WELCOME10"})
    client.post("/admin/journey", data=values, follow_redirects=True)
    with aftercare.db.session() as session:
        config = journey_config.parse(session.get(Store, store.id).journey)
    assert config.offer("win_back") is None and config.win_back_coupon == "WELCOME10"
