"""Email through the store's own SMTP server (its host, port, TLS mode and credentials).

A worker sends many messages to few servers, so connections are kept open per server and login
(``_Pool``) and reused by the next message; one that the server dropped while idle is replaced once,
transparently, and connections idle for ``IDLE_SECONDS`` are closed (``close_idle``, after each batch).

The socket goes to an address ``connectors.netguard`` checked (in production: public only), and TLS
still verifies the certificate for the host's name."""

from __future__ import annotations

import functools
import smtplib
import socket
import ssl
import threading
import time
from dataclasses import dataclass

from channels.base import (
    ChannelDown,
    Outgoing,
    PermanentChannelError,
    RecipientRefused,
    Sender,
    TransientChannelError,
    Undeliverable,
    to_mime,
)
from connectors import netguard

TIMEOUT_SECONDS = 30
IDLE_SECONDS = 30.0


@dataclass
class _Open:
    server: smtplib.SMTP
    last_used: float


class _Pool:
    """Open connections by server and login, each used by one send at a time."""

    def __init__(self) -> None:
        self._idle: dict[tuple[object, ...], list[_Open]] = {}
        self._lock = threading.Lock()

    @staticmethod
    def key(sender: Sender) -> tuple[object, ...]:
        return (
            sender.smtp_host,
            sender.smtp_port,
            sender.smtp_security,
            sender.smtp_username,
            sender.smtp_password,
        )

    def take(self, sender: Sender) -> tuple[smtplib.SMTP, bool]:
        """A connection and whether it was reused (a reused one may have been dropped by the server)."""
        now = time.monotonic()
        with self._lock:
            kept = self._idle.get(self.key(sender), [])
            while kept:
                found = kept.pop()
                if now - found.last_used < IDLE_SECONDS:
                    return found.server, True
                _quit(found.server)
        return _connect(sender), False

    def give(self, sender: Sender, server: smtplib.SMTP) -> None:
        with self._lock:
            self._idle.setdefault(self.key(sender), []).append(_Open(server, time.monotonic()))

    def close_idle(self, older_than: float = IDLE_SECONDS) -> None:
        now = time.monotonic()
        with self._lock:
            for key, kept in list(self._idle.items()):
                stale = [found for found in kept if now - found.last_used >= older_than]
                self._idle[key] = [found for found in kept if now - found.last_used < older_than]
                for found in stale:
                    _quit(found.server)


def _quit(server: smtplib.SMTP) -> None:
    try:
        server.quit()
    except (smtplib.SMTPException, OSError):
        server.close()


class SmtpChannel:
    name = "smtp"

    def __init__(self) -> None:
        self._pool = _Pool()

    def close_idle(self, older_than: float = IDLE_SECONDS) -> None:
        """Close connections nobody used for ``older_than`` seconds (0: all of them)."""
        self._pool.close_idle(older_than)

    def send(self, sender: Sender, outgoing: Outgoing) -> str:
        if not sender.smtp_host:
            raise ChannelDown("the store has no SMTP server configured")
        if not outgoing.to_address:
            raise Undeliverable("the customer has no email address we may write to")
        message = to_mime(sender, outgoing)
        try:
            server, reused = self._pool.take(sender)
            try:
                server.send_message(message)
            except smtplib.SMTPServerDisconnected:
                server.close()
                if not reused:
                    raise
                server, reused = _connect(sender), False  # the server dropped it while idle: once more
                server.send_message(message)
            except (smtplib.SMTPRecipientsRefused, smtplib.SMTPResponseException):
                self._pool.give(sender, server)  # smtplib reset the transaction: still usable
                raise
            except BaseException:
                server.close()
                raise
            self._pool.give(sender, server)
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
        return outgoing.message_id


def check(sender: Sender) -> None:
    """The settings page's "test connection": connect, start TLS, log in, and leave, without sending.

    Raises ChannelDown (unreachable, TLS or login refused) or TransientChannelError with a sentence
    the merchant can act on."""
    if not sender.smtp_host:
        raise ChannelDown("no SMTP server is set")
    try:
        with _connect(sender) as server:
            server.noop()
    except netguard.AddressRefused as exc:
        raise ChannelDown(str(exc)) from exc
    except smtplib.SMTPAuthenticationError as exc:
        raise ChannelDown(f"the server refused the username or password ({exc.smtp_code})") from exc
    except smtplib.SMTPNotSupportedError as exc:
        raise ChannelDown(f"the server does not offer this security mode: {exc}") from exc
    except ssl.SSLError as exc:
        raise ChannelDown(f"the secure connection failed: {exc.reason or exc}") from exc
    except (smtplib.SMTPConnectError, smtplib.SMTPServerDisconnected, OSError) as exc:
        raise ChannelDown(f"{sender.smtp_host}:{sender.smtp_port} could not be reached: {exc}") from exc
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


def _connect(sender: Sender) -> smtplib.SMTP:
    host, security = sender.smtp_host or "", sender.smtp_security
    if security == "tls":
        server: smtplib.SMTP = _SMTPS(
            host, sender.smtp_port or 465, timeout=TIMEOUT_SECONDS, context=_tls_context()
        )
    else:
        server = _SMTP(host, sender.smtp_port or 587, timeout=TIMEOUT_SECONDS)
    try:
        if security == "starttls":
            server.starttls(context=_tls_context())
        if sender.smtp_username:
            server.login(sender.smtp_username, sender.smtp_password or "")
    except BaseException:
        server.close()  # refused TLS or login: do not leave the socket open
        raise
    return server


def _by_code(code: int, text: str) -> Exception:
    return PermanentChannelError(text) if 500 <= code < 600 else TransientChannelError(text)
