"""Links that go out in customer messages and come back to the public pages, signed per purpose."""

from __future__ import annotations

from dataclasses import dataclass

from app import signing
from app.config import Settings
from app.models import is_id

CHECK_IN = "check-in"
CHECK_IN_MAX_AGE_SECONDS = 60 * 24 * 3600
CLICK = "click"
CLICK_MAX_AGE_SECONDS = 2 * 365 * 24 * 3600
OPEN = "open"
OPEN_MAX_AGE_SECONDS = 2 * 365 * 24 * 3600
OPT_IN = "opt-in"
OPT_IN_MAX_AGE_SECONDS = 180 * 24 * 3600
UNSUBSCRIBE = "unsubscribe-order"
UNSUBSCRIBE_BY_CUSTOMER = "unsubscribe"  # links sent before each order kept its own contact
UNSUBSCRIBE_MAX_AGE_SECONDS = 3 * 365 * 24 * 3600  # an old email's link must still work
TRACKING = "tracking"
TRACKING_MAX_AGE_SECONDS = 3 * 365 * 24 * 3600


@dataclass(frozen=True)
class Links:
    settings: Settings

    def _url(self, path: str) -> str:
        return f"{self.settings.public_url.rstrip('/')}{path}"

    def check_in(self, store_id: int, order_id: int) -> dict[str, str]:
        token = signing.dumps(self.settings.secret_key, CHECK_IN, [store_id, order_id])
        return {answer: self._url(f"/c/{token}?answer={answer}") for answer in ("happy", "unhappy")}

    def read_check_in(self, token: str) -> tuple[int, int]:
        data = signing.loads(self.settings.secret_key, CHECK_IN, token, CHECK_IN_MAX_AGE_SECONDS)
        if not (isinstance(data, list) and len(data) == 2 and all(is_id(part) for part in data)):
            raise signing.TokenInvalid("this link is not valid")
        return data[0], data[1]

    def optin(self, store_id: int, order_id: int) -> str:
        """The thank-you's "Yes, send me offers": our double opt-in for the order's own contact."""
        token = signing.dumps(self.settings.secret_key, OPT_IN, [store_id, order_id])
        return self._url(f"/optin/{token}")

    def read_optin(self, token: str) -> tuple[int, int]:
        data = signing.loads(self.settings.secret_key, OPT_IN, token, OPT_IN_MAX_AGE_SECONDS)
        if not (isinstance(data, list) and len(data) == 2 and all(is_id(part) for part in data)):
            raise signing.TokenInvalid("this link is not valid")
        return data[0], data[1]

    def unsubscribe(self, store_id: int, order_id: int, kind: str) -> str:
        """The one-click link (and List-Unsubscribe target) for a message of ``kind`` about an order:
        the choice applies to that order's own contact, never to others sharing the account."""
        token = signing.dumps(self.settings.secret_key, UNSUBSCRIBE, [store_id, order_id, kind])
        return self._url(f"/u/{token}")

    def read_unsubscribe(self, token: str) -> tuple[int, str, int, str]:
        """(store id, "order" or "customer", its id, kind): links from before orders kept their own
        contact name the customer, and must still work."""
        try:
            store_id, order_id, kind = self._ids_and_text(UNSUBSCRIBE, token, UNSUBSCRIBE_MAX_AGE_SECONDS)
            return store_id, "order", order_id, kind
        except signing.TokenInvalid:
            store_id, customer_id, kind = self._ids_and_text(
                UNSUBSCRIBE_BY_CUSTOMER, token, UNSUBSCRIBE_MAX_AGE_SECONDS
            )
            return store_id, "customer", customer_id, kind

    def tracked(self, store_id: int, message_id: int, url: str) -> str:
        """A redirect through us to ``url``, which is inside the signature: nobody can make one of
        these point anywhere else, so it is no open redirect."""
        token = signing.dumps(self.settings.secret_key, CLICK, [store_id, message_id, url])
        return self._url(f"/r/{token}")

    def read_tracked(self, token: str) -> tuple[int, int, str]:
        store_id, message_id, url = self._ids_and_text(CLICK, token, CLICK_MAX_AGE_SECONDS)
        if not url.startswith(("https://", "http://")):
            raise signing.TokenInvalid("this link is not valid")
        return store_id, message_id, url

    def opened(self, store_id: int, message_id: int) -> str:
        """The open pixel's address for one message."""
        token = signing.dumps(self.settings.secret_key, OPEN, [store_id, message_id, ""])
        return self._url(f"/o/{token}.gif")

    def read_opened(self, token: str) -> tuple[int, int]:
        store_id, message_id, _ = self._ids_and_text(OPEN, token, OPEN_MAX_AGE_SECONDS)
        return store_id, message_id

    def tracking(self, store_id: int, order_id: int, message_id: int | None = None) -> str:
        """The order's tracking page; the message it came in (when known) is inside, so a view
        counts as that message's click."""
        token = signing.dumps(self.settings.secret_key, TRACKING, [store_id, order_id, str(message_id or "")])
        return self._url(f"/t/{token}")

    def read_tracking(self, token: str) -> tuple[int, int, int | None]:
        store_id, order_id, message = self._ids_and_text(TRACKING, token, TRACKING_MAX_AGE_SECONDS)
        message_id = int(message) if message.isdigit() and is_id(int(message)) else None
        return store_id, order_id, message_id

    def short(self, code: str) -> str:
        return self._url(f"/s/{code}")

    def _ids_and_text(self, purpose: str, token: str, max_age: int) -> tuple[int, int, str]:
        return ids_and_text(self.settings.secret_key, purpose, token, max_age)


def ids_and_text(secret: str, purpose: str, token: str, max_age: int) -> tuple[int, int, str]:
    """A token holding ``[id, id, str]`` for ``purpose``; TokenInvalid for anything else (an id out
    of the columns' range too: we never signed one, and PostgreSQL would refuse it)."""
    data = signing.loads(secret, purpose, token, max_age)
    if not (
        isinstance(data, list)
        and len(data) == 3
        and is_id(data[0])
        and is_id(data[1])
        and isinstance(data[2], str)
    ):
        raise signing.TokenInvalid("this link is not valid")
    return data[0], data[1], data[2]
