"""A real SMTP server on loopback (aiosmtpd) that keeps what it receives and can be told to refuse."""

from __future__ import annotations

import asyncio
import threading
import time
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller

from tests.fakes.ports import free_port


@dataclass(frozen=True)
class Received:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage
    raw: bytes


class _Handler:
    def __init__(self, sink: SmtpSink) -> None:
        self.sink = sink

    async def handle_EHLO(  # noqa: N802
        self, server: Any, session: Any, envelope: Any, hostname: str, responses: list[str]
    ) -> list[str]:
        """aiosmtpd's own answer, and PIPELINING as the servers stores use offer it (it reads each
        command in turn whenever it arrives, so it serves a pipelining client as such)."""
        session.host_name = hostname
        if not self.sink.pipelining:
            return responses
        return [*responses[:-1], "250-PIPELINING", responses[-1]]  # the last line ends the reply

    async def handle_MAIL(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:  # noqa: N802
        if self.sink.hold_after is not None and not self.sink.holding.is_set():
            with self.sink.lock:
                due = len(self.sink.received) >= self.sink.hold_after
            if due:
                self.sink.holding.set()  # one transaction, whoever's, stops here until released
                while not self.sink.released.is_set():
                    await asyncio.sleep(0.02)
        envelope.mail_from = address
        with self.sink.lock:
            self.sink.peers.add(session.peer)
        return "250 OK"

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:  # noqa: N802
        if self.sink.refuse_with:
            return self.sink.refuse_with
        if address in self.sink.refused:
            return self.sink.refused[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        raw = envelope.original_content or envelope.content
        parsed = message_from_bytes(raw, policy=policy.default)
        with self.sink.lock:
            self.sink.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), parsed, raw))
        return "250 Message accepted"


class SmtpSink:
    """Start with ``start()``; ``received`` fills as messages arrive. Set ``refuse_with`` to an SMTP
    reply (e.g. ``"450 mailbox busy"`` or ``"550 no such user"``) to refuse recipients."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.received: list[Received] = []
        self.peers: set[Any] = set()  # the client end of each connection that sent mail
        self.lock = threading.Lock()
        self.refuse_with: str | None = None
        self.refused: dict[str, str] = {}  # the reply to a RCPT of one address (no such mailbox)
        self.hold_after: int | None = None  # hold the first MAIL FROM after this many messages
        self.pipelining = True  # offered in the EHLO reply
        self.holding = threading.Event()
        self.released = threading.Event()
        self.running = False
        # aiosmtpd gives up after 5 s if its thread has not answered yet, which a busy machine can miss;
        # the wait ends as soon as the server answers, so a long limit costs nothing.
        self.controller = Controller(_Handler(self), hostname="127.0.0.1", port=self.port, ready_timeout=60)

    def start(self) -> SmtpSink:
        self.controller.start()
        self.running = True
        return self

    def stop(self) -> None:
        self.released.set()
        """Stop listening (connections are then refused); safe to call twice."""
        if self.running:
            self.controller.stop()
            self.running = False

    def wait_for(self, count: int, timeout: float = 10.0) -> list[Received]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.received) >= count:
                    return list(self.received)
            time.sleep(0.02)
        with self.lock:
            return list(self.received)
