"""Claim due messages in a batch, ask the planner again for all of them, render, send, record.

A batch takes two short transactions, whatever its size: the claim (``outbox.claim``, a lease per
message) and the re-check and rendering (``reconcile.recheck`` reads the state of every order in the
batch set-based; cancelled, held and deferred messages are written here, so a cancelled order's
message never goes out). Then each message is sent, outside any transaction (an SMTP conversation
must not hold SQLite's write lock), over connections the channels keep open for the run, and its
outcome is written at once in a transaction of its own: that is what "exactly once" costs, since a
worker killed mid-batch must not leave sent messages unrecorded for the next worker to send again.
That transaction is as small as it can be: a send is one statement (``outbox.record_sent``), which on
PostgreSQL commits by itself, so recording it costs one round trip. Outcomes are not gathered and
written for several messages at once: every message sent and not yet recorded is one a crash would
send twice, and the design allows only the one in flight.
Each outcome is written only if this worker still holds the message's lease, so a slow worker cannot
overwrite another's result. The next batch is claimed and prepared by a thread while this one is
sent (``run_until_idle``); the sends themselves stay one at a time.
"""

from __future__ import annotations

import logging
import random
import secrets
import time
from collections import Counter, defaultdict
from collections.abc import Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import select, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, selectinload

from app import channel_settings, clock, evidence, offers, outbox, suppression, timeline
from app.billing import state as billing
from app.db import Database, Snapshot, among, insert_ignore
from app.journeys import config as journey_config
from app.journeys import reasons, reconcile
from app.journeys.planner import Decision, Verdict
from app.journeys.reasons import Reason
from app.journeys.steps import PREVIOUS_STEP, STEPS
from app.links import Links
from app.messages import compose, custom, segments, tracked
from app.messages.localise import e164
from app.messages.render import Rendered, render
from app.messages.sandbox import TemplateProblem
from app.models import Customer, Message, OfferStatus, Order, ShortLink, Store, Suppression
from app.suppression import addresses
from channels import registry
from channels.base import (
    Ahead,
    Channel,
    ChannelDown,
    Outgoing,
    PermanentChannelError,
    Pooled,
    RecipientRefused,
    StoreContext,
    Undeliverable,
)
from channels.smtp import SmtpSettings
from connectors import registry as connector_registry
from connectors.base import RETRYABLE_ERRORS, AuthError, Connector, ConnectorError, OfferRequest, Offers

log = logging.getLogger(__name__)

RETRY_BASE_SECONDS = 60
RETRY_CAP_SECONDS = 3600
CHANNEL_DOWN_RETRY = timedelta(minutes=5)
DEFER_TOLERANCE = timedelta(minutes=1)
ALERT_STEPS = frozenset({"merchant_alert", "plan_alert"})
PHONE_CHANNELS = registry.PHONE
FOLLOWED_STEPS = frozenset(PREVIOUS_STEP.values())  # a later step counts from their send (the reminder)


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
class PendingOffer:
    """A code the message carries that the store does not have yet: created just before the send."""

    offer_id: int
    platform: str
    credentials: str
    request: OfferRequest


@dataclass(frozen=True)
class Prepared:
    message_id: int
    store_id: int
    store: StoreContext
    outgoing: Outgoing
    channels: list[tuple[str, Channel]]  # in the order to try them
    order_id: int | None = None
    offer: PendingOffer | None = None
    why: Reason = field(default_factory=lambda: Reason.of("none"))  # the message's reason, for its entry


@dataclass(frozen=True)
class _Ready:
    """A claimed batch after its re-check and rendering: how many messages it claimed, those to send,
    and what became of the others (cancelled, held, deferred, failed to render, lease lost)."""

    claimed: int
    prepared: list[Prepared]
    outcomes: Counter[Outcome]


