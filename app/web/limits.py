"""Rate limits on the forms anyone may post without signing in: connecting a store (and the store's
own callback), and asking for a sign-in link. Each client address gets ``connect_rate_limit`` on each
of them (Flask-Limiter), counted in ``rate_limit_storage_uri``: memory by default, which is per
process, so several web processes share a count only through a common store such as ``redis://``.
Behind reverse proxies, ``proxy_hops`` says how many to trust for the client's address."""

from __future__ import annotations

from flask import Flask
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from werkzeug.middleware.proxy_fix import ProxyFix

from app.config import Settings

TOO_MANY = "Too many attempts from your address. Wait a few minutes, then try again."


def init_app(app: Flask, settings: Settings) -> Limiter:
    from app.web import connect, webhooks
    from app.web.admin import signin

    if settings.proxy_hops:
        hops = settings.proxy_hops
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]
    limiter = Limiter(
        get_remote_address,
        app=app,
        storage_uri=settings.rate_limit_storage_uri,
        headers_enabled=True,
        key_prefix="aftercare",
    )
    for blueprint in (*connect.BLUEPRINTS, signin.bp):
        limiter.limit(settings.connect_rate_limit, methods=["POST"], error_message=TOO_MANY)(blueprint)
    # Signed deliveries from the stores: every one is verified before it is stored, a busy store sends
    # hundreds a second, and the limiter's bookkeeping would be a large part of their cost.
    limiter.request_filter(webhooks.is_delivery)
    return limiter
