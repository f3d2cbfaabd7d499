"""HTTP: the webhook route, the merchant pages, health, and one error policy, one set of security
headers (``headers.py``) and the rate limits (``limits.py``) for all of them."""

from __future__ import annotations

import logging

from flask import Flask, Request, Response, current_app, jsonify, render_template, request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from flask_wtf.csrf import CSRFProtect
from werkzeug.exceptions import HTTPException, InternalServerError

from app import Services

log = logging.getLogger(__name__)
WEBHOOKS = "/webhooks/"  # where stores deliver: no cookie, no session, no rate limit


def current_services() -> Services:
    return current_app.extensions["aftercare"]


def init_app(app: Flask) -> None:
    from app.web import connect, headers, health, inputs, limits, tracking_webhooks, twilio_webhooks, webhooks
    from app.web.admin import pages, recommendations, sending, signin, suppressions_api, templates_api
    from app.web.admin import reviews as admin_reviews
    from app.web.admin import routes as admin
    from app.web.admin import tracking as tracking_admin
    from app.web.public import click, opened, optin, storefront, tracking, unsubscribe
    from app.web.public import reviews as public_reviews
    from app.web.public import routes as public

    inputs.init_app(app)  # first: its converter and its check apply to every route
    app.register_blueprint(health.bp)
    app.register_blueprint(webhooks.bp)
    app.register_blueprint(admin.bp)
    app.register_blueprint(templates_api.bp)
    app.register_blueprint(pages.bp)
    app.register_blueprint(recommendations.bp)
    app.register_blueprint(tracking_admin.bp)
    app.register_blueprint(pages.setup.landing)
    app.register_blueprint(sending.bp)
    app.register_blueprint(admin_reviews.bp)
    app.register_blueprint(signin.bp)
    app.register_blueprint(suppressions_api.bp)
    app.register_blueprint(public.bp)
    app.register_blueprint(unsubscribe.bp)
    app.register_blueprint(optin.bp)
    app.register_blueprint(click.bp)
    app.register_blueprint(opened.bp)
    app.register_blueprint(tracking.bp)
    app.register_blueprint(tracking_webhooks.bp)
    app.register_blueprint(twilio_webhooks.bp)
    app.register_blueprint(public_reviews.bp)
    app.register_blueprint(storefront.bp)
    for blueprint in connect.BLUEPRINTS:  # a platform's own pages: install, connect, app home
        app.register_blueprint(blueprint)
    # Forms carry a CSRF token (``csrf_token()`` in templates); views that take a form check it
    # themselves, so webhooks and store callbacks, which have no session, are never caught by it.
    app.config.setdefault("WTF_CSRF_CHECK_DEFAULT", False)
    CSRFProtect(app)
    app.session_interface = _Sessions()
    limits.init_app(app, app.extensions["aftercare"].settings)
    headers.init_app(app, app.extensions["aftercare"].settings)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected_error)


class _Sessions(SecureCookieSessionInterface):
    """Flask's signed-cookie session, but none for a store's delivery: it carries no cookie, and
    opening and saving a session is a fair part of answering one."""

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        if request.path.startswith(WEBHOOKS):
            return None  # Flask then uses a null session that is never saved
        return super().open_session(app, request)


def _wants_json() -> bool:
    return (
        request.path.startswith(WEBHOOKS)
        or "/api/" in request.path
        or request.accept_mimetypes.best == "application/json"
    )


def _http_error(error: HTTPException) -> tuple[Response | str, int]:
    code = error.code or 500
    message = error.description or error.name
    if _wants_json():
        return jsonify(error=error.name.lower().replace(" ", "_"), message=message), code
    return render_template("error.html", code=code, title=error.name, message=message), code


def _unexpected_error(error: Exception) -> tuple[Response | str, int]:
    log.exception("unhandled error on %s %s", request.method, request.path)
    return _http_error(InternalServerError())
