"""The merchant's view of the suppression list: add a complaint, lift a bounce, never a customer's
own choice; every change re-plans at once."""

from __future__ import annotations

from sqlalchemy import select

from app import clock, consent, suppression
from app.models import Message, Order, Store
from scheduler.jobs import make_dispatcher
from tests.helpers import T0, csrf_headers, ingest_order, make_store, order_snapshot, signed_in


def _statuses(aftercare, store):
    with aftercare.db.session() as session:
        rows = session.execute(select(Message.step, Message.status).where(Message.store_id == store.id))
        return dict(rows.all())


def test_a_complaint_stops_everything_planned_and_lifting_it_brings_the_messages_back(app, aftercare, smtp):
    """Lifting plans again what the complaint cancelled (while its moment has not passed) and lets new
    orders through."""
    clock.freeze(T0)
    store = make_store(aftercare, smtp_port=smtp.port)
    ingest_order(aftercare, store, order_snapshot("1001", email="Layla@Example.test"))
    assert _statuses(aftercare, store)["thank_you"] == "scheduled"
    client = signed_in(app, aftercare, store)
    response = client.post(
        "/admin/api/suppressions", json={"address": " LAYLA@example.test "}, headers=csrf_headers(client)
    )
    assert response.status_code == 201
    answer = response.get_json()
    assert answer["address"] == "layla@example.test" and answer["reason"] == "complaint"
    planned = _statuses(aftercare, store)
    assert answer["cancelled"] == len(planned) and set(planned.values()) == {"cancelled"}
    listed = client.get("/admin/api/suppressions").get_json()["suppressions"]
    assert [(row["address"], row["kind"], row["reason"]) for row in listed] == [
        ("layla@example.test", "all", "complaint")
    ]
    make_dispatcher(aftercare, "w1").run_until_idle()
    assert smtp.wait_for(1, timeout=0.3) == []

    lifted = client.delete(
        "/admin/api/suppressions", json={"address": "layla@example.test"}, headers=csrf_headers(client)
    )
    assert lifted.status_code == 200
    assert _statuses(aftercare, store)["thank_you"] == "scheduled"
    ingest_order(aftercare, store, order_snapshot("1002", email="layla@example.test"))
    make_dispatcher(aftercare, "w1").run_until_idle()
    mails = smtp.wait_for(2)
    assert [mail.rcpt_tos for mail in mails] == [["layla@example.test"]] * 2
    assert sorted("#1001" in m.message["Subject"] for m in mails) == [False, True]


def test_a_customers_own_unsubscribe_is_not_the_merchants_to_lift(app, aftercare):
    store = make_store(aftercare)
    ingest_order(aftercare, store, order_snapshot("1001"))
    with aftercare.db.session() as session:
        order = session.scalars(select(Order)).one()
        consent.choose(session, session.get(Store, store.id), suppression.addresses(order), {"marketing"})
    client = signed_in(app, aftercare, store)
    response = client.delete(
        "/admin/api/suppressions", json={"address": "layla@example.test"}, headers=csrf_headers(client)
    )
    assert response.status_code == 404
    with aftercare.db.session() as session:
        assert consent.stopped(session, session.get(Store, store.id), ["layla@example.test"]) == {"marketing"}


def test_bad_requests_change_nothing(app, aftercare):
    store, other = make_store(aftercare), make_store(aftercare, name="Other")
    client = signed_in(app, aftercare, store)
    headers = csrf_headers(client)
    assert (
        client.post("/admin/api/suppressions", json={"address": "a@b.example"}).status_code == 400
    )  # no token
    for body in (
        {"address": "not an address"},
        {"address": "0501234567"},
        {"address": ["x"]},
        ["x"],
        {"address": "a" * 400},
    ):
        assert client.post("/admin/api/suppressions", json=body, headers=headers).status_code == 400, body
    bad_reason = client.post(
        "/admin/api/suppressions", json={"address": "a@b.example", "reason": "unsubscribed"}, headers=headers
    )
    assert bad_reason.status_code == 400
    assert client.get("/admin/api/suppressions").get_json() == {"suppressions": []}
    assert (
        client.post(
            "/admin/api/suppressions", json={"address": "+966 50 123 4567"}, headers=headers
        ).get_json()["address"]
        == "+966501234567"
    )
    assert signed_in(app, aftercare, other).get("/admin/api/suppressions").get_json() == {"suppressions": []}
    assert app.test_client().get("/admin/api/suppressions").status_code == 401
