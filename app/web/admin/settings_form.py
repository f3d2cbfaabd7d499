"""The journey settings form: read it, validate it, and say exactly what is wrong.

One form holds the store-wide settings (language, time zone, the name and address the store's messages
come from) and a row per step. Journey values are validated by ``JourneyConfig`` (pydantic), store
values here; every problem is a sentence keyed by the form field it belongs to, so the page can show
it beside that field. Each channel's own settings are its model's to check (``channel_form``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import time
from decimal import Decimal
from typing import Any
from zoneinfo import available_timezones

from email_validator import EmailNotValidError, validate_email
from pydantic import ValidationError
from sqlalchemy import String
from werkzeug.datastructures import MultiDict

from app.journeys.config import CHANNELS, OFFER_STEPS, JourneyConfig, OfferConfig
from app.journeys.steps import STEPS, Anchor
from app.messages.render import LOCALES
from app.models import Store

UNITS = {"minutes": 1, "hours": 60, "days": 24 * 60}
CHOICES = 3  # channels a step may list in order of preference
TIMEZONES = frozenset(available_timezones())
WEEKDAYS = tuple("0123456")  # the boxes' values, Monday to Sunday ("" and "0123" are in the string)


@dataclass
class Parsed:
    config: JourneyConfig | None = None
    store: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)


def delay_fields(minutes: int) -> tuple[int, str]:
    """A delay as the form shows it: the largest whole unit."""
    for unit in ("days", "hours"):
        if minutes and minutes % UNITS[unit] == 0:
            return minutes // UNITS[unit], unit
    return minutes, "minutes"


OFFER_KINDS = ("percent", "amount")


def offer_fields(config: JourneyConfig, name: str) -> dict[str, Any]:
    """A marketing step's offer as the form shows it: value 0 means the step carries no code."""
    offer = config.offer(name)
    shown = offer or OfferConfig(value=Decimal(0))
    value = shown.value.normalize() if shown.value == shown.value.to_integral() else shown.value
    return {"value": f"{value:f}", "kind": shown.kind, "days": shown.days}


def _offer(form: MultiDict[str, str], prefix: str, parsed: Parsed) -> dict[str, Any] | None:
    """The step's offer from its three fields; None when the form did not show them."""
    raw = form.get(prefix + "offer_value")
    if raw is None:
        return None
    kind, days = form.get(prefix + "offer_kind", "percent"), form.get(prefix + "offer_days", "").strip()
    if not re.fullmatch(r"\d{1,6}(\.\d{1,2})?", raw.strip() or "0"):
        parsed.errors[prefix + "offer_value"] = "Enter an amount such as 10 or 7.50 (0: no code)."
        return None
    if kind not in OFFER_KINDS:
        parsed.errors[prefix + "offer_kind"] = "Choose a percentage or an amount."
        return None
    if not re.fullmatch(r"\d{1,3}", days):
        parsed.errors[prefix + "offer_days"] = "Enter a whole number of days."
        return None
    return {"kind": kind, "value": raw.strip() or "0", "days": int(days)}


def parse(form: MultiDict[str, str], *, public_only: bool) -> Parsed:
    parsed = Parsed()
    journey: dict[str, Any] = {"steps": {}}
    for name, step in STEPS.items():
        prefix = f"step.{name}."
        row: dict[str, Any] = {"enabled": form.get(prefix + "enabled") == "on"}
        anchor = form.get(prefix + "anchor", "")
        if anchor:
            row["anchor"] = anchor
        amount, unit = form.get(prefix + "delay", "").strip(), form.get(prefix + "unit", "days")
        if amount:
            if not re.fullmatch(r"\d{1,6}", amount) or unit not in UNITS:
                parsed.errors[prefix + "delay"] = "The delay is a whole number of minutes, hours or days."
            else:
                row["delay_minutes"] = int(amount) * UNITS[unit]
        row["bypass_window"] = form.get(prefix + "any_hour") == "on"
        chosen = [form.get(f"{prefix}channel{n}", "") for n in range(1, CHOICES + 1)]
        row["channels"] = [choice for choice in dict.fromkeys(chosen) if choice]
        if step.anchor is Anchor.SHIPMENT_EVENT:
            row.pop("anchor", None)
        if name in OFFER_STEPS and (offer := _offer(form, prefix, parsed)) is not None:
            row["offer"] = offer
        journey["steps"][name] = row
    journey["quiet_days"] = [int(day) for day in form.getlist("quiet_days") if day in WEEKDAYS]
    for key in ("window_start", "window_end"):
        value = form.get(key, "")
        try:
            journey[key] = time.fromisoformat(value).isoformat()
        except ValueError:
            parsed.errors[key] = "Use a time such as 09:00."
    for key in ("frequency_cap_hours", "delivered_fallback_days", "merge_review_days", "attribution_days"):
        value = form.get(key, "").strip()
        if not re.fullmatch(r"\d{1,4}(\.\d+)?", value):
            parsed.errors[key] = "Enter a number."
        else:
            journey[key] = float(value) if key == "frequency_cap_hours" else int(float(value))
    journey["win_back_coupon"] = form.get("win_back_coupon", "").strip() or None
    for key in ("skip_public_holidays", "solar_hijri", "open_pixel"):
        journey[key] = form.get(key) == "on"
    if not parsed.errors:
        try:
            parsed.config = JourneyConfig.model_validate(journey)
        except ValidationError as exc:
            for error in exc.errors():
                location = ".".join(str(part) for part in error["loc"]) or "journey"
                key = location.replace("steps.", "step.", 1)
                parsed.errors[key] = error["msg"].removeprefix("Value error, ")
    _store_fields(form, parsed, public_only=public_only)
    return parsed


def _store_fields(form: MultiDict[str, str], parsed: Parsed, *, public_only: bool) -> None:
    values = {key: form.get(key, "").strip() for key in STORE_FIELDS}
    errors = parsed.errors
    if values["default_locale"] not in LOCALES:
        errors["default_locale"] = "Choose English, Arabic or Persian."
    if values["timezone"] not in TIMEZONES:
        errors["timezone"] = "Choose a time zone from the list, such as Asia/Riyadh."
    if values["reply_to"]:
        try:
            values["reply_to"] = validate_email(values["reply_to"], check_deliverability=False).normalized
        except EmailNotValidError as exc:
            errors["reply_to"] = str(exc)
    for key, value in values.items():  # last: whatever else is wrong, the column must hold it
        if len(value) > LENGTHS.get(key, len(value)):
            errors[key] = f"At most {LENGTHS[key]} characters."
    store: dict[str, Any] = {key: value or None for key, value in values.items()}
    store["default_locale"] = values["default_locale"]
    store["timezone"] = values["timezone"]
    parsed.store = store


def _sentence(problem: str) -> str:
    """A problem phrase as the sentence shown beside its field (a host name keeps its own case)."""
    return (problem[0].upper() + problem[1:] if problem.startswith("the ") else problem) + "."


STORE_FIELDS = ("default_locale", "timezone", "sender_name", "reply_to")
CHANNEL_CHOICES = CHANNELS
# What each store column holds, from the model: a longer value is the merchant's to shorten, not a 500.
LENGTHS: dict[str, int] = {
    column.key: column.type.length
    for column in Store.__table__.columns
    if column.key in STORE_FIELDS and isinstance(column.type, String) and column.type.length
}
