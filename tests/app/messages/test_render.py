"""The thank-you note in English, Arabic and Persian, rendered safely."""

from __future__ import annotations

from decimal import Decimal

import pytest

from app.messages.render import LRI, PDI, choose_locale, render
from app.models import Customer, Order, OrderLine, Store
from tests.helpers import T0


def make(
    locale: str | None = "en", first_name: str | None = "Layla", cod: bool = False, store_locale: str = "en"
):
    store = Store(name="Dar & Co", default_locale=store_locale, sender_email="hi@dar.example")
    customer = Customer(first_name=first_name, last_name="Haddad", locale=None, email="l@example.test")
    order = Order(
        number="#1042",
        currency="SAR",
        total=Decimal("149.50"),
        locale=locale,
        placed_at=T0,
        cash_on_delivery=cod,
    )
    order.lines = [
        OrderLine(title="Oud Candle", quantity=2, unit_price=Decimal("49.75")),
        OrderLine(title="Tea Set", quantity=1, unit_price=Decimal("50.00")),
    ]
    return store, order, customer


@pytest.mark.parametrize(
    ("locale", "direction", "greeting"),
    [("en", "ltr", "Thank you"), ("ar", "rtl", "شكرًا"), ("fa", "rtl", "ممنونیم")],
)
def test_every_locale_renders_with_its_direction(locale, direction, greeting):
    store, order, customer = make(locale)
    rendered = render("thank_you", store, order, customer)
    assert rendered.locale == locale
    assert greeting in rendered.subject or greeting in rendered.html
    assert f'dir="{direction}"' in rendered.html and f'lang="{locale}"' in rendered.html
    assert "Oud Candle" in rendered.text and "Tea Set" in rendered.html
    assert "149.50" in rendered.text or "149٫50" in rendered.text
    assert "\n" not in rendered.subject


def test_order_number_stays_whole_inside_right_to_left_text():
    store, order, customer = make("ar")
    rendered = render("thank_you", store, order, customer)
    assert f"{LRI}#1042{PDI}" in rendered.subject
    assert '<bdi dir="ltr">#1042</bdi>' in rendered.html


def test_cash_on_delivery_is_mentioned():
    store, order, customer = make("en", cod=True)
    assert "to pay on delivery" in render("thank_you", store, order, customer).text


def test_language_falls_back_from_order_to_customer_to_store():
    store, order, customer = make(locale=None, store_locale="fa")
    assert choose_locale(order, customer, store) == "fa"
    customer.locale = "ar-SA"
    assert choose_locale(order, customer, store) == "ar"
    order.locale = "de"  # a language we have no templates for: next in line
    assert choose_locale(order, customer, store) == "ar"


@pytest.mark.parametrize(
    "name",
    [
        '<script>alert("x")</script>',
        "{{ 7*7 }}",
        "{% for x in range(9999999) %}x{% endfor %}",
        "'\"><img src=x onerror=alert(1)>",
        "محمد" + "\u202e" + "evil",
        "A" * 5000,
    ],
)
def test_hostile_customer_names_are_inert(name):
    store, order, customer = make("en", first_name=name)
    rendered = render("thank_you", store, order, customer)
    assert "<script>" not in rendered.html and "<img" not in rendered.html
    assert "49" not in rendered.subject.replace("1042", "")  # {{ 7*7 }} is text, not evaluated
    if "{{" in name:
        assert "{{ 7*7 }}" in rendered.text


def test_missing_first_name_reads_naturally():
    store, order, customer = make("en", first_name=None)
    rendered = render("thank_you", store, order, customer)
    assert rendered.text.startswith("Hi there,")
    assert "None" not in rendered.text and "None" not in rendered.html