@dataclass
class Tried:
    """What happened when one message's channels were tried, written back in the batch's last step."""

    prepared: Prepared
    outcome: Outcome
    reason: Reason | None = None
    channel: str = ""
    provider_id: str = ""
    suppress: list[str] = field(default_factory=list)
    attempts: list[dict[str, object]] = field(default_factory=list)
    permanent: bool = False
    offer_created: str | None = None  # the store's id for the message's code, created in this try
    credentials: str | None = None  # the store's credentials, when the platform renewed them
    passed_over: list[str] = field(default_factory=list)  # channels tried before the one that sent


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
        connectors: Mapping[str, Connector] | None = None,
        message_domain: str = "aftercare.invalid",
    ) -> None:
        """``message_domain``: the right-hand side of our Message-IDs (the relay's sending domain)."""
        self.db = db
        self.channels = channels
        self.worker_id = worker_id
        self.links = links
        self.connectors = connectors if connectors is not None else connector_registry.build()
        self.batch_size = batch_size
        self.lease = timedelta(seconds=lease_seconds)
        self.max_attempts = max_attempts
        self.message_domain = message_domain

    def run_once(self) -> Counter[Outcome]:
        """Claim one batch and deliver it; returns how each message ended."""
        return self.deliver([message_id for message_id, _ in self.claim()])

    def claim(self) -> list[tuple[int, int]]:
        """Lease a batch of due messages to this worker; (message id, store id) pairs, oldest first."""
        with self.db.session() as session:
            return outbox.claim(session, self.worker_id, self.batch_size, self.lease)

    def deliver(self, message_ids: list[int]) -> Counter[Outcome]:
        """Ask again, render, send and record the claimed messages ``message_ids``."""
        try:
            return self._send_all(self._ready(message_ids))
        finally:
            self._close_connections(0)

    def _close_connections(self, older_than: float | None = None) -> None:
        """Close the channels' pooled connections idle for ``older_than`` seconds (None: each
        channel's own idle limit; 0: all). A run keeps them open from one batch to the next, as one
        SMTP conversation carries any number of messages: closing them after every batch of 50 cost a
        connection, greeting, EHLO and QUIT per batch. None is left open when the run ends."""
        for channel in self.channels.values():
            if isinstance(channel, Pooled):
                if older_than is None:
                    channel.close_idle()
                else:
                    channel.close_idle(older_than)

    def _ready(self, message_ids: list[int]) -> _Ready:
        """The batch's second transaction: what is to be sent, and what became of the others.

        It mostly reads (a batch writes only what it cancels, holds, defers or reserves), so on SQLite
        it first runs without the write lock (``Database.reading``), and the sends being recorded
        meanwhile are not held back by it. Should it have to write after one of them committed, it is
        undone and done again holding the lock from the start, as every transaction of ours does."""
        if not message_ids:
            return _Ready(0, [], Counter())
        outcomes: Counter[Outcome] = Counter()
        try:
            with self.db.reading() as session:
                prepared = self._prepare(session, message_ids, outcomes)
        except Snapshot:
            outcomes.clear()
            with self.db.session() as session:
                prepared = self._prepare(session, message_ids, outcomes)
        return _Ready(len(message_ids), prepared, outcomes)

    def _claim_and_prepare(self) -> _Ready:
        return self._ready([message_id for message_id, _ in self.claim()])

    def _send_all(self, ready: _Ready) -> Counter[Outcome]:
        """Send and record each prepared message in turn (outside any transaction), then plan what
        follows the sends."""
        outcomes, prepared = Counter(ready.outcomes), ready.prepared
        if not prepared:
            return outcomes
        down: set[tuple[int, str]] = set()  # (store, channel) that failed in this batch: do not knock again
        followed: dict[int, set[int]] = defaultdict(set)  # store -> orders whose next steps count from a send
        for index, item in enumerate(prepared):
            following = prepared[index + 1] if index + 1 < len(prepared) else None
            outcome = self._record(self._send(item, down, following))
            outcomes[outcome] += 1
            if outcome is Outcome.SENT and item.outgoing.step in FOLLOWED_STEPS and item.order_id is not None:
                followed[item.store_id].add(item.order_id)
        self._close_connections()  # only those idle for long: the next batch reuses the others
        self._plan_followers(followed)
        return outcomes

    def _plan_followers(self, followed: dict[int, set[int]]) -> None:
        """Plan what counts from this batch's sends (a reminder from its request), once per store and
        set-based. After the sends are recorded, not with each: should the worker die in between, the
        periodic re-plan (``jobs.replan_stores``) plans them from the recorded send."""
        for store_id, order_ids in followed.items():
            with self.db.session() as session:
                store = session.get(Store, store_id)
                if store is not None:
                    reconcile.refresh(session, store, reconcile.orders_of(session, store, order_ids))

    def run_until_idle(self, max_batches: int = 100) -> Counter[Outcome]:
        """Keep claiming until nothing is due (bounded, so one job run cannot go on forever).

        A thread claims and prepares the next batch while this one is sent: rendering is the worker's
        own work and a send is mostly waiting for the SMTP server and the database, so the two
        overlap. They touch disjoint rows, and neither waits for the other: on PostgreSQL thanks to
        row locks, on SQLite because the preparation reads without the write lock (``_ready``).
        Sending is unchanged: one message at a time, each recorded before the next goes, so still
        only the one in flight could go twice. The next batch is re-checked up to a batch's sending
        time earlier than it would be otherwise (about a second; a batch was always re-checked as a
        whole before its first send), and claims what was due when it claimed, as a second worker
        would."""
        try:
            return self._run(max_batches)
        finally:
            self._close_connections(0)

    def _run(self, max_batches: int) -> Counter[Outcome]:
        total: Counter[Outcome] = Counter()
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"{self.worker_id}-prepare") as ahead:
            coming: Future[_Ready] | None = ahead.submit(self._claim_and_prepare)
            for number in range(max_batches):
                assert coming is not None  # noqa: S101 - submitted for every batch but the last
                ready = coming.result()
                full = ready.claimed >= self.batch_size
                coming = ahead.submit(self._claim_and_prepare) if full and number + 1 < max_batches else None
                total.update(self._send_all(ready))
                if not full:
                    break
            if coming is not None:  # an error while sending: what is prepared is sent by the next run
                coming.cancel()
        return total

    # --- the batch's second transaction: ask again, render ------------------------------------------

    def _prepare(
        self, session: Session, message_ids: list[int], outcomes: Counter[Outcome]
    ) -> list[Prepared]:
        ready: list[Prepared] = []
        messages = outbox.fenced(session, message_ids, self.worker_id)
        if len(messages) < len(message_ids):
            outcomes[Outcome.LOST_LEASE] += len(message_ids) - len(messages)
        by_store: dict[int, list[Message]] = defaultdict(list)
        for message in messages:
            by_store[message.store_id].append(message)
        for store_id, batch in by_store.items():
            store = session.get(Store, store_id)
            assert store is not None  # noqa: S101 - foreign key
            # The planner decides its own steps; alerts, review replies and thank-yous are sent as
            # they were planned.
            planned = [m for m in batch if m.step in STEPS]
            answers = reconcile.recheck(session, store, planned) if planned else {}
            read = _Batch.read(session, store, batch)
            gate = billing.gate(session, store, planned[0].order_id if planned else None)
            began = _journeys_began(session, store, planned) if gate.told_at else {}
            for message in batch:
                answer = answers.get(message.id)
                if message.step not in ALERT_STEPS and not gate.allows(
                    message.kind, began.get(message.order_id or 0, message.created_at)
                ):
                    outbox.cancel(session, message, Reason.of("over_plan", plan=gate.plan.title))
                    outcomes[Outcome.CANCELLED] += 1
                    continue
                verdict = self._verdict(session, message, answer)
                if verdict is not None:
                    outcomes[verdict] += 1
                    continue
                item = self._render(session, store, message, read, answer)
                if isinstance(item, Outcome):
                    outcomes[item] += 1
                else:
                    ready.append(item)
        return ready

    def _verdict(
        self, session: Session, message: Message, answer: Decision | Reason | None
    ) -> Outcome | None:
        """None when the message should go now; otherwise what happened to it instead."""
        if answer is None:  # a merchant alert: the planner does not decide those
            return None
        if isinstance(answer, Reason):
            outbox.cancel(session, message, answer)
            return Outcome.CANCELLED
        if answer.verdict is Verdict.SKIP:
            outbox.cancel(session, message, answer.reason)
            return Outcome.CANCELLED
        if answer.verdict in (Verdict.HOLD, Verdict.WAIT):
            outbox.hold(session, message, answer.reason)
            return Outcome.HELD
        if message.send_now:  # the merchant asked for it now: no window or cap deferral
            return None
        if answer.send_at is not None and answer.send_at > clock.now() + DEFER_TOLERANCE:
            outbox.reschedule(session, message, answer.send_at, answer.reason)
            return Outcome.DEFERRED
        return None

    def _render(
        self,
        session: Session,
        store: Store,
        message: Message,
        read: _Batch,
        answer: Decision | Reason | None = None,
    ) -> Prepared | Outcome:
        if message.channel not in self.channels:
            outbox.fail(session, message, Reason.of("unknown_channel", channel=message.channel), tried=False)
            return Outcome.FAILED
        names = [message.channel]
        if message.step not in ALERT_STEPS:
            names += [name for name in reconcile.channels_for(store, message.step) if name != message.channel]
        if isinstance(answer, Decision) and answer.channels:
            # marketing goes only where the customer agreed to it, channel by channel
            names = [name for name in names if name in answer.channels] or list(answer.channels)
        channels = [(name, self.channels[name]) for name in names if name in self.channels]
        pending = None
        try:
            built = compose.build(session, store, message, self.links, granted=read.granted)
            offer = offers.offer_for(store, message.step) if message.step not in ALERT_STEPS else None
            if offer is not None:
                row = offers.reserve(session, store, message, offer)
                built.context["coupon"] = row.code
                built.context["offer"] = offers.describe(row, built.locale, store)
                if row.status != OfferStatus.CREATED:
                    pending = PendingOffer(
                        row.id, store.platform, store.credentials or "", offers.request(store, row)
                    )
            rendered = _render(session, store, message, built, read.wording)
            html, text = tracked.rewrite(
                rendered.html,
                rendered.text,
                lambda url: self.links.tracked(store.id, message.id, url),
                self.links.settings.public_url.rstrip("/") + "/",
            )
        except compose.NoRecipient as exc:
            outbox.cancel(session, message, exc.reason)
            return Outcome.CANCELLED
        except SQLAlchemyError:  # the database's, not the template's: the batch's transaction fails
            raise
        except Exception as exc:  # noqa: BLE001 - a template bug must not kill the worker
            log.exception("message %s: rendering failed", message.id)
            outbox.fail(session, message, Reason.of("template_failed", error=str(exc)), tried=False)
            return Outcome.FAILED
        to_address, to_phone = _reachable(session, store, message, built, read.suppressed)
        if journey_config.parse(store.journey).open_pixel and message.step not in ALERT_STEPS:
            html = tracked.with_pixel(html, self.links.opened(store.id, message.id))
        short = rendered.short
        if to_phone and any(name in PHONE_CHANNELS for name, _ in channels):
            short = tracked.shorten(short, lambda url: self._short_link(session, message, url))
        context = channel_settings.context(session, store)
        customer_ref = read.customer_refs.get(message.customer_id or 0)
        outgoing = Outgoing(
            message_id=f"<aftercare.{store.id}.{message.id}@{_id_domain(context, self.message_domain)}>",
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
            customer_ref=customer_ref,
            facts={"number": built.context.get("order", {}).get("number", "")},
        )
        if context.renewed is None:
            store_id = store.id
            context = replace(context, renewed=lambda fresh: self._keep_credentials(store_id, fresh))
            channel_settings.keep(session, context)
        return Prepared(
            message.id, store.id, context, outgoing, channels, message.order_id, pending, message.why
        )

    def _keep_credentials(self, store_id: int, credentials: str) -> None:
        """A platform renewed the store's credentials while a channel used them (Shopify's refresh
        token changes each time): keep them at once, or the next renewal fails."""
        with self.db.session() as session:
            store = session.get(Store, store_id)
            if store is not None:
                store.credentials = credentials

    def _short_link(self, session: Session, message: Message, url: str) -> str:
        """A short code for ``url`` in this message (the same one on a retry)."""
        code = session.scalar(
            select(ShortLink.code).where(ShortLink.message_id == message.id, ShortLink.url == url)
        )
        if code is None:
            code = secrets.token_urlsafe(6)  # 48 random bits: not guessable, and 8 characters
            session.add(ShortLink(store_id=message.store_id, message_id=message.id, code=code, url=url))
        return self.links.short(code)

    # --- outside any transaction: the sends -----------------------------------------------------------

    def _send(self, item: Prepared, down: set[tuple[int, str]], following: Prepared | None = None) -> Tried:
        """Send through the message's channel, else the step's next usable ones in order: a channel
        that is down, or cannot reach this customer (no phone, WhatsApp's window closed, an address
        that bounced), hands over to the next. If none could take it and one was down, the message
        waits for it without using an attempt; if none could reach the customer, it fails.

        ``following``, the batch's next message, is named to a channel that can begin its
        transaction with this one's (``Ahead``) when it is the first that message will try."""
        outgoing, said, waiting = item.outgoing, [], False
        result = Tried(item, Outcome.FAILED)
        if item.offer is not None and not self._create_offer(item.offer, result):
            return result
        for name, channel in item.channels:
            if (item.store_id, name) in down:
                said.append(f"{name} was unreachable moments ago")
                waiting = True
                continue
            started, clock_started = clock.now(), time.perf_counter()

            def attempt(outcome: str, error: str | None = None, provider_id: str | None = None) -> None:
                result.attempts.append(
                    {
                        "channel": name,  # noqa: B023 - used at once, inside this iteration
                        "started_at": started,  # noqa: B023
                        "duration_ms": int((time.perf_counter() - clock_started) * 1000),  # noqa: B023
                        "outcome": outcome,
                        "error": error,
                        "provider_id": provider_id,
                    }
                )

            if following is not None and isinstance(channel, Ahead) and _first_through(following, name):
                channel.expect(following.store, following.outgoing)
            try:
                provider_id = channel.send(item.store, outgoing)
            except ChannelDown as exc:
                log.warning("message %s: the store's %s channel is down: %s", item.message_id, name, exc)
                down.add((item.store_id, name))
                said.append(f"{name}: {exc}")
                attempt("down", str(exc))
                waiting = True
                continue
            except RecipientRefused as exc:
                address = outgoing.to_phone if name in PHONE_CHANNELS else outgoing.to_address
                if address:
                    result.suppress.append(address)
                said.append(f"{name}: {exc}")
                attempt("unreachable", str(exc))
                continue
            except Undeliverable as exc:
                said.append(f"{name}: {exc}")
                attempt("unreachable", str(exc))
                continue
            except PermanentChannelError as exc:
                attempt("failed", str(exc))
                result.reason, result.permanent = Reason.of("refused", error=f"{name}: {exc}"), True
                return result
            except Exception as exc:  # noqa: BLE001 - every other error is worth another try
                log.warning("message %s: transient send error on %s: %s", item.message_id, name, exc)
                attempt("retry", str(exc) or type(exc).__name__)
                result.outcome = Outcome.RETRY
                result.reason = Reason.of("refused", error=f"{name}: {exc or type(exc).__name__}")
                return result
            attempt("sent", provider_id=provider_id)
            result.outcome, result.channel, result.provider_id = Outcome.SENT, name, provider_id
            result.passed_over = said
            return result
        if waiting:
            result.outcome, result.reason = Outcome.CHANNEL_DOWN, Reason.of("channel_waiting", tried=said)
            return result
        result.reason, result.permanent = Reason.of("no_channel", tried=said), True
        return result

    def _create_offer(self, pending: PendingOffer, result: Tried) -> bool:
        """Ask the store for the message's code; False (with ``result`` saying why) when it could not
        be made now. The code is the one kept on the message, so asking again is harmless."""
        connector = self.connectors.get(pending.platform)
        if not isinstance(connector, Offers):
            result.reason, result.permanent = (
                Reason.of("offer_refused", error="the store cannot hold codes"),
                True,
            )
            return False

        def renewed(credentials: str) -> None:
            result.credentials = credentials

        try:
            result.offer_created = connector.create_offer(pending.credentials, pending.request, renewed)
            return True
        except AuthError as exc:  # the store refused our credentials: wait for it, as a channel down
            result.outcome, result.reason = Outcome.CHANNEL_DOWN, Reason.of("offer_waiting", error=str(exc))
        except RETRYABLE_ERRORS as exc:
            result.outcome, result.reason = Outcome.RETRY, Reason.of("offer_waiting", error=str(exc))
        except ConnectorError as exc:  # a code the customer could not use must not be sent
            result.reason, result.permanent = Reason.of("offer_refused", error=str(exc)), True
        log.warning(
            "message %s: the offer code was not created: %s", result.prepared.message_id, result.reason
        )
        return False

    # --- after each send, its own short transaction: the result --------------------------------------

    def _record(self, item: Tried) -> Outcome:
        """Write one message's outcome at once: a worker that dies mid-batch has recorded every message
        it sent, so none goes out twice (only the one in flight can be). On PostgreSQL the commit does
        not wait for the disk (``synchronous_commit = off``): losing the last instant of these records
        takes a crash of the database server itself, not of a worker. A send, the common outcome, is
        one statement (``outbox.record_sent``), on PostgreSQL committed by itself when it has nothing
        else to go with it; the other outcomes read the message and decide."""
        alone = not (item.offer_created or item.credentials or item.suppress or item.passed_over)
        if item.outcome is Outcome.SENT and alone:
            if self._record_alone(item):
                return Outcome.SENT
            log.warning("message %s was sent but its lease had passed", item.prepared.message_id)
            return Outcome.LOST_LEASE
        with self.db.session() as session:
            if self.db.dialect == "postgresql":
                session.execute(text("SET LOCAL synchronous_commit = off"))
            if item.outcome is Outcome.SENT:
                if not self._record_sent(session, item):
                    log.warning("message %s was sent but its lease had passed", item.prepared.message_id)
                    return Outcome.LOST_LEASE
            else:
                held = outbox.fenced(session, [item.prepared.message_id], self.worker_id)
                if not held:
                    return Outcome.LOST_LEASE
                message = held[0]
                # written with the outcome, not while rendering: one UPDATE a batch's message fewer
                message.recipient = item.prepared.outgoing.to_address or item.prepared.outgoing.to_phone
                message.subject = item.prepared.outgoing.subject
                for values in item.attempts:
                    outbox.attempt(session, message, **values)  # type: ignore[arg-type]
            if item.offer_created is not None and item.prepared.offer is not None:
                offers.created(session, item.prepared.offer.offer_id, item.offer_created)
            if item.credentials is not None:
                store = session.get(Store, item.prepared.store_id)
                if store is not None:
                    store.credentials = item.credentials
            for address in item.suppress:  # a hard bounce or a STOP: nothing more goes there
                insert_ignore(
                    session,
                    Suppression,
                    {
                        "store_id": item.prepared.store_id,
                        "address": address.lower(),
                        "kind": "all",
                        "reason": "hard_bounce",
                    },
                )
            if item.outcome is Outcome.SENT:
                return Outcome.SENT
            return self._outcome(session, message, item)

    def _record_alone(self, item: Tried) -> bool:
        """A send with nothing else to write, with no ORM session around it: its session, flush and
        identity map cost more than the statements themselves. On PostgreSQL one statement committed
        by itself (``unsynced``); on SQLite three in one ``BEGIN IMMEDIATE`` transaction."""
        delivered = self._delivered(item)
        if self.db.unsynced is not None:
            with self.db.unsynced.connect() as connection:
                return outbox.record_sent(connection, self.worker_id, delivered)
        with self.db.engine.begin() as connection:
            return outbox.record_sent(connection, self.worker_id, delivered)

    @staticmethod
    def _delivered(item: Tried) -> outbox.Delivered:
        prepared, outgoing = item.prepared, item.prepared.outgoing
        phone = item.channel in PHONE_CHANNELS
        counted = segments.count(outgoing.short) if phone else None
        return outbox.Delivered(
            message_id=prepared.message_id,
            channel=item.channel,
            recipient=outgoing.to_phone if phone else outgoing.to_address,
            provider_id=item.provider_id,
            why=prepared.why,
            subject=outgoing.subject,
            attempts=item.attempts,
            segments=(counted.count, counted.encoding) if counted else None,
        )

    def _record_sent(self, session: Session, item: Tried) -> bool:
        prepared, outgoing = item.prepared, item.prepared.outgoing
        if not outbox.record_sent(session, self.worker_id, self._delivered(item)):
            return False
        if item.passed_over and prepared.order_id is not None:  # why it came by another channel
            timeline.note(
                session,
                prepared.store_id,
                prepared.order_id,
                "fallback",
                Reason.of("channel_fallback", used=item.channel, tried=item.passed_over),
                step=outgoing.step,
            )
        return True

    def _outcome(self, session: Session, message: Message, item: Tried) -> Outcome:
        reason = item.reason or reasons.text("unknown")
        if item.outcome is Outcome.RETRY and reason.code == "offer_waiting":
            if message.attempts + 1 < self.max_attempts:
                outbox.retry(session, message, clock.now() + retry_delay(message.attempts + 1), reason)
                return Outcome.RETRY
        if item.outcome is Outcome.CHANNEL_DOWN:
            outbox.release(session, message, clock.now() + jittered(CHANNEL_DOWN_RETRY), reason)
            return Outcome.CHANNEL_DOWN
        if item.permanent or message.attempts + 1 >= self.max_attempts:
            if not item.permanent:
                reason = Reason.of(
                    "gave_up", attempts=message.attempts + 1, error=reason.params.get("error", "")
                )
            outbox.fail(session, message, reason)
            return Outcome.FAILED
        outbox.retry(
            session,
            message,
            clock.now() + retry_delay(message.attempts + 1),
            Reason.of("retrying", error=reason.params.get("error", "")),
        )
        return Outcome.RETRY


