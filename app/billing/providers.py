"""Charging a store for its plan through its platform: Shopify's Billing API, or the operator's hook.

A provider answers ``subscribe`` with either the address where the merchant approves the charge or
None when the plan is in force at once; ``confirm`` reads the charge back after the merchant returns;
``refresh`` re-reads it on an App Home visit; ``cancel`` ends it; ``ended`` ends it because the store
left (uninstalled, or disconnected: its keys revoked). Each changes the store only through
``app.billing.state``. Registration is a plain dict keyed by platform.

A store that left still on a paid plan is the worker's to end (``end_departed``, the ``billing`` job):
a billing hook that cannot be reached leaves the plan in place, and the next run asks again, so the
operator is always told and never charges a store that is gone.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Protocol

from app.billing import hook, plans, state
from app.config import Settings
from app.db import Database
from app.models import Store, StoreStatus
from connectors.base import AuthError, PayloadError, TransientError

log = logging.getLogger(__name__)
SHOPIFY_LIVE = frozenset({"ACTIVE", "ACCEPTED"})
SHOPIFY_ENDED = frozenset({"DECLINED", "EXPIRED", "FROZEN", "CANCELLED"})


class BillingError(Exception):
    """The charge could not be made or read now; the store's plan is unchanged. Its text is for the
    merchant."""


class Provider(Protocol):
    def subscribe(self, store: Store, plan: plans.Plan, return_url: str) -> str | None:
        """Start ``plan`` for ``store``: the approval address, or None when in force at once.
        Raises BillingError."""

    def confirm(self, store: Store, ref: str | None) -> bool:
        """After the merchant's return: whether the pending plan is now in force. Raises BillingError."""

    def refresh(self, store: Store) -> None:
        """Read the charge again (App Home visit); a charge that ended puts the store on the free tier."""

    def cancel(self, store: Store) -> None:
        """End the charge (the merchant chose the free plan, or the store left). Raises BillingError."""

    def ended(self, store: Store) -> None:
        """The store left: end its charge and put it on the free tier. Raises BillingError, and then
        changes nothing."""


@dataclass
class ShopifyBilling:
    connector: Any  # connectors.shopify.ShopifyConnector
    test: bool  # test charges outside production: nobody pays for them

    def _client(self, store: Store) -> Any:
        def keep(credentials: str) -> None:
            store.credentials = credentials

        try:
            return self.connector.client(store.credentials or "", keep)
        except (AuthError, TransientError) as exc:
            raise BillingError("Shopify could not be reached; try again in a moment.") from exc

    def subscribe(self, store: Store, plan: plans.Plan, return_url: str) -> str | None:
        from connectors.shopify import billing

        if plan.free:
            self.cancel(store)
            state.activate(store, plan, None)
            return None
        try:
            subscription, confirmation = billing.create(
                self._client(store),
                name=f"Aftercare {plan.title}",
                price=plan.price,
                currency=plans.CURRENCY,
                return_url=return_url,
                trial_days=plan.trial_days if store.trial_ends_at is None else 0,
                test=self.test,
            )
        except (AuthError, TransientError, PayloadError) as exc:
            raise BillingError(f"Shopify did not create the charge: {exc}") from exc
        state.start_pending(store, plan, subscription.ref)
        return confirmation

    def confirm(self, store: Store, ref: str | None) -> bool:
        self.refresh(store)
        return store.plan_pending is None and store.plan != plans.FREE.key

    def refresh(self, store: Store) -> None:
        from connectors.shopify import billing

        try:
            active = billing.active(self._client(store))
        except (AuthError, TransientError, PayloadError, BillingError) as exc:
            log.warning("store %s: subscription not read: %s", store.id, exc)
            return  # unread is not ended: the plan stays as it was until Shopify answers
        live = [sub for sub in active if sub.status in SHOPIFY_LIVE]
        wanted = store.plan_pending or store.plan
        by_name = {sub.name: sub for sub in live}
        for plan in plans.PLANS.values():
            sub = by_name.get(f"Aftercare {plan.title}")
            if sub is not None and (plan.key == wanted or store.subscription_ref == sub.ref):
                state.activate(store, plan, sub.ref, sub.trial_days)
                return
        if live:  # a live subscription of ours under another plan's name: trust Shopify
            for plan in plans.PLANS.values():
                if live[0].name == f"Aftercare {plan.title}":
                    state.activate(store, plan, live[0].ref, live[0].trial_days)
                    return
        if store.plan != plans.FREE.key or store.plan_pending:
            state.lapse(store, "declined" if store.plan_pending else "cancelled")
        else:
            store.plan_checked_at = state.clock.now()

    def cancel(self, store: Store) -> None:
        from connectors.shopify import billing

        if not store.subscription_ref:
            return
        try:
            billing.cancel(self._client(store), store.subscription_ref)
        except (AuthError, TransientError, PayloadError) as exc:
            raise BillingError(f"Shopify did not cancel the charge: {exc}") from exc

    def ended(self, store: Store) -> None:
        # Shopify cancels an uninstalled app's subscription itself and revokes our token with it; a
        # store only disconnected that comes back has its live subscription read again on App Home.
        state.lapse(store, "cancelled")


