"""Every step in every language, rendered from the recorded orders of a real WooCommerce store and
Shopify's own samples, as ``compose.build`` reads them from the database."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from app import ingest
from app.journeys.steps import STEPS
from app.links import Links
from app.messages import custom, samples
from app.messages.render import LOCALES, render
from app.models import Store
from connectors.shopify import translate as shopify
from connectors.woocommerce import translate as woocommerce
from tests.helpers import make_store

CONNECTORS = Path(__file__).parents[2] / "connectors"
RECORDED = {
    "shopify": [
        (shopify, "orders/create", "shopify/fixtures/webhooks/orders_create.json"),
        (shopify, "fulfillments/create", "shopify/fixtures/webhooks/fulfillments_create.json"),
    ],
    "woocommerce": [
        (woocommerce, "order.created", "woocommerce/fixtures/webhooks/order_created_guest_processing.body"),
        (woocommerce, "order.updated", "woocommerce/fixtures/webhooks/order_updated_completed.body"),
    ],
}


def _store_with_recorded_orders(aftercare: Any, platform: str) -> Store:
    store = make_store(aftercare, name="Dar Al Oud", currency="SAR", timezone="Asia/Riyadh")
    with aftercare.db.session() as session:
        row = session.get(Store, store.id)
        for module, topic, path in RECORDED[platform]:
            body = (CONNECTORS / path).read_bytes()
            if topic == "fulfillments/create":  # the published sample is still pending: as once it shipped
                body = json.dumps({**json.loads(body), "status": "success"}).encode()
            for snapshot in module.translate(topic, body):
                ingest.apply_all(session, row, [snapshot])
    return store


def _paths(value: Any, prefix: str = "") -> set[str]:
    """Every key path of a nested context (``order.number``, ``items[].title``)."""
    if isinstance(value, dict):
        return {
            path for key, inner in value.items() for path in _paths(inner, f"{prefix}{key}.") | {prefix + key}
        }
    if isinstance(value, list) and value:
        return _paths(value[0], prefix.rstrip(".") + "[].")
    return set()


@pytest.mark.parametrize("platform", sorted(RECORDED))
def test_every_step_renders_from_recorded_orders_in_every_locale(aftercare, platform):
    store = _store_with_recorded_orders(aftercare, platform)
    links = Links(aftercare.settings)
    with aftercare.db.session() as session:
        row = session.get(Store, store.id)
        for step in STEPS:
            for locale in LOCALES:
                context = samples.recent_context(session, row, step, locale, links)
                assert context is not None, (step, locale)
                rendered = render(step, locale, context)
                number = context["order"]["number"]
                assert rendered.subject and "{" not in rendered.subject and "None" not in rendered.text
                assert "Dar Al Oud" in rendered.text and "Dar Al Oud" in rendered.short
                assert number in rendered.html or step in ("cross_sell", "review_request", "review_reminder")
                direction = "rtl" if locale in ("ar", "fa") else "ltr"
                assert f'<html lang="{locale}" dir="{direction}">' in rendered.html
                if "unsubscribe" in context:  # every message a customer may refuse says how, in each part
                    url = context["unsubscribe"]["url"]
                    assert url in rendered.html and url in rendered.text and url in rendered.short
                # the samples the editor checks against have exactly these variables
                full = samples.sample_context(row, step, locale, links)
                assert _paths(context) - {"items[].title"} <= _paths(full), (step, locale)
                assert _paths(full) <= _paths(context) | _paths(full), (step, locale)
                assert set(context) == set(full), (step, locale)


def test_recorded_arabic_customer_reads_her_name_and_a_local_date(aftercare):
    store = _store_with_recorded_orders(aftercare, "woocommerce")
    links = Links(aftercare.settings)
    with aftercare.db.session() as session:
        context = samples.recent_context(session, session.get(Store, store.id), "thank_you", "ar", links)
    rendered = render("thank_you", "ar", context)
    assert context["customer"]["first_name"] in rendered.html
    # placed 2026-11-23T07:07:01 GMT, which is the 23rd in Riyadh too, written as Arabic readers expect
    assert context["order"]["placed_on"] == "23 نوفمبر 2026" and "23 نوفمبر 2026" in rendered.text


def test_persian_dates_are_solar_hijri_with_persian_digits_unless_turned_off(aftercare):
    store = _store_with_recorded_orders(aftercare, "shopify")
    links = Links(aftercare.settings)
    with aftercare.db.session() as session:
        row = session.get(Store, store.id)
        hijri = samples.recent_context(session, row, "thank_you", "fa", links)["order"]["placed_on"]
        sample = render("thank_you", "fa", samples.sample_context(row, "thank_you", "fa", links))
        row.journey = '{"solar_hijri": false}'
        gregorian = samples.recent_context(session, row, "thank_you", "fa", links)["order"]["placed_on"]
    assert not any(character.isascii() and character.isdigit() for character in hijri + gregorian)
    assert hijri.split()[-1][:2] in ("۱۳", "۱۴")  # a Solar Hijri year (13xx/14xx), in Persian digits
    assert "۲۰" in gregorian.split()[-1]
    assert "۱۲ آبان ۱۴۰۵" in sample.html  # 3 November 2026 (Riyadh time), as Persian readers count it


def test_documented_variables_are_the_ones_templates_get(aftercare):
    store = make_store(aftercare)
    links = Links(aftercare.settings)
    given = set().union(*(_paths(samples.sample_context(store, step, "en", links)) for step in STEPS))
    documented = set(custom.VARIABLES)
    assert documented <= given
    assert {path.split(".")[0].split("[")[0] for path in given} == {name.split(".")[0] for name in documented}
