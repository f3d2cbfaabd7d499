"""A store's journey settings: what the merchant edits, validated, stored as JSON on the store.

Every field has the default from DESIGN.md, so a store that never opened the settings page runs the
standard journey. Validation errors name the field (pydantic), which the settings page shows as is.
"""

from __future__ import annotations

import functools
import logging
from datetime import time, timedelta
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from app.journeys.steps import STEPS, Anchor, Kind
from channels.registry import NAMES as CHANNELS  # the one list of channels

log = logging.getLogger(__name__)


OFFER_STEPS = frozenset(name for name, step in STEPS.items() if step.kind is Kind.MARKETING)


class OfferConfig(BaseModel):
    """The code a marketing step carries: made in the store for that one customer at send time, used
    once, valid for ``days``. ``value`` 0 turns the step's offer off."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["percent", "amount"] = "percent"  # a percentage off, or an amount in the store's currency
    value: Decimal = Field(default=Decimal(10), ge=0, le=Decimal(100000), decimal_places=2)
    days: int = Field(default=30, ge=1, le=365)

    @model_validator(mode="after")
    def _percent(self) -> OfferConfig:
        if self.kind == "percent" and self.value > 100:
            raise ValueError("a percentage off is at most 100")
        return self

    @property
    def on(self) -> bool:
        return self.value > 0


DEFAULT_OFFERS = {"win_back": OfferConfig()}  # DESIGN.md: the come-back offer carries a code


class StepConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = True
    anchor: Anchor | None = None  # None: the step's default
    delay_minutes: int | None = Field(default=None, ge=0, le=365 * 24 * 60)
    bypass_window: bool | None = None  # None: transactional steps bypass, the others do not
    channels: tuple[str, ...] = ()  # in order of preference; empty: the store's default channel
    offer: OfferConfig | None = None  # None: the step's default (the come-back offer's 10% for 30 days)

    @field_validator("channels")
    @classmethod
    def _known_channels(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        unknown = [name for name in value if name not in CHANNELS]
        if unknown:
            raise ValueError(f"unknown channel(s): {', '.join(unknown)} (choose from {', '.join(CHANNELS)})")
        return value


class ReviewConfig(BaseModel):
    """What the merchant decides about reviews (the Reviews page edits it)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    low_rating: int = Field(default=2, ge=0, le=4)  # this many stars or fewer: never published by itself
    auto_publish_from: int = Field(default=0, ge=0, le=5)  # 0: the merchant approves every review
    blocked_words: tuple[str, ...] = ()  # a review holding one of these waits for the merchant
    reward_percent: int = Field(default=0, ge=0, le=90)  # a thank-you code for an approved review
    photo_reward_percent: int = Field(default=0, ge=0, le=90)  # instead, when it has a photo
    reward_days: int = Field(default=60, ge=1, le=365)
    nps: bool = False  # the check-in asks the 0-10 question

    @field_validator("blocked_words")
    @classmethod
    def _words(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        cleaned = tuple(dict.fromkeys(word.strip().lower() for word in value if word.strip()))
        if len(cleaned) > 200 or any(len(word) > 60 for word in cleaned):
            raise ValueError("at most 200 words of at most 60 characters each")
        return cleaned


DEFAULT_STEP = StepConfig()  # a step the merchant never set (frozen: one for all; built once, not per ask)


class JourneyConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    steps: dict[str, StepConfig] = Field(default_factory=dict)
    window_start: time = time(9, 0)
    window_end: time = time(20, 0)
    quiet_days: tuple[int, ...] = ()  # 0 = Monday .. 6 = Sunday, in the customer's local calendar
    skip_public_holidays: bool = False  # of the customer's country
    frequency_cap_hours: float = Field(default=16.0, ge=0, le=24 * 14)
    delivered_fallback_days: int = Field(default=10, ge=1, le=60)  # "delivered" never came: shipped + N
    merge_review_days: int = Field(default=3, ge=0, le=30)  # orders this close share one review request
    win_back_coupon: str | None = Field(default=None, max_length=64)
    solar_hijri: bool = True  # Persian messages date things in the Solar Hijri calendar
    open_pixel: bool = False  # count opens with a 1x1 image (off: many readers find it intrusive)
    attribution_days: int = Field(default=7, ge=1, le=90)  # an order this soon after a click counts for it
    reviews: ReviewConfig = Field(default_factory=ReviewConfig)

    @field_validator("steps")
    @classmethod
    def _known_steps(cls, value: dict[str, StepConfig]) -> dict[str, StepConfig]:
        unknown = sorted(set(value) - set(STEPS))
        if unknown:
            raise ValueError(f"unknown step(s): {', '.join(unknown)}")
        for name, config in value.items():
            fixed = STEPS[name].anchor is Anchor.SHIPMENT_EVENT
            if config.anchor is not None and (fixed or config.anchor is Anchor.SHIPMENT_EVENT):
                raise ValueError(
                    f"{name}: the anchor of a tracking step is the carrier's event and cannot change"
                )
            if config.anchor is Anchor.PREVIOUS and name not in ("review_reminder",):
                raise ValueError(f"{name}: only the review reminder can follow a previous step")
            if config.offer is not None and config.offer.on and name not in OFFER_STEPS:
                raise ValueError(f"{name}: only marketing steps may carry an offer")
        return value

    @field_validator("quiet_days")
    @classmethod
    def _weekdays(cls, value: tuple[int, ...]) -> tuple[int, ...]:
        if any(day not in range(7) for day in value):
            raise ValueError("quiet days are weekday numbers 0 (Monday) to 6 (Sunday)")
        if len(set(value)) == 7:
            raise ValueError("at least one day of the week must allow sending")
        return tuple(sorted(set(value)))

    @model_validator(mode="after")
    def _window(self) -> JourneyConfig:
        if self.window_end <= self.window_start:
            raise ValueError("the send window must end after it starts")
        return self

    # --- resolved values ---------------------------------------------------------------------------

    def step(self, name: str) -> StepConfig:
        return self.steps.get(name, DEFAULT_STEP)

    def anchor(self, name: str) -> Anchor:
        return self.step(name).anchor or STEPS[name].anchor

    def delay(self, name: str) -> timedelta:
        minutes = self.step(name).delay_minutes
        return STEPS[name].delay if minutes is None else timedelta(minutes=minutes)

    def bypasses_window(self, name: str) -> bool:
        configured = self.step(name).bypass_window
        return STEPS[name].kind is Kind.TRANSACTIONAL if configured is None else configured

    def offer(self, name: str) -> OfferConfig | None:
        """The code this step's messages carry, if any. A merchant who typed one shared come-back code
        (``win_back_coupon``) and set no offer keeps that code instead."""
        configured = self.step(name).offer
        if configured is None:
            if name == "win_back" and self.win_back_coupon:
                return None
            configured = DEFAULT_OFFERS.get(name)
        return configured if configured is not None and configured.on else None

    @property
    def frequency_cap(self) -> timedelta:
        return timedelta(hours=self.frequency_cap_hours)


DEFAULT = JourneyConfig()


@functools.lru_cache(maxsize=1024)
def parse(raw: str | None) -> JourneyConfig:
    """The stored JSON, or the defaults; a stored value that no longer validates falls back to them.
    Cached by the JSON itself (the model is frozen): every plan of every order asks for it."""
    if not raw:
        return DEFAULT
    try:
        return JourneyConfig.model_validate_json(raw)
    except ValidationError as exc:
        # Saved values are validated on save; only a code change can make one invalid. Run the
        # defaults rather than stop the store's journeys, and say so loudly.
        log.error("stored journey settings no longer validate, using defaults: %s", exc)
        return DEFAULT
