"""The merchant's pages: activity, journey and sender settings, the template editor, the dashboard,
and pause / resume. Server-rendered, one form per action, every query filtered by the signed-in
store; in Arabic and Persian the whole page runs right to left (``words.py``)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pygal
from flask import Blueprint, abort, current_app, flash, g, redirect, request, url_for
from markupsafe import Markup
from pygal.style import Style
from sqlalchemy import select
from werkzeug.wrappers import Response

from app import clock, outbox, stats, stores
from app.journeys import apply as journey_apply
from app.journeys import config as journey_config
from app.journeys.config import CHANNELS
from app.journeys.reasons import Reason
from app.journeys.steps import STEPS, Anchor
from app.links import Links
from app.messages import custom, samples, segments
from app.messages.localise import number
from app.messages.render import LOCALES, Custom, render
from app.messages.sandbox import TemplateProblem
from app.models import Message, MessageStatus, Order, Store
from app.reviews import figures as review_figures
from app.web import current_services
from app.web.admin import auth, settings_form, view, words
from app.web.admin.routes import signed_in_store_id
from channels import send_direct, smtp
from channels.base import ChannelError, Outgoing
from scheduler.dispatch import sender_for

bp = Blueprint("pages", __name__, url_prefix="/admin", template_folder="templates")
UPCOMING = 50
RECENT = 50
PERIODS = (7, 30, 90)
CHART_STYLE = Style(
    background="transparent",
    plot_background="#ffffff",
    colors=("#1f3a34", "#c07a2c", "#5a7fa8", "#9b4d6b", "#6b8f3a", "#7a6fb0", "#b55a3c", "#3c8f8a"),
    font_family="-apple-system, 'Segoe UI', Tahoma, Arial, sans-serif",
)


def _done(said: str, endpoint: str, category: str = "message", **values: Any) -> Any:
    """After a change: redirect to the page with the news in a flash; inside a platform's admin,
    where no cookie carries a flash, answer that page at once with the news on it."""
    if g.get("embedded"):
        g.notices = [(category, said)]
        return current_app.view_functions[endpoint](**values)
    flash(said, category)
    return redirect(url_for(endpoint, **values))


def _store(db: Any) -> Store:
    return db.get(Store, signed_in_store_id()) or abort(401)


# --- activity --------------------------------------------------------------------------------------


@bp.get("/activity")
def activity() -> str:
    with current_services().db.session() as db:
        store = _store(db)
        upcoming = db.scalars(
            select(Message)
            .where(
                Message.store_id == store.id,
                Message.status.in_((MessageStatus.SCHEDULED, MessageStatus.HELD)),
            )
            .order_by(Message.send_at, Message.id)
            .limit(UPCOMING)
        ).all()
        recent = db.scalars(
            select(Message)
            .where(
                Message.store_id == store.id, Message.status.in_((MessageStatus.SENT, MessageStatus.FAILED))
            )
            .order_by(Message.updated_at.desc(), Message.id.desc())
            .limit(RECENT)
        ).all()
        order_ids = sorted({m.order_id for m in [*upcoming, *recent] if m.order_id is not None})
        numbers = dict(
            db.execute(
                select(Order.id, Order.number).where(Order.store_id == store.id, Order.id.in_(order_ids))
            ).all()
        )
        return view.page("admin/activity.html", store, upcoming=upcoming, recent=recent, numbers=numbers)


def _open_message(db: Any, store: Store, message_id: int) -> Message:
    message = db.scalars(
        select(Message).where(
            Message.store_id == store.id,
            Message.id == message_id,
            Message.status.in_((MessageStatus.SCHEDULED, MessageStatus.HELD)),
        )
    ).first()
    if message is None:
        abort(404, description="That message is no longer waiting to be sent.")
    return message


@bp.post("/messages/<int:message_id>/cancel")
def cancel_message(message_id: int) -> Response:
    auth.require_csrf()
    with current_services().db.session() as db:
        store = _store(db)
        message = _open_message(db, store, message_id)
        outbox.cancel(db, message, Reason.of("merchant_cancelled"))
        said = view.translator(store)("The message was cancelled.")
    return _done(said, "pages.activity")


@bp.post("/messages/<int:message_id>/send-now")
def send_now(message_id: int) -> Response:
    """Due at once, outside the send window and the frequency cap; the planner still stops it if the
    order was cancelled or the customer unsubscribed in the meantime."""
    auth.require_csrf()
    with current_services().db.session() as db:
        store = _store(db)
        message = _open_message(db, store, message_id)
        outbox.send_now(db, message)
        said = view.translator(store)("The message goes out within a minute.")
    return _done(said, "pages.activity")


@bp.post("/pause")
def pause() -> Response:
    auth.require_csrf()
    with current_services().db.session() as db:
        store = _store(db)
        stores.pause(db, store)
        said = view.translator(store)("Sending is paused. Messages wait until you resume.")
    return _done(said, "pages.activity")


@bp.post("/resume")
def resume() -> Response:
    auth.require_csrf()
    with current_services().db.session() as db:
        store = _store(db)
        stores.resume(db, store)
        said = view.translator(store)("Sending resumed.")
    return _done(said, "pages.activity")


# --- journey and sender settings -------------------------------------------------------------------


def _journey_page(
    store: Store, form: Any = None, errors: dict[str, str] | None = None, status: int = 200
) -> Any:
    config = journey_config.parse(store.journey)
    rows = []
    for name, step in STEPS.items():
        chosen = config.step(name)
        amount, unit = settings_form.delay_fields(int(config.delay(name).total_seconds() // 60))
        rows.append(
            {
                "name": name,
                "step": step,
                "enabled": chosen.enabled,
                "anchor": chosen.anchor.value if chosen.anchor else "",
                "anchors": [] if step.anchor is Anchor.SHIPMENT_EVENT else _anchors(name),
                "delay": amount,
                "unit": unit,
                "any_hour": config.bypasses_window(name),
                "channels": list(chosen.channels) + [""] * (settings_form.CHOICES - len(chosen.channels)),
            }
        )
    page = view.page(
        "admin/journey.html",
        store,
        replanning=store.replan_requested_at is not None,
        last_replan=journey_apply.last_result(store),
        config=config,
        rows=rows,
        form=form,
        errors=errors or {},
        channels=CHANNELS,
        locales=LOCALES,
        timezones=sorted(settings_form.TIMEZONES),
        units=tuple(settings_form.UNITS),
    )
    return page, status


def _anchors(name: str) -> list[str]:
    anchors = [Anchor.PLACED, Anchor.PAID, Anchor.SHIPPED, Anchor.DELIVERED]
    if name == "review_reminder":
        anchors.append(Anchor.PREVIOUS)
    return [anchor.value for anchor in anchors]


@bp.get("/journey")
def journey() -> Any:
    with current_services().db.session() as db:
        return _journey_page(_store(db))


@bp.post("/journey")
def save_journey() -> Any:
    auth.require_csrf()
    services = current_services()
    parsed = settings_form.parse(request.form, public_only=services.settings.environment == "production")
    with services.db.session() as db:
        store = _store(db)
        t = view.translator(store)
        if parsed.errors or parsed.config is None:
            return _journey_page(store, request.form, parsed.errors, 422)
        for key, value in parsed.store.items():
            setattr(store, key, value)
        # The journey form does not hold the review settings (the Reviews page does): keep them.
        kept = journey_config.parse(store.journey).reviews
        chosen = parsed.config.model_copy(update={"reviews": kept})
        applied = journey_apply.apply(db, store, chosen, services.settings.settings_sync_replan_orders)
        if applied is None:
            return _done(
                t("Saved. Your scheduled messages are being re-planned; this page shows the result."),
                "pages.journey",
            )
        said = _counts(t, view.ui_language(store), applied.moved, applied.cancelled, applied.scheduled)
    return _done(said, "pages.journey")


def _counts(t: Any, lang: str, moved: int, cancelled: int, scheduled: int) -> str:
    said = t("Saved. {moved} scheduled messages moved, {cancelled} cancelled, {scheduled} newly planned.")
    return said.format(
        moved=number(moved, lang), cancelled=number(cancelled, lang), scheduled=number(scheduled, lang)
    )


@bp.post("/journey/test-smtp")
def test_smtp() -> Any:
    """Connect, start TLS and sign in with the saved settings; a failure is the settings page again,
    answered 400 with the reason on it."""
    auth.require_csrf()
    with current_services().db.session() as db:
        store = _store(db)
        t = view.translator(store)
        try:
            smtp.check(sender_for(store))
        except ChannelError as exc:
            g.notices = [("error", t("The SMTP server could not be used: {reason}").format(reason=exc))]
            return _journey_page(store, status=400)
        return _done(t("Connected and signed in to {host}.").format(host=store.smtp_host), "pages.journey")


# --- templates -------------------------------------------------------------------------------------


@bp.get("/templates")
def templates() -> str:
    with current_services().db.session() as db:
        store = _store(db)
        own = {
            (step, locale) for step in STEPS for locale in LOCALES if custom.load(db, store.id, step, locale)
        }
        return view.page("admin/templates.html", store, own=own, locales=LOCALES)


def _editor(
    store: Store, db: Any, step: str, locale: str, wording: Custom, own: bool, problem: str = ""
) -> str:
    links = Links(current_services().settings)
    context = samples.recent_context(db, store, step, locale, links)
    source = "from your latest order" if context is not None else "from a sample order"
    context = context or samples.sample_context(store, step, locale, links)
    preview = {"source": source, "subject": "", "html": "", "short": "", "segments": "", "error": ""}
    try:
        rendered = render(step, locale, context, wording if own or problem else None)
    except TemplateProblem as exc:
        preview["error"] = str(exc)
    else:
        counted = segments.count(rendered.short)
        preview.update(
            subject=rendered.subject,
            html=rendered.html,
            short=rendered.short,
            segments=f"{counted.count} × {counted.encoding} ({counted.characters})",
        )
    return view.page(
        "admin/editor.html",
        store,
        step=step,
        locale=locale,
        wording=wording,
        own=own,
        problem=problem,
        preview=preview,
        variables=custom.VARIABLES,
        filters_help=custom.FILTERS_HELP,
    )


def _editable(step: str, locale: str) -> None:
    if not custom.editable(step, locale):
        abort(404, description="There is no such step or language to edit.")


@bp.get("/templates/<step>/<locale>")
def template_editor(step: str, locale: str) -> str:
    _editable(step, locale)
    with current_services().db.session() as db:
        store = _store(db)
        wording, own = custom.current(db, store.id, step, locale)
        return _editor(store, db, step, locale, wording, own)


@bp.post("/templates/<step>/<locale>")
def save_template(step: str, locale: str) -> Any:
    auth.require_csrf()
    _editable(step, locale)
    wording = Custom(**{field: request.form.get(field, "") for field in ("subject", "body", "short")})
    with current_services().db.session() as db:
        store = _store(db)
        try:
            custom.save(db, store, step, locale, wording, Links(current_services().settings))
        except TemplateProblem as problem:
            own = custom.load(db, store.id, step, locale) is not None
            return _editor(store, db, step, locale, wording, own, problem=str(problem)), 422
        said = view.translator(store)("Saved. New messages use this wording.")
    return _done(said, "pages.template_editor", step=step, locale=locale)


@bp.post("/templates/<step>/<locale>/reset")
def reset_template(step: str, locale: str) -> Response:
    auth.require_csrf()
    _editable(step, locale)
    with current_services().db.session() as db:
        store = _store(db)
        custom.reset(db, store.id, step, locale)
        said = view.translator(store)("Back to our wording.")
    return _done(said, "pages.template_editor", step=step, locale=locale)


@bp.post("/templates/<step>/<locale>/test")
def send_test(step: str, locale: str) -> Response:
    """The step as the store's latest order would get it (or a sample), with the wording in use, sent
    now to the store's own address through its email channel, marked as a test."""
    auth.require_csrf()
    _editable(step, locale)
    services = current_services()
    links = Links(services.settings)
    with services.db.session() as db:
        store = _store(db)
        t = view.translator(store)
        to = store.reply_to or store.sender_email
        target = {"step": step, "locale": locale}
        if not to:
            said = t("Set your sender or reply-to address first; the test goes there.")
            return _done(said, "pages.template_editor", "error", **target)
        context = samples.recent_context(db, store, step, locale, links) or samples.sample_context(
            store, step, locale, links
        )
        try:  # checked when saved, but a newer order may hold what the wording cannot take
            rendered = render(step, locale, context, custom.load(db, store.id, step, locale))
        except TemplateProblem as problem:
            said = t("The test could not be sent: {reason}").format(reason=problem)
            return _done(said, "pages.template_editor", "error", **target)
        outgoing = Outgoing(
            message_id=f"<aftercare.test.{store.id}.{step}.{clock.now().timestamp():.0f}@aftercare.invalid>",
            to_address=to,
            to_name=store.name,
            subject=f"[{t('Test')}] {rendered.subject}",
            text=rendered.text,
            html=rendered.html,
            locale=rendered.locale,
            step=step,
        )
        sender = sender_for(store)
    try:
        send_direct(services.settings, sender, outgoing)
    except ChannelError as exc:
        return _done(
            t("The test could not be sent: {reason}").format(reason=exc),
            "pages.template_editor",
            "error",
            **target,
        )
    return _done(t("A test was sent to {address}.").format(address=to), "pages.template_editor", **target)


