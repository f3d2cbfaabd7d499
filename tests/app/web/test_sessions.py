"""Signing in (issue 12, item 8): a link signs in once, a session ends when the merchant signs out,
and "sign out everywhere" ends every session of the store, cookies copied elsewhere included."""

from __future__ import annotations

import re
from datetime import timedelta

from app import clock
from app.web.admin.auth import login_token
from tests.helpers import T0, make_store, signed_in


def _csrf(client) -> str:
    return client.get("/admin/api/session").get_json()["csrf_token"]


def _cookie(client) -> str:
    return client.get_cookie("aftercare_session").value


def test_a_sign_in_link_works_once(app, aftercare):
    """The first browser to open the link is signed in; the link then opens nothing, for anyone."""
    store = make_store(aftercare)
    token = login_token(aftercare.settings, store.id)
    first = app.test_client()
    assert first.get("/admin/login", query_string={"token": token}).status_code == 302
    assert first.get("/admin/api/session").get_json()["store_id"] == store.id
    again = app.test_client().get("/admin/login", query_string={"token": token})
    assert again.status_code == 401 and "used already" in again.get_data(as_text=True)
    assert app.test_client().get("/admin/api/session").status_code == 401
    assert first.get("/admin/api/session").status_code == 200  # the first session goes on


def test_the_command_line_link_signs_in_once(app, aftercare):
    """``flask --app app login-link STORE_ID`` prints a fresh link each time, each good once."""
    store = make_store(aftercare)
    runner = app.test_cli_runner()
    links = [runner.invoke(args=["login-link", str(store.id)]).output.strip() for _ in range(2)]
    assert links[0] != links[1]
    paths = [link.removeprefix(aftercare.settings.public_url) for link in links]
    assert app.test_client().get(paths[0]).status_code == 302
    assert app.test_client().get(paths[1]).status_code == 302
    assert app.test_client().get(paths[0]).status_code == 401


def test_signing_out_ends_the_session_even_for_a_copied_cookie(app, aftercare):
    """After "Sign out" the old cookie, replayed from anywhere, opens nothing."""
    store = make_store(aftercare)
    client = signed_in(app, aftercare, store)
    page = client.get("/admin/activity").get_data(as_text=True)
    assert 'action="/admin/sign-out"' in page and 'action="/admin/sign-out-everywhere"' in page
    stolen = _cookie(client)
    answer = client.post("/admin/sign-out", data={"csrf_token": _csrf(client)})
    assert answer.status_code == 302 and answer.headers["Location"].endswith("/admin/signin")
    assert "You are signed out" in client.get("/admin/signin").get_data(as_text=True)
    assert client.get("/admin/activity").status_code == 401
    replay = app.test_client()
    replay.set_cookie("aftercare_session", stolen)
    assert replay.get("/admin/activity").status_code == 401


def test_signing_out_needs_the_pages_token(app, aftercare):
    """Another site cannot sign the merchant out (or out everywhere) by posting a form."""
    store = make_store(aftercare)
    client = signed_in(app, aftercare, store)
    assert client.post("/admin/sign-out").status_code == 400
    assert client.post("/admin/sign-out-everywhere").status_code == 400
    assert client.get("/admin/activity").status_code == 200


def test_sign_out_everywhere_ends_every_session_of_the_store_only(app, aftercare):
    """Every browser of this store is signed out, this one too; another store's merchant is not."""
    store, other = make_store(aftercare), make_store(aftercare, name="Other")
    laptop, phone = signed_in(app, aftercare, store), signed_in(app, aftercare, store)
    neighbour = signed_in(app, aftercare, other)
    answer = phone.post("/admin/sign-out-everywhere", data={"csrf_token": _csrf(phone)})
    assert answer.status_code == 302
    assert "is signed out (2)" in phone.get("/admin/signin").get_data(as_text=True)
    assert laptop.get("/admin/activity").status_code == 401
    assert phone.get("/admin/activity").status_code == 401
    assert neighbour.get("/admin/activity").status_code == 200
    assert signed_in(app, aftercare, store).get("/admin/activity").status_code == 200  # a new link works


def test_a_cookie_from_before_single_use_links_opens_nothing(app, aftercare):
    """A session cookie holding only a store id (as sign-in used to set) is not a session."""
    store = make_store(aftercare)
    client = app.test_client()
    with client.session_transaction() as session:
        session["store_id"] = store.id
    assert client.get("/admin/activity").status_code == 401


def test_the_emailed_link_signs_in_once(app, aftercare, smtp):
    """The link /admin/signin emails to the store's own address works, once."""
    make_store(aftercare, platform="woocommerce", external_id="https://shop.example", smtp_port=smtp.port)
    client = app.test_client()
    page = client.get("/admin/signin").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    client.post("/admin/signin", data={"address": "shop.example", "csrf_token": token})
    [mail] = smtp.wait_for(1)
    [link] = re.findall(r"/admin/login\?token=\S+", mail.message.get_body(("plain",)).get_content())
    assert app.test_client().get(link).status_code == 302
    assert app.test_client().get(link).status_code == 401


def test_a_session_ends_a_month_after_signing_in(app, aftercare):
    """However the cookie was kept, 31 days after the link was used the session opens nothing."""
    clock.freeze(T0)
    client = signed_in(app, aftercare, make_store(aftercare))
    clock.advance(timedelta(days=30))
    assert client.get("/admin/activity").status_code == 200
    clock.advance(timedelta(days=2))
    assert client.get("/admin/activity").status_code == 401
