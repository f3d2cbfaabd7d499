"""The links a review request carries: per item, five star links and the review page (one token).

A token names the store, the order holding the item, and the product, signed for this purpose only;
it lives ``MAX_AGE_SECONDS`` (more than the 180 days a customer may come back to change a review).
"""

from __future__ import annotations

from dataclasses import dataclass

from app import signing
from app.config import Settings
from app.links import ids_and_text
from app.models import is_id

REVIEW = "review-item"
NPS = "nps"
PHOTO = "review-photo"
MAX_AGE_SECONDS = 400 * 24 * 3600
NPS_MAX_AGE_SECONDS = 90 * 24 * 3600
PHOTO_MAX_AGE_SECONDS = 24 * 3600  # a page's signed photo address (merchant, customer preview)


@dataclass(frozen=True)
class ReviewLinks:
    settings: Settings

    def _url(self, path: str) -> str:
        return f"{self.settings.public_url.rstrip('/')}{path}"

    def token(self, store_id: int, order_id: int, product_id: str) -> str:
        return signing.dumps(self.settings.secret_key, REVIEW, [store_id, order_id, product_id])

    def page(self, store_id: int, order_id: int, product_id: str) -> str:
        return self._url(f"/rv/{self.token(store_id, order_id, product_id)}")

    def stars(self, store_id: int, order_id: int, product_id: str) -> list[str]:
        """The five one-click links, one star to five."""
        page = self.page(store_id, order_id, product_id)
        return [f"{page}?stars={stars}" for stars in range(1, 6)]

    def read(self, token: str) -> tuple[int, int, str]:
        secret = self.settings.secret_key
        store_id, order_id, product_id = ids_and_text(secret, REVIEW, token, MAX_AGE_SECONDS)
        if not 0 < len(product_id) <= 255:  # a product id as the column holds it
            raise signing.TokenInvalid("this link is not valid")
        return store_id, order_id, product_id

    def nps(self, store_id: int, order_id: int) -> list[str]:
        """Eleven links, 0 to 10."""
        token = signing.dumps(self.settings.secret_key, NPS, [store_id, order_id])
        return [self._url(f"/nps/{token}?score={score}") for score in range(11)]

    def read_nps(self, token: str) -> tuple[int, int]:
        data = signing.loads(self.settings.secret_key, NPS, token, NPS_MAX_AGE_SECONDS)
        if not (isinstance(data, list) and len(data) == 2 and all(is_id(part) for part in data)):
            raise signing.TokenInvalid("this link is not valid")
        return data[0], data[1]

    def photo(self, name: str, *, thumbnail: bool = False, public: bool = False) -> str:
        """A photo's address: public ones are served only while their review is approved; the others
        carry a short-lived signature (the merchant's page, the customer's own preview)."""
        path = f"/rp/{name}{'.t' if thumbnail else ''}.jpg"
        if public:
            return self._url(path)
        return self._url(f"{path}?s={signing.dumps(self.settings.secret_key, PHOTO, name)}")

    def photo_signed(self, name: str, signature: str) -> bool:
        try:
            return signing.loads(self.settings.secret_key, PHOTO, signature, PHOTO_MAX_AGE_SECONDS) == name
        except signing.TokenInvalid:
            return False
