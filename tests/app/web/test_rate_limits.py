"""The forms anyone may post without signing in are rate-limited per client address (issue 12)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from app import create_app, services
from tests.conftest import settings_for

FORMS = ("/connect/woocommerce/authorize", "/connect/woocommerce/keys", "/admin/signin")


@pytest.fixture
def limited(database_url: str, tmp_path: Path) -> Iterator[Flask]:
    application = create_app(settings_for(database_url, tmp_path, connect_rate_limit="3 per minute"))
    yield application
    services(application).db.dispose()


def _token(client) -> str:
    page = client.get("/connect/woocommerce").get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


@pytest.mark.parametrize("path", [*FORMS, "/connect/woocommerce/callback"])
def test_a_client_posting_too_often_is_told_to_wait(limited, path):
    """The fourth post within the minute gets 429 with a sentence and Retry-After; nothing is done."""
    client = limited.test_client()
    form = {"site_url": "not an address", "address": "not an address", "csrf_token": _token(client)}
    answers = [client.post(path, data=form) for _ in range(4)]
    assert [answer.status_code < 429 for answer in answers] == [True, True, True, False]
    refused = answers[-1]
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
    assert "Too many attempts from your address" in refused.get_data(as_text=True)


def test_each_address_has_its_own_count(limited):
    """One client using up its attempts leaves another's alone, and reading the form is not counted."""
    noisy, quiet = limited.test_client(), limited.test_client()
    noisy.environ_base["REMOTE_ADDR"], quiet.environ_base["REMOTE_ADDR"] = "198.51.100.7", "198.51.100.8"
    form = {"site_url": "not an address", "csrf_token": _token(noisy)}
    for _ in range(4):
        noisy.post("/connect/woocommerce/authorize", data=form)
    assert noisy.post("/connect/woocommerce/authorize", data=form).status_code == 429
    assert noisy.get("/connect/woocommerce").status_code == 200
    answer = quiet.post("/connect/woocommerce/authorize", data={**form, "csrf_token": _token(quiet)})
    assert answer.status_code == 400


def test_behind_a_proxy_the_forwarded_client_address_is_counted(database_url, tmp_path):
    """With ``proxy_hops = 1`` two clients behind the same proxy are counted apart."""
    app = create_app(settings_for(database_url, tmp_path, connect_rate_limit="1 per minute", proxy_hops=1))
    try:
        client = app.test_client()  # every request arrives from the proxy's own address
        for forwarded, expected in (("203.0.113.1", 400), ("203.0.113.1", 429), ("203.0.113.2", 400)):
            answer = client.post(
                "/connect/woocommerce/authorize",
                data={"site_url": "x", "csrf_token": _token(client)},
                headers={"X-Forwarded-For": forwarded},
            )
            assert answer.status_code == expected, forwarded
    finally:
        services(app).db.dispose()
