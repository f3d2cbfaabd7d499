"""Merchant pages. Every query is filtered by the signed-in store (invariant 1)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, g, redirect, request, url_for
from flask_wtf.csrf import generate_csrf
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from werkzeug.wrappers import Response

from app import timeline
from app.journeys.explain import explain
from app.models import Customer, DataExport, Message, Order, Store, TimelineEntry
from app.web import current_services
from app.web.admin import auth, view
from app.web.connect import embedded
from connectors.base import EmbeddedAdmin

bp = Blueprint("admin", __name__, url_prefix="/admin", template_folder="templates")
RECENT_ORDERS = 50


def signed_in_store_id() -> int:
    """The store this request speaks for; 401 otherwise. Every admin query filters by it.

    Inside a platform's admin (Shopify's App Home) each request carries the platform's own proof (an
    App Bridge ID token), checked by the platform's connector; elsewhere (WooCommerce) the session
    cookie set by a signed sign-in link does. The result is remembered for the request."""
    if "store_id" in g:
        return int(g.store_id)
    for platform, connector in current_services().connectors.items():
        if not isinstance(connector, EmbeddedAdmin):
            continue
        external_id = embedded.identify(platform, connector)
        if external_id is not None:
            with current_services().db.session() as db:
                store_id = db.scalar(
                    select(Store.id).where(Store.platform == platform, Store.external_id == external_id)
                )
            if store_id is None:
                abort(401, description="This shop has not finished installing Aftercare; open the app again.")
            g.store_id, g.embedded = store_id, True
            return store_id
    with current_services().db.session() as db:
        store_id = auth.session_store_id(db)
    if store_id is None:
        abort(
            401,
            description="Sign in with the link from your store to see this page; a new one: /admin/signin.",
        )
    g.store_id, g.embedded = store_id, False
    return store_id


@bp.get("/login")
def login() -> Response:
    """A sign-in link, used once: it starts this browser's session and stops working."""
    services = current_services()
    with services.db.session() as db:
        try:
            store_id = auth.use_link(db, services.settings, request.args.get("token", ""))
        except auth.LinkInvalid as exc:
            abort(401, description=str(exc))
        auth.start_session(db, store_id)
    with services.db.session() as db:
        store = db.get(Store, store_id)
        from app.web.admin.pages.setup import first_page

        return redirect(url_for(first_page(store)) if store is not None else url_for("admin.orders"))


@bp.post("/sign-out")
def sign_out() -> Response:
    auth.require_csrf()
    if g.embedded:
        abort(400, description="Inside your store's admin there is no Aftercare session to sign out of.")
    with current_services().db.session() as db:
        auth.end_session(db)
    flash("You are signed out. Sign in again with a new link from your store's address.")
    return redirect(url_for("signin.form"))


@bp.post("/sign-out-everywhere")
def sign_out_everywhere() -> Response | dict[str, int]:
    """Every browser signed in to this store's pages (other computers, a forwarded link) is signed
    out; inside a platform's admin nothing else changes."""
    auth.require_csrf()
    store_id = signed_in_store_id()
    with current_services().db.session() as db:
        ended = auth.end_every_session(db, store_id)
    if g.embedded:
        return {"ended": ended}
    flash(f"Every browser signed in to your store's Aftercare pages is signed out ({ended}).")
    return redirect(url_for("signin.form"))


@bp.get("/")
def orders() -> str:
    store_id = signed_in_store_id()
    with current_services().db.session() as db:
        store = db.get(Store, store_id) or abort(401)
        rows = db.scalars(
            select(Order)
            .where(Order.store_id == store_id)
            .options(selectinload(Order.customer))
            .order_by(Order.placed_at.desc(), Order.id.desc())
            .limit(RECENT_ORDERS)
        ).all()
        messages: dict[int, list[Message]] = {}
        for message in db.scalars(
            select(Message)
            .where(Message.store_id == store_id, Message.order_id.in_([order.id for order in rows]))
            .order_by(Message.send_at)
        ):
            messages.setdefault(message.order_id or 0, []).append(message)
        return view.page("admin/orders.html", store, orders=rows, messages=messages)


@bp.get("/orders/<int:order_id>")
def order(order_id: int) -> str:
    store_id = signed_in_store_id()
    with current_services().db.session() as db:
        store = db.get(Store, store_id) or abort(401)
        found = db.scalars(
            select(Order)
            .where(Order.store_id == store_id, Order.id == order_id)
            .options(selectinload(Order.lines))
        ).first()
        if found is None:
            abort(404, description="No such order in this store.")
        customer = db.get(Customer, found.customer_id) if found.customer_id else None
        journey = explain(db, store, found)
        entries = db.scalars(
            select(TimelineEntry)
            .where(TimelineEntry.store_id == store_id, TimelineEntry.order_id == order_id)
            .order_by(TimelineEntry.at, TimelineEntry.id)
        ).all()
        return view.page(
            "admin/order.html",
            store,
            order=found,
            customer=customer,
            journey=journey,
            timeline=timeline.fold(list(entries)),
        )


@bp.get("/api/orders/<int:order_id>/journey")
def order_journey(order_id: int) -> dict[str, object]:
    """The order's journey as JSON: every step, its status, when, and why."""
    store_id = signed_in_store_id()
    with current_services().db.session() as db:
        store = db.get(Store, store_id) or abort(401)
        found = db.scalars(select(Order).where(Order.store_id == store_id, Order.id == order_id)).first()
        if found is None:
            abort(404, description="No such order in this store.")
        return {"order": found.number, "journey": [entry.as_json() for entry in explain(db, store, found)]}


@bp.get("/api/session")
def api_session() -> dict[str, object]:
    """The signed-in store and the CSRF token its pages send back in ``X-CSRFToken`` on every write."""
    return {"store_id": signed_in_store_id(), "csrf_token": generate_csrf()}


@bp.get("/api/data-exports")
def data_exports() -> dict[str, object]:
    """Customers' requests for their data (GDPR access), newest first, for the merchant to hand over."""
    store_id = signed_in_store_id()
    with current_services().db.session() as db:
        rows = db.scalars(
            select(DataExport).where(DataExport.store_id == store_id).order_by(DataExport.created_at.desc())
        ).all()
        return {
            "exports": [
                {
                    "id": row.id,
                    "request": row.request_ref,
                    "customer": row.customer_external_id,
                    "created_at": row.created_at.isoformat(),
                    "url": url_for("admin.data_export", export_id=row.id),
                }
                for row in rows
            ]
        }


@bp.get("/api/data-exports/<int:export_id>")
def data_export(export_id: int) -> Response:
    """One export as a JSON file to download and send to the customer."""
    store_id = signed_in_store_id()
    with current_services().db.session() as db:
        row = db.scalars(
            select(DataExport).where(DataExport.store_id == store_id, DataExport.id == export_id)
        ).first()
        if row is None:
            abort(404, description="No such data export in this store.")
        return Response(
            row.body,
            mimetype="application/json",
            headers={"Content-Disposition": f'attachment; filename="customer-data-{row.request_ref}.json"'},
        )
