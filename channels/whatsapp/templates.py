"""WhatsApp templates through Twilio's Content API (https://www.twilio.com/docs/content).

One template per step and language (en, ar, fa): a ``twilio/text`` body in which the store's name, the
order's number and the step's own short text are variables, so one approval covers every message of
the step and the merchant's wording can change without a new review. Created with
``POST /v1/Content``, submitted with ``POST /v1/Content/{sid}/ApprovalRequests/whatsapp`` (category
UTILITY for order updates, MARKETING for offers), followed with ``GET /v1/Content/{sid}/ApprovalRequests``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import requests

from channels.base import ChannelDown, Outgoing, TransientChannelError
from channels.twilio_api import Account

APPROVED = "approved"
FINAL = frozenset({"approved", "rejected", "disabled"})
TIMEOUT = (5, 15)
LOCALES = ("en", "ar", "fa")
BODIES = {
    "en": "A message from {{1}} about your order {{2}}:\n\n{{3}}\n\nReply here if you need anything.",
    "ar": "رسالة من {{1}} بخصوص طلبك {{2}}:\n\n{{3}}\n\nرد هنا إن احتجت أي شيء.",
    "fa": "پیامی از {{1}} دربارهٔ سفارش {{2}}:\n\n{{3}}\n\nاگر چیزی لازم داشتید همین‌جا پاسخ دهید.",
}
SAMPLES = {"1": "Tea & Things", "2": "#1001", "3": "Your order is on its way: https://example.com/t/abc"}


def variables(store_name: str, outgoing: Outgoing) -> dict[str, str]:
    return {"1": store_name, "2": str(outgoing.facts.get("number", "")), "3": outgoing.short}


def friendly_name(store_id: int, step: str, locale: str) -> str:
    """WhatsApp template names: lower case, digits and underscores."""
    return f"aftercare_{store_id}_{step}_{locale}"


@dataclass(frozen=True)
class Approval:
    status: str
    reason: str = ""


class ContentApi:
    def __init__(self, api_url: str = "https://content.twilio.com") -> None:
        self.api_url = api_url.rstrip("/")
        self.session = requests.Session()

    def _call(self, account: Account, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        try:
            response = self.session.request(
                method, self.api_url + path, json=body, auth=(account.sid, account.token), timeout=TIMEOUT
            )
        except requests.RequestException as exc:
            raise ChannelDown(f"Twilio could not be reached: {exc}") from exc
        if response.status_code in (401, 403):
            raise ChannelDown(f"Twilio refused the account ({response.status_code})")
        if response.status_code >= 400:
            raise TransientChannelError(f"Twilio Content API {response.status_code}: {response.text[:300]}")
        try:
            return response.json()
        except ValueError as exc:
            raise TransientChannelError("Twilio answered without JSON") from exc

    def create(self, account: Account, name: str, locale: str) -> str:
        """A new template; its ``HX...`` sid."""
        data = self._call(
            account,
            "POST",
            "/v1/Content",
            {
                "friendly_name": name,
                "language": locale,
                "variables": SAMPLES,
                "types": {"twilio/text": {"body": BODIES[locale]}},
            },
        )
        sid = data.get("sid") if isinstance(data, dict) else None
        if not isinstance(sid, str):
            raise TransientChannelError("Twilio created the template but sent no sid")
        return sid

    def submit(self, account: Account, sid: str, name: str, category: str) -> Approval:
        data = self._call(
            account,
            "POST",
            f"/v1/Content/{sid}/ApprovalRequests/whatsapp",
            {"name": name, "category": category},
        )
        return _approval(data)

    def status(self, account: Account, sid: str) -> Approval:
        data = self._call(account, "GET", f"/v1/Content/{sid}/ApprovalRequests")
        return _approval(data.get("whatsapp") if isinstance(data, dict) else None)


def _approval(data: Any) -> Approval:
    if not isinstance(data, dict):
        return Approval("unknown")
    return Approval(str(data.get("status") or "unknown"), str(data.get("rejection_reason") or ""))
