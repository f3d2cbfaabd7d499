"""Requests from inside a platform's admin: the plain request a connector checks, and its answer back.

The connector (``connectors.base.EmbeddedAdmin``) does the checking without Flask; this module turns
Flask's request into what it reads and what it answers into a Flask response, and proves the merchant
pages' requests the same way the App Home is proved.
"""

from __future__ import annotations

from flask import Response, abort, g, request, url_for

from connectors.base import EmbeddedAdmin, HttpAnswer, HttpRequest


def http_request() -> HttpRequest:
    return HttpRequest(method=request.method, url=request.url, headers=dict(request.headers))


def answer(given: HttpAnswer) -> Response:
    """The platform library's suggested response (a redirect, a 401 with the retry header, a page)."""
    return Response(given.body, given.status, headers=dict(given.headers))


def identify(platform: str, connector: EmbeddedAdmin) -> str | None:
    """The store (its external id) whose admin this request comes from, proved by the platform; None
    when the request does not claim to come from there. A stale or forged proof ends the request with
    the platform's own answer. The headers, query and API key the pages need are kept on ``g``.

    Each embedded platform's pages (``app/web/connect/<platform>.py``) are a blueprint named for the
    platform with a ``patch_id_token`` view: where a page load without a proof fetches one."""
    if not connector.claims_embedded(http_request(), request.args):
        return None
    patch_url = url_for(f"{platform}.patch_id_token")
    check = connector.verify_embedded(http_request(), request.args, patch_url)
    if check.shop is None:
        abort(answer(check.answer))
    g.embedded_headers = dict(check.headers)
    g.embedded_query = dict(check.query)
    g.app_bridge_key = check.api_key
    return check.shop
