"""The simulated store: makes realistic orders and delivers them as signed webhooks.

It behaves like a real platform where it matters to us: deliveries are signed over the raw bytes,
a re-delivery repeats the delivery id, orders change after they are placed (paid, cancelled), and
occasionally the same delivery arrives twice.
"""

from __future__ import annotations

import json
import random
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import phonenumbers
import requests
from faker import Faker
from phonenumbers import PhoneNumberType

from connectors.sandbox import catalog, webhooks

Payload = dict[str, Any]
REQUEST_TIMEOUT_SECONDS = 10


def _utc_now() -> datetime:
    return datetime.now(UTC)


class SimulatedStore:
    """One sandbox store posting to one Aftercare webhook URL."""

    def __init__(
        self,
        store_ref: str,
        secret: str,
        webhook_url: str,
        *,
        currency: str = "USD",
        seed: int | None = None,
        now: Callable[[], datetime] = _utc_now,
    ) -> None:
        self.store_ref = store_ref
        self.secret = secret
        self.webhook_url = webhook_url
        self.currency = currency
        self.now = now
        self.rng = random.Random(seed)
        self._fakers = {place.faker_locale: Faker(place.faker_locale) for place in catalog.PLACES}
        for faker in self._fakers.values():
            faker.seed_instance(self.rng.random())
        self._next_order = 1000 + self.rng.randrange(1000)
        self.session = requests.Session()
        self.customers: dict[str, tuple[catalog.Place, str, str, str, str]] = {}  # by email address

    # --- making orders -------------------------------------------------------------------------

    def new_order(
        self, *, status: str | None = None, payment_method: str | None = None, returning: str | None = None
    ) -> Payload:
        """A fresh order payload: one to four products, a customer somewhere in ``catalog.PLACES``;
        ``returning`` (an address the store has sold to) orders again as the same customer."""
        self._next_order += 1
        known = self.customers.get(returning or "")
        if known is not None:
            place, first, last, customer_id, phone = known
        else:
            place = self.rng.choice(catalog.PLACES)
            faker = self._fakers[place.faker_locale]
            first, last = faker.first_name(), faker.last_name()
            customer_id = str(self.rng.randrange(10_000, 99_999))
            phone = self.phone(place)
        email = f"customer{customer_id}@example.test"
        self.customers[email] = (place, first, last, customer_id, phone)
        lines: list[Payload] = []
        for index, product in enumerate(self.rng.sample(catalog.PRODUCTS, self.rng.randint(1, 4)), 1):
            lines.append(
                {
                    "id": f"{self._next_order}-{index}",
                    "product_id": product.id,
                    "title": product.title,
                    "sku": product.sku,
                    "quantity": self.rng.choice((1, 1, 1, 2, 3)),
                    "price": str(product.price),
                }
            )
        total = sum(Decimal(line["price"]) * line["quantity"] for line in lines)
        payment_method = payment_method or self.rng.choice(("card", "card", "card", "cod"))
        status = status or ("pending" if payment_method == "cod" else "paid")
        created = self.now()
        return {
            "id": str(self._next_order),
            "number": f"#{self._next_order}",
            "status": status,
            "payment_method": payment_method,
            "currency": self.currency,
            "total": str(total),
            "created_at": created.isoformat(),
            "updated_at": created.isoformat(),
            "paid_at": created.isoformat() if status == "paid" else None,
            "cancelled_at": None,
            "locale": place.language,
            "customer": {
                "id": customer_id,
                "email": email,
                "first_name": first,
                "last_name": last,
                "phone": phone,
                "locale": place.language,
                "accepts_marketing": self.rng.random() < 0.6,
            },
            "shipping_address": {
                "name": f"{first} {last}",
                "address1": f"{self.rng.randint(1, 300)} {self.rng.choice(place.streets)}",
                "city": place.city,
                "region": place.region,
                "postcode": place.postcode,
                "country": place.country,
                "phone": phone,
            },
            "line_items": lines,
        }

    def phone(self, place: catalog.Place) -> str:
        """A valid mobile number of the place's country (``phonenumbers`` says so), starting with its
        prefix: the length of the country's own example number, random digits after the prefix."""
        example = phonenumbers.example_number_for_type(place.country, PhoneNumberType.MOBILE)
        if example is None:  # every place in the catalogue has one
            raise ValueError(f"phonenumbers has no mobile number of {place.country}")
        length = len(phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.E164))
        for _ in range(200):
            rest = "".join(str(self.rng.randrange(10)) for _ in range(length - len(place.phone_prefix)))
            candidate = place.phone_prefix + rest
            if phonenumbers.is_valid_number(phonenumbers.parse(candidate)):
                return candidate
        return phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.E164)

    def changed(self, order: Payload, **changes: Any) -> Payload:
        """The same order after a change in the store, with a later ``updated_at``."""
        updated = max(datetime.fromisoformat(order["updated_at"]) + timedelta(seconds=1), self.now())
        result = {**order, **changes, "updated_at": updated.isoformat()}
        if changes.get("status") == "paid" and not result.get("paid_at"):
            result["paid_at"] = updated.isoformat()
        if changes.get("status") == "cancelled":
            result["cancelled_at"] = updated.isoformat()
        return result

    def shipment(
        self,
        order: Payload,
        status: str,
        *,
        at: datetime | None = None,
        previous: Payload | None = None,
        carrier: str = "Aramex",
    ) -> Payload:
        """The order's parcel after a carrier event: ``status`` is one of connectors.base.ShipmentStatus."""
        moment = at or self.now()
        number = previous["tracking_number"] if previous else f"AX{self.rng.randrange(10**9, 10**10)}"
        events = list(previous["events"]) if previous else []
        events.append(
            {
                "id": f"{number}-{len(events) + 1}",
                "status": status,
                "happened_at": moment.isoformat(),
                "detail": status.replace("_", " "),
            }
        )
        return {
            "id": f"S-{order['id']}",
            "order_id": order["id"],
            "carrier": carrier,
            "tracking_number": number,
            "tracking_url": f"https://track.example.test/{number}",
            "status": status,
            "shipped_at": previous["shipped_at"] if previous else moment.isoformat(),
            "delivered_at": moment.isoformat() if status == "delivered" else None,
            "updated_at": moment.isoformat(),
            "events": events,
        }

    # --- delivering webhooks -------------------------------------------------------------------

    def signed_request(
        self, topic: str, payload: Payload, delivery_id: str | None = None
    ) -> tuple[bytes, dict[str, str]]:
        """The exact bytes and headers the store would send."""
        body = json.dumps(payload, ensure_ascii=False).encode()
        headers = {
            "Content-Type": "application/json",
            webhooks.STORE_HEADER: self.store_ref,
            webhooks.TOPIC_HEADER: topic,
            webhooks.DELIVERY_HEADER: delivery_id or uuid.uuid4().hex,
            webhooks.TRIGGERED_HEADER: self.now().isoformat(),
            webhooks.SIGNATURE_HEADER: webhooks.sign(body, self.secret),
        }
        return body, headers

    def deliver(self, topic: str, payload: Payload, delivery_id: str | None = None) -> requests.Response:
        body, headers = self.signed_request(topic, payload, delivery_id)
        return self.session.post(
            self.webhook_url, data=body, headers=headers, timeout=REQUEST_TIMEOUT_SECONDS
        )

    def redeliver(self, response: requests.Response) -> requests.Response:
        """Send a delivery again, byte for byte, as platforms do when they think it failed."""
        request = response.request
        return self.session.post(
            self.webhook_url,
            data=request.body,
            headers=dict(request.headers),
            timeout=REQUEST_TIMEOUT_SECONDS,
        )

    def catalog_payloads(self) -> list[Payload]:
        """``product.updated`` payloads for the whole catalogue."""
        base = "https://sandbox.example.test/products/"
        return [
            {
                "id": product.id,
                "title": product.title,
                "url": base + product.sku.lower(),
                "image_url": None,
                "price": str(product.price),
                "in_stock": True,
                "tags": list(product.tags),
                "updated_at": self.now().isoformat(),
            }
            for product in catalog.PRODUCTS
        ]
