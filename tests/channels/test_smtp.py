"""The store's SMTP settings checked at once ("test connection"), against a real server on loopback."""

from __future__ import annotations

import pytest

from channels.base import ChannelDown, RecipientRefused, TransientChannelError
from channels.smtp import Server, check
from channels.smtp.server import Transport
from tests.fakes.ports import free_port
from tests.fakes.smtp import WaitingServer


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


def test_a_server_offering_pipelining_gets_mail_rcpt_and_data_in_one_write():
    """Two round trips a message instead of four (RFC 2920): over a real network, most of a send's
    time. The message arrives as it was, a line that starts with a dot included (dot-stuffed on the
    wire, as DATA requires, and unstuffed by the server)."""
    server = WaitingServer()
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
    server = WaitingServer()
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
