"""Every document the connector sends is valid against Shopify's published Admin schema."""

from __future__ import annotations

import pytest
from graphql import parse, validate

from connectors.shopify import queries
from tests.fakes.shopify import SCHEMA, query_cost


@pytest.mark.parametrize("name", sorted(queries.ALL))
def test_the_query_is_valid_against_the_admin_schema(name):
    errors = validate(SCHEMA, parse(queries.ALL[name]))
    assert [error.message for error in errors] == []


def test_a_misspelt_field_would_fail_here():
    broken = queries.ORDERS.replace("displayFinancialStatus", "financialStatus")
    assert validate(SCHEMA, parse(broken))


def test_one_page_of_orders_stays_under_shopifys_1000_point_limit():
    document = parse(queries.ORDERS)
    cost = query_cost(document, {"first": queries.ORDERS_PAGE}, document.definitions[0])
    assert 500 < cost <= 1000
    one_more = query_cost(document, {"first": queries.ORDERS_PAGE + 1}, document.definitions[0])
    assert one_more > cost
