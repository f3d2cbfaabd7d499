"""What each message recommended, and the revenue it earned: the merchant's proof that it works.

A pick is written when its message is composed (once per message and product, however often the
message is retried). Revenue is what the same contact then paid for that product, in an order placed
after the message was sent and within the store's attribution window (``attribution_days``), net of
refunds.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db import among, insert_ignore
from app.journeys.reasons import Reason
from app.models import Message, MessageStatus, Order, OrderLine, RecommendPick, Store
from app.recommend.lookup import Pick
from app.recommend.model import LIVE


def record(session: Session, message: Message, picks: list[Pick]) -> None:
    """Keep what ``message`` recommends; a preview (a message never stored) keeps nothing."""
    if message.id is None:
        return
    for position, pick in enumerate(picks):
        insert_ignore(
            session,
            RecommendPick,
            {
                "store_id": message.store_id,
                "message_id": message.id,
                "product_external_id": pick.external_id,
                "position": position,
                "reason_code": pick.reason.code,
                "reason_params": pick.reason.dumps(),
            },
        )


@dataclass
class Earned:
    """One product's record as a recommendation."""

    product_id: str
    sent: int = 0  # messages sent that recommended it
    orders: int = 0  # orders that bought it after one
    revenue: Decimal = Decimal("0")
    reasons: dict[str, Reason] = field(default_factory=dict)  # the latest reason per code


def earned(session: Session, store: Store, since: datetime, window: timedelta) -> list[Earned]:
    """Every product recommended in a message sent since ``since``, with the revenue it brought."""
    rows = session.execute(
        select(
            RecommendPick.product_external_id,
            RecommendPick.reason_code,
            RecommendPick.reason_params,
            Message.contact,
            Message.sent_at,
        )
        .join(Message, Message.id == RecommendPick.message_id)
        .where(
            RecommendPick.store_id == store.id,
            Message.store_id == store.id,
            Message.status == MessageStatus.SENT,
            Message.sent_at >= since,
        )
        .order_by(Message.sent_at)
    ).all()
    table: dict[str, Earned] = {}
    sent: dict[tuple[str, str], list[datetime]] = defaultdict(list)
    for product, code, params, contact, sent_at in rows:
        entry = table.setdefault(product, Earned(product))
        entry.sent += 1
        entry.reasons[code] = Reason.loads(code, params)
        if contact and sent_at:
            sent[(contact, product)].append(sent_at)
    contacts = sorted({contact for contact, _ in sent})
    if contacts:
        counted: set[tuple[int, str]] = set()
        for order_id, buyer, placed_at, bought, quantity, refunded, price in session.execute(
            select(
                Order.id,
                Order.contact,
                Order.placed_at,
                OrderLine.product_external_id,
                OrderLine.quantity,
                OrderLine.refunded_quantity,
                OrderLine.unit_price,
            )
            .join(OrderLine, OrderLine.order_id == Order.id)
            .where(
                Order.store_id == store.id,
                among(session, Order.contact, contacts),
                Order.placed_at >= since,
                Order.status.in_(LIVE),
                among(session, OrderLine.product_external_id, sorted(table)),
            )
        ):
            if buyer is None or bought is None:  # never: the query selects known buyers' products
                continue
            times = sent.get((buyer, bought), [])
            if (order_id, bought) in counted or not any(t < placed_at <= t + window for t in times):
                continue
            counted.add((order_id, bought))
            entry = table[bought]
            entry.orders += 1
            entry.revenue += (price or Decimal("0")) * max(quantity - refunded, 0)
    return sorted(table.values(), key=lambda e: (-e.revenue, -e.sent, e.product_id))
