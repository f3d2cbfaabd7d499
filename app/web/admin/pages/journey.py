"""The journey settings: each step, when messages may go, the store, and the sender and channels."""

from __future__ import annotations

from typing import Any

from flask import request

from app.journeys import apply as journey_apply
from app.journeys import config as journey_config
from app.journeys.config import CHANNELS, OFFER_STEPS
from app.journeys.steps import STEPS, Anchor
from app.messages.localise import number
from app.messages.render import LOCALES
from app.models import Store
from app.web import current_services
from app.web.admin import auth, checklist, settings_form, view
from app.web.admin.pages.common import bp, done, signed_in_store


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
                "offer": settings_form.offer_fields(config, name) if name in OFFER_STEPS else None,
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
        return _journey_page(signed_in_store(db))


@bp.post("/journey")
def save_journey() -> Any:
    auth.require_csrf()
    services = current_services()
    parsed = settings_form.parse(request.form, public_only=services.settings.environment == "production")
    with services.db.session() as db:
        store = signed_in_store(db)
        t = view.translator(store)
        if parsed.errors or parsed.config is None:
            return _journey_page(store, request.form, parsed.errors, 422)
        for key, value in parsed.store.items():
            setattr(store, key, value)
        checklist.mark(store, "journey")
        # The journey form does not hold the review settings (the Reviews page does): keep them.
        kept = journey_config.parse(store.journey).reviews
        chosen = parsed.config.model_copy(update={"reviews": kept})
        applied = journey_apply.apply(db, store, chosen, services.settings.settings_sync_replan_orders)
        if applied is None:
            return done(
                t("Saved. Your scheduled messages are being re-planned; this page shows the result."),
                "pages.journey",
            )
        said = _counts(t, view.ui_language(store), applied.moved, applied.cancelled, applied.scheduled)
    return done(said, "pages.journey")


def _counts(t: Any, lang: str, moved: int, cancelled: int, scheduled: int) -> str:
    said = t("Saved. {moved} scheduled messages moved, {cancelled} cancelled, {scheduled} newly planned.")
    return said.format(
        moved=number(moved, lang), cancelled=number(cancelled, lang), scheduled=number(scheduled, lang)
    )
