"""The catalogue of journey steps and their defaults (DESIGN.md, "Journey defaults")."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum


class Kind(StrEnum):
    """What a message is, for consent: transactional messages need none, the rest can be refused."""

    TRANSACTIONAL = "transactional"
    SERVICE = "service"
    REVIEW = "review"
    MARKETING = "marketing"


@dataclass(frozen=True)
class Step:
    name: str
    kind: Kind
    delay: timedelta  # after the anchor
    # A message whose anchor is older than this is not sent at all: a thank-you for an order placed
    # weeks ago (a backfill, a long outage) would confuse the customer more than it pleases them.
    max_lateness: timedelta
    title: str  # how the merchant sees the step named


THANK_YOU = Step(
    name="thank_you",
    kind=Kind.TRANSACTIONAL,
    delay=timedelta(0),
    max_lateness=timedelta(hours=48),
    title="Thank-you note",
)

STEPS: dict[str, Step] = {step.name: step for step in (THANK_YOU,)}
