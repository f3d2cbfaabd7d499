"""The plans. A free tier by monthly message volume, two paid tiers with a trial.

The volume counts messages sent to customers in the store's calendar month (tests sent to the
merchant and alerts to the merchant do not count). Prices are in USD, as Shopify's app charges are.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class Plan:
    key: str
    title: str  # English; the pages translate it
    monthly_messages: int
    price: Decimal  # per 30 days, USD; 0 for the free tier
    trial_days: int = 0

    @property
    def free(self) -> bool:
        return self.price == 0


PLANS: dict[str, Plan] = {
    plan.key: plan
    for plan in (
        Plan("free", "Free", 300, Decimal("0")),
        Plan("growth", "Growth", 3_000, Decimal("19.00"), trial_days=14),
        Plan("scale", "Scale", 20_000, Decimal("79.00"), trial_days=14),
    )
}
FREE = PLANS["free"]
CURRENCY = "USD"


def get(key: str | None) -> Plan:
    """The plan by key; an unknown key (a plan withdrawn since) is the free tier."""
    return PLANS.get(key or "", FREE)
