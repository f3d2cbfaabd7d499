"""SMS from the store's own number, through the store's own Twilio account.

The text is the step's short text (``short`` block, or the merchant's own), which carries the stop
link on every message a customer may refuse. Its links arrive as short codes (``/s/<code>``, made by
the dispatcher): a signed redirect is longer than the link, and the merchant pays per segment
(``app.messages.segments``).
"""

from __future__ import annotations

from typing import ClassVar

from channels.base import ChannelDown, ChannelSettings, Outgoing, Reach, StoreContext, Undeliverable
from channels.twilio_api import Account, TwilioMessages, TwilioSettings


class SmsSettings(TwilioSettings):
    """The store's Twilio account and its SMS number."""


class SmsChannel:
    name: ClassVar[str] = "sms"
    title: ClassVar[str] = "SMS"
    reaches: ClassVar[Reach] = "phone"
    Settings: ClassVar[type[ChannelSettings] | None] = SmsSettings

    def __init__(self, twilio: TwilioMessages) -> None:
        self.twilio = twilio

    @classmethod
    def configured(cls, store: StoreContext) -> bool:
        return store.of(cls.name, SmsSettings) is not None

    def send(self, store: StoreContext, outgoing: Outgoing) -> str:
        settings = store.of(self.name, SmsSettings)
        if settings is None:
            raise ChannelDown("the store has no SMS number set")
        if not outgoing.to_phone:
            raise Undeliverable("the customer left no mobile number")
        account = Account(settings.account_sid, settings.auth_token)
        return self.twilio.send(account, outgoing.to_phone, settings.number, outgoing.short)
