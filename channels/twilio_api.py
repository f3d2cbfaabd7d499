"""Twilio's Messages resource, as SMS and WhatsApp both use it, with its errors sorted for the dispatcher.

One form POST to ``/2010-04-01/Accounts/{AccountSid}/Messages.json`` with the store's own Account SID
and Auth Token (HTTP basic auth). Twilio answers 201 with the message's ``sid``, or an error whose
``code`` says what went wrong (https://www.twilio.com/docs/api/errors); the codes below decide whether
the store's channel is down (the messages wait), the customer cannot be reached this way (the next
channel is tried), the customer said STOP (suppressed), or it is worth another attempt.
"""

from __future__ import annotations

from dataclasses import dataclass

import requests
from pydantic import Field, field_validator

from app.messages.localise import e164
from channels.base import (
    ChannelDown,
    ChannelSettings,
    PermanentChannelError,
    RecipientRefused,
    TransientChannelError,
    Undeliverable,
)

TIMEOUT = (5, 15)  # connect, read
MAX_BODY = 1600  # Twilio refuses longer bodies (error 21617)
CHANNEL_DOWN = {
    20003: "Twilio refused the Account SID or Auth Token",
    20005: "the Twilio account is suspended",
    21212: "the store's sending number is not valid",
    21606: "the store's sending number cannot send this kind of message",
    21659: "the store's sending number is not a Twilio number of this account",
    63007: "the store's WhatsApp sender is not set up on this Twilio account",
}
UNREACHABLE = {
    21211: "the customer's phone number is not valid",
    21408: "the store's Twilio account may not send to this country",
    21612: "Twilio cannot route to this number",
    21614: "the customer's number is not a mobile number",
    63003: "the customer's number is not on WhatsApp",
    63016: "WhatsApp only allows approved templates outside 24 hours of the customer's last message",
}
STOPPED = {21610: "the customer replied STOP to the store's number"}


def phone_number(value: str) -> str:
    number = e164(value.removeprefix("whatsapp:"), None)
    if number is None:
        raise ValueError("Enter the number with its country code, such as +14155550100.")
    return number


class TwilioSettings(ChannelSettings):
    """The store's own Twilio account and the number (or WhatsApp sender) it sends from."""

    account_sid: str = Field(min_length=1, max_length=64, title="Twilio Account SID")
    auth_token: str = Field(
        min_length=1, max_length=128, title="Twilio Auth Token", json_schema_extra={"secret": True}
    )
    number: str = Field(max_length=64, title="Sending number")

    @field_validator("number")
    @classmethod
    def _e164(cls, value: str) -> str:
        return phone_number(value)


@dataclass(frozen=True)
class Account:
    sid: str
    token: str


class TwilioMessages:
    def __init__(self, api_url: str = "https://api.twilio.com") -> None:
        self.api_url = api_url.rstrip("/")
        self.session = requests.Session()

    def send(
        self,
        account: Account,
        to: str,
        from_: str,
        body: str = "",
        *,
        content_sid: str | None = None,
        variables: str | None = None,
    ) -> str:
        """Send ``body`` (or the approved template ``content_sid`` filled with ``variables``, JSON) from
        ``from_`` to ``to`` (both ``+E164``, or ``whatsapp:+E164``); the message SID."""
        url = f"{self.api_url}/2010-04-01/Accounts/{account.sid}/Messages.json"
        data = {"To": to, "From": from_}
        if content_sid:
            data.update(ContentSid=content_sid, ContentVariables=variables or "{}")
        else:
            data["Body"] = body[:MAX_BODY]
        try:
            response = self.session.post(url, data=data, auth=(account.sid, account.token), timeout=TIMEOUT)
        except requests.RequestException as exc:
            raise ChannelDown(f"Twilio could not be reached: {exc}") from exc
        if response.status_code in (200, 201):
            sid = _json(response).get("sid")
            if not isinstance(sid, str):
                raise TransientChannelError("Twilio accepted the message but sent no SID")
            return sid
        raise _error(response)


def _json(response: requests.Response) -> dict[str, object]:
    try:
        data = response.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _error(response: requests.Response) -> Exception:
    data = _json(response)
    raw_code = data.get("code")
    code = raw_code if isinstance(raw_code, int) else None
    said = f"Twilio {response.status_code}" + (f" error {code}: {data.get('message', '')}" if code else "")
    if code in CHANNEL_DOWN or response.status_code in (401, 403):
        return ChannelDown(f"{CHANNEL_DOWN.get(code or 0, 'Twilio refused the account')} ({said})")
    if code in STOPPED:
        return RecipientRefused(f"{STOPPED[code]} ({said})")
    if code in UNREACHABLE:
        return Undeliverable(f"{UNREACHABLE[code]} ({said})")
    if response.status_code == 429 or response.status_code >= 500:
        return TransientChannelError(said)
    return PermanentChannelError(said)
