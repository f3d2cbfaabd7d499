"""The dashboard's review figures for a period: counts by state, the average, the conversion from
requests sent to ratings, to reviews with words, to reviews with photos; thank-you codes sent, the
orders that used one and what they earned (``app.stats``' attribution by code, each order once); and
the check-in's NPS, overall and week by week."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app import clock
from app.journeys import timing
from app.models import Message, MessageStatus, Order, Review, ReviewPhoto, Store
from app.reviews import nps
from app.stats import Stats

REWARD_STEP = "review_reward"


@dataclass
class ReviewFigures:
    by_state: dict[str, int] = field(default_factory=dict)
    average: float | None = None
    requests: int = 0
    ratings: int = 0
    with_words: int = 0
    with_photos: int = 0
    codes_sent: int = 0
    codes_redeemed: int = 0  # orders that used a thank-you code
    codes_revenue: dict[str, Decimal] = field(default_factory=dict)  # currency -> their total
    nps: int | None = None
    nps_answers: int = 0
    nps_weeks: list[tuple[date, int | None, int]] = field(default_factory=list)  # week, score, answers

    def rate(self, part: int) -> str:
        """``part`` as a share of the requests sent, e.g. "6%"; "" with no request."""
        return f"{round(100 * part / self.requests)}%" if self.requests else ""


def collect(
    session: Session, store: Store, days: int = 30, now: datetime | None = None, earned: Stats | None = None
) -> ReviewFigures:
    """``earned``: the dashboard's ``app.stats`` of the same period, whose orders attributed to the
    thank-you step by its code are the codes redeemed (so an order is never counted twice)."""
    zone = ZoneInfo(timing.safe_zone(store.timezone))
    end = (now or clock.now()).astimezone(zone).date()
    start = end - timedelta(days=days - 1)
    since = datetime.combine(start, datetime.min.time(), zone)
    figures = ReviewFigures()
    ours = (Review.store_id == store.id, Review.source == "aftercare", Review.created_at >= since)
    figures.by_state = dict(
        session.execute(
            select(Review.status, func.count(Review.id)).where(*ours).group_by(Review.status)
        ).all()
    )
    average = session.scalar(select(func.avg(Review.rating)).where(*ours))
    figures.average = round(float(average), 2) if average is not None else None
    figures.ratings = sum(figures.by_state.values())
    figures.with_words = session.scalar(select(func.count(Review.id)).where(*ours, Review.body != "")) or 0
    figures.with_photos = (
        session.scalar(
            select(func.count(func.distinct(Review.id)))
            .join(ReviewPhoto, ReviewPhoto.review_id == Review.id)
            .where(*ours)
        )
        or 0
    )
    sent = (Message.store_id == store.id, Message.status == MessageStatus.SENT, Message.sent_at >= since)
    figures.requests = (
        session.scalar(select(func.count(Message.id)).where(*sent, Message.step == "review_request")) or 0
    )
    figures.codes_sent = (
        session.scalar(select(func.count(Message.id)).where(*sent, Message.step == REWARD_STEP)) or 0
    )
    if earned is not None:
        figures.codes_redeemed = earned.step_orders.get(REWARD_STEP, Counter()).get("code", 0)
        figures.codes_revenue = {
            currency: Decimal(amounts["code"])  # a Decimal already (typeshed types Counter counts as int)
            for currency, amounts in earned.step_revenue.get(REWARD_STEP, {}).items()
            if amounts.get("code")
        }
    answers = session.execute(
        select(Order.nps_score, Order.nps_answered_at).where(
            Order.store_id == store.id, Order.nps_score.is_not(None), Order.nps_answered_at >= since
        )
    ).all()
    # all of them: only answered check-ins are selected (the columns are nullable)
    answered = [(score, at) for score, at in answers if score is not None and at is not None]
    figures.nps = nps.score(score for score, _ in answered)
    figures.nps_answers = len(answered)
    weeks: dict[date, list[int]] = {}
    for score, at in answered:
        day = at.astimezone(zone).date()
        weeks.setdefault(day - timedelta(days=day.weekday()), []).append(score)
    figures.nps_weeks = [(week, nps.score(values), len(values)) for week, values in sorted(weeks.items())]
    return figures
