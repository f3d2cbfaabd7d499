"""The embedded App Home: the page Shopify loads in the admin, and where the shop gets its token.

Shopify-managed installation (``shopify.app.toml``) means there is no OAuth redirect of ours: the first
App Home request carries an App Bridge ID token. The connector checks it (or answers with the patch
page that fetches one); a shop we hold no usable token for then gets one by token exchange, stored
encrypted. Every answer carries the ``frame-ancestors`` policy Shopify requires.

    GET /shopify                    App Home (``application_url``)
    GET /shopify/patch-id-token     App Bridge fetches a fresh ID token, then reloads the page
"""

from __future__ import annotations

import logging

from flask import Blueprint, Response, abort, request, url_for
from sqlalchemy import select

from app import stores
from app.models import Store, StoreStatus
from app.web import current_services
from app.web.connect.embedded import answer, http_request
from connectors.base import AuthError, ConnectorError, EmbeddedAdmin, ShopProfiles, TransientError

PLATFORM = "shopify"
NEEDS_TOKEN = (StoreStatus.UNINSTALLED, StoreStatus.DISCONNECTED)

log = logging.getLogger(__name__)
bp = Blueprint("shopify", __name__, url_prefix="/shopify")


@bp.get("")
def app_home() -> Response:
    connector = _connector()
    check = connector.verify_embedded(http_request(), request.args, url_for("shopify.patch_id_token"))
    if check.shop is None:
        return answer(check.answer)
    services = current_services()
    with services.db.session() as db:
        store = db.scalars(
            select(Store).where(Store.platform == PLATFORM, Store.external_id == check.shop)
        ).first()
        needs_token = store is None or store.status in NEEDS_TOKEN or not store.credentials
    if needs_token:
        try:
            credentials = connector.install(check)
        except AuthError:
            if check.refused is not None:  # the answer App Bridge knows to retry with a fresh token
                return answer(check.refused)
            abort(401, description="Shopify refused this session; reload the app from your admin.")
        except TransientError:
            abort(503, description="Shopify could not be reached to finish installing. Reload in a moment.")
        profile = _profile(connector, credentials)
        name = profile.get("name") or check.shop.removesuffix(".myshopify.com")
        with services.db.session() as db:
            stores.connect(
                db,
                PLATFORM,
                check.shop,
                name=name,
                credentials=credentials,
                timezone=profile.get("ianaTimezone") or None,
                email=profile.get("contactEmail") or None,
            )
    _check_plan(check.shop, force="charge_id" in request.args)
    from app.web.admin import pages  # the merchant pages, embedded: App Bridge in their head

    with services.db.session() as db:
        store = db.scalars(
            select(Store).where(Store.platform == PLATFORM, Store.external_id == check.shop)
        ).one()
        first = pages.setup.first_page(store)
    body = pages.setup.setup() if first == "pages.setup" else pages.activity()
    return Response(body, 200, headers=dict(check.answer.headers), content_type="text/html; charset=utf-8")


def _check_plan(shop: str, *, force: bool) -> None:
    """Every App Home visit reads the shop's subscription again (at most hourly, unless the merchant
    is just back from approving a charge): a charge cancelled or frozen in Shopify ends the plan."""
    from app.billing import providers, state

    services = current_services()
    with services.db.session() as db:
        store = db.scalars(select(Store).where(Store.platform == PLATFORM, Store.external_id == shop)).first()
        if store is not None and (force or store.plan_pending or state.due_for_check(store)):
            providers.provider(services.settings, store, services.connectors).refresh(store)


def _profile(connector: EmbeddedAdmin, credentials: str) -> dict[str, str]:
    """The shop's name, address and zone; a shop that cannot be asked now is installed without them
    (its name from its domain), and the merchant can type them on the settings page."""
    if not isinstance(connector, ShopProfiles):
        return {}
    try:
        return dict(connector.shop_profile(credentials))
    except ConnectorError as exc:
        log.warning("shop profile could not be read at install: %s", exc)
        return {}


@bp.get("/patch-id-token")
def patch_id_token() -> Response:
    return answer(_connector().patch_page(http_request()))


def _connector() -> EmbeddedAdmin:
    connector = current_services().connectors.get(PLATFORM)
    if not isinstance(connector, EmbeddedAdmin) or not connector.configured:
        abort(
            503, description="The Shopify app is not configured (shopify_client_id, shopify_client_secret)."
        )
    return connector
