"""What every channel is, what it is given, and the errors it may raise.

A channel is one folder under ``channels/`` holding one class of a fixed shape (``Channel`` below):
its ``name``, what it ``reaches`` (the customer's email or phone), its ``Settings`` (a pydantic model
the merchant's form is checked against on save, and that is stored encrypted in ``channel_settings``),
whether a store has it ``configured``, and how it ``send``s. ``channels.registry`` lists them; that
list is the only one there is.

A channel holds no database handle: it gets plain data (``StoreContext``: the store's identity and
every channel's validated settings) and returns the provider's id for the message, or raises one of
the errors below, which the dispatcher turns into a retry, a wait or a failure.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal, Protocol, TypeVar, runtime_checkable

from pydantic import BaseModel, ConfigDict

Reach = Literal["email", "phone"]


class ChannelError(Exception):
    """Base of the errors a channel raises."""


class TransientChannelError(ChannelError):
    """Worth retrying later: the server is down, busy, or refused us for now (4xx)."""


class ChannelDown(TransientChannelError):
    """The store's channel itself is unreachable or refuses us (server down, wrong credentials, not
    set up): every message of the store would fail alike, so they wait without using up attempts."""


class PermanentChannelError(ChannelError):
    """Retrying will not help: the address does not exist, the content was refused (5xx)."""


class RecipientRefused(PermanentChannelError):
    """The address itself does not exist (a hard bounce), or its owner told the provider to stop
    (an SMS "STOP"): nothing more should be sent to it."""


class Undeliverable(PermanentChannelError):
    """This channel cannot reach this customer (no phone number, a landline, WhatsApp's window
    closed, no approved template yet): the next channel in the step's order of preference may."""


class ChannelSettings(BaseModel):
    """Base of every channel's settings. Fields marked ``json_schema_extra={"secret": True}`` are never
    shown back on a page (left empty on save, the stored value is kept). Validators may read
    ``info.context["public_only"]`` (production: addresses must be public)."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    @classmethod
    def secrets(cls) -> tuple[str, ...]:
        return tuple(
            name
            for name, info in cls.model_fields.items()
            if isinstance(info.json_schema_extra, dict) and info.json_schema_extra.get("secret")
        )


S = TypeVar("S", bound=ChannelSettings)


@dataclass(frozen=True)
class SigningDomain:
    """A domain the store authenticated (its DNS records checked): mail From it is DKIM-signed."""

    domain: str
    selector: str
    private_key: str  # PEM
    from_email: str


@dataclass(frozen=True)
class StoreContext:
    """What a channel knows of the store it sends for."""

    store_id: int
    name: str  # the name customers know the store by (the From's display name)
    platform: str
    credentials: str | None = None  # the platform connection (customer notes, Flow)
    address: str | None = None  # the store's own address: Reply-To, tests, sign-in links
    settings: Mapping[str, ChannelSettings] = field(default_factory=dict)
    domain: SigningDomain | None = None
    state: Mapping[str, Any] = field(default_factory=dict)  # a channel's own data (WhatsApp's templates)
    renewed: Callable[[str], None] | None = None  # where renewed platform credentials are kept

    def of(self, name: str, kind: type[S]) -> S | None:
        value = self.settings.get(name)
        return value if isinstance(value, kind) else None


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
    customer_ref: str | None = None  # the platform's id of the customer (Flow's customer reference)
    facts: Mapping[str, Any] = field(default_factory=dict)  # order number, total... for Flow and templates


class Channel(Protocol):
    name: ClassVar[str]
    title: ClassVar[str]  # what the merchant's pages call it
    reaches: ClassVar[Reach]
    Settings: ClassVar[type[ChannelSettings] | None]  # None: nothing to set up

    @classmethod
    def configured(cls, store: StoreContext) -> bool:
        """Whether this store can send through it at all (its settings saved, its platform able)."""
        ...

    def send(self, store: StoreContext, outgoing: Outgoing) -> str:
        """Deliver ``outgoing`` for ``store``; return the provider's id for it.

        Raises TransientChannelError when a later attempt may succeed and PermanentChannelError
        when it cannot; any other exception is treated as transient by the dispatcher.
        """
        ...


@runtime_checkable
class Ahead(Protocol):
    """A channel that can begin the next message's transaction with this one's (SMTP: its envelope
    pipelined behind this one's data), told before a send which message follows it."""

    def expect(self, store: StoreContext, outgoing: Outgoing) -> None:
        """``outgoing`` is what the next ``send`` will be followed by (a guess: it may not be)."""
        ...


@runtime_checkable
class Pooled(Protocol):
    """A channel that keeps connections open between sends (SMTP): the worker closes idle ones after
    each batch and all of them when its run ends, so a quiet store holds no socket to its server."""

    def close_idle(self, older_than: float = ...) -> None:
        """Close connections unused for ``older_than`` seconds."""
        ...
