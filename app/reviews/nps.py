"""The check-in's Net Promoter Score question (0-10), when the merchant turns it on.

An answer of 6 or less (a detractor) pauses marketing to that person, as an unhappy check-in does
(the planner reads it from their orders), and alerts the merchant; the score can be changed from the
same link. ``score`` is the figure the dashboard shows: % promoters (9-10) minus % detractors (0-6).
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy.orm import Session

from app import clock, outbox, timeline
from app.journeys import reconcile
from app.journeys.reasons import Reason
from app.models import Order, Store

DETRACTOR_MAX = 6
PROMOTER_MIN = 9


def record(session: Session, store: Store, order: Order, score: int) -> None:
    if not 0 <= score <= 10:
        raise ValueError("a score is 0 to 10")
    first_detraction = score <= DETRACTOR_MAX and (order.nps_score is None or order.nps_score > DETRACTOR_MAX)
    order.nps_score = score
    order.nps_answered_at = clock.now()
    timeline.note(session, store.id, order.id, "feedback", Reason.of("nps_recorded", score=score))
    if first_detraction:
        outbox.alert_merchant(
            session,
            order,
            f"order:{order.id}:merchant_alert:nps",
            Reason.of("nps_detractor", score=score, number=order.number, at=clock.now()),
        )
    session.flush()
    reconcile.refresh_related(session, store, [order])


def score(answers: Iterable[int]) -> int | None:
    """The NPS of ``answers`` (-100 to 100), None when there are none."""
    values = list(answers)
    if not values:
        return None
    promoters = sum(1 for value in values if value >= PROMOTER_MIN)
    detractors = sum(1 for value in values if value <= DETRACTOR_MAX)
    return round(100 * (promoters - detractors) / len(values))
