"""The first-hour checklist page, going live, and the app's front door (``/``)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, redirect, render_template, url_for
from werkzeug.wrappers import Response

from app import stores
from app.models import Store
from app.web import current_services
from app.web.admin import auth, checklist, view
from app.web.admin.pages.common import bp, done, signed_in_store

landing = Blueprint("landing", __name__, template_folder="../templates")


@bp.get("/setup")
def setup() -> str:
    with current_services().db.session() as db:
        store = signed_in_store(db)
        return view.page("admin/setup.html", store, link_values=checklist.link_values)


@bp.post("/setup/live")
def go_live() -> Response:
    """The last item: sending starts (or resumes) and the checklist is done."""
    auth.require_csrf()
    with current_services().db.session() as db:
        store = signed_in_store(db)
        stores.resume(db, store)
        checklist.mark(store, "live")
        said = view.translator(store)(
            "You are live. Aftercare now writes to your customers about new orders."
        )
    return done(said, "pages.activity")


@bp.post("/setup/dismiss")
def dismiss_setup() -> Response:
    auth.require_csrf()
    with current_services().db.session() as db:
        checklist.mark(signed_in_store(db), "dismissed")
    return done("", "pages.activity")


def first_page(store: Any) -> str:
    """Where a merchant lands: the checklist until it is done, else the activity."""
    return "pages.setup" if checklist.progress(store).showing else "pages.activity"


@landing.get("/")
def front_door() -> Any:
    """Signed in: the merchant's first page. Otherwise what Aftercare is and the ways in."""
    with current_services().db.session() as db:
        store_id = auth.session_store_id(db)
        store = db.get(Store, store_id) if store_id is not None else None
        if store is not None:
            return redirect(url_for(first_page(store)))
    return render_template("admin/front.html")
