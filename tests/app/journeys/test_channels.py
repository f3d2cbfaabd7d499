"""Each step's channels in order of preference, falling back to one the store can actually use."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError
from sqlalchemy import select

from app import clock
from app.journeys import reconcile
from app.journeys.config import CHANNELS, JourneyConfig
from app.models import Message, Store
from channels.registry import build
from tests.helpers import T0, ingest_order, make_store, order_snapshot

WOO_CREDENTIALS = json.dumps(
    {"url": "https://shop.example", "consumer_key": "ck_1", "consumer_secret": "cs_1"}
)


def channels_by_step(aftercare) -> dict[str, str]:
    with aftercare.db.session() as session:
        return {m.step: m.channel for m in session.scalars(select(Message))}


def journey(**steps: tuple[str, ...]) -> str:
    return json.dumps({"steps": {step: {"channels": list(channels)} for step, channels in steps.items()}})


def test_a_step_goes_by_its_preferred_channel_when_the_store_has_it(aftercare):
    clock.freeze(T0)
    store = make_store(
        aftercare,
        platform="woocommerce",
        credentials=WOO_CREDENTIALS,
        journey=journey(thank_you=("store_note", "smtp")),
    )
    ingest_order(aftercare, store, order_snapshot())
    chosen = channels_by_step(aftercare)
    assert chosen["thank_you"] == "store_note" and chosen["win_back"] == "smtp"  # the others: the store's


def test_a_channel_the_store_cannot_use_falls_back_to_the_next(aftercare):
    """A sandbox store has no customer notes: the preference falls through to its SMTP server."""
    clock.freeze(T0)
    store = make_store(aftercare, journey=journey(thank_you=("store_note", "smtp")))
    ingest_order(aftercare, store, order_snapshot())
    assert channels_by_step(aftercare)["thank_you"] == "smtp"


def test_a_store_without_its_own_server_still_has_email_and_its_own_default(aftercare):
    """Email is every store's from the first order (the operator's relay); a store whose default was
    its mailer keeps it for the steps that name none."""
    clock.freeze(T0)
    store = make_store(
        aftercare,
        platform="woocommerce",
        credentials=WOO_CREDENTIALS,
        own_sender=False,
        channel="store_note",
    )
    ingest_order(aftercare, store, order_snapshot())
    chosen = channels_by_step(aftercare)
    assert chosen["thank_you"] == "store_note"
    with aftercare.db.session() as session:
        assert reconcile.channels_for(session.get(Store, store.id), "thank_you") == ["store_note", "smtp"]


def test_an_unknown_channel_is_refused_by_name():
    with pytest.raises(ValidationError, match="unknown channel\\(s\\): pigeon"):
        JourneyConfig.model_validate({"steps": {"thank_you": {"channels": ["smtp", "pigeon"]}}})


def test_the_settings_offer_exactly_the_channels_the_worker_has(aftercare):
    assert set(CHANNELS) == set(build(aftercare.settings))
