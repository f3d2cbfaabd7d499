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
import secrets
from collections import Counter
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

from sqlalchemy import Update, and_, or_, select, update
from sqlalchemy.orm import Session

from app import clock, suppression, timeline
from app.db import Database, insert_ignore
from app.journeys import config as journey_config
from app.journeys import schedule
from app.journeys.planner import Verdict
from app.journeys.steps import PREVIOUS_STEP
from app.links import Links
from app.messages import compose, custom, segments, tracked
from app.messages.render import Rendered, render
from app.messages.sandbox import TemplateProblem
from app.models import Customer, Message, MessageStatus, Order, ShortLink, Store, StoreStatus, Suppression
from channels.base import (
    Channel,
    ChannelDown,
    Outgoing,
    PermanentChannelError,
    RecipientRefused,
    Sender,
    Undeliverable,
)

log = logging.getLogger(__name__)

RETRY_BASE_SECONDS = 60
RETRY_CAP_SECONDS = 3600
CHANNEL_DOWN_RETRY = timedelta(minutes=5)
DEFER_TOLERANCE = timedelta(minutes=1)
ALERT_STEPS = frozenset({"merchant_alert"})
PHONE_CHANNELS = frozenset({"sms", "whatsapp"})
FOLLOWED_STEPS = frozenset(PREVIOUS_STEP.values())  # to the merchant, not part of the customer's journey


class Outcome(StrEnum):
    SENT = "sent"
    RETRY = "retry"
    FAILED = "failed"
    CANCELLED = "cancelled"
    HELD = "held"
    DEFERRED = "deferred"  # the window or the frequency cap moved it later
    CHANNEL_DOWN = "channel_down"  # the store's channel is unreachable; retried without using attempts
    LOST_LEASE = "lost_lease"


@dataclass(frozen=True)
class Prepared:
    sender: Sender
    outgoing: Outgoing
    channels: list[tuple[str, Channel]]  # in the order to try them


def jittered(base: timedelta, rng: random.Random | None = None) -> timedelta:
    """``base`` give or take half, so that many messages failing together do not retry together."""
    rng = rng or random.Random()  # noqa: S311 - jitter, not secrecy
    return base * rng.uniform(0.5, 1.5)


def retry_delay(attempts: int, rng: random.Random | None = None) -> timedelta:
    """Exponential backoff with jitter, capped at an hour."""
    base = min(RETRY_CAP_SECONDS, RETRY_BASE_SECONDS * 2 ** max(0, attempts - 1))
    return jittered(timedelta(seconds=base), rng)


