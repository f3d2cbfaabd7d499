"""Email: the store's own SMTP server when it set one, else the operator's relay, so every store sends
from its first order.

From which address:

- the store's own server: the address the merchant gave with it;
- the relay, for a store that authenticated its domain (DKIM, SPF and DMARC checked in DNS): its own
  address at that domain, DKIM-signed;
- the relay otherwise: ``"<store name>" <store-<id>@<sending domain>>``, the operator's domain, with
  Reply-To the store's own address so replies reach the merchant.

Every message From an authenticated domain is DKIM-signed, whichever server carries it. With neither
a server of its own nor a relay configured, the channel is down ("no sender is set up"): the messages
wait, and the merchant's pages say so.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from channels import mime
from channels.base import ChannelDown, ChannelSettings, Outgoing, Reach, StoreContext, Undeliverable
from channels.smtp import dkim
from channels.smtp.server import IDLE_SECONDS, Server, Transport, check
from channels.smtp.settings import SmtpSettings, email_address

__all__ = ["NO_SENDER", "Relay", "Server", "SmtpChannel", "SmtpSettings", "check", "email_address"]

NO_SENDER = "no sender is set up"


@dataclass(frozen=True)
class Relay:
    """The operator's own mail relay and the domain it sends from (``platform_smtp_url``,
    ``sending_domain`` in config.toml)."""

    server: Server
    domain: str

    @classmethod
    def from_settings(cls, url: str, domain: str) -> Relay | None:
        return cls(Server.from_url(url), domain) if url and domain else None

    def address(self, store_id: int) -> str:
        return f"store-{store_id}@{self.domain}"


@dataclass(frozen=True)
class Route:
    server: Server
    from_name: str
    from_email: str
    reply_to: str | None
    envelope_from: str


class SmtpChannel:
    name: ClassVar[str] = "smtp"
    title: ClassVar[str] = "Email"
    reaches: ClassVar[Reach] = "email"
    Settings: ClassVar[type[ChannelSettings] | None] = SmtpSettings

    def __init__(self, relay: Relay | None = None) -> None:
        self.relay = relay
        self._transport = Transport()
        self._next: tuple[Server, str, str] | None = None  # (server, sender, recipient) sent next

    def expect(self, store: StoreContext, outgoing: Outgoing) -> None:
        """The message the next ``send`` is followed by: its envelope may go ahead with that send's
        data (``Transport.send``'s ``then``). A wrong guess costs a reconnection, never a message."""
        try:
            route = self.route(store)
        except ChannelDown:
            self._next = None
            return
        self._next = (route.server, route.envelope_from, outgoing.to_address) if outgoing.to_address else None

    @classmethod
    def configured(cls, store: StoreContext) -> bool:
        """Always: email has a route once the operator runs a relay, and until then it waits visibly."""
        return True

    def own(self, store: StoreContext) -> bool:
        """Whether the store sends from its own address (its server, or its authenticated domain)."""
        return store.of(self.name, SmtpSettings) is not None or store.domain is not None

    def route(self, store: StoreContext) -> Route:
        own = store.of(self.name, SmtpSettings)
        name = store.name
        if own is not None:
            server = Server(own.host, own.port, own.security, own.username, own.password, guarded=True)
            return Route(server, own.from_name or name, own.from_email, store.address, own.from_email)
        if self.relay is None:
            raise ChannelDown(NO_SENDER)
        if store.domain is not None:
            address = store.domain.from_email
            return Route(self.relay.server, name, address, store.address, self.relay.address(store.store_id))
        address = self.relay.address(store.store_id)
        return Route(self.relay.server, name, address, store.address, address)

    def close_idle(self, older_than: float = IDLE_SECONDS) -> None:
        self._transport.close_idle(older_than)

    def send(self, store: StoreContext, outgoing: Outgoing) -> str:
        following, self._next = self._next, None  # the guess is for this send alone
        if not outgoing.to_address:
            raise Undeliverable("the customer has no email address we may write to")
        route = self.route(store)
        data = mime.to_bytes(route.from_name, route.from_email, outgoing, route.reply_to)
        domain = store.domain
        if domain is not None and route.from_email.lower().endswith("@" + domain.domain.lower()):
            data = dkim.sign(data, domain)
        then = following[1:] if following is not None and following[0] == route.server else None
        self._transport.send(route.server, route.envelope_from, outgoing.to_address, data, then)
        return outgoing.message_id
