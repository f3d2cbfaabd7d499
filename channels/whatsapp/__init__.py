"""WhatsApp from the store's own WhatsApp sender, through the store's own Twilio account.

WhatsApp lets a business write freely only within 24 hours of the customer's last message (outside it
Twilio answers 63016), which post-purchase messages almost never are. So each step goes out as an
approved template (``templates``: created per step and language with Twilio's Content API, submitted
for WhatsApp's approval, its status followed by a job) sent with ``ContentSid`` and
``ContentVariables``. While the customer's window is known to be open (they wrote to the store's
WhatsApp sender within the day, as Twilio's incoming-message webhook tells ``app.replies``), the step's
own text goes as free text instead: it is what the merchant wrote, and a reply inside the window needs
no template. Outside it, a step whose template is not approved yet cannot reach the customer here: the
step's next channel is tried, and the order's timeline says why.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import ClassVar

from app import clock
from channels.base import ChannelDown, ChannelSettings, Outgoing, Reach, StoreContext, Undeliverable
from channels.twilio_api import Account, TwilioMessages, TwilioSettings
from channels.whatsapp.templates import APPROVED, variables

PREFIX = "whatsapp:"
MARGIN = timedelta(minutes=1)  # a window about to close is treated as closed: the send takes a moment


class WhatsAppSettings(TwilioSettings):
    """The store's Twilio account and its WhatsApp sender."""


@dataclass(frozen=True)
class Template:
    """One step's template in one language, as the sync job last saw it."""

    content_sid: str
    status: str  # received | pending | approved | rejected | paused | disabled (WhatsApp's words)
    reason: str = ""


@dataclass(frozen=True)
class WhatsAppState:
    """What the channel needs beyond its settings, loaded by the app with them."""

    templates: dict[tuple[str, str], Template]
    windows: dict[str, datetime]  # phone -> when the customer's 24-hour window closes


class WhatsAppChannel:
    name: ClassVar[str] = "whatsapp"
    title: ClassVar[str] = "WhatsApp"
    reaches: ClassVar[Reach] = "phone"
    Settings: ClassVar[type[ChannelSettings] | None] = WhatsAppSettings

    def __init__(self, twilio: TwilioMessages) -> None:
        self.twilio = twilio

    @classmethod
    def configured(cls, store: StoreContext) -> bool:
        return store.of(cls.name, WhatsAppSettings) is not None

    def send(self, store: StoreContext, outgoing: Outgoing) -> str:
        settings = store.of(self.name, WhatsAppSettings)
        if settings is None:
            raise ChannelDown("the store has no WhatsApp sender set")
        if not outgoing.to_phone:
            raise Undeliverable("the customer left no mobile number")
        account = Account(settings.account_sid, settings.auth_token)
        to, from_ = PREFIX + outgoing.to_phone, PREFIX + settings.number
        state = store.state.get(self.name)
        state = state if isinstance(state, WhatsAppState) else WhatsAppState({}, {})
        template = state.templates.get((outgoing.step, outgoing.locale))
        approved = template if template is not None and template.status == APPROVED else None
        window = state.windows.get(outgoing.to_phone)
        if window is not None and window > clock.now() + MARGIN:
            try:  # the customer wrote within the day: the step's own words, as a reply in their chat
                return self.twilio.send(account, to, from_, outgoing.short)
            except Undeliverable:
                if approved is None:  # the window closed meanwhile (63016), or WhatsApp cannot reach them
                    raise
        if approved is not None:
            filled = json.dumps(variables(store.name, outgoing), ensure_ascii=False)
            return self.twilio.send(account, to, from_, content_sid=approved.content_sid, variables=filled)
        status = template.status if template is not None else "not created yet"
        raise Undeliverable(
            f"the WhatsApp template for this step is not approved yet ({status}), and the customer's "
            "24-hour window is closed"
        )