class Dispatcher:
    def __init__(
        self,
        db: Database,
        channels: dict[str, Channel],
        worker_id: str,
        links: Links,
        *,
        batch_size: int = 50,
        lease_seconds: int = 120,
        max_attempts: int = 8,
    ) -> None:
        self.db = db
        self.channels = channels
        self.worker_id = worker_id
        self.links = links
        self.batch_size = batch_size
        self.lease = timedelta(seconds=lease_seconds)
        self.max_attempts = max_attempts

    def run_once(self) -> Counter[Outcome]:
        """Claim one batch and deliver it; returns how each message ended."""
        outcomes: Counter[Outcome] = Counter()
        down: set[int] = set()  # stores whose channel failed in this batch: do not knock again
        for message_id, store_id in self.claim():
            outcomes[self.deliver(message_id, store_id, down)] += 1
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

    def claim(self) -> list[tuple[int, int]]:
        """Lease a batch of due messages to this worker; (message id, store id) pairs, oldest first."""
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
            .returning(Message.id, Message.store_id)
        )
        with self.db.session() as session:
            return sorted((row.id, row.store_id) for row in session.execute(claim))

    def deliver(self, message_id: int, store_id: int, down: set[tuple[int, str]] | None = None) -> Outcome:
        """Send through the message's channel, else the step's next usable ones in order: a channel
        that is down, or cannot reach this customer (no phone, WhatsApp's window closed, an address
        that bounced), hands over to the next. If none could take it and one was down, the message
        waits for it without using an attempt; if none could reach the customer, it fails."""
        down = set() if down is None else down
        prepared = self._prepare(message_id)
        if isinstance(prepared, Outcome):
            return prepared
        outgoing, tried, waiting = prepared.outgoing, [], False
        for name, channel in prepared.channels:
            if (store_id, name) in down:
                tried.append(f"{name} was unreachable moments ago")
                waiting = True
                continue
            try:
                provider_id = channel.send(prepared.sender, outgoing)
            except ChannelDown as exc:
                log.warning("message %s: the store's %s channel is down: %s", message_id, name, exc)
                down.add((store_id, name))
                tried.append(f"{name}: {exc}")
                waiting = True
                continue
            except RecipientRefused as exc:
                address = outgoing.to_phone if name in PHONE_CHANNELS else outgoing.to_address
                self._suppress(message_id, address or "")
                tried.append(f"{name}: {exc}")
                continue
            except Undeliverable as exc:
                tried.append(f"{name}: {exc}")
                continue
            except PermanentChannelError as exc:
                return self._record_failure(message_id, f"{name}: {exc}", permanent=True)
            except Exception as exc:  # noqa: BLE001 - every other error is worth another try
                log.warning("message %s: transient send error on %s: %s", message_id, name, exc)
                return self._record_failure(
                    message_id, f"{name}: {exc or type(exc).__name__}", permanent=False
                )
            return self._record_sent(message_id, provider_id, name, outgoing)
        if waiting:
            return self._release(
                message_id, "waiting for the store's channel to come back (" + "; ".join(tried) + ")"
            )
        return self._record_failure(
            message_id, "no channel could reach the customer: " + "; ".join(tried), permanent=True
        )

    # --- steps -------------------------------------------------------------------------------------

    def _prepare(self, message_id: int) -> Prepared | Outcome:
        """Ask the planner again and render, inside one short transaction; cancel, hold, defer or
        fail here when the fresh decision says so."""
        with self.db.session() as session:
            message = session.get(Message, message_id)
            if message is None or not self._holds(message):
                return Outcome.LOST_LEASE
            store = session.get(Store, message.store_id)
            assert store is not None  # noqa: S101 - foreign key
            if message.step not in ALERT_STEPS:
                verdict = self._replan(session, store, message)
                if verdict is not None:
                    return verdict
            if message.channel not in self.channels:
                schedule.fail(session, message, f"unknown channel {message.channel!r}")
                return Outcome.FAILED
            names = [message.channel]
            if message.step not in ALERT_STEPS:
                names += [
                    name for name in schedule.channels_for(store, message.step) if name != message.channel
                ]
            channels = [(name, self.channels[name]) for name in names if name in self.channels]
            try:
                built = compose.build(session, store, message, self.links)
                rendered = _render(session, store, message, built)
                html, text = tracked.rewrite(
                    rendered.html,
                    rendered.text,
                    lambda url: self.links.tracked(store.id, message.id, url),
                    self.links.settings.public_url.rstrip("/") + "/",
                )
            except compose.NoRecipient as exc:
                schedule.cancel(session, message, str(exc))
                return Outcome.CANCELLED
            except Exception as exc:  # noqa: BLE001 - a template bug must not kill the worker
                log.exception("message %s: rendering failed", message_id)
                schedule.fail(session, message, f"the template could not be rendered: {exc}")
                return Outcome.FAILED
            to_address, to_phone = _reachable(session, store, message, built)
            message.recipient = to_address or to_phone
            message.subject = rendered.subject
            if journey_config.parse(store.journey).open_pixel and message.step not in ALERT_STEPS:
                html = tracked.with_pixel(html, self.links.opened(store.id, message.id))
            short = rendered.short
            if to_phone and any(name in PHONE_CHANNELS for name, _ in channels):
                short = tracked.shorten(short, lambda url: self._short_link(session, message, url))
            domain = (store.sender_email or "aftercare.invalid").rpartition("@")[2]
            outgoing = Outgoing(
                message_id=f"<aftercare.{store.id}.{message.id}@{domain}>",
                to_address=to_address,
                to_name=built.to_name,
                subject=rendered.subject,
                text=text,
                html=html,
                locale=rendered.locale,
                headers=_headers(store, message, built.unsubscribe_url),
                order_ref=built.order_ref,
                to_phone=to_phone,
                short=short,
                step=message.step,
                kind=message.kind,
            )
            return Prepared(sender_for(store), outgoing, channels)

    def _short_link(self, session: Session, message: Message, url: str) -> str:
        """A short code for ``url`` in this message (the same one on a retry)."""
        code = session.scalar(
            select(ShortLink.code).where(ShortLink.message_id == message.id, ShortLink.url == url)
        )
        if code is None:
            code = secrets.token_urlsafe(6)  # 48 random bits: not guessable, and 8 characters
            session.add(ShortLink(store_id=message.store_id, message_id=message.id, code=code, url=url))
        return self.links.short(code)

    def _replan(self, session: Session, store: Store, message: Message) -> Outcome | None:
        """None when the message should go now; otherwise what happened to it instead."""
        decision = schedule.recheck(session, store, message)
        if isinstance(decision, str):
            schedule.cancel(session, message, decision)
            return Outcome.CANCELLED
        if decision.verdict is Verdict.SKIP:
            schedule.cancel(session, message, decision.reason)
            return Outcome.CANCELLED
        if decision.verdict in (Verdict.HOLD, Verdict.WAIT):
            schedule.hold(session, message, decision.reason)
            message.attempts -= 1  # holding is not an attempt
            return Outcome.HELD
        if message.send_now:  # the merchant asked for it now: no window or cap deferral
            return None
        if decision.send_at is not None and decision.send_at > clock.now() + DEFER_TOLERANCE:
            schedule.reschedule(session, message, decision.send_at, decision.reason)
            message.attempts -= 1
            return Outcome.DEFERRED
        return None

    def _release(self, message_id: int, reason: str) -> Outcome:
        """Back to scheduled without using an attempt: the message is fine, the channel is not. The
        store's messages accumulate and all go once it recovers."""
        with self.db.session() as session:
            message = session.get(Message, message_id)
            if message is None or not self._holds(message):
                return Outcome.LOST_LEASE
            message.status = MessageStatus.SCHEDULED
            message.attempts -= 1
            message.send_at = clock.now() + jittered(CHANNEL_DOWN_RETRY)
            message.reason = reason
            message.lease_until = None
        return Outcome.CHANNEL_DOWN

    def _holds(self, message: Message) -> bool:
        return message.status == MessageStatus.SENDING and message.claimed_by == self.worker_id

    def _guarded(self, message_id: int) -> Update:
        return update(Message).where(
            Message.id == message_id,
            Message.status == MessageStatus.SENDING,
            Message.claimed_by == self.worker_id,
        )

    def _record_sent(self, message_id: int, provider_id: str, channel: str, outgoing: Outgoing) -> Outcome:
        now = clock.now()
        phone = channel in PHONE_CHANNELS
        recipient = outgoing.to_phone if phone else outgoing.to_address
        with self.db.session() as session:
            result = session.execute(
                self._guarded(message_id).values(
                    status=MessageStatus.SENT,
                    sent_at=now,
                    provider_message_id=provider_id[:255],
                    channel=channel,
                    recipient=recipient or None,
                    lease_until=None,
                    updated_at=now,
                )
            )
            if result.rowcount != 1:
                log.warning("message %s was sent but its lease had passed to another worker", message_id)
                return Outcome.LOST_LEASE
            message = session.get(Message, message_id)
            if message is not None and message.order_id is not None:
                cost = _cost(outgoing) if phone else ""
                detail = f"{message.step}: sent to {message.recipient} by {channel}{cost}."
                timeline.note(session, message.store_id, message.order_id, "sent", detail)
                if message.step in FOLLOWED_STEPS:  # plan what counts from this send (the reminder)
                    store, order = session.get(Store, message.store_id), session.get(Order, message.order_id)
                    if store is not None and order is not None:
                        schedule.refresh_order(session, store, order)
        return Outcome.SENT

    def _suppress(self, message_id: int, address: str) -> None:
        """A hard bounce or a STOP: nothing more goes to this address, of any kind."""
        if not address:
            return
        with self.db.session() as session:
            message = session.get(Message, message_id)
            if message is None or not self._holds(message):
                return
            values = {
                "store_id": message.store_id,
                "address": address.lower(),
                "kind": "all",
                "reason": "hard_bounce",
            }
            insert_ignore(session, Suppression, values)

    def _record_failure(self, message_id: int, error: str, *, permanent: bool) -> Outcome:
        with self.db.session() as session:
            message = session.get(Message, message_id)
            if message is None or not self._holds(message):
                return Outcome.LOST_LEASE
            if permanent or message.attempts >= self.max_attempts:
                prefix = "" if permanent else f"gave up after {message.attempts} attempts: "
                schedule.fail(session, message, prefix + error)
                return Outcome.FAILED
            message.status = MessageStatus.SCHEDULED
            message.send_at = clock.now() + retry_delay(message.attempts)
            message.reason = f"retrying after a failed attempt ({error})"
            message.lease_until = None
            return Outcome.RETRY