# --- dashboard -------------------------------------------------------------------------------------


def _chart(
    title: str, days: list[Any], series: dict[str, list[float]], lang: str, *, stacked: bool = True
) -> Markup:
    chart = (pygal.StackedBar if stacked else pygal.Line)(
        style=CHART_STYLE,
        height=260,
        width=720,
        show_legend=len(series) > 1,
        legend_at_bottom=True,
        x_label_rotation=0,
        show_minor_x_labels=False,
        disable_xml_declaration=True,
        explicit_size=False,
        title=title,
        print_values=False,
        dots_size=2,
    )
    chart.x_labels = [number(day.day, lang) for day in days]
    chart.x_labels_major = [number(day.day, lang) for day in days[:: max(1, len(days) // 8)]]
    for name, values in series.items():
        chart.add(name, values)
    return Markup(chart.render(is_unicode=True))  # noqa: S704 - pygal's SVG, our own data escaped by pygal


@bp.get("/dashboard")
def dashboard() -> str:
    period = request.args.get("days", "30")
    days = int(period) if period.isdigit() and int(period) in PERIODS else 30
    with current_services().db.session() as db:
        store = _store(db)
        lang = view.ui_language(store)
        t = words.translator(lang)
        numbers = stats.collect(db, store, days)
        step_title = {name: t(step.title) for name, step in STEPS.items()}
        sent_series = {
            step_title.get(name, name): [numbers.sent[name][day] for day in numbers.days]
            for name in STEPS
            if name in numbers.sent
        }
        charts = {
            "sent": _chart(
                t("Messages sent per step"), numbers.days, sent_series or {t("Sent"): [0] * days}, lang
            ),
            "engagement": _chart(
                t("Clicks, reviews and delivery failures"),
                numbers.days,
                {
                    t("Clicks"): [numbers.clicks[day] for day in numbers.days],
                    t("Reviews"): [numbers.reviews[day] for day in numbers.days],
                    t("Failures"): [numbers.failed[day] for day in numbers.days],
                },
                lang,
                stacked=False,
            ),
            "revenue": _chart(
                t("Revenue from orders placed after a click"),
                numbers.days,
                {
                    currency: [float(values[day]) for day in numbers.days]
                    for currency, values in numbers.revenue.items()
                }
                or {store.currency: [0] * days},
                lang,
                stacked=False,
            ),
        }
        return view.page(
            "admin/dashboard.html",
            store,
            numbers=numbers,
            charts=charts,
            days=days,
            periods=PERIODS,
            window=journey_config.parse(store.journey).attribution_days,
            since=numbers.days[0],
            until=numbers.days[-1],
            timedelta=timedelta,
            reviews=review_figures.collect(db, store, days),
        )
