"""Every step renders in English, Arabic and Persian; hostile input stays inert."""

from __future__ import annotations

import pytest

from app.journeys.steps import STEPS
from app.messages.compose import choose_locale
from app.messages.filters import LRI, PDI
from app.messages.render import LOCALES, render


def context(first_name: str = "Layla", cod: bool = False) -> dict:
    return {
        "store": {"name": "Dar & Co", "email": "care@dar.example"},
        "customer": {"first_name": first_name, "last_name": "Haddad"},
        "order": {
            "number": "#1042",
            "total": "SAR 149.50",
            "placed_on": "3 November 2026",
            "cash_on_delivery": cod,
        },
        "items": [
            {"title": "Oud Candle", "quantity": 2, "price": "SAR 99.50"},
            {"title": "Tea Set", "quantity": 1, "price": "SAR 50.00"},
        ],
        "shipment": {
            "carrier": "Aramex",
            "tracking_number": "AX123456789SA",
            "tracking_url": "https://track.example/AX123456789SA",
            "status": "attempted_delivery",
            "problem": "a failed delivery attempt",
        },
        "review_items": [
            {
                "title": "Oud Candle",
                "url": "https://dar.example/p/oud",
                "stars": [f"https://app.example/rv/tok1?stars={n}" for n in range(1, 6)],
                "page": "https://app.example/rv/tok1",
            },
            {
                "title": "Tea Set",
                "url": "",
                "stars": [f"https://app.example/rv/tok2?stars={n}" for n in range(1, 6)],
                "page": "https://app.example/rv/tok2",
            },
        ],
        "recommendations": [
            {"title": "Rose Water", "url": "https://dar.example/p/rose", "price": "SAR 12.50"}
        ],
        "coupon": "WELCOMEBACK10",
        "offer": {"code": "BACK-7QK2M-9XH4T", "amount": "10%", "expires_on": "3 December 2026"},
        "check_in": {
            "happy": "https://app.example/c/tok?answer=happy",
            "unhappy": "https://app.example/c/tok?answer=unhappy",
        },
        "alert": "the customer said order #1042 was not right",
    }


CUSTOMER_STEPS = [name for name in STEPS]


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("step", CUSTOMER_STEPS)
def test_every_step_renders_in_every_locale(step, locale):
    rendered = render(step, locale, context())
    assert rendered.locale == locale
    assert rendered.subject and "\n" not in rendered.subject and "{" not in rendered.subject
    direction = "rtl" if locale in ("ar", "fa") else "ltr"
    assert f'dir="{direction}"' in rendered.html and f'lang="{locale}"' in rendered.html
    assert "<style" not in rendered.html  # inlined
    assert "Dar & Co" in rendered.text  # the plain-text part is real text, unescaped
    assert "<" not in rendered.text.replace("<https", "")


@pytest.mark.parametrize("locale", ["ar", "fa"])
def test_codes_stay_whole_inside_right_to_left_text(locale):
    rendered = render("shipped", locale, context())
    assert f"{LRI}#1042{PDI}" in rendered.subject
    assert '<bdi dir="ltr">AX123456789SA</bdi>' in rendered.html


def test_step_specific_content():
    assert "Follow your parcel" in render("shipped", "en", context()).html
    assert "https://app.example/c/tok?answer=unhappy" in render("check_in", "en", context()).html
    assert "exchanges are free within 7 days" in render("check_in", "en", context()).text
    assert "WELCOMEBACK10" in render("win_back", "en", {**context(), "offer": None}).text
    made = render("win_back", "en", context()).text  # a code made for this customer replaces the shared one
    assert "BACK-7QK2M-9XH4T" in made and "until 3 December 2026" in made and "WELCOMEBACK10" not in made
    review = render("review_request", "en", context())
    assert 'href="https://app.example/rv/tok1?stars=4"' in review.html and "Tea Set" in review.text
    assert review.html.count("?stars=") == 10 and "https://app.example/rv/tok2" in review.short
    assert "tried to deliver" in render("delivery_problem", "en", context()).text
    assert "Rose Water" in render("cross_sell", "ar", context()).html


def test_cash_on_delivery_is_mentioned():
    assert "to pay on delivery" in render("thank_you", "en", context(cod=True)).text
    assert "الدفع عند الاستلام" in render("thank_you", "ar", context(cod=True)).text


def test_merchant_alert_falls_back_to_english():
    rendered = render("merchant_alert", "fa", context())
    assert rendered.locale == "en" and "needs your attention" in rendered.subject


def test_language_choice_takes_the_first_we_have():
    assert choose_locale(None, "ar-SA", "en") == "ar"
    assert choose_locale("de", None, "fa") == "fa"
    assert choose_locale(None, None, None) == "en"


@pytest.mark.parametrize(
    "name",
    [
        '<script>alert("x")</script>',
        "{{ 7*7 }}",
        "{% for x in range(9999999) %}x{% endfor %}",
        "'\"><img src=x onerror=alert(1)>",
        "محمد\u202eevil",
        "A" * 5000,
    ],
)
def test_hostile_customer_names_are_inert(name):
    rendered = render("thank_you", "en", context(first_name=name))
    assert "<script>" not in rendered.html and "<img" not in rendered.html
    assert "49" not in rendered.subject.replace("1042", "")  # {{ 7*7 }} is text, not evaluated
    if "{{" in name:
        assert "{{ 7*7 }}" in rendered.subject


def test_subject_holds_the_customers_words_as_they_wrote_them():
    """Markup in a name, even a closing title tag, reaches the Subject as the customer's own text."""
    rendered = render("thank_you", "en", context(first_name="</title> Tom & <b>Jerry</b>"))
    assert rendered.subject == "Thank you for your order #1042, </title> Tom & <b>Jerry</b>"


def test_missing_first_name_reads_naturally():
    rendered = render("thank_you", "en", context(first_name=""))
    assert "Thank you, friend!" in rendered.text
    assert "None" not in rendered.text and "None" not in rendered.html
