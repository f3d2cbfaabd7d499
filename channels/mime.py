"""An email's bytes as they go on the wire: text and HTML alternatives, UTF-8, assembled in one pass.

The standard library's ``EmailMessage`` parses every header it is given into a tree and folds it back
on output; for our messages that cost about 14 ms each, more than rendering and sending them together.
We know the shape of every message we send (a few headers, two alternatives), so it is written out
directly, with the standard library's encoders for the parts that need them (RFC 2047 encoded words
for non-ASCII headers, quoted-printable or base64 bodies). Every byte is 7-bit: a relay that does not
offer 8BITMIME has nothing to convert, and so nothing breaks the DKIM signature on the way.
"""

from __future__ import annotations

import base64
import binascii
import secrets
from collections.abc import Iterable
from email.header import Header
from email.utils import format_datetime, formataddr

from app import clock
from channels.base import Outgoing

CRLF = "\r\n"
FOLD_AT = 78  # RFC 5322's recommended line length; the limit is 998
LINE_LIMIT = 998


def to_bytes(
    from_name: str, from_email: str, outgoing: Outgoing, reply_to: str | None = None, linesep: str = CRLF
) -> bytes:
    """The whole message; ``linesep`` "\\n" for a file on disk, CRLF (the default) for SMTP."""
    headers = [
        ("From", _address(from_name, from_email)),
        ("To", _address(outgoing.to_name, outgoing.to_address)),
    ]
    if reply_to and reply_to.lower() != from_email.lower():
        headers.append(("Reply-To", reply_to))
    headers += [
        ("Subject", outgoing.subject),
        ("Date", format_datetime(clock.now())),
        ("Message-ID", outgoing.message_id),
        *outgoing.headers.items(),
    ]
    parts = [_part("plain", outgoing.text), _part("html", outgoing.html)]
    boundary = _boundary(body for _, body in parts)
    headers += [
        ("MIME-Version", "1.0"),
        ("Content-Type", f'multipart/alternative; boundary="{boundary}"'),
        ("Content-Language", outgoing.locale),
    ]
    lines = [_header(name, value) for name, value in headers]
    lines.append("")
    for part_headers, body in parts:
        lines.append(f"--{boundary}")
        lines.extend(part_headers)
        lines.append("")
        lines.append(body)
    lines.append(f"--{boundary}--")
    lines.append("")
    return CRLF.join(lines).replace(CRLF, linesep).encode("utf-8")  # ASCII unless an address is not


def _one_line(value: str) -> str:
    """No line break can reach a header from a value (a subject, a name): it would start a new one."""
    return " ".join(value.splitlines()) if "\n" in value or "\r" in value else value


def _header(name: str, value: str) -> str:
    value = _one_line(value)
    if value.isascii() and (len(name) + 2 + len(value) <= FOLD_AT or " " not in value):
        return f"{name}: {value}"  # short, or with nowhere to fold (a long link): as it is
    charset = "us-ascii" if value.isascii() else "utf-8"
    return f"{name}: " + Header(value, charset, header_name=name).encode(linesep=CRLF)


def _address(name: str, address: str) -> str:
    name = _one_line(name)
    if not name:
        return address
    if name.isascii():
        return formataddr((name, address))  # quotes a name with specials
    return f"{Header(name, 'utf-8').encode(linesep=CRLF)} <{address}>"


def _part(subtype: str, content: str) -> tuple[list[str], str]:
    """One alternative's headers and its body, encoded as the email package would choose: 7bit when
    it is plain ASCII in short lines, else the shorter of quoted-printable and base64."""
    text = content.replace("\r\n", "\n").replace("\r", "\n")
    raw = text.encode("utf-8")
    if text.isascii() and max(map(len, text.split("\n")), default=0) <= LINE_LIMIT:
        encoding, body = "7bit", text
    else:
        quoted = binascii.b2a_qp(raw, istext=True).decode("ascii")
        wrapped = base64.encodebytes(raw).decode("ascii")
        encoding, body = ("quoted-printable", quoted) if len(quoted) <= len(wrapped) else ("base64", wrapped)
    body = body.replace("\n", CRLF)  # a final line break is the content's; the boundary has its own
    headers = [f'Content-Type: text/{subtype}; charset="utf-8"', f"Content-Transfer-Encoding: {encoding}"]
    return headers, body


def _boundary(bodies: Iterable[str]) -> str:
    """A boundary no part holds (an encoded part cannot hold ``=_``; a 7bit one is checked)."""
    bodies = list(bodies)
    while True:
        boundary = f"=_aftercare_{secrets.token_hex(12)}"
        if not any(boundary in body for body in bodies):
            return boundary
