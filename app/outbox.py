"""The message state machine: the only code that changes a message's status (Saleor's habit of one owner
per state machine).

    scheduled --claim--> sending --sent--> sent
        |  ^                |  \\--fail--> failed
        v  |                |---retry / release / defer--> scheduled
       held                 \\---hold / cancel--> held, cancelled
        |
    cancelled --reopen (the planner wants it again)--> scheduled

Each transition is checked against ``ALLOWED``, writes the message's reason (a code with parameters,
``journeys.reasons``) and, for a message about an order, one timeline entry. Claims are leases
(``claim``); every write after a claim is fenced by the lease (``fenced``), so a worker whose lease
passed to another cannot overwrite that worker's outcome. Every channel tried is a row in
``message_attempts`` with the provider's answer and how long it took.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, and_, bindparam, insert, literal, select, update
from sqlalchemy.orm import Session

from app import clock, timeline
from app.db import among, insert_many
from app.journeys.reasons import Reason
from app.models import Message, MessageAttempt, MessageStatus, Store, StoreStatus, TimelineEntry

S = MessageStatus
ALLOWED: dict[str, frozenset[str]] = {
    S.SCHEDULED: frozenset({S.SCHEDULED, S.HELD, S.CANCELLED, S.SENDING}),
    S.HELD: frozenset({S.SCHEDULED, S.HELD, S.CANCELLED}),
    S.SENDING: frozenset({S.SENT, S.FAILED, S.SCHEDULED, S.HELD, S.CANCELLED}),
    S.CANCELLED: frozenset({S.SCHEDULED}),
    S.SENT: frozenset(),
    S.FAILED: frozenset(),
}
OPEN = (S.SCHEDULED, S.HELD)
# A planner's cancellation may be undone when the planner wants the message again (an order that comes
# back, an address lifted from the suppression list); the merchant's own is final.
FINAL_REASONS = frozenset({"merchant_cancelled", "store_uninstalled"})


class TransitionRefused(Exception):
    """A status change the machine does not allow (a sent message cannot be cancelled)."""


def _move(
    session: Session,
    message: Message,
    status: MessageStatus,
    reason: Reason,
    kind: str,
    **event: Any,
) -> None:
    if status not in ALLOWED[message.status]:
        raise TransitionRefused(f"message {message.id}: {message.status} -> {status} is not allowed")
    message.status = status
    message.reason_code = reason.code
    message.reason_params = reason.dumps()
    if status != S.SENDING:
        message.lease_until = None
    if message.order_id is not None:
        timeline.note(session, message.store_id, message.order_id, kind, reason, step=message.step, **event)


# --- planning ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class New:
    """A message the planner wants that has no row yet."""

    store_id: int
    order_id: int | None
    step: str
    kind: str
    dedupe_key: str
    channel: str
    send_at: datetime
    reason: Reason
    customer_id: int | None = None
    shipment_id: int | None = None
    contact: str | None = None
    members: Sequence[int] = ()
    status: MessageStatus = S.SCHEDULED

    def row(self) -> tuple[Any, ...]:
        """The row's values in ``NEW_COLUMNS``' order."""
        now = clock.now()
        return (
            self.store_id,
            self.order_id,
            self.customer_id,
            self.shipment_id,
            self.step,
            self.kind,
            self.dedupe_key,
            self.channel,
            self.status.value,
            self.send_at,
            self.reason.code,
            self.reason.dumps(),
            self.contact,
            json.dumps(list(self.members)) if self.members else "",
            0,  # attempts
            False,  # send_now
            now,  # created_at
            now,  # updated_at
        )


NEW_COLUMNS = (
    "store_id",
    "order_id",
    "customer_id",
    "shipment_id",
    "step",
    "kind",
    "dedupe_key",
    "channel",
    "status",
    "send_at",
    "reason_code",
    "reason_params",
    "contact",
    "members",
    "attempts",
    "send_now",
    "created_at",
    "updated_at",
)


def plan_many(session: Session, messages: Sequence[New]) -> set[str]:
    """New messages, scheduled (or held), in one statement; the dedupe keys actually inserted (one
    already there, written by a concurrent re-plan, is left as it is: invariant 2). Each inserted one
    gets its timeline entry."""
    if not messages:
        return set()
    rows = [dict(zip(NEW_COLUMNS, m.row(), strict=True)) for m in messages]
    found = insert_many(session, Message.__table__, rows, ("store_id", "dedupe_key"))
    inserted = {(store_id, dedupe_key) for store_id, dedupe_key in found}
    entries = []
    for message in messages:
        if (message.store_id, message.dedupe_key) in inserted and message.order_id is not None:
            event = {"send_at": message.send_at} if message.status == S.SCHEDULED else {}
            entries.append(
                (
                    message.store_id,
                    message.order_id,
                    message.status.value,
                    message.reason,
                    message.step,
                    event,
                )
            )
    timeline.note_many(session, entries)
    return {key for _, key in inserted}


def plan(session: Session, **values: Any) -> bool:
    """One new message (``New``'s fields); False when one with its dedupe key exists (invariant 2)."""
    message = New(**values)
    return message.dedupe_key in plan_many(session, [message])


def alert_merchant(
    session: Session, order: Any, dedupe_key: str, reason: Reason, at: datetime | None = None
) -> bool:
    """Tell the store's merchant about ``order`` now, once per ``dedupe_key`` (a check-in answer, a
    silent parcel, a low rating): by email, which reaches their own address whatever the store's
    channels."""
    return plan(
        session,
        store_id=order.store_id,
        order_id=order.id,
        customer_id=order.customer_id,
        step="merchant_alert",
        kind="transactional",
        dedupe_key=dedupe_key,
        channel="smtp",
        send_at=at or clock.now(),
        reason=reason,
    )


def reschedule(session: Session, message: Message, send_at: datetime, reason: Reason) -> None:
    message.send_at = send_at
    _move(session, message, S.SCHEDULED, reason, "scheduled", send_at=send_at)


def hold(session: Session, message: Message, reason: Reason) -> None:
    _move(session, message, S.HELD, reason, "held")


def cancel(session: Session, message: Message, reason: Reason) -> None:
    _move(session, message, S.CANCELLED, reason, "cancelled")


def reopen(session: Session, message: Message, send_at: datetime, reason: Reason) -> None:
    """A message the planner cancelled is wanted again (the order came back)."""
    if message.reason_code in FINAL_REASONS:
        raise TransitionRefused(f"message {message.id} was cancelled for good ({message.reason_code})")
    message.send_at = send_at
    message.attempts = 0
    _move(session, message, S.SCHEDULED, reason, "reopened", send_at=send_at)


def reopenable(message: Message) -> bool:
    return message.status == S.CANCELLED and message.reason_code not in FINAL_REASONS


def explain_skip(session: Session, message: Message, reason: Reason) -> None:
    """A cancelled message stays cancelled for a new reason (a revived order's step whose moment
    passed): the merchant reads the reason that holds now."""
    if message.status != S.CANCELLED:
        raise TransitionRefused(f"message {message.id} is {message.status}, not cancelled")
    message.reason_code = reason.code
    message.reason_params = reason.dumps()
    if message.order_id is not None:
        timeline.note(session, message.store_id, message.order_id, "cancelled", reason, step=message.step)


def send_now(session: Session, message: Message) -> None:
    """The merchant wants it now: due at once, outside the window and the cap (the planner still
    stops it if the order was cancelled or the customer unsubscribed meanwhile)."""
    message.send_at = clock.now()
    message.send_now = True
    _move(session, message, S.SCHEDULED, Reason.of("merchant_send_now"), "send_now")


# --- sending -------------------------------------------------------------------------------------------


def claim(session: Session, worker_id: str, batch_size: int, lease: timedelta) -> list[tuple[int, int]]:
    """Lease a batch of due messages of active stores to ``worker_id``: (message id, store id) pairs
    in id order. The UPDATE returns them itself: loading the claimed rows as objects cost more than
    the claim (the dispatcher reads them again, locked, with ``fenced`` in its next transaction).

    An UPDATE over a ``SELECT .. FOR UPDATE SKIP LOCKED``: on PostgreSQL any number of workers claim
    disjoint batches without waiting on each other; on SQLite the statement runs under the database's
    single write lock, which gives the same guarantee. A row whose worker died (its lease passed)
    goes to whoever claims next."""
    now = clock.now()
    active_stores = select(Store.id).where(Store.status == StoreStatus.ACTIVE)
    # Two statements, each served by the (status, send_at, id) index and stopping at the batch's size:
    # one condition ORed with the other would read every due row to sort them.
    kinds = (
        (and_(Message.status == S.SENDING, Message.lease_until < now), (Message.send_at, Message.id)),
        (and_(Message.status == S.SCHEDULED, Message.send_at <= now), (Message.send_at, Message.id)),
    )
    claimed: list[tuple[int, int]] = []
    for condition, order in kinds:
        room = batch_size - len(claimed)
        if room <= 0:
            break
        due = (
            select(Message.id)
            .where(condition, Message.store_id.in_(active_stores))
            .order_by(*order)
            .limit(room)
            .with_for_update(skip_locked=True)
        )
        rows = session.execute(
            update(Message)
            .where(Message.id.in_(due))
            .values(status=S.SENDING, claimed_by=worker_id, lease_until=now + lease, updated_at=now)
            .returning(Message.id, Message.store_id)
            .execution_options(synchronize_session=False)
        )
        claimed.extend((message_id, store_id) for message_id, store_id in rows)
    return sorted(claimed)


def holds(message: Message, worker_id: str) -> bool:
    """Whether ``worker_id`` still holds this message's lease (read inside the writing transaction)."""
    return message.status == S.SENDING and message.claimed_by == worker_id


def fenced(session: Session, message_ids: Sequence[int], worker_id: str) -> list[Message]:
    """The messages of ``message_ids`` this worker still holds, locked for this transaction."""
    if not message_ids:
        return []
    return list(
        session.scalars(
            select(Message)
            .where(
                among(session, Message.id, message_ids),
                Message.status == S.SENDING,
                Message.claimed_by == worker_id,
            )
            .order_by(Message.id)
            .with_for_update()
        )
    )


def sent(
    session: Session,
    message: Message,
    *,
    channel: str,
    recipient: str | None,
    provider_id: str,
    segments: tuple[int, str] | None = None,
) -> None:
    now = clock.now()
    message.sent_at = now
    message.channel = channel
    message.recipient = recipient or None
    message.provider_message_id = provider_id[:255]
    message.attempts += 1
    event: dict[str, Any] = {"to": message.recipient or "", "channel": channel}
    if segments is not None:
        event.update(segments=segments[0], encoding=segments[1])
    _move(session, message, S.SENT, message.why, "sent", **event)


@dataclass(frozen=True)
class Delivered:
    """A message a channel took, as ``record_sent`` writes it: ``attempts`` holds every channel tried
    for it (``attempt``'s fields), the one that took it last; ``why`` the message's reason as the
    worker read it under its lease (the sent entry on the timeline repeats it)."""

    message_id: int
    channel: str
    recipient: str | None
    provider_id: str
    why: Reason
    subject: str
    attempts: Sequence[dict[str, Any]]
    segments: tuple[int, str] | None = None


def record_sent(session: Session | Connection, worker_id: str, delivered: Delivered) -> bool:
    """``sent`` for a message the worker holds no object of: the lease checked, the status, the
    attempt rows and the timeline entry written in one statement on PostgreSQL (data-modifying
    CTEs) and three on SQLite, instead of a locking read, three ORM writes and their flush. The
    transition is the one ``ALLOWED`` from sending, checked by the statement's own condition. False,
    writing nothing, when ``worker_id`` no longer holds the message's lease.

    The statements are built once (per dialect and number of attempts) and given their values when
    run: building and compiling the CTEs anew for every send cost more than the database took to
    run them."""
    now = clock.now()
    event: dict[str, Any] = {"to": delivered.recipient or "", "channel": delivered.channel}
    if delivered.segments is not None:
        event.update(segments=delivered.segments[0], encoding=delivered.segments[1])
    entry = timeline.kept(delivered.why, event)
    tried = [_attempt_values(values) for values in delivered.attempts]
    values: dict[str, Any] = {
        "message_id": delivered.message_id,
        "worker_id": worker_id,
        "now": now,
        "channel": delivered.channel,
        "recipient": delivered.recipient or None,
        "subject": delivered.subject,
        "provider_id": delivered.provider_id[:255],
        "code": entry.code,
        "params": entry.dumps(),
    }
    dialect = session.dialect if isinstance(session, Connection) else session.get_bind().dialect
    if dialect.name != "postgresql":
        row = session.execute(_sent_update(), values).first()
        if row is None:
            return False
        if tried:
            rows = [{"store_id": row.store_id, "message_id": row.id, **attempt} for attempt in tried]
            session.execute(insert(MessageAttempt.__table__), rows)
        if row.order_id is not None:
            session.execute(
                insert(TimelineEntry.__table__),
                {
                    "store_id": row.store_id,
                    "order_id": row.order_id,
                    "kind": "sent",
                    "step": row.step,
                    "code": entry.code,
                    "params": values["params"],
                    "at": now,
                },
            )
        return True
    for number, attempt in enumerate(tried):
        values.update({f"a{number}_{key}": value for key, value in attempt.items()})
    return session.execute(_sent_in_one(len(tried)), values).first() is not None


@functools.cache
def _sent_update() -> Any:
    """The fenced UPDATE of a send, its values bound when run (``record_sent``'s names)."""
    table = Message.__table__
    return (
        update(table)
        .where(
            table.c.id == bindparam("message_id"),
            table.c.status == S.SENDING,
            table.c.claimed_by == bindparam("worker_id"),
        )
        .values(
            status=S.SENT,
            sent_at=bindparam("now"),
            channel=bindparam("channel"),
            recipient=bindparam("recipient"),
            subject=bindparam("subject"),
            provider_message_id=bindparam("provider_id"),
            attempts=table.c.attempts + 1,
            lease_until=None,
            updated_at=bindparam("now"),
        )
        .returning(table.c.id, table.c.store_id, table.c.order_id, table.c.step)
    )


@functools.lru_cache(maxsize=16)
def _sent_in_one(attempts_count: int) -> Any:
    """PostgreSQL: the fenced UPDATE, ``attempts_count`` attempt rows and the timeline entry as one
    statement of data-modifying CTEs, each written only if the UPDATE found the message held."""
    attempts, entries = MessageAttempt.__table__, TimelineEntry.__table__
    changed = _sent_update().cte("changed")
    statement = select(changed.c.id)
    columns = ["channel", "started_at", "duration_ms", "outcome", "provider_id", "error"]
    for number in range(attempts_count):
        tried_row = select(
            changed.c.store_id,
            changed.c.id,
            *(bindparam(f"a{number}_{key}", type_=attempts.c[key].type) for key in columns),
        )
        statement = statement.add_cte(
            insert(attempts)
            .from_select(["store_id", "message_id", *columns], tried_row)
            .cte(f"tried_{number}")
        )
    noted = select(
        changed.c.store_id,
        changed.c.order_id,
        literal("sent", entries.c.kind.type),
        changed.c.step,
        bindparam("code", type_=entries.c.code.type),
        bindparam("params", type_=entries.c.params.type),
        bindparam("now", type_=entries.c.at.type),
    ).where(changed.c.order_id.is_not(None))
    names = ["store_id", "order_id", "kind", "step", "code", "params", "at"]
    return statement.add_cte(insert(entries).from_select(names, noted).cte("noted"))


def _attempt_values(values: dict[str, Any]) -> dict[str, Any]:
    """An attempt row's own columns, cut as ``attempt`` cuts them."""
    return {
        "channel": values["channel"],
        "started_at": values["started_at"],
        "duration_ms": values["duration_ms"],
        "outcome": values["outcome"],
        "provider_id": (values.get("provider_id") or "")[:255] or None,
        "error": (values.get("error") or "")[:2000] or None,
    }


def fail(session: Session, message: Message, reason: Reason, *, tried: bool = True) -> None:
    """Give up on the message; a provider's reply in ``reason`` is kept short."""
    if tried:
        message.attempts += 1
    params = {
        key: (value[:2000] if isinstance(value, str) else value) for key, value in reason.params.items()
    }
    _move(session, message, S.FAILED, Reason(reason.code, params), "failed")


def retry(session: Session, message: Message, at: datetime, reason: Reason) -> None:
    """Another attempt later; this one counted."""
    message.attempts += 1
    message.send_at = at
    _move(session, message, S.SCHEDULED, reason, "retry")


def release(session: Session, message: Message, at: datetime, reason: Reason) -> None:
    """Back to scheduled without using an attempt: the message is fine, the store's channel is not.
    The store's messages accumulate and all go once it recovers. Not on the timeline: it would say
    the same thing every few minutes while a channel is down."""
    if S.SCHEDULED not in ALLOWED[message.status]:
        raise TransitionRefused(f"message {message.id}: {message.status} -> scheduled is not allowed")
    message.status = S.SCHEDULED
    message.send_at = at
    message.reason_code = reason.code
    message.reason_params = reason.dumps()
    message.lease_until = None


def attempt(
    session: Session,
    message: Message,
    *,
    channel: str,
    started_at: datetime,
    duration_ms: int,
    outcome: str,
    provider_id: str | None = None,
    error: str | None = None,
) -> None:
    session.add(
        MessageAttempt(
            store_id=message.store_id,
            message_id=message.id,
            channel=channel,
            started_at=started_at,
            duration_ms=duration_ms,
            outcome=outcome,
            provider_id=(provider_id or "")[:255] or None,
            error=(error or "")[:2000] or None,
        )
    )