def _render(
    session: Session,
    store: Store,
    message: Message,
    built: compose.Built,
    wording: dict[tuple[str, str], custom.Custom],
) -> Rendered:
    """The merchant's own wording when there is one; ours when it fails for this customer (it passed
    the check on save, so this is an edge its samples missed): the customer still hears from the store,
    and the order's timeline says why the wording differs."""
    own = wording.get((message.step, built.locale))
    if own is not None:
        try:
            return render(message.step, built.locale, built.context, own)
        except TemplateProblem as problem:
            log.warning("message %s: the store's own template failed: %s", message.id, problem)
            if message.order_id is not None:
                timeline.note(
                    session,
                    store.id,
                    message.order_id,
                    "template",
                    reasons.text(str(problem)),
                    step=message.step,
                )
    return render(message.step, built.locale, built.context)


def _first_through(following: Prepared, name: str) -> bool:
    """Whether the next message will go first through channel ``name`` straight away (not after a
    code is made for it at the store, which may fail)."""
    return following.offer is None and bool(following.channels) and following.channels[0][0] == name


def _journeys_began(session: Session, store: Store, messages: list[Message]) -> dict[int, datetime]:
    """When each message's order was placed: a journey begins with its order."""
    order_ids = {m.order_id for m in messages if m.order_id is not None}
    if not order_ids:
        return {}
    rows = session.execute(
        select(Order.id, Order.placed_at).where(Order.store_id == store.id, Order.id.in_(order_ids))
    )
    return {order_id: placed_at for order_id, placed_at in rows}


