"""What every channel implements, what it is given, and the errors it may raise.

A channel delivers one rendered message through the store's own means (its SMTP server, its
WooCommerce notes, its SMS number). It holds no database handle: it gets plain data and returns
the provider's id for the message, or raises one of the two errors below, which the dispatcher
turns into a retry or a failure.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Protocol, runtime_checkable

from app import clock


class ChannelError(Exception):
    """Base of the errors a channel raises."""


class TransientChannelError(ChannelError):
    """Worth retrying later: the server is down, busy, or refused us for now (4xx)."""


class ChannelDown(TransientChannelError):
    """The store's channel itself is unreachable or refuses us (server down, wrong credentials):
    every message of the store would fail alike, so they wait without using up their attempts."""


class PermanentChannelError(ChannelError):
    """Retrying will not help: the address does not exist, the content was refused (5xx)."""


class RecipientRefused(PermanentChannelError):
    """The address itself does not exist (a hard bounce), or its owner told the provider to stop
    (an SMS "STOP"): nothing more should be sent to it."""


class Undeliverable(PermanentChannelError):
    """This channel cannot reach this customer (no phone number, a landline, WhatsApp's window
    closed): the next channel in the step's order of preference may."""


@dataclass(frozen=True)
class Sender:
    """The store's own sending identity and server."""

    name: str
    email: str
    reply_to: str | None = None
    smtp_host: str | None = None
    smtp_port: int | None = None
    smtp_security: str = "starttls"  # none | starttls | tls
    smtp_username: str | None = None
    smtp_password: str | None = None
    platform: str | None = None  # for channels that go through the store's platform (customer notes)
    credentials: str | None = None
    twilio_account_sid: str | None = None  # SMS and WhatsApp through the store's own Twilio account
    twilio_auth_token: str | None = None
    sms_from: str | None = None
    whatsapp_from: str | None = None
    hook_url: str | None = None  # the store's own sending system, for the signed webhook channel
    hook_secret: str | None = None


@dataclass(frozen=True)
class Outgoing:
    """One rendered message for one recipient."""

    message_id: str  # RFC 5322 Message-ID, stable per outbox row so a rare re-send is recognisable
    to_address: str
    to_name: str
    subject: str
    text: str
    html: str
    locale: str = "en"
    headers: Mapping[str, str] = field(default_factory=dict)
    order_ref: str | None = None  # the platform's id of the order the message is about
    to_phone: str | None = None  # E.164, for SMS and WhatsApp
    short: str = ""  # the SMS and WhatsApp text
    step: str = ""
    kind: str = ""


class Channel(Protocol):
    name: str

    def send(self, sender: Sender, outgoing: Outgoing) -> str:
        """Deliver ``outgoing`` as ``sender``; return the provider's id for it.

        Raises TransientChannelError when a later attempt may succeed and PermanentChannelError
        when it cannot; any other exception is treated as transient by the dispatcher.
        """
        ...


@runtime_checkable
class Pooled(Protocol):
    """A channel that keeps connections open between sends (SMTP): the worker closes idle ones after
    each batch, so a quiet store holds no socket to its server."""

    def close_idle(self, older_than: float = ...) -> None:
        """Close connections unused for ``older_than`` seconds."""
        ...


def to_mime(sender: Sender, outgoing: Outgoing) -> EmailMessage:
    """The email as it goes on the wire: text and HTML alternatives, UTF-8 headers."""
    message = EmailMessage()
    message["From"] = Address(display_name=sender.name, addr_spec=sender.email)
    message["To"] = Address(display_name=outgoing.to_name, addr_spec=outgoing.to_address)
    if sender.reply_to:
        message["Reply-To"] = sender.reply_to
    message["Subject"] = outgoing.subject
    message["Date"] = format_datetime(clock.now())
    message["Message-ID"] = outgoing.message_id
    for name, value in outgoing.headers.items():
        message[name] = value
    message.set_content(outgoing.text)
    message.add_alternative(outgoing.html, subtype="html")
    message["Content-Language"] = outgoing.locale  # after set_content, which clears Content-* headers
    return message
