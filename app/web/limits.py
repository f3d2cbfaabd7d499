"""Rate limits on the forms anyone may post without signing in: connecting a store (and the store's
own callback), and asking for a sign-in link. Each client address gets ``connect_rate_limit`` on each
of them (Flask-Limiter), counted in ``rate_limit_storage_uri``: memory by default, which is per
process, so several web processes share a count only through a common store such as ``redis://``.
Behind reverse proxies, ``proxy_hops`` says how many to trust for the client's address."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

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
    # hundreds a second, and the limiter's bookkeeping would be a large part of their cost. Its
    # request filter is read deep inside its evaluation (0.2 ms a request), so its hooks are not run
    # for a delivery at all.
    limiter.request_filter(webhooks.is_delivery)
    _skip_for_deliveries(app, webhooks.is_delivery)
    return limiter


def _skip_for_deliveries(app: Flask, is_delivery: Callable[[], bool]) -> None:
    """Wrap the before- and after-request hooks Flask-Limiter registered so a delivery skips them."""

    def skipping_before(hook: Callable[[], Any]) -> Callable[[], Any]:
        @functools.wraps(hook)
        def before() -> Any:
            return None if is_delivery() else hook()

        return before

    def skipping_after(hook: Callable[[Any], Any]) -> Callable[[Any], Any]:
        @functools.wraps(hook)
        def after(response: Any) -> Any:
            return response if is_delivery() else hook(response)

        return after

    app.before_request_funcs[None] = [
        skipping_before(hook) if _is_limiter_hook(hook) else hook for hook in app.before_request_funcs[None]
    ]
    app.after_request_funcs[None] = [
        skipping_after(hook) if _is_limiter_hook(hook) else hook for hook in app.after_request_funcs[None]
    ]


def _is_limiter_hook(hook: Callable[..., Any]) -> bool:
    target = getattr(hook, "func", hook)  # the after-request hook is a functools.partial
    return getattr(target, "__module__", "").startswith("flask_limiter")
