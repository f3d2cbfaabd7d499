"""A store authenticates its own domain: we make its DKIM key, show the DNS records, check them against
a DNS server on loopback (saying which is missing or wrong), and once they are right every message
From that domain is DKIM-signed, which dkimpy's own verifier accepts on the mail aiosmtpd received."""

from __future__ import annotations

import dkim
import lxml.html
import pytest
from sqlalchemy import text

from app import channel_settings, clock, create_app, domains, services
from app.models import SendingDomain, Store
from scheduler.jobs import make_dispatcher
from tests.conftest import settings_for
from tests.fakes.dns import FakeDns
from tests.helpers import T0, ingest_order, make_store, order_snapshot, signed_in

SENDING = "mail.aftercare.test"


@pytest.fixture
def dns_server():
    with FakeDns().running() as fake:
        yield fake


@pytest.fixture
def app(database_url, tmp_path, smtp, dns_server):
    application = create_app(
        settings_for(
            database_url,
            tmp_path,
            platform_smtp_url=f"smtp://127.0.0.1:{smtp.port}",
            sending_domain=SENDING,
            dns_servers=[f"127.0.0.1:{dns_server.port}"],
        )
    )
    yield application
    services(application).db.dispose()


def _start(aftercare, store, address="hello@tea-and-things.example"):
    with aftercare.db.session() as session:
        row = domains.start(session, session.get(Store, store.id), address)
        return domains.records(aftercare.settings, row)


def _check(aftercare, store):
    with aftercare.db.session() as session:
        row = domains.current(session, session.get(Store, store.id))
        return {record.purpose: record for record in domains.check(aftercare.settings, session, row)}


def test_the_private_key_is_encrypted_at_rest_and_the_records_name_it(aftercare):
    store = make_store(aftercare, own_sender=False)
    records = {record.purpose: record for record in _start(aftercare, store)}
    assert records["dkim"].name == "aftercare1._domainkey.tea-and-things.example"
    assert records["dkim"].value.startswith("v=DKIM1; k=rsa; p=MII")
    assert records["spf"].value == f"v=spf1 include:_spf.{SENDING} ~all"
    assert records["dmarc"].name == "_dmarc.tea-and-things.example"
    with aftercare.db.engine.connect() as connection:
        raw = connection.execute(text("SELECT private_key FROM sending_domains")).scalar_one()
    assert "PRIVATE KEY" not in raw
    with aftercare.db.session() as session:
        assert "BEGIN RSA PRIVATE KEY" in session.query(SendingDomain).one().private_key
    again = _start(aftercare, store)  # the same domain keeps its key
    assert again[0].value == records["dkim"].value


def test_the_check_says_which_record_is_missing_or_wrong(aftercare, dns_server):
    store = make_store(aftercare, own_sender=False)
    records = {record.purpose: record for record in _start(aftercare, store)}
    found = _check(aftercare, store)
    assert {purpose: record.status for purpose, record in found.items()} == {
        "dkim": "missing",
        "spf": "missing",
        "dmarc": "missing",
    }
    dns_server.add(records["dkim"].name, "v=DKIM1; k=rsa; p=MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAold")
    dns_server.add("tea-and-things.example", "v=spf1 include:_spf.google.com ~all")
    dns_server.add("_dmarc.tea-and-things.example", "v=DMARC1; p=none")
    found = _check(aftercare, store)
    assert (found["dkim"].status, found["spf"].status, found["dmarc"].status) == ("wrong", "wrong", "ok")
    assert found["spf"].found == "v=spf1 include:_spf.google.com ~all"  # shown, so they can edit it
    with aftercare.db.session() as session:
        assert domains.current(session, session.get(Store, store.id)).verified_at is None


