"""SMS from the store's own number, through the store's own Twilio account.

The text is the step's short text (``short`` block, or the merchant's own), which carries the stop
link on every message a customer may refuse. Its links arrive as short codes (``/s/<code>``, made by
the dispatcher): a signed redirect is longer than the link, and the merchant pays per segment
(``app.messages.segments``).
"""

from __future__ import annotations

from channels.base import ChannelDown, Outgoing, Sender, Undeliverable
from channels.twilio_api import TwilioMessages


class SmsChannel:
    name = "sms"

    def __init__(self, twilio: TwilioMessages) -> None:
        self.twilio = twilio

    def send(self, sender: Sender, outgoing: Outgoing) -> str:
        if not sender.sms_from:
            raise ChannelDown("the store has no SMS number set")
        if not outgoing.to_phone:
            raise Undeliverable("the customer left no mobile number")
        return self.twilio.send(sender, outgoing.to_phone, sender.sms_from, outgoing.short)
