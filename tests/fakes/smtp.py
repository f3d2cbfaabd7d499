"""A real SMTP server on loopback (aiosmtpd) that keeps what it receives and can be told to refuse."""

from __future__ import annotations

import asyncio
import contextlib
import socket
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


def offering_pipelining(responses: list[str]) -> list[str]:
    """aiosmtpd's EHLO reply with PIPELINING in it, as the servers stores use offer it (aiosmtpd reads
    each command in turn whenever it arrives, so it serves a pipelining client as such; it only does
    not say so)."""
    return [*responses[:-1], "250-PIPELINING", responses[-1]]  # the last line ends the reply


class _Handler:
    def __init__(self, sink: SmtpSink) -> None:
        self.sink = sink

    async def handle_EHLO(  # noqa: N802
        self, server: Any, session: Any, envelope: Any, hostname: str, responses: list[str]
    ) -> list[str]:
        session.host_name = hostname
        return offering_pipelining(responses) if self.sink.pipelining else responses

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


class WaitingServer(threading.Thread):
    """A bare SMTP server on loopback that offers PIPELINING (as Postfix does) and answers a MAIL only
    once the RCPT and DATA behind it have arrived (or after ``patience`` seconds), and a message's data
    only once the next MAIL has (or after ``ahead_patience``): whether a client sent them together is
    then known for certain, and a client that waits for each answer still gets one. It serves one
    connection."""

    def __init__(self, patience: float = 5.0, ahead_patience: float = 0.5) -> None:
        super().__init__(daemon=True)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.patience = patience
        self.ahead_patience = ahead_patience
        self.together: list[bool] = []  # per MAIL: RCPT and DATA came with it
        self.behind: list[bool] = []  # per message: the next MAIL came before its data was answered
        self.recipients: list[bytes] = []
        self.bodies: list[bytes] = []

    def run(self) -> None:
        with self.listener:
            connection, _ = self.listener.accept()
        with connection:
            buffer = b""

            def line() -> bytes:
                nonlocal buffer
                while b"\r\n" not in buffer:
                    chunk = connection.recv(65536)
                    if not chunk:
                        raise EOFError
                    buffer += chunk
                first, buffer = buffer.split(b"\r\n", 1)
                return first

            def arrives(marker: bytes, patience: float) -> bool:
                """Whether ``marker`` is (or within ``patience`` seconds comes) in what the client sent."""
                nonlocal buffer
                deadline = time.monotonic() + patience
                connection.settimeout(0.05)
                while marker not in buffer.upper() and time.monotonic() < deadline:
                    with contextlib.suppress(TimeoutError):
                        if not (chunk := connection.recv(65536)):
                            break
                        buffer += chunk
                connection.settimeout(None)
                return marker in buffer.upper()

            connection.sendall(b"220 waiting.example ESMTP\r\n")
            with contextlib.suppress(EOFError):
                while True:
                    command = line().upper()
                    if command.startswith(b"EHLO"):
                        connection.sendall(b"250-waiting.example\r\n250-PIPELINING\r\n250 8BITMIME\r\n")
                    elif command.startswith(b"MAIL"):
                        self.together.append(arrives(b"DATA\r\n", self.patience))
                        connection.sendall(b"250 sender ok\r\n")
                    elif command.startswith(b"RCPT"):
                        self.recipients.append(command.removeprefix(b"RCPT TO:").lower())
                        connection.sendall(b"250 recipient ok\r\n")
                    elif command == b"DATA":
                        connection.sendall(b"354 go ahead\r\n")
                        body = []
                        while (text := line()) != b".":
                            body.append(text)
                        self.bodies.append(b"\r\n".join(body))
                        self.behind.append(arrives(b"MAIL FROM", self.ahead_patience))
                        connection.sendall(b"250 queued\r\n")
                    elif command == b"QUIT":
                        connection.sendall(b"221 bye\r\n")
                        return
                    else:
                        connection.sendall(b"250 ok\r\n")
