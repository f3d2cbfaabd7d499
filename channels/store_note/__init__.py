"""The store's own mailer, through its platform: a customer note on the order (WooCommerce emails it
with the store's own template and sender). For merchants who have no email provider to give us.

The note carries the message's plain-text part: WooCommerce wraps notes in its own email layout, so our
HTML would be nested inside theirs. The platform is asked through ``connectors.base.CustomerNotes``;
its errors become the dispatcher's: refused credentials mean the whole channel is down (the store's
messages wait without using attempts), a refused note is permanent, the rest is worth retrying.
"""

from __future__ import annotations

from typing import ClassVar

from channels.base import (
    ChannelDown,
    ChannelSettings,
    Outgoing,
    PermanentChannelError,
    Reach,
    StoreContext,
    TransientChannelError,
)
from connectors import registry
from connectors.base import (
    RETRYABLE_ERRORS,
    AuthError,
    Connector,
    ConnectorError,
    CustomerNotes,
)


class StoreNoteChannel:
    name: ClassVar[str] = "store_note"
    title: ClassVar[str] = "The store's own mailer (order notes)"
    reaches: ClassVar[Reach] = "email"
    Settings: ClassVar[type[ChannelSettings] | None] = None

    def __init__(self, connectors: dict[str, Connector]) -> None:
        self.connectors = connectors

    @classmethod
    def configured(cls, store: StoreContext) -> bool:
        platform = registry.CONNECTORS.get(store.platform)
        return bool(store.credentials) and platform is not None and issubclass(platform, CustomerNotes)

    def send(self, store: StoreContext, outgoing: Outgoing) -> str:
        connector = self.connectors.get(store.platform)
        if not isinstance(connector, CustomerNotes):
            raise PermanentChannelError(f"{store.platform} stores cannot send customer notes")
        if not outgoing.order_ref:
            raise PermanentChannelError("a customer note needs the order it belongs to")
        text = f"{outgoing.subject}\n\n{outgoing.text}"
        try:
            return connector.send_customer_note(store.credentials or "", outgoing.order_ref, text)
        except AuthError as exc:
            raise ChannelDown(f"the store refused our credentials: {exc}") from exc
        except RETRYABLE_ERRORS as exc:
            raise TransientChannelError(str(exc)) from exc
        except ConnectorError as exc:
            raise PermanentChannelError(f"the store refused the note: {exc}") from exc
