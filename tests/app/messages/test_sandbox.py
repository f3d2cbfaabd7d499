"""A merchant's template cannot reach outside its variables or run away with the worker, and a hostile
customer name stays text inside it."""

from __future__ import annotations

import pytest

from app.messages.render import Custom, render
from app.messages.sandbox import TemplateProblem
from tests.app.messages.test_render import context

ESCAPES = [
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ customer.__class__ }}",
    "{{ '{0.__class__}'.format(customer) }}",
    "{{ self._TemplateReference__context }}",
    "{{ cycler.__init__.__globals__ }}",
    "{{ lipsum.__globals__ }}",
    "{{ config }}",
    "{% set x = items.append(1) %}",  # the data is read-only
    "{{ 9 ** 9 ** 9 }}",
    "{{ 'a' * 1000 }}",
    "{{ 'a'.ljust(100000000) }}",
    "{% for a in range(100000) %}{% endfor %}",
    "{% for a in items %}{% for b in items %}{% for c in items %}x{% endfor %}{% endfor %}{% endfor %}",
    "{% macro m() %}{{ m() }}{% endmacro %}{{ m() }}",
    "{{ 'x'|replace('x', 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx')|replace('x', 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx')|replace('x', 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx')|replace('x', 'xxxxxxxxxxxxxxxxxxxxxxxx') }}",  # noqa: E501
    "{% extends 'layout.html.j2' %}",
    "{% import 'items.html.j2' as items %}",
    "{% include '../../app/config.py' %}",
]


@pytest.mark.parametrize("source", ESCAPES)
def test_escapes_and_runaway_templates_are_refused(source):
    with pytest.raises(TemplateProblem) as refused:
        render("thank_you", "en", context(), Custom(subject="Hi", body=source))
    assert refused.value.field == "body" and str(refused.value)


@pytest.mark.parametrize(
    "name",
    [
        '<script>alert("x")</script>',
        "{{ 7*7 }}",
        "{% include 'layout.html.j2' %}",
        "'\"><img src=x onerror=alert(1)>",
        "محمد\u202eevil",
        "ليلى Smith لیلا",
        "A" * 5000,
    ],
)
def test_hostile_names_are_text_in_a_merchant_template(name):
    wording = Custom(
        subject="Hello {{ customer.first_name }}",
        body="<p>Dear {{ customer.first_name }}, {{ customer.first_name|upper }}</p>",
        short="Hi {{ customer.first_name }}",
    )
    rendered = render("thank_you", "en", context(first_name=name), wording)
    assert (
        "<script>" not in rendered.html and "<img" not in rendered.html  # markup in a name is text
    )
    assert rendered.subject == f"Hello {' '.join(name.split())}"  # the name itself, unevaluated
    assert "49" not in rendered.short
