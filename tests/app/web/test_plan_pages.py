"""The Plan page, the checklist and the front door over the app's own routes."""

from __future__ import annotations

from app.models import Store
from tests.helpers import make_store, signed_in


def token(client):
    return client.get("/admin/api/session").get_json()["csrf_token"]


def test_without_an_operator_hook_plans_change_at_once_outside_production(app, aftercare):
    store = make_store(aftercare)
    client = signed_in(app, aftercare, store)
    page = client.get("/admin/billing").get_data(as_text=True)
    assert "0 of 300 messages sent this month" in page and 'id="plan-growth"' in page
    answer = client.post("/admin/billing/plan", data={"plan": "growth", "csrf_token": token(client)})
    assert answer.status_code == 302
    with aftercare.db.session() as db:
        assert db.get(Store, store.id).plan == "growth"
    assert "You are on the Growth plan." in client.get("/admin/billing").get_data(as_text=True)


def test_an_unknown_plan_is_refused_and_changes_nothing(app, aftercare):
    store = make_store(aftercare)
    client = signed_in(app, aftercare, store)
    answer = client.post("/admin/billing/plan", data={"plan": "platinum", "csrf_token": token(client)})
    assert answer.status_code == 400
    with aftercare.db.session() as db:
        assert db.get(Store, store.id).plan == "free"


def test_going_live_finishes_the_checklist_and_resumes_sending(app, aftercare):
    store = make_store(aftercare, status="paused")
    client = signed_in(app, aftercare, store)
    assert 'id="checklist"' in client.get("/admin/setup").get_data(as_text=True)
    assert client.post("/admin/setup/live", data={"csrf_token": token(client)}).status_code == 302
    with aftercare.db.session() as db:
        mine = db.get(Store, store.id)
        assert mine.status == "active" and "live" in mine.setup


def test_the_front_door_is_a_page_not_a_404(app, aftercare):
    anonymous = app.test_client().get("/")
    assert anonymous.status_code == 200 and b"Sign in" in anonymous.data and b"admin.css" in anonymous.data
    signin = app.test_client().get("/admin/signin")  # the sign-in page wears the pages' stylesheet too
    assert signin.status_code == 200 and b"/admin/static/admin.css" in signin.data and b"<h1" in signin.data
    client = signed_in(app, aftercare, make_store(aftercare))
    assert client.get("/").headers["Location"].endswith("/admin/setup")
