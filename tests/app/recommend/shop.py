"""A store with products and orders written through ingest, as webhooks would write them."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from app import Services, clock, ingest
from app.models import Store
from connectors.base import (
    AddressSnapshot,
    CustomerSnapshot,
    LineSnapshot,
    OrderSnapshot,
    OrderStatus,
    ProductSnapshot,
)

_serial = iter(range(10_000, 10_000_000))


def product(
    external_id: str, *, in_stock: bool = True, cross_sells: tuple[str, ...] | None = None
) -> ProductSnapshot:
    return ProductSnapshot(
        external_id=external_id,
        title=f"Product {external_id}",
        updated_at=clock.now(),
        url=f"https://shop.example/p/{external_id}",
        price=Decimal("12.50"),
        in_stock=in_stock,
        cross_sell_ids=cross_sells,
    )


def order(
    products: list[str | None],
    *,
    email: str | None = None,
    placed_at: datetime | None = None,
    variants: dict[str, str] | None = None,
    status: OrderStatus = OrderStatus.PAID,
    refunded: tuple[str, ...] = (),
) -> OrderSnapshot:
    """An order holding one of each of ``products`` (None: a custom line with no product)."""
    number = str(next(_serial))
    placed = placed_at or clock.now()
    email = email or f"buyer{number}@example.test"
    return OrderSnapshot(
        external_id=number,
        number=f"#{number}",
        status=status,
        remote_status=status.value,
        currency="USD",
        total=Decimal("12.50") * len(products),
        placed_at=placed,
        updated_at=placed,
        paid_at=placed,
        payment_method="card",
        locale="en",
        customer=CustomerSnapshot(
            external_id=f"c-{email}", email=email, first_name="Layla", accepts_marketing=True
        ),
        shipping=AddressSnapshot(name="Layla Haddad", city="Riyadh", country="SA"),
        lines=tuple(
            LineSnapshot(
                external_id=f"{number}-{n}",
                title=f"Product {code}" if code else "Gift wrapping",
                quantity=1,
                unit_price=Decimal("12.50"),
                product_external_id=code,
                variant_external_id=(variants or {}).get(code or ""),
                refunded_quantity=1 if code in refunded else 0,
            )
            for n, code in enumerate(products)
        ),
    )


def write(aftercare: Services, store: Store, *snapshots: object) -> list[ingest.IngestResult]:
    with aftercare.db.session() as session:
        return ingest.apply_all(session, session.get(Store, store.id), list(snapshots))  # type: ignore[arg-type]


def days(n: float) -> timedelta:
    return timedelta(days=n)
