"""The email's bytes, read back by the standard library's parser as a receiving client reads them."""

from __future__ import annotations

from email import message_from_bytes, policy

import pytest

from channels.base import Outgoing
from channels.mime import to_bytes


def outgoing(**changes) -> Outgoing:
    values = {
        "message_id": "<aftercare.1.2@tea-and-things.example>",
        "to_address": "layla@example.test",
        "to_name": "ليلى Al-Amin",
        "subject": "شكرًا لطلبك #1001",
        "text": "مرحبًا ليلى\nOrder #1001\n",
        "html": "<html><body><p>مرحبًا ليلى</p></body></html>\n",
        "locale": "ar",
        "headers": {"List-Unsubscribe": "<https://aftercare.example/u/" + "x" * 120 + ">"},
    }
    return Outgoing(**{**values, **changes})


def read(data: bytes):
    return message_from_bytes(data, policy=policy.default)


@pytest.mark.parametrize(
    "body",
    [
        "<p>Plain English in short lines.</p>\n",
        "<p>" + "one long line without a break " * 60 + "</p>",  # past SMTP's 998 characters
        "<p>" + "عربي " * 400 + "</p>\n",  # mostly not ASCII: base64
        "<p>tabs\tand trailing spaces   \nand = signs</p>\n",
    ],
)
def test_both_alternatives_arrive_as_written_in_seven_bit_lines(body):
    data = to_bytes("Tea & Things", "hello@tea-and-things.example", outgoing(html=body, text=body))
    assert data.isascii()
    assert max(len(line) for line in data.split(b"\r\n")) <= 998
    assert b"\n" not in data.replace(b"\r\n", b"")  # every line break is CRLF, as SMTP wants
    message = read(data)
    for kind in ("plain", "html"):
        assert message.get_body((kind,)).get_content().replace("\r\n", "\n") == body


def test_headers_read_back_as_they_were_given():
    reply_to = "orders@tea-and-things.example"
    data = to_bytes("Tea, Things & Co.", "hello@tea-and-things.example", outgoing(), reply_to)
    message = read(data)
    assert b'From: "Tea, Things & Co." <hello@tea-and-things.example>' in data  # quoted: a comma
    assert message["From"].addresses[0].display_name == "Tea, Things & Co."
    assert message["To"] == "ليلى Al-Amin <layla@example.test>"
    assert message["Reply-To"] == "orders@tea-and-things.example"
    assert message["Subject"] == "شكرًا لطلبك #1001"
    assert message["Message-ID"] == "<aftercare.1.2@tea-and-things.example>"
    assert message["List-Unsubscribe"] == "<https://aftercare.example/u/" + "x" * 120 + ">"
    assert message["Content-Language"] == "ar" and message.get_content_type() == "multipart/alternative"


def test_a_line_break_in_a_subject_cannot_start_a_header_of_its_own():
    data = to_bytes("Tea", "hello@tea.example", outgoing(subject="Hello\r\nBcc: everyone@example.test"))
    message = read(data)
    assert message["Bcc"] is None
    assert message["Subject"] == "Hello Bcc: everyone@example.test"


def test_no_reply_to_when_it_is_the_sender_itself():
    data = to_bytes("Tea", "hello@tea.example", outgoing(), "Hello@Tea.example")
    assert read(data)["Reply-To"] is None
