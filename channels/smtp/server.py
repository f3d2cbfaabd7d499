"""SMTP connections: to the store's own server (its host, port, TLS mode and credentials) or the
operator's relay, and the SMTP replies sorted into the dispatcher's errors.

A worker sends many messages to few servers, so connections are kept open per server and login
(``_Pool``) and reused by the next message; one that the server dropped while idle is replaced once,
transparently, and connections idle for ``IDLE_SECONDS`` are closed (``close_idle``, after each batch).

Over a server that offers PIPELINING, a message's envelope (MAIL, RCPT, DATA) goes in one write, and
when the caller names the message that follows (``then``), that one's envelope goes behind this one's
data: one round trip a message instead of two. Only the data of the message being sent ever goes
unanswered, so a worker that dies mid-send still leaves at most that one message unrecorded: an
envelope sent ahead has no data yet, and a server delivers nothing for a DATA the connection closed
in (RFC 5321 4.1.1.4). Such a connection is closed without QUIT, which would be read as data.

A store's server is reached at an address ``connectors.netguard`` checked (in production: public only),
and TLS still verifies the certificate for the host's name; the relay is the operator's own and is
connected to as configured."""

from __future__ import annotations

import contextlib
import functools
import re
import smtplib
import socket
import ssl
import threading
import time
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from channels.base import (
    ChannelDown,
    PermanentChannelError,
    RecipientRefused,
    TransientChannelError,
)
from connectors import netguard

TIMEOUT_SECONDS = 30
IDLE_SECONDS = 30.0


@dataclass(frozen=True)
class Server:
    """Where and how to connect; ``guarded``: through ``connectors.netguard`` (a merchant's host)."""

    host: str
    port: int | None = None
    security: str = "starttls"  # none | starttls | tls
    username: str | None = None
    password: str | None = None
    guarded: bool = True

    @classmethod
    def from_url(cls, url: str) -> Server:
        """The operator's relay: ``smtp://host:port`` (plain), ``smtp+starttls://`` or ``smtps://`` (TLS),
        with ``user:password@`` when it wants a login."""
        parts = urlsplit(url)
        security = {"smtp": "none", "smtp+starttls": "starttls", "smtps": "tls"}.get(parts.scheme)
        if security is None or not parts.hostname:
            raise ValueError("must look like smtp://host:port, smtp+starttls://... or smtps://...")
        return cls(
            host=parts.hostname,
            port=parts.port,
            security=security,
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
            guarded=False,
        )


@dataclass(eq=False)
class Conversation:
    """An open connection, and the envelope (sender, recipient) sent ahead on it whose three replies
    are still to be read: the server is then waiting for that message's data."""

    smtp: smtplib.SMTP
    ahead: tuple[str, str] | None = None

    @property
    def open(self) -> bool:
        return self.smtp.sock is not None

    def close(self) -> None:
        """Leave: QUIT, or, in the middle of a DATA sent ahead, just close (nothing is delivered)."""
        if self.ahead is not None:
            self.smtp.close()
            self.ahead = None
            return
        try:
            self.smtp.quit()
        except (smtplib.SMTPException, OSError):
            self.smtp.close()


@dataclass
class _Open:
    conversation: Conversation
    last_used: float


class _Pool:
    """Open connections by server and login, each used by one send at a time."""

    def __init__(self) -> None:
        self._idle: dict[Server, list[_Open]] = {}
        self._lock = threading.Lock()

    def take(self, server: Server, ahead: tuple[str, str]) -> tuple[Conversation, bool]:
        """A conversation and whether it was reused (a reused one may have been dropped by the
        server). One with an envelope sent ahead serves only that envelope's message: for any other,
        it is closed and another taken."""
        now = time.monotonic()
        with self._lock:
            kept = self._idle.get(server, [])
            while kept:
                found = kept.pop()
                usable = found.conversation.ahead in (None, ahead)
                if usable and now - found.last_used < IDLE_SECONDS:
                    return found.conversation, True
                found.conversation.close()
        return Conversation(connect(server)), False

    def give(self, server: Server, conversation: Conversation) -> None:
        if not conversation.open:  # closed on the way (the server said 421, or a reply was unreadable)
            return
        with self._lock:
            self._idle.setdefault(server, []).append(_Open(conversation, time.monotonic()))

    def close_idle(self, older_than: float = IDLE_SECONDS) -> None:
        now = time.monotonic()
        with self._lock:
            for key, kept in list(self._idle.items()):
                stale = [found for found in kept if now - found.last_used >= older_than]
                self._idle[key] = [found for found in kept if now - found.last_used < older_than]
                for found in stale:
                    found.conversation.close()


