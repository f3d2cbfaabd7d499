"""Claim due messages, ask the planner again, render, send, record.

Claiming is one UPDATE over a ``SELECT .. FOR UPDATE SKIP LOCKED`` subquery: on PostgreSQL any
number of workers claim disjoint batches without waiting on each other; on SQLite the statement runs
under the database's single write lock, which gives the same guarantee. A claim is a lease: a row
whose worker died goes back to whoever claims after ``lease_until``. The send itself happens outside
any transaction (an SMTP conversation must not hold SQLite's write lock), and the outcome is written
only if this worker still holds the lease, so a slow worker cannot overwrite another's result.
"""

from __future__ import annotations

import logging
import random
from collections import Counter
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

from sqlalchemy import Update, and_, or_, select, update
from sqlalchemy.orm import Session

from app import clock, timeline
from app.db import Database
from app.journeys import schedule
from app.messages.render import render
from app.models import Customer, Message, MessageStatus, Order, Store, StoreStatus, Suppression
from scheduler.channels.base import (
    Channel,
    Outgoing,
    PermanentChannelError,
    Sender,
)

log = logging.getLogger(__name__)

RETRY_BASE_SECONDS = 60
RETRY_CAP_SECONDS = 3600


class Outcome(StrEnum):
    SENT = "sent"
    RETRY = "retry"
    FAILED = "failed"
    CANCELLED = "cancelled"
    LOST_LEASE = "lost_lease"


@dataclass(frozen=True)
class Prepared:
    sender: Sender
    outgoing: Outgoing
    channel: Channel


def retry_delay(attempts: int, rng: random.Random | None = None) -> timedelta:
    """Exponential backoff with full jitter around the midpoint, capped at an hour."""
    rng = rng or random.Random()  # noqa: S311 - jitter, not secrecy
    base = min(RETRY_CAP_SECONDS, RETRY_BASE_SECONDS * 2 ** max(0, attempts - 1))
    return timedelta(seconds=base * rng.uniform(0.5, 1.5))


