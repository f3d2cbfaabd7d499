"""The embedded App Home: the page Shopify loads in the admin, and where the shop gets its token.

Shopify-managed installation (``shopify.app.toml``) means there is no OAuth redirect of ours: the first
App Home request carries an App Bridge ID token. ``verify_app_home_req`` checks it (or sends the
browser to the patch page to fetch one); a shop we hold no usable token for then gets one by token
exchange, stored encrypted. Every answer carries the ``frame-ancestors`` policy Shopify requires.

    GET /shopify                    App Home (``application_url``)
    GET /shopify/patch-id-token     App Bridge fetches a fresh ID token, then reloads the page
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, g, request, url_for
from shopify_app import app_home_patch_id_token, verify_app_home_req
from sqlalchemy import select

from app import stores
from app.models import Store, StoreStatus
from app.web import current_services
from connectors.base import AuthError, TransientError
from connectors.shopify import tokens

PLATFORM = "shopify"
NEEDS_TOKEN = (StoreStatus.UNINSTALLED, StoreStatus.DISCONNECTED)

bp = Blueprint("shopify", __name__, url_prefix="/shopify")


@bp.get("")
def app_home() -> Response:
    connector = _connector()
    result = verify_app_home_req(_request(), connector.app_config, url_for("shopify.patch_id_token"))
    if not result.ok:
        return _answer(result.response)
    shop = f"{result.shop}.myshopify.com"
    services = current_services()
    with services.db.session() as db:
        store = db.scalars(select(Store).where(Store.platform == PLATFORM, Store.external_id == shop)).first()
        needs_token = store is None or store.status in NEEDS_TOKEN or not store.credentials
    if needs_token:
        try:
            credentials = tokens.exchange(connector.app_config, result.id_token, connector.http_client)
        except AuthError:
            return _answer(result.invalid_token_response) if result.invalid_token_response else abort(401)
        except TransientError:
            abort(503, description="Shopify could not be reached to finish installing. Reload in a moment.")
        with services.db.session() as db:
            stores.connect(db, PLATFORM, shop, name=result.shop or shop, credentials=credentials.to_json())
    from app.web.admin.pages import activity  # the merchant pages, embedded: App Bridge in their head

    return Response(activity(), 200, headers=result.response.headers, content_type="text/html; charset=utf-8")


@bp.get("/patch-id-token")
def patch_id_token() -> Response:
    result = app_home_patch_id_token(_request(), _connector().app_config)
    return _answer(result.response)


EMBEDDED_HINTS = ("id_token", "embedded", "host", "shop")


def identify(connector: Any) -> str | None:
    """For the merchant pages: the shop of a request from the embedded app, checked by
    ``verify_app_home_req`` exactly as the App Home is (a fetch carries ``Authorization: Bearer``, a
    page load ``id_token``). A stale or forged token ends the request with shopifyapp's answer: a
    401 with ``X-Shopify-Retry-Invalid-Session-Request`` that App Bridge retries with a fresh token,
    or the patch page for a page load. None when the request is not from the embedded app at all."""
    bearer = request.headers.get("Authorization", "").startswith("Bearer ")
    if not bearer and not any(hint in request.args for hint in EMBEDDED_HINTS):
        return None
    if not connector.client_id or not connector.client_secret:
        return None
    result = verify_app_home_req(_request(), connector.app_config, url_for("shopify.patch_id_token"))
    if not result.ok:
        abort(_answer(result.response))
    g.embedded_headers = dict(result.response.headers or {})  # the CSP frame-ancestors for this shop
    g.embedded_query = {"shop": f"{result.shop}.myshopify.com", "embedded": "1"}
    if request.args.get("host"):
        g.embedded_query["host"] = request.args["host"]
    g.app_bridge_key = connector.client_id
    return f"{result.shop}.myshopify.com"


def _connector() -> Any:
    connector = current_services().connectors.get(PLATFORM)
    if connector is None or not connector.client_id or not connector.client_secret:
        abort(
            503, description="The Shopify app is not configured (shopify_client_id, shopify_client_secret)."
        )
    return connector


def _request() -> dict[str, Any]:
    return {"method": request.method, "headers": dict(request.headers), "url": request.url, "body": ""}


def _answer(res: Any) -> Response:
    """shopifyapp's suggested response (a redirect, a 401 with the retry header, a page), as given."""
    return Response(res.body, res.status, headers=dict(res.headers))
