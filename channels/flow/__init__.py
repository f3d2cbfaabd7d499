"""Shopify Flow as the store's own channel: each step is a Flow trigger ("Aftercare thank-you ready"…,
one extension per step under ``extensions/``), fired with ``flowTriggerReceive`` carrying the customer
and order (Flow's reference fields) and every rendered text. The merchant builds a workflow on it that
sends through Shopify Email, tags the customer, or any other Flow action.

Firing a trigger is the delivery as far as we can know it: Flow answers once it accepted the event.
Refused credentials mean the channel is down (the messages wait), a refused trigger (not published,
a field missing) is permanent, throttling and Shopify's errors are retried.
"""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import Field

from channels.base import (
    ChannelDown,
    ChannelSettings,
    Outgoing,
    PermanentChannelError,
    Reach,
    StoreContext,
    TransientChannelError,
    Undeliverable,
)
from connectors.base import RETRYABLE_ERRORS, AuthError, Connector, ConnectorError, FlowTriggers

PLATFORM = "shopify"


def handle(step: str) -> str:
    """The trigger's handle: the extension's, at most 30 characters of letters, digits and hyphens."""
    return f"aftercare-{step.replace('_', '-')}"[:30]


def payload(outgoing: Outgoing) -> dict[str, Any]:
    """The trigger's fields by key, as ``extensions/<handle>/shopify.extension.toml`` declares them."""
    body: dict[str, Any] = {
        "subject": outgoing.subject,
        "text": outgoing.text,
        "html": outgoing.html,
        "short_text": outgoing.short,
        "language": outgoing.locale,
        "email": outgoing.to_address,
        "phone": outgoing.to_phone or "",
        "message_id": outgoing.message_id,
    }
    if outgoing.customer_ref and outgoing.customer_ref.isdigit():
        body["customer_id"] = int(outgoing.customer_ref)
    if outgoing.order_ref and outgoing.order_ref.isdigit():
        body["order_id"] = int(outgoing.order_ref)
    return body


class FlowSettings(ChannelSettings):
    enabled: bool = Field(
        default=False, title="Send through Shopify Flow (the workflows you build on our triggers)"
    )


class FlowChannel:
    name: ClassVar[str] = "flow"
    title: ClassVar[str] = "Shopify Flow"
    reaches: ClassVar[Reach] = "email"
    Settings: ClassVar[type[ChannelSettings] | None] = FlowSettings

    def __init__(self, connectors: dict[str, Connector]) -> None:
        self.connectors = connectors

    @classmethod
    def configured(cls, store: StoreContext) -> bool:
        settings = store.of(cls.name, FlowSettings)
        return (
            store.platform == PLATFORM
            and bool(store.credentials)
            and settings is not None
            and settings.enabled
        )

    def send(self, store: StoreContext, outgoing: Outgoing) -> str:
        connector = self.connectors.get(store.platform)
        if not isinstance(connector, FlowTriggers) or not self.configured(store):
            raise ChannelDown("Shopify Flow is not set up for this store")
        if not (outgoing.customer_ref or "").isdigit() or not (outgoing.order_ref or "").isdigit():
            raise Undeliverable("Shopify Flow needs the order's Shopify customer (a guest checkout has none)")
        try:
            connector.fire_flow_trigger(
                store.credentials or "", handle(outgoing.step), payload(outgoing), store.renewed
            )
        except AuthError as exc:
            raise ChannelDown(f"Shopify refused our credentials: {exc}") from exc
        except RETRYABLE_ERRORS as exc:
            raise TransientChannelError(str(exc)) from exc
        except ConnectorError as exc:
            raise PermanentChannelError(f"Shopify Flow refused the trigger: {exc}") from exc
        return outgoing.message_id
