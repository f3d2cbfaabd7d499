"""Factories with sensible defaults, so tests read as sentences (CTFd's tests/helpers.py)."""

from __future__ import annotations

import json
import secrets
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select

from app import Services, channel_settings, clock, inbox, ingest
from app.journeys.steps import STEPS
from app.models import Base, Store
from connectors.base import (
    AddressSnapshot,
    CustomerSnapshot,
    LineSnapshot,
    OrderSnapshot,
    OrderStatus,
    ShipmentEventSnapshot,
    ShipmentSnapshot,
    ShipmentStatus,
)
from connectors.sandbox.store import SimulatedStore

T0 = datetime(2026, 11, 3, 9, 30, tzinfo=UTC)


CHANNEL_FIELDS = {
    "smtp": {
        "sender_email": "from_email",
        "smtp_host": "host",
        "smtp_port": "port",
        "smtp_security": "security",
        "smtp_username": "username",
        "smtp_password": "password",
    },
    "webhook": {"hook_url": "url", "hook_secret": "secret"},
}


def make_store(
    aftercare: Services,
    *,
    name: str = "Tea & Things",
    smtp_port: int | None = None,
    own_sender: bool = True,
    channel: str | None = None,
    **fields: Any,
) -> Store:
    """A sandbox store sending through its own SMTP server on loopback (``smtp_port``), or with
    ``own_sender=False`` through the operator's relay. Channel settings may be given by their old
    column names (``hook_url``, ``twilio_account_sid``, ``sms_from``...); ``channel`` is every step's
    first choice."""
    values: dict[str, Any] = {
        "platform": "sandbox",
        "external_id": f"store-{secrets.token_hex(4)}",
        "name": name,
        "webhook_secret": secrets.token_urlsafe(24),
        "sender_name": name,
        "reply_to": "hello@tea-and-things.example",
    }
    smtp: dict[str, Any] = (
        {
            "from_email": "hello@tea-and-things.example",
            "host": "127.0.0.1",
            "port": smtp_port or 1,
            "security": "none",
        }
        if own_sender
        else {}
    )
    channels: dict[str, dict[str, Any]] = {}
    for key, value in fields.items():
        if key in CHANNEL_FIELDS["smtp"]:
            if value is None:
                smtp = {}
                continue
            smtp[CHANNEL_FIELDS["smtp"][key]] = value
        elif key in CHANNEL_FIELDS["webhook"]:
            channels.setdefault("webhook", {})[CHANNEL_FIELDS["webhook"][key]] = value
        elif key in ("twilio_account_sid", "twilio_auth_token"):
            for phone in ("sms", "whatsapp"):
                channels.setdefault(phone, {})[key.removeprefix("twilio_")] = value
        elif key in ("sms_from", "whatsapp_from"):
            channels.setdefault(key.removesuffix("_from"), {})["number"] = value
        else:
            values[key] = value
    if channel and channel != "smtp" and "journey" not in values:
        values["journey"] = json.dumps({"steps": {step: {"channels": [channel]} for step in STEPS}})
    with aftercare.db.session() as session:
        store = Store(**values)
        session.add(store)
        session.flush()
        if smtp.get("host"):
            smtp.setdefault("from_email", "hello@tea-and-things.example")
            channel_settings.save_values(session, store, "smtp", smtp)
        for name_, settings in channels.items():
            if name_ in ("sms", "whatsapp") and "number" not in settings:
                continue
            if all(value is not None for value in settings.values()):
                channel_settings.save_values(session, store, name_, settings)
        return store


def simulated(store: Store, base_url: str = "http://127.0.0.1:1", seed: int = 7) -> SimulatedStore:
    """The sandbox store behind ``store``, posting to ``base_url``; its clock is app.clock."""
    return SimulatedStore(
        store.external_id,
        store.webhook_secret or "",
        f"{base_url}/webhooks/sandbox",
        seed=seed,
        now=clock.now,
    )


