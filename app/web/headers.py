"""Security headers on every answer.

Our own pages get a Content-Security-Policy in which a script runs only if it carries this answer's
nonce (``csp_nonce()`` in templates), framing is refused (``frame-ancestors 'none'`` and
``X-Frame-Options: DENY``, so no other site can frame the one-button forms), and forms post only
here. A page shown inside a platform's admin keeps the policy the platform's check asked for
(Shopify: ``frame-ancestors https://<shop> https://admin.shopify.com``) and no X-Frame-Options, which
would refuse that frame. Every answer gets ``nosniff``, a Referrer-Policy that tells other sites the
origin only (sign-in and one-click links carry tokens in their query), and in production HSTS.

Styles may be inline (``'unsafe-inline'`` for style-src only): the template editor previews the email
in an ``srcdoc`` frame, which inherits this policy, and emails are styled inline; a style cannot run
script. pygal's charts are inline SVG; their tooltip scripts do not run, the charts still draw.
"""

from __future__ import annotations

import secrets

from flask import Flask, Response, g, request

from app.config import Settings
from app.web import WEBHOOKS

HSTS = "max-age=31536000"


def csp_nonce() -> str:
    """This answer's script nonce, made on first use."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(18)
    return str(g.csp_nonce)


def allow_form_redirects() -> None:
    """For pages whose form is answered with a redirect to another site (connecting a store sends the
    merchant on to their store's approval screen), which ``form-action 'self'`` would stop."""
    g.csp_form_redirects = True


def init_app(app: Flask, settings: Settings) -> None:
    app.jinja_env.globals["csp_nonce"] = csp_nonce
    schemes = "https:" if settings.is_production else "https: http:"

    def secure(response: Response) -> Response:
        if request.path.startswith(WEBHOOKS):  # a store's delivery gets JSON, never a page
            response.headers["X-Content-Type-Options"] = "nosniff"
            if settings.is_production:
                response.headers["Strict-Transport-Security"] = HSTS
            return response
        for name, value in g.get("embedded_headers", {}).items():
            response.headers.setdefault(name, value)
        # Inside the platform's admin its check decides: a page load carries its frame-ancestors,
        # a fetch (ID token in the header) nothing, since the page it lands in keeps its own policy.
        if "Content-Security-Policy" not in response.headers and not g.get("embedded"):
            response.headers["Content-Security-Policy"] = _policy(
                csp_nonce(), schemes, form_anywhere=bool(g.get("csp_form_redirects"))
            )
            response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
        if settings.is_production:
            response.headers.setdefault("Strict-Transport-Security", HSTS)
        return response

    app.after_request(secure)


def _policy(nonce: str, schemes: str, *, form_anywhere: bool) -> str:
    directives = {
        "default-src": "'self'",
        "script-src": f"'self' 'nonce-{nonce}'",
        "style-src": "'self' 'unsafe-inline'",
        "img-src": f"'self' data: {schemes}",  # the email preview shows the store's product images
        "connect-src": "'self'",
        "object-src": "'none'",
        "base-uri": "'none'",
        "form-action": f"'self' {schemes}" if form_anywhere else "'self'",
        "frame-ancestors": "'none'",
    }
    return "; ".join(f"{name} {value}" for name, value in directives.items())
