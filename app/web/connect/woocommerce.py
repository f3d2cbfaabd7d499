"""The pages that connect a WooCommerce store: app authentication, or pasted keys.

    GET  /connect/woocommerce            the form (store address; or address and keys)
    POST /connect/woocommerce/authorize  check the address, then send the merchant to their store
    POST /connect/woocommerce/callback   WooCommerce posts the keys here (server to server)
    GET  /connect/woocommerce/return     WooCommerce sends the merchant back here
    POST /connect/woocommerce/keys       keys pasted by the merchant

Connecting checks the address and the keys at once, saves the keys encrypted, registers the
webhooks, and signs the merchant in to their Aftercare pages.
"""

from __future__ import annotations

import secrets
from typing import Any

from flask import Blueprint, abort, redirect, render_template, request, session, url_for
from flask_wtf.csrf import CSRFError, validate_csrf
from sqlalchemy import select
from werkzeug.wrappers import Response
from wtforms import ValidationError

from app import signing, stores, sync
from app.models import Store
from app.web import current_services, headers
from app.web.admin import auth
from connectors.base import ConnectorError, PayloadError
from connectors.woocommerce import connect
from connectors.woocommerce.client import Credentials, WooClient

PLATFORM = "woocommerce"
APP_NAME = "Aftercare"
GRANT_PURPOSE = "woocommerce-connect"
GRANT_MAX_AGE = 3600  # the merchant has an hour to approve on their store
SESSION_NONCE = "woocommerce_connect"

bp = Blueprint("woocommerce", __name__, url_prefix="/connect/woocommerce", template_folder="templates")
bp.before_request(headers.allow_form_redirects)  # Connect answers with a redirect to the store


@bp.get("")
def form() -> str:
    return render_template("woocommerce/connect.html", problem=None, site_url="")


@bp.post("/authorize")
def authorize() -> Response | tuple[str, int]:
    _check_csrf()
    site_url = request.form.get("site_url", "").strip()
    try:
        site = connect.inspect_site(site_url)
    except connect.ConnectProblem as exc:
        return render_template("woocommerce/connect.html", problem=str(exc), site_url=site_url), 400
    settings = current_services().settings
    if settings.is_production and not settings.public_url.startswith("https://"):
        problem = "WooCommerce only sends keys to an https address; paste keys below instead."
        return render_template("woocommerce/connect.html", problem=problem, site_url=site_url), 400
    nonce = secrets.token_urlsafe(16)
    session[SESSION_NONCE] = nonce
    user_id = signing.dumps(settings.secret_key, GRANT_PURPOSE, {"site": site.url, "nonce": nonce})
    base = settings.public_url.rstrip("/")
    return redirect(
        connect.authorize_url(
            site.url,
            app_name=APP_NAME,
            user_id=user_id,
            return_url=f"{base}{url_for('woocommerce.returned')}",
            callback_url=f"{base}{url_for('woocommerce.callback')}",
        )
    )


@bp.post("/callback")
def callback() -> tuple[dict[str, Any], int]:
    """Server to server: no session, no CSRF token; the signed ``user_id`` is the proof."""
    try:
        grant = connect.parse_grant(request.get_data(cache=False))
    except PayloadError as exc:
        abort(400, description=str(exc))
    site_url = _site_from_user_id(grant.user_id)["site"]
    if grant.permissions != connect.SCOPE:
        abort(400, description=f"Aftercare needs {connect.SCOPE} keys, not {grant.permissions}")
    try:
        store_id = _connect(site_url, grant.consumer_key, grant.consumer_secret)
    except connect.ConnectProblem as exc:
        abort(400, description=str(exc))
    return {"ok": True, "store": store_id}, 200


@bp.get("/return")
def returned() -> Response | tuple[str, int]:
    """The merchant's browser, back from their store: sign them in if the keys arrived."""
    claim = _site_from_user_id(request.args.get("user_id", ""))
    if claim.get("nonce") != session.get(SESSION_NONCE):
        abort(401, description="This connection was started in another browser. Start again from here.")
    if request.args.get("success") != "1":
        problem = "You did not approve the connection on your store, so nothing was connected."
        return render_template("woocommerce/connect.html", problem=problem, site_url=claim["site"]), 400
    store_id = _find_store(claim["site"])
    if store_id is None:
        problem = "Your store did not send the keys. Try again, or paste keys instead."
        return render_template("woocommerce/connect.html", problem=problem, site_url=claim["site"]), 400
    return _sign_in(store_id)


@bp.post("/keys")
def keys() -> Response | tuple[str, int]:
    _check_csrf()
    site_url = request.form.get("site_url", "").strip()
    try:
        store_id = _connect(
            site_url, request.form.get("consumer_key", ""), request.form.get("consumer_secret", "")
        )
    except connect.ConnectProblem as exc:
        return render_template("woocommerce/connect.html", problem=str(exc), site_url=site_url), 400
    return _sign_in(store_id)


def _connect(site_url: str, consumer_key: str, consumer_secret: str) -> int:
    """Check the site and the keys, save the store, set up its webhooks. Raises ConnectProblem."""
    site = connect.inspect_site(site_url)
    consumer_key, consumer_secret = consumer_key.strip(), consumer_secret.strip()
    if not consumer_key.startswith("ck_") or not consumer_secret.startswith("cs_"):
        raise connect.ConnectProblem("The consumer key starts with ck_ and the secret with cs_; check both.")
    credentials = Credentials(site.url, consumer_key, consumer_secret)
    client = WooClient(credentials, attempts=2)
    connect.check_keys(client)
    services = current_services()
    with services.db.session() as db:
        secret = stores.webhook_secret_for(db, PLATFORM, site.url)
    try:  # before saving anything: read-only keys are refused here and leave no store behind
        connect.ensure_webhooks(client, sync.delivery_url(services, PLATFORM), secret)
    except ConnectorError as exc:
        raise connect.ConnectProblem(f"Your store did not accept Aftercare's webhooks: {exc}") from exc
    with services.db.session() as db:
        store, _ = stores.connect(
            db,
            PLATFORM,
            site.url,
            name=site.name,
            credentials=credentials.to_json(),
            webhook_secret=secret,
            timezone=site.timezone,
        )
        return store.id


def _site_from_user_id(token: str) -> dict[str, str]:
    settings = current_services().settings
    try:
        claim = signing.loads(settings.secret_key, GRANT_PURPOSE, token, GRANT_MAX_AGE)
    except signing.TokenInvalid as exc:
        abort(400, description=f"This connection request is not valid ({exc}). Start again.")
    if not isinstance(claim, dict) or not isinstance(claim.get("site"), str):
        abort(400, description="This connection request is not valid. Start again.")
    return claim


def _find_store(site_url: str) -> int | None:
    with current_services().db.session() as db:
        return db.scalars(
            select(Store.id).where(Store.platform == PLATFORM, Store.external_id == site_url)
        ).first()


def _sign_in(store_id: int) -> Response:
    with current_services().db.session() as db:
        auth.start_session(db, store_id)
    return redirect(url_for("admin.orders"))


def _check_csrf() -> None:
    try:
        validate_csrf(request.form.get("csrf_token", ""))
    except (ValidationError, CSRFError) as exc:
        abort(
            400, description=f"The form expired or was not sent from this site ({exc}). Reload and try again."
        )
