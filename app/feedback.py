"""What customers tell us back: the one-click check-in answer.

An unhappy answer pauses marketing to that customer (no cross-sell or offer while something is
wrong) and alerts the merchant by email through the store's own channel, so a person follows up.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from app import clock, timeline
from app.db import insert_ignore
from app.journeys import schedule
from app.models import Customer, Message, MessageStatus, Order, Store

ANSWERS = ("happy", "unhappy")


def record_check_in(session: Session, store: Store, order: Order, answer: str) -> bool:
    """Record the answer; False (and nothing changed) when the order already has one."""
    if answer not in ANSWERS:
        raise ValueError(f"answer must be one of {ANSWERS}")
    if order.check_in_answer is not None:
        return False
    now = clock.now()
    order.check_in_answer = answer
    order.check_in_answered_at = now
    if answer == "happy":
        timeline.note(session, store.id, order.id, "feedback", "The customer said everything was right.")
    else:
        timeline.note(session, store.id, order.id, "alert", "The customer said something was not right.")
        customer = session.get(Customer, order.customer_id) if order.customer_id else None
        if customer is not None:
            customer.marketing_paused = f"they said order {order.number} was not right on {now:%d %b %Y}"
        insert_ignore(
            session,
            Message,
            {
                "store_id": store.id,
                "order_id": order.id,
                "customer_id": order.customer_id,
                "step": "merchant_alert",
                "kind": "transactional",
                "dedupe_key": f"order:{order.id}:merchant_alert:check_in",
                "channel": store.channel,
                "status": MessageStatus.SCHEDULED.value,
                "send_at": now,
                "reason": f"the customer said order {order.number} was not right",
                "attempts": 0,
            },
        )
    session.flush()
    schedule.refresh_customer(session, store, order)
    return True
