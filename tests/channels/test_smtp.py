"""The store's SMTP settings checked at once ("test connection"), against a real server on loopback."""

from __future__ import annotations

import contextlib
import socket
import threading
import time

import pytest

from channels.base import ChannelDown, RecipientRefused, TransientChannelError
from channels.smtp import Server, check
from channels.smtp.server import Transport
from tests.fakes.ports import free_port


def sender(port: int, **changes) -> Server:
    values = {"host": "127.0.0.1", "port": port, "security": "none"}
    renamed = {key.removeprefix("smtp_"): value for key, value in changes.items()}
    return Server(**{**values, **renamed, "host": renamed.get("host", "127.0.0.1") or ""})


def test_a_working_server_passes_and_receives_nothing(smtp):
    check(sender(smtp.port))
    assert smtp.received == []


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"smtp_port": None}, "could not be reached"),  # replaced below by a closed port
        ({"smtp_security": "starttls"}, "does not offer this security mode"),
        ({"smtp_username": "shop", "smtp_password": "secret"}, "does not offer"),
        ({"smtp_host": None}, "no SMTP server is set"),
    ],
)
def test_a_wrong_setting_is_reported_in_words(smtp, changes, words):
    if changes.get("smtp_port", 1) is None:
        changes = {"smtp_port": free_port()}
    with pytest.raises(ChannelDown, match=words):
        check(sender(smtp.port, **changes))


class _WaitingServer(threading.Thread):
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


def test_a_server_offering_pipelining_gets_mail_rcpt_and_data_in_one_write():
    """Two round trips a message instead of four (RFC 2920): over a real network, most of a send's
    time. The message arrives as it was, a line that starts with a dot included (dot-stuffed on the
    wire, as DATA requires, and unstuffed by the server)."""
    server = _WaitingServer()
    server.start()
    message = b"Subject: hello\r\n\r\n.a line that starts with a dot\r\nand the rest\r\n"
    transport = Transport()
    route = Server("127.0.0.1", server.port, "none", guarded=False)
    transport.send(route, "shop@example.test", "buyer@example.test", message)
    transport.send(route, "shop@example.test", "buyer@example.test", message)  # the kept connection
    transport.close_idle(0)
    server.join(timeout=60)
    assert server.together == [True, True]
    assert server.bodies == [b"Subject: hello\r\n\r\n..a line that starts with a dot\r\nand the rest"] * 2


def test_the_next_message_s_envelope_goes_behind_this_one_s_data():
    """Told which message follows, the transport writes its MAIL, RCPT and DATA with the end of this
    one's data, before the server has answered it: one round trip a message. That message then goes
    into the transaction left open for it, over the same connection (fails without the envelope sent
    ahead: the server sees the second MAIL only after answering the first message)."""
    server = _WaitingServer()
    server.start()
    message = b"Subject: hello\r\n\r\nbody\r\n"
    transport = Transport()
    route = Server("127.0.0.1", server.port, "none", guarded=False)
    transport.send(
        route,
        "shop@example.test",
        "first@example.test",
        message,
        ("shop@example.test", "second@example.test"),
    )
    transport.send(route, "shop@example.test", "second@example.test", message)
    transport.close_idle(0)
    server.join(timeout=60)
    assert server.behind == [True, False]  # nothing was named after the second
    assert server.recipients == [b"<first@example.test>", b"<second@example.test>"]
    assert server.bodies == [b"Subject: hello\r\n\r\nbody"] * 2


def test_an_envelope_sent_ahead_for_a_message_that_does_not_come_delivers_nothing(smtp):
    """The message named next is not the one sent next (it was cancelled meanwhile, say): that one
    goes over a new connection, and the run's end closes the one left waiting for data. The server
    delivers only what was sent: nothing for the envelopes that went ahead (fails without the envelope
    sent ahead: one connection carries both)."""
    transport = Transport()
    route = Server("127.0.0.1", smtp.port, "none", guarded=False)
    message = b"Subject: hello\r\n\r\nbody\r\n"
    transport.send(
        route,
        "shop@example.test",
        "first@example.test",
        message,
        ("shop@example.test", "cancelled@example.test"),
    )
    transport.send(
        route, "shop@example.test", "other@example.test", message, ("shop@example.test", "left@example.test")
    )
    transport.close_idle(0)
    received = smtp.wait_for(3, timeout=1.0)
    assert [item.rcpt_tos for item in received] == [["first@example.test"], ["other@example.test"]]
    assert len(smtp.peers) == 2


def test_a_recipient_refused_when_its_envelope_went_ahead_is_refused_at_its_own_send(smtp):
    """The refusal of a recipient named next arrives while the message before it is being sent: that
    message is sent all the same, the refusal is raised at the refused message's own send, and the
    connection serves the message after."""
    smtp.refused["gone@example.test"] = "550 5.1.1 no such mailbox"
    transport = Transport()
    route = Server("127.0.0.1", smtp.port, "none", guarded=False)
    message = b"Subject: hello\r\n\r\nbody\r\n"
    transport.send(
        route, "shop@example.test", "first@example.test", message, ("shop@example.test", "gone@example.test")
    )
    with pytest.raises(RecipientRefused, match="550"):
        transport.send(
            route,
            "shop@example.test",
            "gone@example.test",
            message,
            ("shop@example.test", "after@example.test"),
        )
    transport.send(route, "shop@example.test", "after@example.test", message)
    transport.close_idle(0)
    received = smtp.wait_for(2)
    assert [item.rcpt_tos for item in received] == [["first@example.test"], ["after@example.test"]]
    assert len(smtp.peers) == 1


def test_a_refusal_in_a_pipelined_transaction_is_sorted_as_in_lock_step(smtp):
    """The recipient refused while MAIL, RCPT and DATA were already on their way: the same errors as
    smtplib's own lock-step sendmail, and the connection is still good for the next message."""
    assert smtp.pipelining
    transport = Transport()
    route = Server("127.0.0.1", smtp.port, "none", guarded=False)
    message = b"Subject: hello\r\n\r\nbody\r\n"
    smtp.refuse_with = "550 5.1.1 no such mailbox"
    with pytest.raises(RecipientRefused, match="550"):
        transport.send(route, "shop@example.test", "gone@example.test", message)
    smtp.refuse_with = "451 4.3.0 try again later"
    with pytest.raises(TransientChannelError, match="451"):
        transport.send(route, "shop@example.test", "busy@example.test", message)
    smtp.refuse_with = None
    transport.send(route, "shop@example.test", "buyer@example.test", message)
    transport.close_idle(0)
    [received] = smtp.wait_for(1)
    assert received.rcpt_tos == ["buyer@example.test"] and received.message["Subject"] == "hello"
    assert len(smtp.peers) == 1  # one connection for the three
