"""The store's plan: what it sent this month, the plans, and changing plan through the platform.

Choosing a paid plan creates the charge with the platform (Shopify's ``appSubscriptionCreate``, or the
operator's billing hook) and sends the merchant to approve it; the return address reads the charge
back before anything changes (``confirm``), so a forged return changes nothing.
"""

from __future__ import annotations

from typing import Any

from flask import abort, g, render_template, request, url_for
from werkzeug.wrappers import Response

from app.billing import plans, providers, state
from app.web import current_services
from app.web.admin import auth, view
from app.web.admin.pages.common import bp, done, signed_in_store


def _provider(store: Any) -> providers.Provider:
    services = current_services()
    return providers.provider(services.settings, store, services.connectors)


def _return_url(store: Any) -> str:
    """Where the platform sends the merchant back. Inside Shopify's admin, the App Home, which reads
    the subscription again on every visit; elsewhere our own return page."""
    settings = current_services().settings
    if store.platform == "shopify" and settings.shopify_client_id:
        shop = store.external_id.removesuffix(".myshopify.com")
        return f"https://admin.shopify.com/store/{shop}/apps/{settings.shopify_client_id}/shopify"
    return settings.public_url.rstrip("/") + url_for("pages.billing_return")


@bp.get("/billing")
def billing() -> str:
    with current_services().db.session() as db:
        store = signed_in_store(db)
        sent = state.sent_this_month(db, store)
        current = plans.get(store.plan)
        return view.page(
            "admin/billing.html",
            store,
            plans=list(plans.PLANS.values()),
            current=current,
            sent=sent,
            share=min(100, round(100 * sent / current.monthly_messages)) if current.monthly_messages else 0,
            test_charges=not current_services().settings.is_production,
        )


@bp.post("/billing/plan")
def choose_plan() -> Any:
    auth.require_csrf()
    chosen = plans.PLANS.get(request.form.get("plan", ""))
    if chosen is None:
        abort(400, description="Choose one of the plans.")
    with current_services().db.session() as db:
        store = signed_in_store(db)
        t = view.translator(store)
        try:
            confirmation = _provider(store).subscribe(store, chosen, _return_url(store))
        except providers.BillingError as exc:
            return done(
                t("The plan was not changed: {reason}").format(reason=t(str(exc))), "pages.billing", "error"
            )
        said = t("You are on the {plan} plan.").format(plan=t(chosen.title))
    if confirmation is None:
        return done(said, "pages.billing")
    return _away(confirmation)


def _away(url: str) -> Any:
    """To the platform's approval page: out of the admin's frame when embedded (App Bridge opens
    ``_top``), a plain redirect otherwise."""
    if g.get("embedded"):
        return render_template("admin/away.html", url=url)
    return Response(status=303, headers={"Location": url})


@bp.get("/billing/return")
def billing_return() -> Response:
    """Back from approving the charge: read it back from the platform before believing it."""
    with current_services().db.session() as db:
        store = signed_in_store(db)
        t = view.translator(store)
        try:
            confirmed = _provider(store).confirm(store, request.args.get("charge_id"))
        except providers.BillingError as exc:
            return done(
                t("The plan was not changed: {reason}").format(reason=t(str(exc))), "pages.billing", "error"
            )
        if confirmed:
            said, category = (
                t("You are on the {plan} plan.").format(plan=t(plans.get(store.plan).title)),
                "message",
            )
        else:
            said, category = t("The charge was not approved; your plan is unchanged."), "error"
    return done(said, "pages.billing", category)
