"""Connections opened on someone's behalf (a store's address, its SMTP server, its webhook endpoint):
resolved once, every answer checked, and connected to the address that was checked.

In production (``configure(public_only=True)``, which ``create_app`` does) a name is refused when any
address it resolves to is loopback, private, link-local, multicast, reserved, unspecified, shared
(CGNAT) or an IPv6 wrapper of an IPv4 address (mapped, 6to4, Teredo, NAT64). The socket is then opened
to the checked address, never to the name again, so a record that moves between the check and the
connect (DNS rebinding) reaches nothing; TLS still sends and verifies the name (SNI, certificate). Odd
spellings of an address (``127.1``, ``0x7f000001``, ``2130706433``, ``0177.0.0.1``) are whatever the
resolver makes of them, and that is what is checked. Outside production loopback and private
addresses are allowed, so the demo and the test fakes on 127.0.0.1 work.

A refused address and a name that does not resolve raise the same :class:`AddressRefused` with the
same sentence, and nothing is connected to, so an answer never tells what is listening on an internal
address. Plain HTTP goes through :func:`session`; other protocols open their socket with
:func:`create_connection`.
"""

from __future__ import annotations

import ipaddress
import socket
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ConnectTimeoutError, NameResolutionError, NewConnectionError
from urllib3.util import connection as urllib3_connection

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
# Not covered by ipaddress's is_global/is_private on every Python 3.11 patch release: IPv6 forms that
# carry an IPv4 address inside, and the deprecated IPv6 site-local block.
_WRAPPERS = tuple(
    ipaddress.ip_network(net)
    for net in ("2002::/16", "2001::/32", "64:ff9b::/96", "64:ff9b:1::/48", "fec0::/10", "192.88.99.0/24")
)

_public_only = False


def configure(*, public_only: bool) -> None:
    """Set the process's rule: ``public_only`` in production. ``create_app`` calls this."""
    global _public_only
    _public_only = public_only


def public_only() -> bool:
    return _public_only


class AddressRefused(Exception):
    """The name leads to an address we may not connect to, or to none at all: the same sentence for
    both, so the answer is no oracle."""

    def __init__(self, host: str) -> None:
        self.host = host
        name = "".join(char for char in host[:100] if char.isprintable()) or "That address"
        super().__init__(f"{name} is not a public internet address Aftercare may connect to")


def is_public(address: IPAddress) -> bool:
    """Whether connecting to ``address`` reaches the public internet and nothing of ours."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return False
    return (
        address.is_global
        and not address.is_multicast
        and not address.is_reserved
        and not address.is_loopback
        and not address.is_private
        and not address.is_link_local
        and not address.is_unspecified
        and not any(address in net for net in _WRAPPERS if net.version == address.version)
    )


def resolve(host: str, port: int, *, public_only: bool | None = None) -> list[tuple[Any, ...]]:
    """Every (family, socket address) ``host`` resolves to, in the resolver's order; AddressRefused if
    any is not public (when the rule asks for public only) or if there is none."""
    strict = _public_only if public_only is None else public_only
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, ValueError) as exc:  # ValueError: a NUL or a label IDNA refuses
        if strict:
            raise AddressRefused(host) from exc
        raise socket.gaierror(f"{host} does not resolve: {exc}") from exc
    answers = list(dict.fromkeys((family, sockaddr) for family, _, _, _, sockaddr in found))
    if strict and (
        not answers or not all(is_public(ipaddress.ip_address(sockaddr[0])) for _, sockaddr in answers)
    ):
        raise AddressRefused(host)
    return answers


def check(host: str, port: int, *, public_only: bool | None = None) -> str | None:
    """Why a form's address would be refused, or None; for saving settings (the connection itself is
    checked again when it is made, since a name can change)."""
    try:
        resolve(host, port, public_only=public_only)
    except AddressRefused as exc:
        return str(exc)
    except OSError:
        return None  # outside production a name that does not resolve yet is the merchant's business
    return None


def create_connection(
    host: str, port: int, timeout: float | None, source_address: Any = None
) -> socket.socket:
    """``socket.create_connection`` to a checked address of ``host``; AddressRefused, or the last
    OSError when none of the addresses answered."""
    error: OSError | None = None
    for _, sockaddr in resolve(host, port):
        try:
            return socket.create_connection((sockaddr[0], port), timeout, source_address)
        except OSError as exc:
            error = exc
    raise error or OSError(f"{host} did not answer")


class _CheckedConnection(HTTPConnection):
    """urllib3's connection, opening its socket to a checked address. ``self.host`` stays the name,
    so the Host header, SNI and the certificate check use the name."""

    public_only: bool | None = None

    def _new_conn(self) -> socket.socket:
        try:
            addresses = resolve(self._dns_host, self.port, public_only=self.public_only)
        except OSError as exc:
            raise NameResolutionError(self.host, self, exc) from exc  # type: ignore[arg-type]
        error: Exception | None = None
        for _, sockaddr in addresses:
            try:
                return urllib3_connection.create_connection(
                    (sockaddr[0], self.port),
                    self.timeout,
                    source_address=self.source_address,
                    socket_options=self.socket_options,
                )
            except TimeoutError as exc:
                error = ConnectTimeoutError(self, f"Connection to {self.host} timed out.")
                error.__cause__ = exc
            except OSError as exc:
                error = NewConnectionError(self, f"Failed to establish a new connection: {exc}")
                error.__cause__ = exc
        raise error or NewConnectionError(self, f"{self.host} did not answer")


class _CheckedHTTPSConnection(_CheckedConnection, HTTPSConnection):
    pass


def _pool(pool: type, connection: type[_CheckedConnection], public_only: bool | None) -> type:
    """A pool class of checked connections with their rule (urllib3 builds connections from a class,
    and its pool keys take no extra arguments)."""
    checked = type(connection.__name__, (connection,), {"public_only": public_only})
    return type(pool.__name__, (pool,), {"ConnectionCls": checked})


class _Adapter(HTTPAdapter):
    """Requests' adapter over pools of checked connections (AddressRefused is not an OSError, so it
    passes through urllib3's retries and requests' wrapping unchanged)."""

    def __init__(self, public_only: bool | None) -> None:
        self._pools = {
            "http": _pool(HTTPConnectionPool, _CheckedConnection, public_only),
            "https": _pool(HTTPSConnectionPool, _CheckedHTTPSConnection, public_only),
        }
        super().__init__()

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = self._pools

    def proxy_manager_for(self, *args: Any, **kwargs: Any) -> Any:
        # Through a proxy the proxy resolves the name, and what it reaches is no longer checked.
        raise requests.exceptions.InvalidProxyURL("connections on a store's behalf never use a proxy")


def session(*, public_only: bool | None = None) -> requests.Session:
    """A requests session whose every connection (redirects too) is checked. It ignores the
    environment's proxies and .netrc: what it reaches must be what was checked."""
    http = requests.Session()
    http.trust_env = False
    adapter = _Adapter(public_only)
    http.mount("http://", adapter)
    http.mount("https://", adapter)
    return http
