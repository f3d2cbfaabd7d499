"""A fake Twilio Messages API over loopback, answering as Twilio's REST API documents it
(https://www.twilio.com/docs/messaging/api/message-resource, https://www.twilio.com/docs/api/errors):

- ``POST /2010-04-01/Accounts/{AccountSid}/Messages.json``, form-encoded ``To``, ``From``, ``Body``,
  HTTP basic auth with the Account SID and Auth Token (401 + error 20003 otherwise);
- ``To`` must be E.164 (``+`` and up to 15 digits), ``whatsapp:`` + E.164 for WhatsApp (21211);
  ``From`` must be one of the account's numbers or WhatsApp senders (21212 / 63007);
- a number that replied STOP answers 21610, a landline 21614, a body over 1,600 characters 21617;
- success is 201 with the message resource: ``sid`` (SM + 32 hex), ``status`` queued, ``to``,
  ``from``, ``body``, ``account_sid``, ``direction`` outbound-api, ``date_created`` (RFC 2822).

WhatsApp as Twilio and WhatsApp enforce it: free text (``Body``) only to a number whose 24-hour window
is open (``sessions``: when the customer last wrote, by the app's clock), else error 63016; outside it,
an approved template by ``ContentSid`` with ``ContentVariables`` (JSON) and no ``Body``.

A customer writing to the store's number (``incoming``) is Twilio's incoming-message webhook
(https://www.twilio.com/docs/messaging/guides/webhook-request): a form POST of the documented
parameters to the address the merchant pasted, signed as
https://www.twilio.com/docs/usage/webhooks/webhooks-security says (``X-Twilio-Signature``: base64
HMAC-SHA1, keyed with the Auth Token, of the URL followed by each parameter's name and value sorted by
name), computed here from that description rather than with Twilio's library, so the app's check is
held to the documents. WhatsApp's window opens as the message arrives.

The Content API (https://www.twilio.com/docs/content/content-api-resources), on the same server:

- ``POST /v1/Content`` (JSON ``friendly_name``, ``language``, ``variables``, ``types``) answers 201 with
  the resource (``sid`` HX + 32 hex, ``account_sid``, ``links.approval_create`` / ``approval_fetch``);
- ``POST /v1/Content/{sid}/ApprovalRequests/whatsapp`` (JSON ``name``, ``category``) answers 201 with
  ``status`` "received";
- ``GET /v1/Content/{sid}/ApprovalRequests`` answers ``{"whatsapp": {"status": ..., "rejection_reason":
  ...}}``; WhatsApp's verdict is the test's (``decide``): "pending" until then.

Tests set it up with ``numbers``, ``whatsapp_senders``, ``stopped``, ``landlines``, ``sessions``, and
read ``sent`` and ``contents``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import secrets
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.utils import format_datetime
from urllib.parse import urlsplit

import requests
from flask import Flask, jsonify, request

from app import clock
from tests.fakes.serve import serving

E164 = re.compile(r"^\+[1-9]\d{1,14}$")
WINDOW = timedelta(hours=24)
OUTSIDE_WINDOW = (
    "Failed to send freeform message because you are outside the allowed window. Please use a Template."
)


@dataclass
class FakeTwilio:
    account_sid: str = field(default_factory=lambda: "AC" + secrets.token_hex(16))
    auth_token: str = field(default_factory=lambda: secrets.token_hex(16))
    numbers: set[str] = field(default_factory=set)
    whatsapp_senders: set[str] = field(default_factory=set)
    stopped: set[str] = field(default_factory=set)
    landlines: set[str] = field(default_factory=set)
    sessions: dict[str, datetime] = field(default_factory=dict)  # number -> when it last wrote on WhatsApp
    sent: list[dict[str, str]] = field(default_factory=list)
    contents: dict[str, dict] = field(default_factory=dict)  # sid -> the Content resource (and approval)
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
            content_sid, filled = request.form.get("ContentSid", ""), request.form.get("ContentVariables", "")
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
            if content_sid:
                content = self.contents.get(content_sid)
                if content is None:
                    return error(404, 20404, f"The requested resource {content_sid} was not found")
                if whatsapp and (content.get("approval") or {}).get("status") != "approved":
                    return error(400, 63016, OUTSIDE_WINDOW)
                try:
                    values = json.loads(filled or "{}")
                except ValueError:
                    return error(400, 21656, "The ContentVariables Parameter is invalid.")
                body = content["types"]["twilio/text"]["body"]
                for key, value in values.items():
                    body = body.replace("{{" + key + "}}", str(value))
            elif not body:
                return error(400, 21602, "Message body is required.")
            elif whatsapp and not self.window_open(number):
                return error(400, 63016, OUTSIDE_WINDOW)
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
                "content_sid": content_sid or None,
                "content_variables": filled or None,
                "status": "queued",
                "direction": "outbound-api",
                "date_created": format_datetime(clock.now()),
                "uri": f"/2010-04-01/Accounts/{self.account_sid}/Messages/{sid}.json",
            }
            with self._lock:
                self.sent.append(resource)
            return jsonify(resource), 201

        def authorized() -> bool:
            auth = request.authorization
            return auth is not None and (auth.username, auth.password) == (self.account_sid, self.auth_token)

        @app.post("/v1/Content")
        def create_content():  # noqa: ANN202
            if not authorized():
                return error(401, 20003, "Authenticate")
            data = request.get_json(silent=True) or {}
            if not data.get("friendly_name") or not data.get("language") or not data.get("types"):
                return error(400, 35101, "friendly_name, language and types are required")
            sid = "HX" + secrets.token_hex(16)
            now = format_datetime(clock.now())
            resource = {
                "sid": sid,
                "account_sid": self.account_sid,
                "friendly_name": data["friendly_name"],
                "language": data["language"],
                "variables": data.get("variables") or {},
                "types": data["types"],
                "date_created": now,
                "date_updated": now,
                "url": f"https://content.twilio.com/v1/Content/{sid}",
                "links": {
                    "approval_create": f"https://content.twilio.com/v1/Content/{sid}/ApprovalRequests/whatsapp",
                    "approval_fetch": f"https://content.twilio.com/v1/Content/{sid}/ApprovalRequests",
                },
            }
            with self._lock:
                self.contents[sid] = {**resource, "approval": None}
            return jsonify(resource), 201

        @app.post("/v1/Content/<sid>/ApprovalRequests/whatsapp")
        def submit(sid: str):  # noqa: ANN202
            if not authorized():
                return error(401, 20003, "Authenticate")
            content = self.contents.get(sid)
            if content is None:
                return error(404, 20404, f"The requested resource /v1/Content/{sid} was not found")
            data = request.get_json(silent=True) or {}
            if data.get("category") not in ("UTILITY", "MARKETING", "AUTHENTICATION"):
                return error(400, 35113, "category must be UTILITY, MARKETING or AUTHENTICATION")
            approval = {
                "name": data.get("name", ""),
                "category": data["category"],
                "content_type": "twilio/text",
                "status": "received",
                "rejection_reason": "",
                "allow_category_change": True,
            }
            with self._lock:
                content["approval"] = approval
            return jsonify(approval), 201

        @app.get("/v1/Content/<sid>/ApprovalRequests")
        def fetch_approval(sid: str):  # noqa: ANN202
            if not authorized():
                return error(401, 20003, "Authenticate")
            content = self.contents.get(sid)
            if content is None:
                return error(404, 20404, f"The requested resource /v1/Content/{sid} was not found")
            approval = content["approval"] or {}
            if approval.get("status") == "received":
                approval["status"] = "pending"  # WhatsApp has it now
            return jsonify(
                {
                    "url": f"https://content.twilio.com/v1/Content/{sid}/ApprovalRequests",
                    "sid": sid,
                    "account_sid": self.account_sid,
                    "whatsapp": {"type": "whatsapp", **approval},
                }
            )

        return app

    def decide(self, status: str = "approved", reason: str = "", **where: str) -> int:
        """WhatsApp's verdict on the submitted templates matching ``where`` (e.g. ``language="fa"``)."""
        decided = 0
        with self._lock:
            for content in self.contents.values():
                if content["approval"] and all(content.get(k) == v for k, v in where.items()):
                    content["approval"].update(status=status, rejection_reason=reason)
                    decided += 1
        return decided

    def window_open(self, number: str) -> bool:
        wrote = self.sessions.get(number)
        return wrote is not None and clock.now() < wrote + WINDOW

    def incoming(
        self,
        url: str,
        sender: str,
        to: str,
        body: str = "Thanks!",
        *,
        whatsapp: bool = True,
        deliver_to: str | None = None,
        token: str | None = None,
        extra: Mapping[str, str] | None = None,
    ) -> requests.Response:
        """The customer at ``sender`` writes ``body`` to the store's ``to``: Twilio posts to ``url``
        (the address the merchant pasted; ``deliver_to`` is where it really lands, as behind a proxy:
        the signature is over ``url``), signed with ``token`` (the Auth Token unless given)."""
        prefix = "whatsapp:" if whatsapp else ""
        sid = "SM" + secrets.token_hex(16)
        params = {
            "MessageSid": sid,
            "SmsMessageSid": sid,
            "SmsSid": sid,
            "AccountSid": self.account_sid,
            "From": prefix + sender,
            "To": prefix + to,
            "Body": body,
            "NumMedia": "0",
            "NumSegments": "1",
            "SmsStatus": "received",
            "ApiVersion": "2010-04-01",
        }
        if whatsapp:
            params.update(ProfileName="Layla", WaId=sender.lstrip("+"), MessageType="text")
        else:
            params.update(FromCountry="US", ToCountry="US", FromCity="", ToCity="", FromZip="", ToZip="")
        params.update(extra or {})
        headers = {
            "X-Twilio-Signature": self.signature(url, params, token or self.auth_token),
            "I-Twilio-Idempotency-Token": secrets.token_hex(16),
            "User-Agent": "TwilioProxy/1.1",
        }
        if whatsapp:
            self.sessions[sender] = clock.now()
        target = url
        if deliver_to is not None:
            parts = urlsplit(url)
            target = deliver_to.rstrip("/") + parts.path + (f"?{parts.query}" if parts.query else "")
        return requests.post(target, data=params, headers=headers, timeout=10)

    @staticmethod
    def signature(url: str, params: Mapping[str, str], token: str) -> str:
        """Twilio's ``X-Twilio-Signature``: the URL, then each name and its value, sorted by name."""
        signed = url + "".join(name + params[name] for name in sorted(params))
        return base64.b64encode(hmac.new(token.encode(), signed.encode(), hashlib.sha1).digest()).decode()

    @contextmanager
    def running(self) -> Iterator[FakeTwilio]:
        with serving(self.app()) as url:
            self.url = url
            yield self