def _reachable(
    session: Session, store: Store, message: Message, built: compose.Built, suppressed: dict[str, set[str]]
) -> tuple[str, str | None]:
    """The order's email and phone, without any that bounced or said STOP (those channels then hand
    over to the next)."""
    if message.step in ALERT_STEPS:
        return built.to_address, built.to_phone
    wanted = [address for address in (built.to_address.lower(), built.to_phone or "") if address]
    unread = [address for address in wanted if address not in suppressed]
    found = {**suppressed, **suppression.of(session, store, unread)} if unread else suppressed
    blocked = {address for address in wanted if "all" in found.get(address, set())}
    email = "" if built.to_address.lower() in blocked else built.to_address
    phone = None if built.to_phone in blocked else built.to_phone
    return email, phone


@dataclass(frozen=True)
class _Batch:
    """What rendering a store's batch reads, read once for all of it: the orders with their lines (held
    here, so the session's identity map, which holds them weakly, serves every later ``get``), the
    customers' platform ids, the store's own wordings, and the suppressions and marketing consents of
    every address the orders hold."""

    wording: dict[tuple[str, str], custom.Custom]
    suppressed: dict[str, set[str]]
    granted: dict[str, set[str]]
    orders: dict[int, Order]
    customer_refs: dict[int, str | None]

    @classmethod
    def read(cls, session: Session, store: Store, batch: list[Message]) -> _Batch:
        order_ids = sorted({m.order_id for m in batch if m.order_id is not None})
        orders = (
            session.scalars(
                select(Order).where(among(session, Order.id, order_ids)).options(selectinload(Order.lines))
            ).all()
            if order_ids
            else []
        )
        wanted = {address for order in orders for address in addresses(order)}
        wanted |= {phone for order in orders if (phone := e164(order.phone, order.ship_country))}
        customer_ids = sorted({m.customer_id for m in batch if m.customer_id is not None})
        rows = (
            session.execute(
                select(Customer.id, Customer.external_id).where(among(session, Customer.id, customer_ids))
            ).all()
            if customer_ids
            else []
        )
        refs: dict[int, str | None] = {customer_id: external_id for customer_id, external_id in rows}
        emails = sorted({order.email.lower() for order in orders if order.email})
        return cls(
            custom.load_all(session, store.id),
            suppression.of(session, store, sorted(wanted)),
            evidence.granted(session, store, emails),
            {order.id: order for order in orders},
            refs,
        )


def _id_domain(store: StoreContext, default: str) -> str:
    """Our Message-IDs name the domain the store's mail comes from: its own, else the relay's."""
    own = store.of("smtp", SmtpSettings)
    if own is not None:
        return own.from_email.rpartition("@")[2]
    return store.domain.domain if store.domain is not None else default


def _headers(store: Store, message: Message, unsubscribe_url: str | None) -> dict[str, str]:
    """Our trace headers, and on every message a customer may refuse the one-click unsubscribe pair
    Gmail and Yahoo require of bulk senders (RFC 2369, RFC 8058)."""
    headers = {"X-Aftercare-Message": f"{store.id}.{message.id}", "X-Aftercare-Step": message.step}
    if unsubscribe_url:
        headers["List-Unsubscribe"] = f"<{unsubscribe_url}>"
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    return headers
