"""The dashboard's numbers: what was sent, what failed, what was clicked and reviewed, and what it
earned, per day in the store's time zone.

Revenue is attributed to a message in one of two ways, and each order counts once:

- by its code: an order that used the discount code made for one of our messages (``app.offers``) is
  that message's, whatever was clicked before it. This is exact, and it is the only way an order
  placed on another device, or after the customer typed the code in, is seen at all;
- by a click: otherwise, when the customer who clicked one of a message's links places an order
  within the attribution window after the click (``attribution_days`` in the journey settings), the
  order is the last clicked message's. Clicks by mail scanners never place orders, so they add clicks
  but no revenue.

Amounts are summed per currency (a store may sell in several), per day and per step.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import clock, offers
from app.journeys import config as journey_config
from app.journeys import timing
from app.models import Click, Message, MessageStatus, Order, Review, Store


@dataclass
class Stats:
    days: list[date]
    sent: dict[str, Counter[date]] = field(default_factory=dict)  # step -> day -> count
    failed: Counter[date] = field(default_factory=Counter)
    clicks: Counter[date] = field(default_factory=Counter)
    reviews: Counter[date] = field(default_factory=Counter)
    orders: Counter[date] = field(default_factory=Counter)  # attributed orders, by the day placed
    revenue: dict[str, Counter[date]] = field(default_factory=dict)  # currency -> day -> amount
    # step -> how the order was attributed ("code" or "click") -> orders, and -> currency -> amount
    step_orders: dict[str, Counter[str]] = field(default_factory=dict)
    step_revenue: dict[str, dict[str, Counter[str]]] = field(default_factory=dict)

    def total_sent(self) -> int:
        return sum(sum(days.values()) for days in self.sent.values())


def collect(session: Session, store: Store, days: int = 30, now: datetime | None = None) -> Stats:
    zone = ZoneInfo(timing.safe_zone(store.timezone))
    end = (now or clock.now()).astimezone(zone).date()
    start = end - timedelta(days=days - 1)
    since = datetime.combine(start, datetime.min.time(), zone)
    window = timedelta(days=journey_config.parse(store.journey).attribution_days)
    stats = Stats(days=[start + timedelta(days=n) for n in range(days)])

    def day(moment: datetime) -> date:
        return moment.astimezone(zone).date()

    for step, sent_at in session.execute(
        select(Message.step, Message.sent_at).where(
            Message.store_id == store.id, Message.status == MessageStatus.SENT, Message.sent_at >= since
        )
    ):
        if sent_at is not None:  # always: only sent messages are selected
            stats.sent.setdefault(step, Counter())[day(sent_at)] += 1
    for (updated_at,) in session.execute(
        select(Message.updated_at).where(
            Message.store_id == store.id, Message.status == MessageStatus.FAILED, Message.updated_at >= since
        )
    ):
        stats.failed[day(updated_at)] += 1
    for (created_at,) in session.execute(
        select(Review.created_at).where(Review.store_id == store.id, Review.created_at >= since)
    ):
        stats.reviews[day(created_at)] += 1
    clicks = session.execute(
        select(Click.clicked_at, Message.customer_id, Message.step)
        .join(Message, Message.id == Click.message_id)
        .where(Click.store_id == store.id, Click.clicked_at >= since - window)
    ).all()
    clicks_by_customer: dict[int, list[tuple[datetime, str]]] = defaultdict(list)
    for clicked_at, customer_id, step in clicks:
        if clicked_at >= since:
            stats.clicks[day(clicked_at)] += 1
        if customer_id is not None:
            clicks_by_customer[customer_id].append((clicked_at, step))

    def attribute(placed_at: datetime, total: Decimal, currency: str, step: str, via: str) -> None:
        stats.orders[day(placed_at)] += 1
        # A Counter sums Decimals as well (the page reads its total()); typeshed types its counts as int.
        stats.revenue.setdefault(currency, Counter())[day(placed_at)] += Decimal(total)  # type: ignore[assignment]
        stats.step_orders.setdefault(step, Counter())[via] += 1
        by_currency = stats.step_revenue.setdefault(step, {}).setdefault(currency, Counter())
        by_currency[via] += Decimal(total)  # type: ignore[assignment]

    by_code = offers.redeemed_orders(session, store, since)
    if by_code:
        for order_id, placed_at, total, currency in session.execute(
            select(Order.id, Order.placed_at, Order.total, Order.currency).where(
                Order.store_id == store.id,
                Order.id.in_(list(by_code)),
                Order.placed_at >= since,
                Order.cancelled_at.is_(None),
            )
        ):
            attribute(placed_at, total, currency, by_code[order_id][1], "code")
    if clicks_by_customer:
        orders = session.execute(
            select(Order.id, Order.customer_id, Order.placed_at, Order.total, Order.currency).where(
                Order.store_id == store.id,
                Order.placed_at >= since,
                Order.customer_id.in_(list(clicks_by_customer)),
                Order.cancelled_at.is_(None),
            )
        )
        for order_id, customer_id, placed_at, total, currency in orders:
            if order_id in by_code:
                continue  # its code already says which message it was: counted once
            if customer_id is None:
                continue  # never: only the clicking customers' orders are selected
            before = [
                (clicked, step)
                for clicked, step in clicks_by_customer[customer_id]
                if clicked < placed_at <= clicked + window
            ]
            if before:
                attribute(placed_at, total, currency, max(before)[1], "click")
    return stats
