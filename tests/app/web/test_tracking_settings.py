"""The Tracking page: an account is kept only once the source took it (checked over loopback), its
secrets encrypted and never shown back; the page's brand is validated field by field."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text

from app import create_app, services
from app.models import TrackingAccount, TrackingBrand
from tests.conftest import settings_for
from tests.helpers import make_store, signed_in
from tests.tracking.conftest import aftership, aramex, dhl  # noqa: F401 - the fakes' fixtures

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


@pytest.mark.parametrize("name", ["aramex", "dhl"])
def test_a_carriers_own_account_is_checked_with_the_carrier_before_it_is_kept(
    name,
    aramex,  # noqa: F811
    dhl,  # noqa: F811
    database_url,
    tmp_path,
):
    """Aramex's six account fields, DHL's key: typed on the Tracking page, checked at once against the
    carrier over loopback. Refused, or the carrier down: 400 with the reason, nothing kept; taken:
    kept, and the page says it is connected."""
    fake = aramex if name == "aramex" else dhl
    good = dict(aramex.credentials) if name == "aramex" else {"api_key": dhl.api_key}
    wrong = {**good, "password": "wrong"} if name == "aramex" else {"api_key": "wrong"}
    endpoints = {"aramex": aramex.url, "dhl": dhl.url}
    app = create_app(settings_for(database_url, tmp_path, tracking_endpoints=endpoints))
    aftercare = services(app)
    try:
        store = make_store(aftercare)
        client = signed_in(app, aftercare, store)
        token = _csrf(client)
        form = f"/admin/tracking/{name}"
        refused = client.post(form, data={"csrf_token": token, **wrong})
        assert refused.status_code == 400 and "refused these details" in refused.get_data(as_text=True)
        fake.down = True
        down = client.post(form, data={"csrf_token": token, **good})
        assert down.status_code == 400 and "could not be reached" in down.get_data(as_text=True)
        missing = client.post(form, data={"csrf_token": token, **{**good, next(iter(good)): ""}})
        assert missing.status_code == 400 and "is needed" in missing.get_data(as_text=True)
        with aftercare.db.session() as session:
            assert session.scalars(select(TrackingAccount)).all() == []
        fake.down = False
        assert client.post(form, data={"csrf_token": token, **good}).status_code == 302
        page = client.get("/admin/tracking").get_data(as_text=True)
        section = page.split(f'id="source-{name}"', 1)[1].split("</form>", 1)[0]
        assert "Connected" in section and "/webhooks/tracking/" not in section  # polled: no webhook
        with aftercare.db.session() as session:
            [account] = session.scalars(select(TrackingAccount)).all()
            assert account.source == name and account.checked_at is not None
    finally:
        aftercare.db.dispose()