def test_an_authenticated_domain_sends_from_its_own_address_dkim_signed(aftercare, dns_server, smtp):
    clock.freeze(T0)
    store = make_store(aftercare, own_sender=False)
    for record in _start(aftercare, store):
        dns_server.add(record.name, record.value)
    assert {record.status for record in _check(aftercare, store).values()} == {"ok"}
    ingest_order(aftercare, store, order_snapshot())
    make_dispatcher(aftercare, "w1").run_until_idle()
    [received] = smtp.wait_for(1)
    assert received.message["From"] == "Tea & Things <hello@tea-and-things.example>"
    assert received.mail_from == f"store-{store.id}@{SENDING}"  # bounces come back to the relay
    assert "d=tea-and-things.example" in received.message["DKIM-Signature"].replace(" ", "")
    assert dkim.verify(received.raw, dnsfunc=lambda name, timeout=5: dns_server.txt(name.decode()))
    tampered = received.raw.replace(b"Subject: ", b"Subject: Re: ", 1)
    assert not dkim.verify(tampered, dnsfunc=lambda name, timeout=5: dns_server.txt(name.decode()))


def test_a_domain_whose_records_are_not_right_yet_does_not_change_the_from(aftercare, smtp):
    clock.freeze(T0)
    store = make_store(aftercare, own_sender=False)
    _start(aftercare, store)
    ingest_order(aftercare, store, order_snapshot())
    make_dispatcher(aftercare, "w1").run_until_idle()
    [received] = smtp.wait_for(1)
    assert received.message["From"] == f"Tea & Things <store-{store.id}@{SENDING}>"
    assert "DKIM-Signature" not in received.message
    with aftercare.db.session() as session:
        assert channel_settings.context(session, session.get(Store, store.id)).domain is None


def test_the_sending_page_shows_each_record_with_a_copy_button_and_what_its_check_found(
    app, aftercare, dns_server
):
    store = make_store(aftercare, own_sender=False)
    client = signed_in(app, aftercare, store)
    started = client.post(
        "/admin/sending/domain",
        data={"csrf_token": _csrf(client), "from_email": "hello@tea-and-things.example"},
        follow_redirects=True,
    )
    assert "Add these records at your domain's DNS provider, then check them." in _text(started)
    page = lxml.html.fromstring(client.get("/admin/sending").get_data(as_text=True))
    shown = {
        purpose: page.get_element_by_id(f"value-{purpose}").text_content()
        for purpose in ("dkim", "spf", "dmarc")
    }
    assert shown["dkim"].startswith("v=DKIM1; k=rsa; p=MII") and shown["spf"].startswith("v=spf1 include:")
    for purpose in shown:
        assert page.xpath(f'//button[@data-copy="value-{purpose}"]')  # one click puts it on the clipboard
    dns_server.add("tea-and-things.example", "v=spf1 include:_spf.google.com ~all")  # theirs, without ours
    dns_server.add("_dmarc.tea-and-things.example", "v=DMARC1; p=none")
    checked = client.post(
        "/admin/sending/domain/check", data={"csrf_token": _csrf(client)}, follow_redirects=True
    )
    page = lxml.html.fromstring(checked.get_data(as_text=True))
    assert "Some records are missing or wrong; see below." in _text(checked)
    said = {purpose: page.get_element_by_id(f"record-{purpose}").text_content() for purpose in shown}
    assert "missing" in said["dkim"] and "not found in DNS" in said["dkim"]
    assert "wrong" in said["spf"] and "include:_spf.google.com" in said["spf"]
    assert "ok" in said["dmarc"]
    assert "hello@tea-and-things.example" not in page.get_element_by_id("from-address").text_content()
    dns_server.add(_record(aftercare, store, "dkim").name, shown["dkim"])
    dns_server.records["tea-and-things.example"] = [shown["spf"]]
    done = client.post(
        "/admin/sending/domain/check", data={"csrf_token": _csrf(client)}, follow_redirects=True
    )
    text = done.get_data(as_text=True)
    assert "Your domain is authenticated: messages now come from hello@tea-and-things.example." in text
    page = lxml.html.fromstring(text)
    assert (
        page.get_element_by_id("from-address").text_content() == "Tea & Things <hello@tea-and-things.example>"
    )


def _text(answer):
    return lxml.html.fromstring(answer.get_data(as_text=True)).text_content()


def _csrf(client):
    return client.get("/admin/api/session").get_json()["csrf_token"]


def _record(aftercare, store, purpose):
    with aftercare.db.session() as session:
        row = domains.current(session, session.get(Store, store.id))
        return next(r for r in domains.records(aftercare.settings, row) if r.purpose == purpose)
