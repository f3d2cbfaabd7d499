"""The merchant's sending page: who their messages come from, each channel's settings (a form built
from the channel's own model), their domain's DNS records with a check, the SMTP connection test and
a test message. Every write is CSRF-checked and filtered by the signed-in store."""

from __future__ import annotations

from collections import Counter
from typing import Any

from flask import Blueprint, abort, g, request
from markupsafe import escape
from sqlalchemy.orm import Session
from werkzeug.datastructures import MultiDict

from app import channel_settings, clock, domains
from app.journeys.steps import STEPS
from app.models import Store
from app.web import current_services, twilio_webhooks
from app.web.admin import auth, channel_form, view
from app.web.admin.pages.common import done as _done
from app.web.admin.pages.common import signed_in_store as _store
from channels import registry
from channels.base import ChannelError, Outgoing, StoreContext
from channels.smtp import NO_SENDER, Relay, Server, SmtpChannel, SmtpSettings, check
from channels.whatsapp import WhatsAppState

bp = Blueprint("sending", __name__, url_prefix="/admin/sending", template_folder="templates")
RECORD_STATUSES = ("ok", "missing", "wrong", "unchecked")
# WhatsApp's verdicts on a template, as the merchant reads them ("received": Twilio has the request)
TEMPLATE_STATUSES = {
    "received": "sent for approval",
    "pending": "pending",
    "approved": "approved",
    "rejected": "rejected",
    "paused": "paused",
    "disabled": "disabled",
}


def words_shown() -> set[str]:
    """Sentences the page shows from data (channel and field titles, record statuses, banner causes)."""
    shown = {*RECORD_STATUSES, NO_SENDER, "a channel is unreachable", *TEMPLATE_STATUSES.values(), "unknown"}
    for name, kind in registry.KINDS.items():
        shown.add(kind.title)
        shown.add(f"{name} is unreachable")
        if kind.Settings is not None:
            shown.update(item.title for item in channel_form.fields(name, kind.Settings))
    return shown


def _identity(store: Store, db: Session) -> dict[str, str]:
    """Where the store's email comes from now, in words for the page."""
    settings = current_services().settings
    ctx = channel_settings.context(db, store)
    email = SmtpChannel(Relay.from_settings(settings.platform_smtp_url, settings.sending_domain))
    try:
        route = email.route(ctx)
    except ChannelError:
        return {"mode": "none", "from": "", "reply_to": store.reply_to or ""}
    mode = "own_server" if "smtp" in ctx.settings else ("own_domain" if ctx.domain else "relay")
    return {"mode": mode, "from": f"{route.from_name} <{route.from_email}>", "reply_to": route.reply_to or ""}


def _templates(ctx: StoreContext) -> dict[str, Any] | None:
    """How WhatsApp answered each step's templates on the store's account: counts by status, and the
    refused ones with WhatsApp's reason (None when WhatsApp is not set up)."""
    state = ctx.state.get("whatsapp")
    if not isinstance(state, WhatsAppState):
        return None
    counts = Counter(
        TEMPLATE_STATUSES.get(template.status, "unknown") for template in state.templates.values()
    )
    rejected = sorted(
        (STEPS[step].title, locale, template.reason)
        for (step, locale), template in state.templates.items()
        if template.status == "rejected" and step in STEPS
    )
    return {"counts": sorted(counts.items()), "rejected": rejected}


