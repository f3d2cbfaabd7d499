"""Signing in again, for stores whose admin does not host our pages (WooCommerce).

The merchant's bookmark of ``/admin/`` works while the session lasts; afterwards the 401 page points
here. The merchant gives their store's address and a fresh signed link (``auth.login_url``, good once
and expiring) is emailed to the store's own sender or reply-to address, through the store's own
channel. The answer is the same whether or not the address is a store of ours, so the
page tells nobody which stores use Aftercare.
"""

from __future__ import annotations

import logging

from flask import Blueprint, abort, render_template, request
from flask_wtf.csrf import CSRFError, validate_csrf
from markupsafe import Markup
from sqlalchemy import select
from wtforms.validators import ValidationError

from app import channel_settings, clock
from app.models import Store, StoreStatus
from app.web import current_services
from app.web.admin.auth import login_url
from channels.base import ChannelError, Outgoing
from channels.registry import send_direct
from connectors.base import PayloadError
from connectors.woocommerce.webhooks import site_id

log = logging.getLogger(__name__)
bp = Blueprint("signin", __name__, url_prefix="/admin/signin", template_folder="templates")
SENT = "If that address is a store using Aftercare, a sign-in link is on its way to the store's own address."
HTML = Markup(
    "<p>Open this link to sign in to Aftercare for {name}:</p>"
    '<p><a href="{link}">Sign in to Aftercare</a></p>'
    "<p>It works once, within a few days. If you did not ask for it, ignore this email.</p>"
)


@bp.get("")
def form() -> str:
    return render_template("admin/signin.html", done=False)


@bp.post("")
def send_link() -> str | tuple[str, int]:
    try:
        validate_csrf(request.form.get("csrf_token", ""))
    except (ValidationError, CSRFError):
        abort(400, description="The form expired; reload the page and try again.")
    address = request.form.get("address", "").strip()[:300]
    try:
        site = site_id(address if "://" in address else f"https://{address}")
    except PayloadError:
        return render_template("admin/signin.html", done=False, error="Enter your store's address."), 400
    services = current_services()
    with services.db.session() as db:
        store = db.scalars(
            select(Store).where(Store.external_id == site, Store.status != StoreStatus.UNINSTALLED)
        ).first()
        to = store.reply_to if store is not None else None
        sender = channel_settings.context(db, store) if store is not None else None
        link = login_url(services.settings, store.id) if store is not None else ""
    if sender is not None and to:
        outgoing = Outgoing(
            message_id=f"<aftercare.signin.{clock.now().timestamp():.0f}@aftercare.invalid>",
            to_address=to,
            to_name=sender.name,
            subject="Your Aftercare sign-in link",
            text=f"Open this link to sign in to Aftercare for {sender.name}:\n\n{link}\n\n"
            "It works once, within a few days. If you did not ask for it, ignore this email.\n",
            html=str(HTML.format(name=sender.name, link=link)),
        )
        try:
            send_direct(services.settings, sender, outgoing)
        except ChannelError as exc:
            log.warning("sign-in link for %s could not be sent: %s", site, exc)
    return render_template("admin/signin.html", done=True, message=SENT)
