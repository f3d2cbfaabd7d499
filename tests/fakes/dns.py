"""A DNS server on loopback (dnslib) answering TXT queries from a table the test fills, as a domain's
DNS provider would once the merchant added the records: NXDOMAIN for a name it does not hold."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import dns.resolver
from dnslib import QTYPE, RCODE, RR, TXT
from dnslib.server import DNSLogger, DNSServer

from tests.fakes.ports import free_port


def _chunks(value: str) -> list[bytes]:
    """A TXT value in strings of at most 255 bytes, as DNS providers split a long DKIM key."""
    raw = value.encode()
    return [raw[i : i + 255] for i in range(0, len(raw), 255)] or [b""]


@dataclass
class FakeDns:
    records: dict[str, list[str]] = field(default_factory=dict)  # name -> TXT values
    port: int = 0
    queries: list[str] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def resolve(self, request: Any, handler: Any) -> Any:  # dnslib's resolver interface
        reply = request.reply()
        name = str(request.q.qname).rstrip(".").lower()
        with self._lock:
            self.queries.append(name)
            values = list(self.records.get(name, []))
        if not values:
            reply.header.rcode = RCODE.NXDOMAIN
            return reply
        if request.q.qtype == QTYPE.TXT:
            for value in values:
                reply.add_answer(RR(request.q.qname, QTYPE.TXT, rdata=TXT(_chunks(value)), ttl=60))
        return reply

    def add(self, name: str, value: str) -> None:
        with self._lock:
            self.records.setdefault(name.lower(), []).append(value)

    def txt(self, name: str) -> bytes | None:
        """dkimpy's ``dnsfunc``: the TXT record at ``name``, looked up over DNS on loopback."""
        resolver = dns.resolver.Resolver(configure=False)
        resolver.nameservers, resolver.port = ["127.0.0.1"], self.port
        try:
            answer = resolver.resolve(name.rstrip("."), "TXT")
        except dns.resolver.NXDOMAIN:
            return None
        return b"".join(answer[0].strings)

    @contextmanager
    def running(self) -> Iterator[FakeDns]:
        self.port = self.port or free_port()
        server = DNSServer(
            self,
            address="127.0.0.1",
            port=self.port,
            logger=DNSLogger(log="-request,-reply,-truncated,-data,-recv,-send", prefix=False),
        )
        server.start_thread()
        try:
            yield self
        finally:
            server.stop()
            server.server.server_close()