class Transport:
    """Sends prepared bytes over pooled connections, and sorts what the server says."""

    def __init__(self) -> None:
        self._pool = _Pool()

    def close_idle(self, older_than: float = IDLE_SECONDS) -> None:
        """Close connections nobody used for ``older_than`` seconds (0: all of them)."""
        self._pool.close_idle(older_than)

    def send(
        self, server: Server, mail_from: str, to: str, data: bytes, then: tuple[str, str] | None = None
    ) -> None:
        """Send ``data``; ``then``: the envelope of the message the caller sends next to this server,
        to go ahead behind this one's data."""
        try:
            conversation, reused = self._pool.take(server, (mail_from, to))
            try:
                transact(conversation, mail_from, to, data, then)
            except smtplib.SMTPServerDisconnected:
                conversation.smtp.close()
                if not reused:
                    raise
                conversation, reused = Conversation(connect(server)), False  # dropped while idle: once more
                transact(conversation, mail_from, to, data, then)
            except (smtplib.SMTPRecipientsRefused, smtplib.SMTPResponseException):
                self._pool.give(server, conversation)  # the transaction was reset: still usable
                raise
            except BaseException:
                conversation.ahead = None  # whatever was sent, the connection ends here
                conversation.smtp.close()
                raise
            self._pool.give(server, conversation)
        except netguard.AddressRefused as exc:
            raise ChannelDown(f"the SMTP server was not used: {exc}") from exc
        except smtplib.SMTPRecipientsRefused as exc:
            code, reply = next(iter(exc.recipients.values()))
            if 500 <= code < 600:
                raise RecipientRefused(f"recipient refused: {code} {reply!r}") from exc
            raise TransientChannelError(f"recipient refused for now: {code} {reply!r}") from exc
        except smtplib.SMTPAuthenticationError as exc:
            # Wrong credentials are the store's channel being down, not the message being bad:
            # keep the message and retry, so it goes once the merchant fixes the settings.
            raise ChannelDown(f"SMTP login refused: {exc.smtp_code} {exc.smtp_error!r}") from exc
        except smtplib.SMTPResponseException as exc:
            raise _by_code(exc.smtp_code, f"SMTP server said {exc.smtp_code} {exc.smtp_error!r}") from exc
        except (smtplib.SMTPConnectError, smtplib.SMTPServerDisconnected, OSError) as exc:
            raise ChannelDown(f"SMTP server unreachable: {exc}") from exc
        except smtplib.SMTPException as exc:
            raise TransientChannelError(f"SMTP error: {exc}") from exc


def transact(
    conversation: Conversation, mail_from: str, to: str, data: bytes, then: tuple[str, str] | None = None
) -> None:
    """One message to one recipient, raising what ``smtplib.SMTP.sendmail`` raises. When the server
    offers PIPELINING (RFC 2920; Postfix, Exim, Gmail and SES do), MAIL, RCPT and DATA go in one write
    and their replies are read together, and the envelope of ``then`` (the next message) goes in the
    write of this one's data, its replies read by the next ``transact``: one round trip a message
    instead of four, which is most of a send's time over a real network. Otherwise, or for an address
    smtplib would have to refuse or encode (not ASCII), smtplib's own ``sendmail``.

    ``conversation.ahead`` must be None or this message's envelope (``_Pool.take`` sees to it)."""
    connection = conversation.smtp
    connection.ehlo_or_helo_if_needed()  # the server's extensions, before the first message too
    if not _pipelines(connection, mail_from, to):
        connection.sendmail(mail_from, [to], data)
        return
    if conversation.ahead is None:
        connection.send(_envelope(connection, mail_from, to, len(data)))
    conversation.ahead = None  # its replies are read now
    (mail, mail_reply), (rcpt, rcpt_reply), (data_code, data_reply) = (
        connection.getreply() for _ in range(3)
    )
    if data_code == 354:  # a server that began the data though it refused the envelope: end it, empty
        if mail != 250 or rcpt not in (250, 251):
            connection.send(b".\r\n")
            connection.getreply()
        else:
            following = then if then is not None and _pipelines(connection, *then) else None
            behind = _envelope(connection, *following) if following is not None else b""
            connection.send(_dot_stuffed(data) + behind)
            conversation.ahead = following
            data_code, data_reply = connection.getreply()
            if data_code == 250:
                return
    if conversation.ahead is not None:  # refused, with the next envelope's replies still to come
        conversation.ahead = None
        connection.close()
    elif 421 in (mail, rcpt, data_code):  # the server is closing the connection: as smtplib's sendmail
        connection.close()
    else:
        with contextlib.suppress(smtplib.SMTPServerDisconnected):
            connection.rset()  # the next message starts afresh on this connection
    if mail != 250:
        raise smtplib.SMTPSenderRefused(mail, mail_reply, mail_from)
    if rcpt not in (250, 251):
        raise smtplib.SMTPRecipientsRefused({to: (rcpt, rcpt_reply)})
    raise smtplib.SMTPDataError(data_code, data_reply)