@dataclass
class HookBilling:
    settings: Settings

    def _payload(self, event: str, store: Store, plan: plans.Plan, return_url: str = "") -> dict[str, Any]:
        return {
            "event": event,
            "store": {
                "id": store.id,
                "platform": store.platform,
                "external_id": store.external_id,
                "name": store.name,
            },
            "plan": {
                "key": plan.key,
                "title": plan.title,
                "price": str(plan.price),
                "currency": plans.CURRENCY,
                "monthly_messages": plan.monthly_messages,
                "trial_days": plan.trial_days if store.trial_ends_at is None else 0,
            },
            "return_url": return_url,
            "test": not self.settings.is_production,
        }

    def _post(self, payload: dict[str, Any]) -> hook.HookAnswer | None:
        if not self.settings.billing_hook_url:
            if self.settings.is_production:
                raise BillingError("Paid plans are not offered here yet; the free plan stays in force.")
            return None  # development: no operator, plans change without a charge
        try:
            return hook.post(self.settings.billing_hook_url, self.settings.billing_hook_secret, payload)
        except hook.HookError as exc:
            log.warning("billing hook: %s", exc)
            raise BillingError("The billing service could not be reached; try again in a moment.") from exc

    def subscribe(self, store: Store, plan: plans.Plan, return_url: str) -> str | None:
        answer = self._post(self._payload("subscribe", store, plan, return_url))
        if answer is None or answer.status == "active":
            state.activate(store, plan, answer.ref if answer else None, plan.trial_days)
            return None
        if answer.status == "pending":
            state.start_pending(store, plan, answer.ref)
            return answer.confirmation_url
        raise BillingError("The billing service declined the plan.")

    def confirm(self, store: Store, ref: str | None) -> bool:
        plan = plans.get(store.plan_pending or store.plan)
        answer = self._post(self._payload("status", store, plan))
        if answer is not None and answer.status == "active":
            state.activate(store, plan, answer.ref or store.subscription_ref, plan.trial_days)
            return True
        if answer is not None and answer.status in ("declined", "cancelled"):
            state.lapse(store, answer.status)
        return False

    def refresh(self, store: Store) -> None:
        if store.plan_pending:
            try:
                self.confirm(store, store.subscription_ref)
            except BillingError:
                return

    def cancel(self, store: Store) -> None:
        if store.plan == plans.FREE.key and not store.plan_pending:
            return
        self._post(self._payload("cancel", store, plans.get(store.plan)))

    def ended(self, store: Store) -> None:
        if self.settings.billing_hook_url:  # without one, no operator ever charged it
            self.cancel(store)
        state.lapse(store, "cancelled")


def provider(settings: Settings, store: Store, connectors: dict[str, Any]) -> Provider:
    """The store's platform's billing: Shopify's own API, else the operator's hook."""
    if store.platform == "shopify" and "shopify" in connectors:
        return ShopifyBilling(connectors["shopify"], test=not settings.is_production)
    return HookBilling(settings)


DEPARTED = (StoreStatus.DISCONNECTED, StoreStatus.UNINSTALLED)


def departed_on_a_plan() -> Any:
    """Which stores left while on a paid plan or with one pending (a SQL condition on ``Store``)."""
    return Store.status.in_(DEPARTED) & ((Store.plan != plans.FREE.key) | Store.plan_pending.is_not(None))


def end_departed(db: Database, settings: Settings, connectors: dict[str, Any], store_id: int) -> bool:
    """End the charge of a store that left; whether it was ended (False: nothing to end, or the
    platform or hook could not be reached, and the next run tries again)."""
    with db.session() as session:
        store = session.get(Store, store_id, with_for_update=True)
        if store is None or store.status not in DEPARTED:
            return False
        if store.plan == plans.FREE.key and not store.plan_pending:
            return False
        try:
            provider(settings, store, connectors).ended(store)
        except BillingError as exc:
            log.warning("store %s left on plan %s, not ended yet: %s", store.id, store.plan, exc)
            return False
        log.info("store %s left: its plan ended", store.id)
        return True
