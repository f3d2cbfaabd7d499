"""Every channel, once. Adding a channel is its folder and one line in ``KINDS`` (and in ``build`` if
it needs something from the process to be built)."""

from __future__ import annotations

from app.config import Settings
from channels.base import Channel, ChannelSettings, Outgoing, Pooled, StoreContext
from channels.flow import FlowChannel
from channels.outbox import OutboxChannel
from channels.sms import SmsChannel
from channels.smtp import Relay, SmtpChannel
from channels.store_note import StoreNoteChannel
from channels.twilio_api import TwilioMessages
from channels.webhook import WebhookChannel
from channels.whatsapp import WhatsAppChannel
from connectors.base import Connector

KINDS: dict[str, type[Channel]] = {
    "smtp": SmtpChannel,
    "store_note": StoreNoteChannel,
    "sms": SmsChannel,
    "whatsapp": WhatsAppChannel,
    "webhook": WebhookChannel,
    "flow": FlowChannel,
    "outbox": OutboxChannel,
}
NAMES: tuple[str, ...] = tuple(KINDS)
EMAIL = "smtp"  # every store's channel of last resort: its own server, or the operator's relay
PHONE: frozenset[str] = frozenset(name for name, kind in KINDS.items() if kind.reaches == "phone")


def settings_model(name: str) -> type[ChannelSettings] | None:
    kind = KINDS.get(name)
    return kind.Settings if kind is not None else None


def build(settings: Settings, connectors: dict[str, Connector] | None = None) -> dict[str, Channel]:
    twilio = TwilioMessages(settings.twilio_api_url)
    connectors = connectors or {}
    built: list[Channel] = [
        SmtpChannel(Relay.from_settings(settings.platform_smtp_url, settings.sending_domain)),
        StoreNoteChannel(connectors),
        SmsChannel(twilio),
        WhatsAppChannel(twilio),
        WebhookChannel(public_only=settings.environment == "production"),
        FlowChannel(connectors),
        OutboxChannel(settings.outbox_dir),
    ]
    channels = {channel.name: channel for channel in built}
    assert tuple(channels) == NAMES  # noqa: S101 - one list: a channel built is a channel registered
    return channels


def send_direct(settings: Settings, store: StoreContext, outgoing: Outgoing) -> str:
    """A one-off email outside the journey (a template test, a sign-in link), sent at once through the
    store's email: its own server, else the operator's relay, else (development) the outbox folder."""
    email = SmtpChannel(Relay.from_settings(settings.platform_smtp_url, settings.sending_domain))
    channel: Channel = (
        email if email.relay is not None or email.own(store) else OutboxChannel(settings.outbox_dir)
    )
    try:
        return channel.send(store, outgoing)
    finally:
        if isinstance(channel, Pooled):
            channel.close_idle(0)