def _page(
    store: Store,
    db: Session,
    form: MultiDict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Any:
    settings = current_services().settings
    ctx = channel_settings.context(db, store)
    channels = []
    for name, kind in registry.KINDS.items():
        model = kind.Settings
        if model is None or (name == "flow" and store.platform != "shopify"):
            continue
        saved = ctx.settings.get(name)
        rows = [
            (
                item,
                form.get(item.key, "")
                if form is not None and item.kind != "password"
                else channel_form.shown(saved, item),
            )
            for item in channel_form.fields(name, model)
        ]
        channels.append({"name": name, "title": kind.title, "saved": saved is not None, "fields": rows})
    domain = domains.current(db, store)
    records = domains.last_check(settings, domain) if domain is not None else []
    page = view.page(
        "admin/sending.html",
        store,
        identity=_identity(store, db),
        channels=channels,
        domain=domain,
        records=records,
        errors=errors or {},
        relay=bool(settings.platform_smtp_url and settings.sending_domain),
        incoming=twilio_webhooks.address(settings.public_url, store.id),
        templates=_templates(ctx),
    )
    return page, status


@bp.get("")
def page() -> Any:
    with current_services().db.session() as db:
        return _page(_store(db), db)


@bp.post("/channels/<name>")
def save_channel(name: str) -> Any:
    auth.require_csrf()
    model = registry.settings_model(name)
    if model is None:
        abort(404, description="There is no such channel to set up.")
    services = current_services()
    with services.db.session() as db:
        store = _store(db)
        t = view.translator(store)
        saved = channel_settings.context(db, store).settings.get(name)
        result = channel_form.parse(
            name, model, request.form, saved, public_only=services.settings.is_production
        )
        if result.errors:
            return _page(store, db, request.form, result.errors, 422)
        channel_settings.save(db, store, name, result.settings)
        said = t("Saved.") if result.settings is not None else t("Removed.")
    return _done(said, "sending.page")


@bp.post("/test-smtp")
def test_smtp() -> Any:
    """Connect, start TLS and sign in with the saved settings; a failure is the page again, 400."""
    auth.require_csrf()
    with current_services().db.session() as db:
        store = _store(db)
        t = view.translator(store)
        own = channel_settings.context(db, store).of("smtp", SmtpSettings)
        try:
            if own is None:
                raise ChannelError(t("no SMTP server is set"))
            check(Server(own.host, own.port, own.security, own.username, own.password))
        except ChannelError as exc:
            g.notices = [("error", t("The SMTP server could not be used: {reason}").format(reason=exc))]
            return _page(store, db, status=400)
        return _done(t("Connected and signed in to {host}.").format(host=own.host), "sending.page")


@bp.post("/domain")
def start_domain() -> Any:
    auth.require_csrf()
    with current_services().db.session() as db:
        store = _store(db)
        t = view.translator(store)
        try:
            domains.start(db, store, request.form.get("from_email", "")[:320])
        except domains.DomainProblem as exc:
            return _page(store, db, request.form, {"from_email": str(exc)}, 422)
        said = t("Add these records at your domain's DNS provider, then check them.")
    return _done(said, "sending.page")


@bp.post("/domain/check")
def check_domain() -> Any:
    auth.require_csrf()
    services = current_services()
    with services.db.session() as db:
        store = _store(db)
        t = view.translator(store)
        domain = domains.current(db, store)
        if domain is None:
            abort(404, description="Enter your address first.")
        checked = domains.check(services.settings, db, domain)
        ok = all(record.status == "ok" for record in checked)
        said = (
            t("Your domain is authenticated: messages now come from {address}.").format(
                address=domain.from_email
            )
            if ok
            else t("Some records are missing or wrong; see below.")
        )
    return _done(said, "sending.page", "message" if ok else "error")


@bp.post("/test")
def send_test() -> Any:
    """A short test email to the store's own address, through the route its messages take."""
    auth.require_csrf()
    services = current_services()
    with services.db.session() as db:
        store = _store(db)
        t = view.translator(store)
        if not store.reply_to:
            return _done(t("Set your store's address first; the test goes there."), "sending.page", "error")
        ctx = channel_settings.context(db, store)
        to = store.reply_to
    domain = services.settings.sending_domain or "aftercare.invalid"
    text = t("This is a test from Aftercare: your customers' messages will look like they come from here.")
    outgoing = Outgoing(
        message_id=f"<aftercare.test.{store.id}.{clock.now().timestamp():.0f}@{domain}>",
        to_address=to,
        to_name=ctx.name,
        subject=f"[{t('Test')}] {ctx.name}",
        text=text,
        html=f"<p>{escape(text)}</p>",
    )
    try:
        registry.send_direct(services.settings, ctx, outgoing)
    except ChannelError as exc:
        return _done(t("The test could not be sent: {reason}").format(reason=exc), "sending.page", "error")
    return _done(t("A test was sent to {address}.").format(address=to), "sending.page")