class Dispatcher:
    def __init__(
        self,
        db: Database,
        channels: dict[str, Channel],
        worker_id: str,
        *,
        batch_size: int = 50,
        lease_seconds: int = 120,
        max_attempts: int = 8,
    ) -> None:
        self.db = db
        self.channels = channels
        self.worker_id = worker_id
        self.batch_size = batch_size
        self.lease = timedelta(seconds=lease_seconds)
        self.max_attempts = max_attempts

    def run_once(self) -> Counter[Outcome]:
        """Claim one batch and deliver it; returns how each message ended."""
        outcomes: Counter[Outcome] = Counter()
        for message_id in self.claim():
            outcomes[self.deliver(message_id)] += 1
        return outcomes

    def run_until_idle(self, max_batches: int = 100) -> Counter[Outcome]:
        """Keep claiming until nothing is due (bounded, so one job run cannot go on forever)."""
        total: Counter[Outcome] = Counter()
        for _ in range(max_batches):
            outcomes = self.run_once()
            total.update(outcomes)
            if sum(outcomes.values()) < self.batch_size:
                break
        return total

    def claim(self) -> list[int]:
        now = clock.now()
        active_stores = select(Store.id).where(Store.status == StoreStatus.ACTIVE)
        due = (
            select(Message.id)
            .where(
                Message.store_id.in_(active_stores),
                or_(
                    and_(Message.status == MessageStatus.SCHEDULED, Message.send_at <= now),
                    and_(Message.status == MessageStatus.SENDING, Message.lease_until < now),
                ),
            )
            .order_by(Message.send_at, Message.id)
            .limit(self.batch_size)
            .with_for_update(skip_locked=True)
        )
        claim = (
            update(Message)
            .where(Message.id.in_(due))
            .values(
                status=MessageStatus.SENDING,
                claimed_by=self.worker_id,
                lease_until=now + self.lease,
                attempts=Message.attempts + 1,
                updated_at=now,
            )
            .returning(Message.id)
        )
        with self.db.session() as session:
            return sorted(session.scalars(claim).all())

    def deliver(self, message_id: int) -> Outcome:
        prepared = self._prepare(message_id)
        if isinstance(prepared, Outcome):
            return prepared
        try:
            provider_id = prepared.channel.send(prepared.sender, prepared.outgoing)
        except PermanentChannelError as exc:
            return self._record_failure(message_id, str(exc), permanent=True)
        except Exception as exc:  # noqa: BLE001 - every other error is worth another try
            log.warning("message %s: transient send error: %s", message_id, exc)
            return self._record_failure(message_id, str(exc) or type(exc).__name__, permanent=False)
        return self._record_sent(message_id, provider_id)

    # --- steps -------------------------------------------------------------------------------------

    def _prepare(self, message_id: int) -> Prepared | Outcome:
        """Re-plan and render inside one short transaction; cancel or fail here if we must."""
        with self.db.session() as session:
            message = session.get(Message, message_id)
            if message is None or not self._holds(message):
                return Outcome.LOST_LEASE
            store = session.get(Store, message.store_id)
            assert store is not None  # noqa: S101 - foreign key
            reason = schedule.recheck(session, store, message)
            order = session.get(Order, message.order_id) if message.order_id else None
            customer = session.get(Customer, message.customer_id) if message.customer_id else None
            if reason is None and (order is None or customer is None or not customer.email):
                reason = "there is no one to send it to"
            if (
                reason is None
                and customer is not None
                and self._suppressed(session, store, customer, message)
            ):
                reason = "the customer's address is on the suppression list"
            if reason is not None:
                schedule.cancel(session, message, reason)
                return Outcome.CANCELLED
            assert order is not None and customer is not None  # noqa: S101 - checked above
            channel = self.channels.get(message.channel)
            if channel is None:
                self._fail(session, message, f"unknown channel {message.channel!r}")
                return Outcome.FAILED
            try:
                rendered = render(message.step, store, order, customer)
            except Exception as exc:  # noqa: BLE001 - a template bug must not kill the worker
                log.exception("message %s: rendering failed", message_id)
                self._fail(session, message, f"the template could not be rendered: {exc}")
                return Outcome.FAILED
            message.recipient = customer.email
            message.subject = rendered.subject
            domain = (store.sender_email or "aftercare.invalid").rpartition("@")[2]
            outgoing = Outgoing(
                message_id=f"<aftercare.{store.id}.{message.id}@{domain}>",
                to_address=customer.email or "",
                to_name=" ".join(part for part in (customer.first_name, customer.last_name) if part),
                subject=rendered.subject,
                text=rendered.text,
                html=rendered.html,
                locale=rendered.locale,
                headers={"X-Aftercare-Message": f"{store.id}.{message.id}"},
            )
            return Prepared(sender_for(store), outgoing, channel)

    def _holds(self, message: Message) -> bool:
        return message.status == MessageStatus.SENDING and message.claimed_by == self.worker_id

    def _suppressed(self, session: Session, store: Store, customer: Customer, message: Message) -> bool:
        kinds = ["all"] if message.kind == "transactional" else ["all", message.kind]
        query = select(Suppression.id).where(
            Suppression.store_id == store.id,
            Suppression.address == (customer.email or "").lower(),
            Suppression.kind.in_(kinds),
        )
        return session.scalars(query).first() is not None

    def _guarded(self, message_id: int) -> Update:
        return update(Message).where(
            Message.id == message_id,
            Message.status == MessageStatus.SENDING,
            Message.claimed_by == self.worker_id,
        )

    def _record_sent(self, message_id: int, provider_id: str) -> Outcome:
        now = clock.now()
        with self.db.session() as session:
            result = session.execute(
                self._guarded(message_id).values(
                    status=MessageStatus.SENT,
                    sent_at=now,
                    provider_message_id=provider_id[:255],
                    lease_until=None,
                    updated_at=now,
                )
            )
            if result.rowcount != 1:
                log.warning("message %s was sent but its lease had passed to another worker", message_id)
                return Outcome.LOST_LEASE
            message = session.get(Message, message_id)
            if message is not None and message.order_id is not None:
                timeline.note(
                    session,
                    message.store_id,
                    message.order_id,
                    "sent",
                    f"{message.step}: sent to {message.recipient} by {message.channel}.",
                )
        return Outcome.SENT

    def _record_failure(self, message_id: int, error: str, *, permanent: bool) -> Outcome:
        with self.db.session() as session:
            message = session.get(Message, message_id)
            if message is None or not self._holds(message):
                return Outcome.LOST_LEASE
            if permanent or message.attempts >= self.max_attempts:
                prefix = "" if permanent else f"gave up after {message.attempts} attempts: "
                self._fail(session, message, prefix + error)
                return Outcome.FAILED
            message.status = MessageStatus.SCHEDULED
            message.send_at = clock.now() + retry_delay(message.attempts)
            message.reason = f"retrying after a failed attempt ({error})"
            message.lease_until = None
            return Outcome.RETRY

    def _fail(self, session: Session, message: Message, reason: str) -> None:
        message.status = MessageStatus.FAILED
        message.reason = reason[:2000]
        message.lease_until = None
        if message.order_id is not None:
            timeline.note(
                session, message.store_id, message.order_id, "failed", f"{message.step}: failed, {reason}."
            )


def sender_for(store: Store) -> Sender:
    return Sender(
        name=store.sender_name or store.name,
        email=store.sender_email or "",
        reply_to=store.reply_to,
        smtp_host=store.smtp_host,
        smtp_port=store.smtp_port,
        smtp_security=store.smtp_security,
        smtp_username=store.smtp_username,
        smtp_password=store.smtp_password,
    )