def _pipelines(connection: smtplib.SMTP, mail_from: str, to: str) -> bool:
    return bool(connection.has_extn("pipelining")) and mail_from.isascii() and to.isascii()


def _envelope(connection: smtplib.SMTP, mail_from: str, to: str, size: int | None = None) -> bytes:
    """MAIL, RCPT and DATA for one recipient; SIZE when the server offers it and the size is known
    (an envelope sent ahead goes before its message's bytes are made)."""
    declared = f" SIZE={size}" if size is not None and connection.has_extn("size") else ""
    return (
        f"MAIL FROM:{smtplib.quoteaddr(mail_from)}{declared}\r\nRCPT TO:{smtplib.quoteaddr(to)}\r\nDATA\r\n"
    ).encode("ascii")


def _dot_stuffed(data: bytes) -> bytes:
    """The message as DATA carries it (RFC 5321 4.5.2): CRLF line ends, a leading dot doubled, ending
    in CRLF and the lone dot."""
    lines = re.sub(rb"\r\n|\r|\n", b"\r\n", data)
    stuffed = re.sub(rb"(?m)^\.", b"..", lines)
    if not stuffed.endswith(b"\r\n"):
        stuffed += b"\r\n"
    return stuffed + b".\r\n"


def check(server: Server) -> None:
    """The settings page's "test connection": connect, start TLS, log in, and leave, without sending.

    Raises ChannelDown (unreachable, TLS or login refused) or TransientChannelError with a sentence
    the merchant can act on."""
    if not server.host:
        raise ChannelDown("no SMTP server is set")
    try:
        with connect(server) as connection:
            connection.noop()
    except netguard.AddressRefused as exc:
        raise ChannelDown(str(exc)) from exc
    except smtplib.SMTPAuthenticationError as exc:
        raise ChannelDown(f"the server refused the username or password ({exc.smtp_code})") from exc
    except smtplib.SMTPNotSupportedError as exc:
        raise ChannelDown(f"the server does not offer this security mode: {exc}") from exc
    except ssl.SSLError as exc:
        raise ChannelDown(f"the secure connection failed: {exc.reason or exc}") from exc
    except (smtplib.SMTPConnectError, smtplib.SMTPServerDisconnected, OSError) as exc:
        raise ChannelDown(f"{server.host}:{server.port} could not be reached: {exc}") from exc
    except smtplib.SMTPException as exc:
        raise TransientChannelError(f"the server answered unexpectedly: {exc}") from exc


@functools.cache
def _tls_context() -> ssl.SSLContext:
    """Built once: loading the CA bundle costs tens of milliseconds, more than the send itself."""
    return ssl.create_default_context()


class _SMTP(smtplib.SMTP):
    """smtplib's client, its socket opened to a checked address (``starttls`` still checks the name)."""

    def _get_socket(self, host: str, port: int, timeout: float) -> socket.socket:
        if timeout is not None and not timeout:
            raise ValueError("Non-blocking socket (timeout=0) is not supported")
        return netguard.create_connection(host, port, timeout, self.source_address)


class _SMTPS(smtplib.SMTP_SSL, _SMTP):
    """SMTP over TLS from the first byte: SMTP_SSL wraps the checked socket for the host's name."""


class _PlainSMTP(smtplib.SMTP):
    """The operator's relay: connected to as configured."""


class _PlainSMTPS(smtplib.SMTP_SSL):
    pass


def connect(server: Server) -> smtplib.SMTP:
    host, security = server.host, server.security
    plain, wrapped = (_SMTP, _SMTPS) if server.guarded else (_PlainSMTP, _PlainSMTPS)
    if security == "tls":
        connection: smtplib.SMTP = wrapped(
            host, server.port or 465, timeout=TIMEOUT_SECONDS, context=_tls_context()
        )
    else:
        connection = plain(host, server.port or 587, timeout=TIMEOUT_SECONDS)
    try:
        if security == "starttls":
            connection.starttls(context=_tls_context())
        if server.username:
            connection.login(server.username, server.password or "")
    except BaseException:
        connection.close()  # refused TLS or login: do not leave the socket open
        raise
    return connection


def _by_code(code: int, text: str) -> Exception:
    return PermanentChannelError(text) if 500 <= code < 600 else TransientChannelError(text)
