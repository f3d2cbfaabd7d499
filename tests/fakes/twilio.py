"""A fake Twilio Messages API over loopback, answering as Twilio's REST API documents it
(https://www.twilio.com/docs/messaging/api/message-resource, https://www.twilio.com/docs/api/errors):

- ``POST /2010-04-01/Accounts/{AccountSid}/Messages.json``, form-encoded ``To``, ``From``, ``Body``,
  HTTP basic auth with the Account SID and Auth Token (401 + error 20003 otherwise);
- ``To`` must be E.164 (``+`` and up to 15 digits), ``whatsapp:`` + E.164 for WhatsApp (21211);
  ``From`` must be one of the account's numbers or WhatsApp senders (21212 / 63007);
- a number that replied STOP answers 21610, a landline 21614, a body over 1,600 characters 21617;
- success is 201 with the message resource: ``sid`` (SM + 32 hex), ``status`` queued, ``to``,
  ``from``, ``body``, ``account_sid``, ``direction`` outbound-api, ``date_created`` (RFC 2822).

Tests set it up with ``numbers``, ``whatsapp_senders``, ``stopped``, ``landlines``, and read ``sent``.
"""

from __future__ import annotations

import re
import secrets
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.utils import format_datetime

from flask import Flask, jsonify, request

from app import clock
from tests.fakes.serve import serving

E164 = re.compile(r"^\+[1-9]\d{1,14}$")


@dataclass
class FakeTwilio:
    account_sid: str = field(default_factory=lambda: "AC" + secrets.token_hex(16))
    auth_token: str = field(default_factory=lambda: secrets.token_hex(16))
    numbers: set[str] = field(default_factory=set)
    whatsapp_senders: set[str] = field(default_factory=set)
    stopped: set[str] = field(default_factory=set)
    landlines: set[str] = field(default_factory=set)
    sent: list[dict[str, str]] = field(default_factory=list)
    url: str = ""
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def app(self) -> Flask:
        app = Flask("fake-twilio")

        def error(status: int, code: int, message: str):  # noqa: ANN202 - a Flask response pair
            more = f"https://www.twilio.com/docs/errors/{code}"
            return jsonify(code=code, message=message, more_info=more, status=status), status

        @app.post("/2010-04-01/Accounts/<account_sid>/Messages.json")
        def create(account_sid: str):  # noqa: ANN202
            auth = request.authorization
            if (
                auth is None
                or (auth.username, auth.password) != (self.account_sid, self.auth_token)
                or account_sid != self.account_sid
            ):
                return error(401, 20003, "Authenticate")
            to, from_, body = (request.form.get(name, "") for name in ("To", "From", "Body"))
            whatsapp = to.startswith("whatsapp:")
            number = to.removeprefix("whatsapp:")
            if not E164.match(number):
                return error(400, 21211, f"Invalid 'To' Phone Number: {to}")
            if whatsapp and from_.removeprefix("whatsapp:") not in self.whatsapp_senders:
                return error(
                    400, 63007, f"Twilio could not find a Channel with the specified From address: {from_}"
                )
            if not whatsapp and from_ not in self.numbers:
                return error(400, 21212, f"Invalid From Number (caller ID): {from_}")
            if not body:
                return error(400, 21602, "Message body is required.")
            if len(body) > 1600:
                return error(400, 21617, "The concatenated message body exceeds the 1600 character limit.")
            if number in self.stopped:
                return error(400, 21610, "Attempt to send to unsubscribed recipient")
            if not whatsapp and number in self.landlines:
                return error(400, 21614, f"'To' number {number} is not a valid mobile number")
            sid = "SM" + secrets.token_hex(16)
            resource = {
                "sid": sid,
                "account_sid": self.account_sid,
                "to": to,
                "from": from_,
                "body": body,
                "status": "queued",
                "direction": "outbound-api",
                "date_created": format_datetime(clock.now()),
                "uri": f"/2010-04-01/Accounts/{self.account_sid}/Messages/{sid}.json",
            }
            with self._lock:
                self.sent.append(resource)
            return jsonify(resource), 201

        return app

    @contextmanager
    def running(self) -> Iterator[FakeTwilio]:
        with serving(self.app()) as url:
            self.url = url
            yield self
