"""The Tracking page: an account is kept only once the source took it (checked over loopback), its
secrets encrypted and never shown back; the page's brand is validated field by field."""

from __future__ import annotations

from sqlalchemy import select, text

from app import create_app, services
from app.models import TrackingAccount, TrackingBrand
from tests.conftest import settings_for
from tests.helpers import make_store, signed_in
from tests.tracking.conftest import aftership  # noqa: F401 - the fake AfterShip fixture

FORM = "/admin/tracking/aftership"


def _csrf(client) -> str:
    return client.get("/admin/api/session").get_json()["csrf_token"]


def test_aftership_credentials_are_checked_before_they_are_kept(aftership, database_url, tmp_path):  # noqa: F811
    """A wrong key: 400, the page says AfterShip refused it, nothing kept. The right one: kept,
    encrypted, the webhook address shown, the key not echoed back; a blank key on resave keeps it."""
    app = create_app(settings_for(database_url, tmp_path, tracking_endpoints={"aftership": aftership.url}))
    aftercare = services(app)
    try:
        store = make_store(aftercare)
        client = signed_in(app, aftercare, store)
        token = _csrf(client)
        refused = client.post(FORM, data={"csrf_token": token, "api_key": "wrong", "webhook_secret": "w"})
        assert refused.status_code == 400 and "AfterShip refused these details" in refused.get_data(
            as_text=True
        )
        with aftercare.db.session() as session:
            assert session.scalars(select(TrackingAccount)).all() == []
        saved = client.post(
            FORM, data={"csrf_token": token, "api_key": aftership.api_key, "webhook_secret": "w"}
        )
        assert saved.status_code == 302
        page = client.get("/admin/tracking").get_data(as_text=True)
        assert f"/webhooks/tracking/aftership/{store.id}" in page and aftership.api_key not in page
        with aftercare.db.session() as session:
            raw = session.execute(text("SELECT credentials FROM tracking_accounts")).scalar_one()
            assert aftership.api_key not in raw  # encrypted at rest
        again = client.post(FORM, data={"csrf_token": token, "api_key": "", "webhook_secret": ""})
        assert again.status_code == 302  # blank secrets keep the stored ones, checked again
        assert client.post(FORM, data={"api_key": "x"}).status_code == 400  # no CSRF token
        assert client.post("/admin/tracking/nowhere", data={"csrf_token": token}).status_code == 404
    finally:
        aftercare.db.dispose()


def test_the_tracking_page_brand_takes_only_https_links_and_a_colour(app, aftercare):
    """An http link or a colour that is not #rrggbb is refused with the reason, in Arabic too."""
    store = make_store(aftercare)
    client = signed_in(app, aftercare, store)
    token = _csrf(client)
    bad = client.post(
        "/admin/tracking-page?lang=ar",
        data={"csrf_token": token, "logo_url": "http://x.example/logo.png", "color": "red"},
    )
    page = bad.get_data(as_text=True)
    assert bad.status_code == 400 and "https" in page and "#rrggbb" in page and 'dir="rtl"' in page
    good = client.post(
        "/admin/tracking-page",
        data={"csrf_token": token, "logo_url": "https://x.example/logo.png", "color": "#112233"},
    )
    assert good.status_code == 302
    with aftercare.db.session() as session:
        brand = session.get(TrackingBrand, store.id)
        assert (brand.logo_url, brand.color, brand.help_url) == (
            "https://x.example/logo.png",
            "#112233",
            None,
        )
