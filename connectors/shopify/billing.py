"""Shopify's Billing API: the app's plans as recurring app subscriptions.

``appSubscriptionCreate`` answers a ``confirmationUrl`` the merchant opens to approve the charge;
Shopify then sends them to our ``returnUrl`` with ``charge_id``. We believe no return address: the
subscription's status is read back from ``currentAppInstallation`` (the only subscriptions an app can
see are its own on the shop that signed the token). Shopify cancels an app's subscription itself when
the app is uninstalled, and revokes our token at the same moment, so nothing is called then.

Pure: queries and their answers; the caller owns the client (``ShopifyClient``) and the database.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from connectors.base import PayloadError

CREATE = """
mutation AppSubscriptionCreate($name: String!, $lineItems: [AppSubscriptionLineItemInput!]!,
    $returnUrl: URL!, $trialDays: Int, $test: Boolean) {
  appSubscriptionCreate(name: $name, lineItems: $lineItems, returnUrl: $returnUrl,
      trialDays: $trialDays, test: $test, replacementBehavior: APPLY_IMMEDIATELY) {
    appSubscription { id name status test trialDays }
    confirmationUrl
    userErrors { field message }
  }
}
"""

ACTIVE = """
query ActiveSubscriptions {
  currentAppInstallation {
    activeSubscriptions { id name status test trialDays currentPeriodEnd createdAt }
  }
}
"""

CANCEL = """
mutation AppSubscriptionCancel($id: ID!) {
  appSubscriptionCancel(id: $id, prorate: true) {
    appSubscription { id status }
    userErrors { field message }
  }
}
"""


@dataclass(frozen=True)
class Subscription:
    """One app subscription as Shopify reports it."""

    ref: str  # gid://shopify/AppSubscription/...
    name: str
    status: str  # PENDING, ACCEPTED, ACTIVE, DECLINED, EXPIRED, FROZEN, CANCELLED
    test: bool
    trial_days: int


def create(
    client: Any, *, name: str, price: Decimal, currency: str, return_url: str, trial_days: int, test: bool
) -> tuple[Subscription, str]:
    """A pending subscription and the address where the merchant approves it."""
    variables = {
        "name": name,
        "returnUrl": return_url,
        "trialDays": trial_days,
        "test": test,
        "lineItems": [
            {
                "plan": {
                    "appRecurringPricingDetails": {
                        "interval": "EVERY_30_DAYS",
                        "price": {"amount": str(price), "currencyCode": currency},
                    }
                }
            }
        ],
    }
    answer = client.execute(CREATE, variables)["appSubscriptionCreate"]
    _refuse(answer)
    subscription = _subscription(answer["appSubscription"])
    return subscription, str(answer["confirmationUrl"])


def active(client: Any) -> list[Subscription]:
    """The shop's active subscriptions of this app (ACTIVE, or ACCEPTED and not yet started)."""
    installation = client.execute(ACTIVE)["currentAppInstallation"] or {}
    return [_subscription(node) for node in installation.get("activeSubscriptions") or ()]


def cancel(client: Any, ref: str) -> str:
    """Cancel a subscription (the merchant chose the free plan); its status as Shopify now says."""
    answer = client.execute(CANCEL, {"id": ref})["appSubscriptionCancel"]
    _refuse(answer)
    return str((answer.get("appSubscription") or {}).get("status") or "CANCELLED")


def _subscription(node: dict[str, Any]) -> Subscription:
    return Subscription(
        ref=str(node["id"]),
        name=str(node.get("name") or ""),
        status=str(node.get("status") or ""),
        test=bool(node.get("test")),
        trial_days=int(node.get("trialDays") or 0),
    )


def _refuse(answer: dict[str, Any]) -> None:
    errors = answer.get("userErrors") or []
    if errors:
        raise PayloadError("; ".join(str(error.get("message")) for error in errors))
