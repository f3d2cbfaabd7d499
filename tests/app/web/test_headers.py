"""Security headers (issue 12, item 7): our own pages cannot be framed and run only their own
scripts; a page inside Shopify's admin keeps the ``frame-ancestors`` Shopify requires; HSTS only in
production."""

from __future__ import annotations

import re

from app import create_app, services
from tests.app.web.test_pages import _id_token, shopify_app  # noqa: F401 - the fixture, used below
from tests.conftest import settings_for
from tests.helpers import make_store, signed_in

PAGES = (
    "/admin/activity",
    "/admin/journey",
    "/admin/templates/thank_you/en",
    "/admin/dashboard",
    "/connect/woocommerce",
    "/admin/signin",
    "/admin/no-such-page",
    "/healthz",
)


def policy(response) -> dict[str, str]:
    header = response.headers["Content-Security-Policy"]
    return dict(part.strip().split(" ", 1) for part in header.split(";") if part.strip())


def test_our_pages_cannot_be_framed_and_name_what_may_run(app, aftercare):
    """Every answer refuses framing, sniffing and sending its path to other sites, and allows only
    scripts carrying its nonce."""
    client = signed_in(app, aftercare, make_store(aftercare))
    for path in PAGES:
        response = client.get(path)
        csp = policy(response)
        assert csp["frame-ancestors"] == "'none'" and response.headers["X-Frame-Options"] == "DENY", path
        assert re.fullmatch(r"'self' 'nonce-[\w-]{20,}'", csp["script-src"]), path
        assert (csp["object-src"], csp["base-uri"], csp["default-src"]) == ("'none'", "'none'", "'self'")
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
        assert "Strict-Transport-Security" not in response.headers  # not in development or tests


def test_every_script_of_ours_carries_the_answers_own_nonce(app, aftercare):
    """Scripts in our templates run (they carry the nonce, fresh on every answer); the pages have no
    inline event handlers, which no nonce could allow."""
    client = signed_in(app, aftercare, make_store(aftercare))
    nonces = set()
    for path in ("/admin/activity", "/admin/templates/thank_you/en", "/admin/dashboard"):
        response = client.get(path)
        nonce = policy(response)["script-src"].split("'nonce-")[1].rstrip("'")
        nonces.add(nonce)
        page = re.sub(r"<svg.*?</svg>", "", response.get_data(as_text=True), flags=re.S)  # pygal's charts
        scripts = re.findall(r"<script\b[^>]*>", page)
        assert scripts and all(f'nonce="{nonce}"' in tag for tag in scripts), (path, scripts)
        assert not re.search(r"\son[a-z]+=", page), path
    assert len(nonces) == 3


def test_connecting_a_store_may_send_the_merchant_on_to_their_store(app):
    """The connect form answers with a redirect to the store's approval page, so its form-action
    allows other sites; the merchant's pages post only to us."""
    client = app.test_client()
    assert "https:" in policy(client.get("/connect/woocommerce"))["form-action"]
    assert policy(client.get("/admin/signin"))["form-action"] == "'self'"


def test_production_asks_browsers_to_use_https_only(database_url, tmp_path):
    application = create_app(
        settings_for(database_url, tmp_path, environment="production", public_url="https://a.example")
    )
    try:
        response = application.test_client().get("/healthz", base_url="https://localhost")
        assert response.headers["Strict-Transport-Security"] == "max-age=31536000"
        assert "http:" not in policy(response)["img-src"]
    finally:
        services(application).db.dispose()


def test_inside_shopify_the_page_may_be_framed_by_the_shop_and_the_admin_only(shopify_app):  # noqa: F811
    """An embedded page keeps Shopify's frame-ancestors and gets no X-Frame-Options, which would
    refuse Shopify's own frame; nosniff and the Referrer-Policy still apply."""
    make_store(services(shopify_app), platform="shopify", external_id="mine.myshopify.com")
    client = shopify_app.test_client()
    hints = {"shop": "mine.myshopify.com", "host": "YWRtaW4uc2hvcGlmeS5jb20", "embedded": "1"}
    page = client.get("/admin/activity", query_string={**hints, "id_token": _id_token("mine.myshopify.com")})
    assert page.status_code == 200
    assert policy(page)["frame-ancestors"] == "https://mine.myshopify.com https://admin.shopify.com"
    assert "X-Frame-Options" not in page.headers
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    assert "Sign out" not in page.get_data(as_text=True)  # no cookie session to end in there
    fetched = client.get(  # App Bridge's fetch: the answer lands in that page, under its policy
        "/admin/activity", headers={"Authorization": f"Bearer {_id_token('mine.myshopify.com')}"}
    )
    assert fetched.status_code == 200 and "X-Frame-Options" not in fetched.headers
    assert "frame-ancestors 'none'" not in fetched.headers.get("Content-Security-Policy", "")