def order_snapshot(
    external_id: str = "1001",
    *,
    status: OrderStatus = OrderStatus.PAID,
    updated_at: datetime | None = None,
    placed_at: datetime | None = None,
    email: str | None = "layla@example.test",
    first_name: str = "Layla",
    cash_on_delivery: bool = False,
    locale: str | None = "en",
    items: int = 2,
    accepts_marketing: bool = True,
    phone: str | None = None,
) -> OrderSnapshot:
    placed = placed_at or clock.now()
    paid = placed if status in (OrderStatus.PAID, OrderStatus.COMPLETED) and not cash_on_delivery else None
    return OrderSnapshot(
        external_id=external_id,
        number=f"#{external_id}",
        status=status,
        remote_status=status.value,
        currency="USD",
        total=Decimal("19.99") * items,
        placed_at=placed,
        updated_at=updated_at or placed,
        paid_at=paid,
        payment_method="cod" if cash_on_delivery else "card",
        cash_on_delivery=cash_on_delivery,
        locale=locale,
        customer=CustomerSnapshot(
            external_id=f"c-{external_id}",
            email=email,
            first_name=first_name,
            last_name="Haddad",
            locale=locale,
            accepts_marketing=accepts_marketing,
            phone=phone,
        ),
        shipping=AddressSnapshot(name=f"{first_name} Haddad", city="Riyadh", country="SA"),
        lines=tuple(
            LineSnapshot(
                external_id=f"{external_id}-{n}",
                title=f"Green Tea {n}",
                quantity=1,
                unit_price=Decimal("19.99"),
                product_external_id=str(100 + n),
            )
            for n in range(1, items + 1)
        ),
    )


def ingest_order(aftercare: Services, store: Store, snapshot: OrderSnapshot) -> ingest.IngestResult:
    with aftercare.db.session() as session:
        return ingest.apply_all(session, session.get(Store, store.id), [snapshot])[0]


def drain(aftercare: Services) -> int:
    """What the worker does a second after a webhook is answered: apply every stored delivery."""
    return inbox.drain(aftercare.db, aftercare.connectors)


def count(aftercare: Services, model: type[Base], **where: Any) -> int:
    with aftercare.db.session() as session:
        query = select(func.count()).select_from(model)
        for column, value in where.items():
            query = query.where(getattr(model, column) == value)
        return session.scalar(query) or 0


def later(minutes: int = 5) -> timedelta:
    return timedelta(minutes=minutes)


def shipment_snapshot(
    order_external_id: str = "1001",
    status: str = "in_transit",
    *,
    shipped_at: datetime,
    at: datetime | None = None,
    events: tuple[tuple[str, datetime], ...] = (),
    tracking: str = "AX1234567890",
) -> ShipmentSnapshot:
    """A parcel of the order; ``events`` are (status, time) carrier scans, in order."""
    moment = at or shipped_at
    delivered = next((when for state, when in events if state == "delivered"), None)
    return ShipmentSnapshot(
        external_id=f"S-{order_external_id}",
        order_external_id=order_external_id,
        status=ShipmentStatus(status),
        updated_at=moment,
        carrier="Aramex",
        tracking_number=tracking,
        tracking_url=f"https://track.example.test/{tracking}",
        shipped_at=shipped_at,
        delivered_at=delivered,
        events=tuple(
            ShipmentEventSnapshot(f"{tracking}-{n}", ShipmentStatus(state), when)
            for n, (state, when) in enumerate(events)
        ),
    )


def ingest_shipment(aftercare: Services, store: Store, snapshot: ShipmentSnapshot) -> ingest.IngestResult:
    with aftercare.db.session() as session:
        return ingest.apply_all(session, session.get(Store, store.id), [snapshot])[0]


def signed_in(app: Any, aftercare: Services, store: Store) -> Any:
    """A test client signed in to ``store``'s pages by its signed link."""
    from app.web.admin.auth import login_token

    client = app.test_client()
    response = client.get("/admin/login", query_string={"token": login_token(aftercare.settings, store.id)})
    assert response.status_code == 302
    return client


def csrf_headers(client: Any) -> dict[str, str]:
    """The header the admin API wants on every write, as the pages send it."""
    return {"X-CSRFToken": client.get("/admin/api/session").get_json()["csrf_token"]}
