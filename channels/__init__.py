"""Channel name -> implementation. A new channel is one module here and one line in ``build``."""

from __future__ import annotations

from app.config import Settings
from channels.base import Channel, Outgoing, Pooled, Sender
from channels.outbox import OutboxChannel
from channels.sms import SmsChannel
from channels.smtp import SmtpChannel
from channels.store_note import StoreNoteChannel
from channels.twilio_api import TwilioMessages
from channels.webhook import WebhookChannel
from channels.whatsapp import WhatsAppChannel
from connectors.base import Connector


def build(settings: Settings, connectors: dict[str, Connector] | None = None) -> dict[str, Channel]:
    twilio = TwilioMessages(settings.twilio_api_url)
    return {
        "smtp": SmtpChannel(),
        "outbox": OutboxChannel(settings.outbox_dir),
        "store_note": StoreNoteChannel(connectors or {}),
        "sms": SmsChannel(twilio),
        "whatsapp": WhatsAppChannel(twilio),
        "webhook": WebhookChannel(public_only=settings.environment == "production"),
    }


def send_direct(settings: Settings, sender: Sender, outgoing: Outgoing) -> str:
    """A one-off email outside the journey (a template test, a sign-in link), sent at once through the
    store's own mail: its SMTP server once one is set, else the development outbox."""
    channel: Channel = SmtpChannel() if sender.smtp_host else OutboxChannel(settings.outbox_dir)
    try:
        return channel.send(sender, outgoing)
    finally:
        if isinstance(channel, Pooled):
            channel.close_idle(0)
