"""What Twilio posts when a customer writes to the store's number: checked and read, nothing stored.

Twilio calls the number's (or WhatsApp sender's) "A message comes in" webhook with a form-encoded POST
(https://www.twilio.com/docs/messaging/guides/webhook-request): ``MessageSid``, ``AccountSid``,
``From``, ``To``, ``Body``, ``NumMedia``..., and for WhatsApp ``whatsapp:``-prefixed numbers with
``WaId`` and ``ProfileName``; with Advanced Opt-Out, ``OptOutType`` (STOP, START, HELP). It signs each
request with the account's Auth Token: ``X-Twilio-Signature`` is the base64 HMAC-SHA1 of the full URL
it called followed by every POST parameter's name and value, sorted by name
(https://www.twilio.com/docs/usage/webhooks/webhooks-security), checked here by Twilio's own
``RequestValidator``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

from twilio.request_validator import SIGNATURE_HEADER, RequestValidator

from channels.twilio_api import phone_number

__all__ = ["SIGNATURE_HEADER", "Inbound", "NotAMessage", "read", "signed"]

WHATSAPP = "whatsapp:"
# Twilio's default opt-out keywords for SMS (https://help.twilio.com/articles/223134027): what it
# already obeys itself; we keep the customer's word too, so no channel of ours writes there either.
STOP_WORDS = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"})
START_WORDS = frozenset({"START", "YES", "UNSTOP"})
Choice = Literal["stop", "start"]


class NotAMessage(ValueError):
    """The POST is not an incoming message as Twilio sends one (said in words)."""


@dataclass(frozen=True)
class Inbound:
    """One message a customer sent to the store's number."""

    channel: Literal["sms", "whatsapp"]
    phone: str  # the customer's number, E.164
    to: str  # the store's number, E.164
    sid: str
    body: str
    choice: Choice | None = None  # an SMS STOP or START


def signed(tokens: Iterable[str], url: str, form: Mapping[str, str], signature: str | None) -> bool:
    """Whether ``signature`` is Twilio's for ``url`` and ``form`` under one of the store's Auth Tokens
    (a store may use one account for SMS and another for WhatsApp)."""
    if not signature:
        return False
    return any(RequestValidator(token).validate(url, form, signature) for token in tokens if token)


def read(form: Mapping[str, str]) -> Inbound:
    """The message in a verified POST; raises ``NotAMessage`` when it is not one (a status callback
    posted to the wrong address, say)."""
    sid, sender, to = (form.get(name, "") for name in ("MessageSid", "From", "To"))
    if not sid or not sender or not to:
        raise NotAMessage("an incoming message has a MessageSid, a From and a To")
    whatsapp = sender.startswith(WHATSAPP)
    try:
        phone, ours = phone_number(sender), phone_number(to)
    except ValueError as exc:
        raise NotAMessage(f"From and To must be phone numbers: {exc}") from exc
    body = form.get("Body", "")
    choice: Choice | None = None
    if not whatsapp:  # WhatsApp has no keywords: a customer who writes "stop" there is read by the store
        said = (form.get("OptOutType") or body).strip().upper()
        choice = "stop" if said in STOP_WORDS else "start" if said in START_WORDS else None
    return Inbound("whatsapp" if whatsapp else "sms", phone, ours, sid[:64], body, choice)
