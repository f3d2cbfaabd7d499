"""What customers tell us back: the one-click check-in answer.

An unhappy answer pauses marketing to that person (no cross-sell or offer while something is
wrong) and alerts the merchant by email through the store's own channel, so a person follows up.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from app import clock, outbox, timeline
from app.journeys import reconcile
from app.journeys.reasons import Reason
from app.models import Order, Store

ANSWERS = ("happy", "unhappy")


def record_check_in(session: Session, store: Store, order: Order, answer: str) -> bool:
    """Record the answer; False (and nothing changed) when the order already has one. An unhappy
    answer pauses marketing to this order's contact (the planner reads it from their orders) and
    alerts the merchant."""
    if answer not in ANSWERS:
        raise ValueError(f"answer must be one of {ANSWERS}")
    if order.check_in_answer is not None:
        return False
    now = clock.now()
    order.check_in_answer = answer
    order.check_in_answered_at = now
    if answer == "happy":
        timeline.note(session, store.id, order.id, "feedback")
    else:
        timeline.note(session, store.id, order.id, "alert")
        outbox.alert_merchant(
            session,
            order,
            f"order:{order.id}:merchant_alert:check_in",
            Reason.of("check_in_unhappy_alert", number=order.number),
        )
    session.flush()
    reconcile.refresh_related(session, store, [order])
    return True
