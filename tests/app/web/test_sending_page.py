"""The sending page: each channel's form is built from its settings model and checked by it on save;
problems are shown beside their field and change nothing; secrets never come back to the page; the
settings are stored encrypted; the setup checklist says what is left."""

from __future__ import annotations

import lxml.html
from sqlalchemy import select, text

from app import channel_settings
from app.models import ChannelSetting, Store
from tests.app.web.test_pages import form_of
from tests.helpers import make_store, signed_in


def _form(client, channel):
    return form_of(client.get("/admin/sending").get_data(as_text=True), f"/admin/sending/channels/{channel}")


def _saved(aftercare, store):
    with aftercare.db.session() as session:
        return dict(channel_settings.context(session, session.get(Store, store.id)).settings)


def test_a_channel_is_saved_from_its_own_form_encrypted_and_its_secret_never_shown(app, aftercare):
    store = make_store(aftercare, own_sender=False)
    client = signed_in(app, aftercare, store)
    values = _form(client, "sms")
    values.update(
        {"sms.account_sid": "AC" + "1" * 32, "sms.auth_token": "tok-secret", "sms.number": "+1 415 555 0100"}
    )
    answer = client.post("/admin/sending/channels/sms", data=values, follow_redirects=True)
    assert answer.status_code == 200 and "Saved." in answer.get_data(as_text=True)
    saved = _saved(aftercare, store)["sms"]
    assert (saved.number, saved.auth_token) == ("+14155550100", "tok-secret")
    page = client.get("/admin/sending").get_data(as_text=True)
    assert "tok-secret" not in page and "+14155550100" in page
    with aftercare.db.engine.connect() as connection:
        raw = connection.execute(text("SELECT settings FROM channel_settings")).scalar_one()
    assert "tok-secret" not in raw and "+1415" not in raw
    values = _form(client, "sms")  # saved again with the token left empty: it is kept
    values["sms.number"] = "+14155550111"
    client.post("/admin/sending/channels/sms", data=values)
    assert _saved(aftercare, store)["sms"].auth_token == "tok-secret"
    with aftercare.db.session() as session:
        assert "sms" in channel_settings.usable(session.get(Store, store.id))


def test_wrong_values_are_explained_beside_their_fields_and_change_nothing(app, aftercare):
    store = make_store(aftercare)
    before = _saved(aftercare, store)
    client = signed_in(app, aftercare, store)
    values = _form(client, "smtp")
    values.update({"smtp.from_email": "not an address", "smtp.port": "70000", "smtp.host": "h" * 256})
    answer = client.post("/admin/sending/channels/smtp", data=values)
    assert answer.status_code == 422
    document = lxml.html.fromstring(answer.get_data(as_text=True))
    errors = {node.get("id"): node.text_content() for node in document.find_class("error-text")}
    assert {"smtp.from_email-error", "smtp.port-error", "smtp.host-error"} <= set(errors)
    assert "65535" in errors["smtp.port-error"] and "255" in errors["smtp.host-error"]
    assert document.get_element_by_id("smtp.port").get("aria-invalid") == "true"
    assert _saved(aftercare, store) == before
    values = _form(client, "whatsapp")
    values.update({"whatsapp.account_sid": "AC1", "whatsapp.number": "12"})  # no token, no real number
    answer = client.post("/admin/sending/channels/whatsapp", data=values)
    page = answer.get_data(as_text=True)
    assert answer.status_code == 422 and "+14155550100" in page and "Required." in page
    assert client.post("/admin/sending/channels/pigeon", data=values).status_code in (400, 404)


def test_emptying_a_channels_form_stops_using_it(app, aftercare):
    store = make_store(aftercare)
    client = signed_in(app, aftercare, store)
    values = {key: "" for key in _form(client, "smtp") if key.startswith("smtp.")}
    values["csrf_token"] = _form(client, "smtp")["csrf_token"]
    answer = client.post("/admin/sending/channels/smtp", data=values, follow_redirects=True)
    assert "Removed." in answer.get_data(as_text=True)
    with aftercare.db.session() as session:
        assert session.scalars(select(ChannelSetting)).all() == []


def _checklist(app, aftercare, store):
    """The setup page's items: whether each is done, and where its link leads."""
    page = lxml.html.fromstring(signed_in(app, aftercare, store).get("/admin/setup").get_data(as_text=True))
    items = {
        li.get("id").removeprefix("setup-"): (
            "done" in (li.get("class") or ""),
            next(iter(li.xpath(".//a/@href")), ""),
            "(optional)" in li.text_content(),
        )
        for li in page.xpath('//ol[@id="checklist"]/li')
    }
    return items, page.get_element_by_id("setup-count").text_content()


def test_the_checklist_says_what_is_left(app, aftercare):
    """Sender, domain, channels, the journey, a test and going live; the domain and the channels are
    there to do but optional, so a store without either can still finish."""
    store = make_store(aftercare, own_sender=False, reply_to=None)
    items, count = _checklist(app, aftercare, store)
    assert list(items) == ["sender", "domain", "channels", "journey", "test", "live"]
    assert {key for key, (done, _, _) in items.items() if done} == set()
    assert {key for key, (_, _, optional) in items.items() if optional} == {"domain", "channels"}
    assert items["domain"][1].endswith("/admin/sending#domain")
    assert items["channels"][1].endswith("/admin/sending#channels")
    assert count == "0 of 4 done"
    own = make_store(aftercare, webhook_secret="x", hook_url="https://hooks.example/in", hook_secret="s")
    items, count = _checklist(app, aftercare, own)  # its own server (so its own address) and a webhook
    assert {key for key, (done, _, _) in items.items() if done} == {"sender", "domain", "channels"}
    assert count == "1 of 4 done"  # the optional items count for nothing
