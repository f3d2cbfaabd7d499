"""WhatsApp from the store's own WhatsApp sender, through the store's own Twilio account.

Twilio addresses WhatsApp as ``whatsapp:+E164``. WhatsApp lets a business write freely only within
24 hours of the customer's last message; outside it Twilio answers 63016 and the step's next channel
(e.g. email) is tried.
"""

from __future__ import annotations

from channels.base import ChannelDown, Outgoing, Sender, Undeliverable
from channels.twilio_api import TwilioMessages

PREFIX = "whatsapp:"


class WhatsAppChannel:
    name = "whatsapp"

    def __init__(self, twilio: TwilioMessages) -> None:
        self.twilio = twilio

    def send(self, sender: Sender, outgoing: Outgoing) -> str:
        if not sender.whatsapp_from:
            raise ChannelDown("the store has no WhatsApp sender set")
        if not outgoing.to_phone:
            raise Undeliverable("the customer left no mobile number")
        from_ = (
            sender.whatsapp_from if sender.whatsapp_from.startswith(PREFIX) else PREFIX + sender.whatsapp_from
        )
        return self.twilio.send(sender, PREFIX + outgoing.to_phone, from_, outgoing.short)
