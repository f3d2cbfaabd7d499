"""Links that go out in customer messages and come back to the public pages, signed per purpose."""

from __future__ import annotations

from dataclasses import dataclass

from app import signing
from app.config import Settings

CHECK_IN = "check-in"
CHECK_IN_MAX_AGE_SECONDS = 60 * 24 * 3600


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
        if not (isinstance(data, list) and len(data) == 2 and all(isinstance(part, int) for part in data)):
            raise signing.TokenInvalid("this link is not valid")
        return data[0], data[1]