def _render(session: Session, store: Store, message: Message, built: compose.Built) -> Rendered:
    """The merchant's own wording when there is one; ours when it fails for this customer (it passed
    the check on save, so this is an edge its samples missed): the customer still hears from the store,
    and the order's timeline says why the wording differs."""
    own = custom.load(session, store.id, message.step, built.locale)
    if own is not None:
        try:
            return render(message.step, built.locale, built.context, own)
        except TemplateProblem as problem:
            log.warning("message %s: the store's own template failed: %s", message.id, problem)
            if message.order_id is not None:
                detail = f"{message.step}: the store's own wording failed ({problem}); the default was used."
                timeline.note(session, store.id, message.order_id, "template", detail)
    return render(message.step, built.locale, built.context)


def _reachable(
    session: Session, store: Store, message: Message, built: compose.Built
) -> tuple[str, str | None]:
    """The customer's email and phone, without any that bounced or said STOP (those channels then
    hand over to the next)."""
    customer = session.get(Customer, message.customer_id) if message.customer_id else None
    if customer is None or message.step in ALERT_STEPS:
        return built.to_address, built.to_phone
    blocked = {
        address for address, kinds in suppression.of(session, store, customer).items() if "all" in kinds
    }
    email = "" if built.to_address.lower() in blocked else built.to_address
    phone = None if built.to_phone in blocked else built.to_phone
    return email, phone


def _cost(outgoing: Outgoing) -> str:
    counted = segments.count(outgoing.short)
    return f" ({counted.count} {counted.encoding} segment{'s' if counted.count != 1 else ''})"


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
        platform=store.platform,
        credentials=store.credentials,
        twilio_account_sid=store.twilio_account_sid,
        twilio_auth_token=store.twilio_auth_token,
        sms_from=store.sms_from,
        whatsapp_from=store.whatsapp_from,
        hook_url=store.hook_url,
        hook_secret=store.hook_secret,
    )


def _headers(store: Store, message: Message, unsubscribe_url: str | None) -> dict[str, str]:
    """Our trace headers, and on every message a customer may refuse the one-click unsubscribe pair
    Gmail and Yahoo require of bulk senders (RFC 2369, RFC 8058)."""
    headers = {"X-Aftercare-Message": f"{store.id}.{message.id}", "X-Aftercare-Step": message.step}
    if unsubscribe_url:
        headers["List-Unsubscribe"] = f"<{unsubscribe_url}>"
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    return headers
