"""The merchant's complementary products (Search & Discovery), read through the Storefront API.

Shopify keeps them outside the product: the Storefront API's ``productRecommendations`` with intent
``COMPLEMENTARY`` answers them, and only to a storefront access token. The app creates one for itself
with the Admin API's ``storefrontAccessTokenCreate`` (scope ``unauthenticated_read_product_listings``)
the first time, and keeps it with the shop's credentials.
"""

from __future__ import annotations

from typing import Any

import httpx

from connectors.base import AuthError, PayloadError, RateLimited, TransientError
from connectors.shopify.client import ShopifyClient
from connectors.shopify.queries import API_VERSION

APP_LABEL = "Aftercare recommendations"
STOREFRONT_CREATE = """
mutation createStorefrontToken($input: StorefrontAccessTokenInput!) {
  storefrontAccessTokenCreate(input: $input) {
    storefrontAccessToken { accessToken title }
    userErrors { field message }
  }
}
"""
COMPLEMENTARY = """
query complementary($productId: ID!) {
  productRecommendations(productId: $productId, intent: COMPLEMENTARY) { id }
}
"""
TIMEOUT = 15.0


def create_token(client: ShopifyClient) -> str:
    """A new storefront access token for this app. Raises AuthError when the app lacks the scope."""
    data = client.execute(STOREFRONT_CREATE, {"input": {"title": APP_LABEL}})
    created = data.get("storefrontAccessTokenCreate") or {}
    errors = created.get("userErrors") or []
    token = (created.get("storefrontAccessToken") or {}).get("accessToken")
    if errors or not token:
        words = "; ".join(str(e.get("message")) for e in errors) or "no token in the answer"
        raise AuthError(f"{client.shop}: Shopify did not create a storefront token: {words}")
    return str(token)


def complementary(
    shop_domain: str, token: str, product_ids: list[str], http_client: httpx.Client | None = None
) -> dict[str, tuple[str, ...]]:
    """Each product's complementary products, best first, by product number (``gid`` stripped)."""
    url = f"https://{shop_domain}/api/{API_VERSION}/graphql.json"
    headers = {"X-Shopify-Storefront-Access-Token": token, "Content-Type": "application/json"}
    client = http_client or httpx.Client(timeout=TIMEOUT)
    found: dict[str, tuple[str, ...]] = {}
    try:
        for product in product_ids:
            variables = {"productId": f"gid://shopify/Product/{product}"}
            try:
                answer = client.post(
                    url, json={"query": COMPLEMENTARY, "variables": variables}, headers=headers
                )
            except httpx.HTTPError as exc:
                raise TransientError(f"{shop_domain}: the Storefront API did not answer") from exc
            body = _body(answer)
            if answer.status_code in (401, 403):
                raise AuthError(f"{shop_domain}: the storefront token was refused")
            if answer.status_code == 429:
                raise RateLimited(f"{shop_domain}: Storefront API rate limit", 2.0)
            if answer.status_code >= 500:
                raise TransientError(f"{shop_domain}: the Storefront API answered {answer.status_code}")
            if body.get("errors"):
                raise PayloadError(f"{shop_domain}: {body['errors']}"[:300])
            nodes = (body.get("data") or {}).get("productRecommendations") or []
            others = tuple(
                str(node["id"]).rsplit("/", 1)[-1]
                for node in nodes
                if isinstance(node, dict) and node.get("id")
            )
            if others:
                found[product] = others
    finally:
        if http_client is None:
            client.close()
    return found


def _body(answer: httpx.Response) -> dict[str, Any]:
    try:
        body = answer.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}
