"""Decisions -> outbox rows, and the last look before a send.

``refresh_order`` runs whenever an order changes: it inserts rows for new decisions (the unique
``(store_id, dedupe_key)`` constraint makes concurrent refreshes harmless), moves scheduled rows whose
time changed, and cancels scheduled rows the planner no longer wants, recording why.
``recheck`` is what the dispatcher asks just before sending.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import clock, timeline
from app.db import insert_ignore
from app.journeys import planner
from app.journeys.planner import Decision, JourneySettings, OrderState, Verdict
from app.models import Customer, Message, MessageStatus, Order, Store
from connectors.base import OrderStatus


def order_state(session: Session, order: Order) -> OrderState:
    customer = session.get(Customer, order.customer_id) if order.customer_id else None
    return OrderState(
        order_id=order.id,
        number=order.number,
        status=OrderStatus(order.status),
        placed_at=order.placed_at,
        paid_at=order.paid_at,
        cash_on_delivery=order.cash_on_delivery,
        recipient=customer.email if customer else None,
        customer_redacted=bool(customer and customer.redacted_at),
    )


def journey_settings(store: Store) -> JourneySettings:
    """Per-store step settings; every step runs with its defaults until the settings page exists."""
    return JourneySettings()


def decide(session: Session, store: Store, order: Order) -> list[Decision]:
    history = dict(
        session.execute(
            select(Message.dedupe_key, Message.status).where(
                Message.store_id == store.id, Message.order_id == order.id
            )
        ).all()
    )
    return planner.plan(order_state(session, order), journey_settings(store), history, clock.now())


def refresh_order(session: Session, store: Store, order: Order) -> None:
    """Bring the order's outbox rows in line with what the planner wants now."""
    decisions = decide(session, store, order)
    existing = {
        message.dedupe_key: message
        for message in session.scalars(
            select(Message)
            .where(Message.store_id == store.id, Message.order_id == order.id)
            .with_for_update()
        )
    }
    for decision in decisions:
        message = existing.get(decision.dedupe_key)
        if decision.verdict is Verdict.SEND and decision.send_at is not None:
            if message is None:
                _schedule(session, store, order, decision)
            elif message.status == MessageStatus.SCHEDULED and message.send_at != decision.send_at:
                message.send_at = decision.send_at
                message.reason = decision.reason
                timeline.note(
                    session, store.id, order.id, "rescheduled", f"{decision.step}: moved ({decision.reason})."
                )
        elif message is not None and message.status == MessageStatus.SCHEDULED:
            cancel(session, message, decision.reason)


def recheck(session: Session, store: Store, message: Message) -> str | None:
    """None if the message should still go now; otherwise the reason it must not."""
    if message.order_id is None:
        return None
    order = session.get(Order, message.order_id)
    if order is None:
        return "the order no longer exists"
    decision = planner.by_key(decide(session, store, order)).get(message.dedupe_key)
    if decision is None:
        return "the step is no longer part of the journey"
    if decision.verdict is not Verdict.SEND:
        return decision.reason
    return None


def cancel(session: Session, message: Message, reason: str) -> None:
    message.status = MessageStatus.CANCELLED
    message.reason = reason
    message.lease_until = None
    if message.order_id is not None:
        timeline.note(
            session, message.store_id, message.order_id, "cancelled", f"{message.step}: not sent, {reason}."
        )


def _schedule(session: Session, store: Store, order: Order, decision: Decision) -> None:
    inserted = insert_ignore(
        session,
        Message,
        {
            "store_id": store.id,
            "order_id": order.id,
            "customer_id": order.customer_id,
            "step": decision.step,
            "kind": decision.kind.value,
            "dedupe_key": decision.dedupe_key,
            "channel": store.channel,
            "status": MessageStatus.SCHEDULED.value,
            "send_at": decision.send_at,
            "reason": decision.reason,
            "attempts": 0,
        },
    )
    if inserted:
        when = decision.send_at.strftime("%-d %b %Y, %H:%M UTC") if decision.send_at else ""
        timeline.note(
            session,
            store.id,
            order.id,
            "scheduled",
            f"{decision.step}: scheduled for {when} ({decision.reason}).",
        )
