"""A simulated month: 2,000 orders, their parcels, refunds, reviews and unsubscribes, with the clock
moving an hour at a time and the dispatcher running at every tick. The messages actually sent must
equal, to the hour, an expectation written independently of the planner below: its own reading of
DESIGN.md's journey table, with zoneinfo for the send window and none of the app's timing code.

Customers live in Riyadh, Tehran, Los Angeles, Auckland and London; the month spans the end of
summer time in London (25 Oct) and Los Angeles (1 Nov). Each customer places one order; the frequency
cap binds between an order's own later steps (a reminder and a come-back offer can fall hours apart).

Parcels that go silent (shipped with tracking, then never scanned again) become "no movement" once
they have been quiet longer than Aramex usually is for this store, as learned from the parcels
delivered so far: the customer is told, the merchant alerted, and the later steps hold.

The orders are shared by four stores: a Shopify shop and a WooCommerce store with their own mail
server, and one of each that never set one up and sends through the operator's relay. Each message
must come from the address its store sends from, and every come-back offer carries a code made in its
own store for that customer (the fake Shopify Admin API and the fake WooCommerce store, over
loopback), one code per offer sent. The stores never share a customer, so the month runs as two
halves of two stores each (both platforms, both kinds of sender in each), side by side.
"""

from __future__ import annotations

import os
import random
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from app import Services, clock, ingest, timeline
from app.journeys import reconcile
from app.links import Links
from app.models import Message, OfferCode, Order, Review, Store, Suppression, TimelineEntry
from app.parcels import stalls
from channels.base import Outgoing, StoreContext
from channels.smtp import Relay, Server, SmtpChannel
from connectors.base import (
    AddressSnapshot,
    CustomerSnapshot,
    LineSnapshot,
    OrderSnapshot,
    OrderStatus,
    ProductSnapshot,
    ShipmentEventSnapshot,
    ShipmentSnapshot,
    ShipmentStatus,
)
from connectors.shopify import ShopifyConnector
from connectors.shopify.client import ShopCredentials
from connectors.woocommerce.client import Credentials
from scheduler.dispatch import Dispatcher
from tests.fakes.shopify import FakeShopify, VirtualClock, client_for
from tests.fakes.woocommerce import FakeWooCommerce
from tests.helpers import make_store

pytestmark = pytest.mark.slow(seconds=900)  # 2,000 orders: the planner's 0.4 s an order
ORDERS = int(os.environ.get("AFTERCARE_TEST_MONTH_ORDERS", "2000"))
START = datetime(2026, 10, 20, tzinfo=UTC)
ORDER_DAYS = 30
END = START + timedelta(days=42)
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
STALL_ROUND_HOURS = 6  # how often the simulation asks for silent parcels
PLACES = [  # country, zone, mobile prefix, digits after it: numbers phonenumbers accepts as valid
    ("SA", "Asia/Riyadh", "+9665", 8),
    ("IR", "Asia/Tehran", "+9891", 8),
    ("US", "America/Los_Angeles", "+13104", 6),  # exchange codes never start with 0 or 1
    ("NZ", "Pacific/Auckland", "+6421", 7),
    ("GB", "Europe/London", "+4477", 8),
]
PRODUCTS = {f"{100 + n}": f"Product {n}" for n in range(12)}
REVIEW_DELAY = {"107": timedelta(days=10), "109": timedelta(days=21)}  # tagged review-delay:10d / 21d


# --- the scenario --------------------------------------------------------------------------------


@dataclass
class Story:
    """One order's life, decided up front."""

    number: int
    country: str
    zone: str
    phone: str
    placed: datetime
    cod: bool
    consent: bool
    unsubscribed_reviews: bool
    products: list[str]
    cancelled: datetime | None = None
    shipped: datetime | None = None
    tracking: bool = True
    attempted: datetime | None = None
    delivered: datetime | None = None
    refunded: datetime | None = None
    reviews_after_request: bool = False
    events: list[tuple[datetime, str]] = field(default_factory=list)


def write_stories(count: int, rng: random.Random) -> list[Story]:
    stories = []
    for number in range(count):
        country, zone, prefix, digits = rng.choice(PLACES)
        placed = START + timedelta(minutes=rng.randrange(ORDER_DAYS * 24 * 60))
        story = Story(
            number=number,
            country=country,
            zone=zone,
            phone=prefix + str(rng.randrange(10 ** (digits - 1), 10**digits)),
            placed=placed,
            cod=rng.random() < 0.1,
            consent=rng.random() < 0.6,
            unsubscribed_reviews=rng.random() < 0.05,
            products=rng.sample(sorted(PRODUCTS), rng.randint(1, 3)),
        )
        story.events.append((placed, "placed"))
        fate = rng.random()
        if fate < 0.05:
            story.cancelled = placed + timedelta(hours=rng.uniform(1, 20))
            story.events.append((story.cancelled, "cancelled"))
        else:
            story.shipped = placed + timedelta(hours=rng.uniform(12, 48))
            story.tracking = rng.random() < 0.9
            story.events.append((story.shipped, "shipped"))
            if story.tracking and fate < 0.13:
                story.attempted = story.shipped + timedelta(hours=rng.uniform(24, 72))
                story.delivered = story.attempted + DAY
                story.events += [(story.attempted, "attempted"), (story.delivered, "delivered")]
            elif story.tracking and fate < 0.85:
                story.delivered = story.shipped + timedelta(hours=rng.uniform(24, 96))
                story.events.append((story.delivered, "delivered"))
            if story.delivered and rng.random() < 0.04:
                story.refunded = story.delivered + DAY
                story.events.append((story.refunded, "refunded"))
            story.reviews_after_request = rng.random() < 0.2
        stories.append(story)
    return stories


# --- the expectation, written without the app's planner or timing code ---------------------------


def in_window(moment: datetime, zone: str) -> datetime:
    local = moment.astimezone(ZoneInfo(zone))
    if local.time() < time(9):
        local = datetime.combine(local.date(), time(9), tzinfo=ZoneInfo(zone))
    elif local.time() >= time(20):
        local = datetime.combine(local.date() + DAY, time(9), tzinfo=ZoneInfo(zone))
    return local.astimezone(UTC)


def tick(moment: datetime) -> datetime:
    """The dispatcher runs on the hour: a message due at 05:30 goes at 06:00."""
    floor = moment.replace(minute=0, second=0, microsecond=0)
    return floor if floor == moment else floor + HOUR


def scans(story: Story) -> list[datetime]:
    return [at for at, kind in story.events if kind in ("shipped", "attempted", "delivered")]


def silences(stories: list[Story]) -> dict[datetime, timedelta]:
    """How long an Aramex parcel may go unheard of, each day: half as much again as the longest gap
    between scans nine in ten of the parcels delivered before that day went through (linear
    interpolation between ranks), never under two days; four days until there are 20 gaps."""
    limits = {}
    day = START
    while day <= END + DAY:
        gaps = sorted(
            (later - earlier).total_seconds()
            for story in stories
            if story.tracking and story.delivered and story.delivered < day
            for earlier, later in zip(scans(story), scans(story)[1:], strict=False)
        )
        if len(gaps) < 20:
            limits[day] = 4 * DAY
        else:
            rank = 0.9 * (len(gaps) - 1)
            low = int(rank)
            high = min(low + 1, len(gaps) - 1)
            p90 = gaps[low] + (gaps[high] - gaps[low]) * (rank - low)
            limits[day] = max(2 * DAY, timedelta(seconds=p90 * 1.5))
        day += DAY
    return limits


def stalled(story: Story, limits: dict[datetime, timedelta]) -> datetime | None:
    """The round the parcel is found silent too long (every six hours at 00, 06, 12, 18), if ever."""
    if story.cancelled or not story.tracking:
        return None
    moment = tick(story.shipped)
    while moment.hour % STALL_ROUND_HOURS:
        moment += HOUR
    while moment <= END:
        if story.delivered and story.delivered <= moment:
            return None
        heard = max(at for at in scans(story) if at <= moment)
        if moment - heard > limits[moment.replace(hour=0, minute=0, second=0, microsecond=0)]:
            return moment
        moment += STALL_ROUND_HOURS * HOUR
    return None


def expect(story: Story, stall: datetime | None = None) -> dict[str, datetime]:
    sent: dict[str, datetime] = {"thank_you": tick(story.placed)}
    if story.cancelled:
        return sent
    if story.tracking:
        sent["shipped"] = tick(story.shipped)
    if story.attempted:
        sent["delivery_problem"] = tick(story.attempted)
    if story.delivered:
        sent["delivered"] = tick(story.delivered)
    if stall is not None:
        assert "delivery_problem" not in sent, "a parcel with two problems: the scenario cannot say"
        sent["delivery_problem"] = sent["merchant_alert"] = stall
    arrived = story.delivered or story.shipped + 10 * DAY  # no delivery scan: assumed after 10 days

    # The later steps, each at its ideal time moved into the customer's 09:00-20:00, then taken in time
    # order: one that would come less than 16 hours after the last one sent waits until 16 hours have
    # passed (and for the window again). The reminder counts from when the request really went.
    held = stall is not None and not story.delivered  # silent for good: what counts from delivery waits
    due = [] if held else [(arrived + 3 * DAY, "check_in")]
    if not story.unsubscribed_reviews and not held:
        wait = max([7 * DAY] + [REVIEW_DELAY.get(product, 7 * DAY) for product in story.products])
        due.append((arrived + wait, "review_request"))
    if story.consent:
        due += [] if held else [(arrived + 14 * DAY, "cross_sell")]
        due.append((story.placed + 30 * DAY, "win_back"))
    queue = sorted((in_window(at, story.zone), name) for at, name in due)
    last: datetime | None = None
    while queue:
        at, name = queue.pop(0)
        if last is not None and at < last + 16 * HOUR:
            at = in_window(last + 16 * HOUR, story.zone)
        when = tick(at)
        if story.refunded and story.refunded <= when:
            continue
        sent[name], last = when, when
        if name == "review_request" and not story.reviews_after_request:
            queue = sorted([*queue, (in_window(when + 5 * DAY, story.zone), "review_reminder")])
    return {name: at for name, at in sent.items() if at <= END}


# --- driving the app -----------------------------------------------------------------------------


RELAY = Relay(Server.from_url("smtp://127.0.0.1:1"), "mail.aftercare.test")


class Recorder:
    """The stores' mail, as far as this test cares: who got what, when, from which address (the route
    the email channel takes, with the relay configured, without opening a connection)."""

    name = "smtp"

    def __init__(self) -> None:
        self.log: list[tuple[str, datetime]] = []
        self.senders: dict[int, set[str]] = {}
        self.email = SmtpChannel(RELAY)

    def send(self, store: StoreContext, outgoing: Outgoing) -> str:
        self.log.append((outgoing.headers["X-Aftercare-Message"], clock.now()))
        self.senders.setdefault(store.store_id, set()).add(self.email.route(store).from_email)
        return outgoing.message_id


def order_snapshot(story: Story, status: OrderStatus, updated: datetime) -> OrderSnapshot:
    paid = None if story.cod else story.placed
    return OrderSnapshot(
        external_id=str(story.number),
        number=f"#{story.number}",
        status=status,
        remote_status=status.value,
        currency="USD",
        total=Decimal("10.00") * len(story.products),
        placed_at=story.placed,
        updated_at=updated,
        paid_at=paid,
        cash_on_delivery=story.cod,
        locale="en",
        customer=CustomerSnapshot(
            str(7_000_000 + story.number),  # a customer account's id, as both platforms number them
            f"c{story.number}@example.test",
            "Sam",
            "Lee",
            story.phone,
            "en",
            story.consent,
        ),
        shipping=AddressSnapshot(country=story.country, phone=story.phone),
        lines=tuple(
            LineSnapshot(
                f"{story.number}-{product}",
                PRODUCTS[product],
                1,
                Decimal("10.00"),
                product,
                refunded_quantity=1 if status is OrderStatus.REFUNDED else 0,
            )
            for product in story.products
        ),
    )


def shipment_snapshot(story: Story, upto: datetime) -> ShipmentSnapshot:
    scans = [
        (at, kind)
        for at, kind in story.events
        if kind in ("shipped", "attempted", "delivered") and at <= upto
    ]
    status = {
        "shipped": ShipmentStatus.IN_TRANSIT,
        "attempted": ShipmentStatus.ATTEMPTED_DELIVERY,
        "delivered": ShipmentStatus.DELIVERED,
    }
    return ShipmentSnapshot(
        external_id=f"S{story.number}",
        order_external_id=str(story.number),
        status=status[scans[-1][1]],
        updated_at=scans[-1][0],
        carrier="Aramex",
        tracking_number=f"AX{story.number}" if story.tracking else None,
        shipped_at=story.shipped,
        delivered_at=story.delivered if story.delivered and story.delivered <= upto else None,
        events=tuple(
            ShipmentEventSnapshot(f"{story.number}-{n}", status[kind], at)
            for n, (at, kind) in enumerate(scans)
        )
        if story.tracking
        else (),
    )


def snapshots_of(story: Story, at: datetime, kind: str) -> list:
    """What the store tells us about ``story`` at ``at``: one delivery's snapshots."""
    if kind == "placed":
        return [order_snapshot(story, OrderStatus.PENDING if story.cod else OrderStatus.PAID, at)]
    if kind == "cancelled":
        return [order_snapshot(story, OrderStatus.CANCELLED, at)]
    if kind == "refunded":
        return [order_snapshot(story, OrderStatus.REFUNDED, at)]
    return [shipment_snapshot(story, at)]


def apply_hour(session, store: Store, happened: list[tuple[Story, datetime, str]]) -> None:
    """An hour's deliveries applied as the worker applies its inbox: one batch, planned once. A
    customer who unsubscribes from reviews does it from the thank-you, after the order is planned."""
    ingest.apply_all(
        session, store, [snap for story, at, kind in happened for snap in snapshots_of(story, at, kind)]
    )
    for story, _, kind in happened:
        if kind == "placed" and story.unsubscribed_reviews:
            session.add(
                Suppression(
                    store_id=store.id,
                    address=f"c{story.number}@example.test",
                    kind="review",
                    reason="unsubscribed",
                )
            )


SHOPIFY_TOKEN = "shpat_" + "m" * 32


@dataclass
class Shops:
    """The month's four stores and the platforms' fakes behind them."""

    stores: list[Store]  # Shopify own sender, Shopify relayed, WooCommerce own, WooCommerce relayed
    shopify: list[FakeShopify]
    woocommerce: list[FakeWooCommerce]
    connectors: dict

    @property
    def own(self) -> list[Store]:
        return [self.stores[0], self.stores[2]]

    @property
    def relayed(self) -> list[Store]:
        return [self.stores[1], self.stores[3]]

    def codes_made(self, store: Store) -> set[str]:
        """The codes the store itself holds now, in upper case (WooCommerce keeps them lower)."""
        fakes = {fake.shop: fake for fake in self.shopify} | {fake.url: fake for fake in self.woocommerce}
        fake = fakes[store.external_id]
        found = fake.discounts if isinstance(fake, FakeShopify) else fake.coupons
        return {str(code["code"]).upper() for code in found}


@contextmanager
def four_stores(aftercare: Services) -> Iterator[Shops]:
    """A month of 2,000 orders is well within the Scale plan's volume (the Free plan's 300 would
    stop it); every store keeps UTC, so the customers' own zones decide the send window."""
    virtual = VirtualClock()
    shopify = [
        FakeShopify(shop=f"{handle}.myshopify.com", access_tokens={SHOPIFY_TOKEN}, clock=virtual)
        for handle in ("tea-and-things", "relay-shop")
    ]
    woocommerce = [FakeWooCommerce(), FakeWooCommerce()]
    with ExitStack() as serving:
        for fake in [*shopify, *woocommerce]:
            serving.enter_context(fake.serving())
        keys = [fake.add_key() for fake in woocommerce]
        common = {"timezone": "UTC", "plan": "scale"}
        stores = [
            make_store(
                aftercare,
                platform="shopify",
                external_id=shopify[0].shop,
                credentials=ShopCredentials(shopify[0].shop, SHOPIFY_TOKEN).to_json(),
                **common,
            ),
            make_store(
                aftercare,
                name="Relay Shop",
                own_sender=False,
                platform="shopify",
                external_id=shopify[1].shop,
                credentials=ShopCredentials(shopify[1].shop, SHOPIFY_TOKEN).to_json(),
                **common,
            ),
            *(
                make_store(
                    aftercare,
                    name=name,
                    own_sender=own_sender,
                    platform="woocommerce",
                    external_id=fake.url,
                    credentials=Credentials(fake.url, key.consumer_key, key.consumer_secret).to_json(),
                    **common,
                )
                for name, own_sender, fake, key in (
                    ("Tea & Things Woo", True, woocommerce[0], keys[0]),
                    ("Relay Woo", False, woocommerce[1], keys[1]),
                )
            ),
        ]
        connectors = dict(aftercare.connectors)
        connectors["shopify"] = ShopifyConnector(
            client_secret="unused", http_client=client_for(*shopify), sleep=virtual.sleep, clock=virtual
        )
        yield Shops(stores, shopify, woocommerce, connectors)


# The stores never meet (no customer shops at two), so the month runs as two halves, each two stores
# of the four with both platforms and both kinds of sender, on two pytest-xdist workers at once.
HALVES = {"shopify-own+woo-relayed": (0, 3), "shopify-relayed+woo-own": (1, 2)}


@pytest.mark.parametrize("half", sorted(HALVES))
def test_a_month_of_orders_sends_exactly_what_the_journey_table_says(aftercare, half):
    with four_stores(aftercare) as shops:
        _run_the_month(aftercare, shops, [shops.stores[index] for index in HALVES[half]])


def _run_the_month(aftercare: Services, shops: Shops, mine: list[Store]) -> None:
    """The month of the 2,000 stories' orders that fall to ``mine`` (each story's store is its number
    modulo four)."""
    every = write_stories(ORDERS, random.Random(20261123))
    store_of = {story.number: shops.stores[story.number % len(shops.stores)].id for story in every}
    ours = {store.id for store in mine}
    stories = [story for story in every if store_of[story.number] in ours]
    clock.freeze(START)
    recorder = Recorder()
    dispatcher = Dispatcher(
        aftercare.db,
        {"smtp": recorder},
        "month",
        Links(aftercare.settings),
        batch_size=200,
        connectors=shops.connectors,
    )
    with aftercare.db.session() as session:
        for store in mine:
            store_row = session.get(Store, store.id)
            for product_id, title in PRODUCTS.items():
                tags = (
                    (f"review-delay:{REVIEW_DELAY[product_id].days}d",) if product_id in REVIEW_DELAY else ()
                )
                ingest.apply(
                    session, store_row, ProductSnapshot(product_id, title, START, in_stock=True, tags=tags)
                )

    events = sorted((at, story.number, kind) for story in stories for at, kind in story.events)
    by_number = {story.number: story for story in stories}
    reviewers = {story.number for story in stories if story.reviews_after_request}
    next_event, now = 0, START
    while now <= END:
        clock.freeze(now)
        with aftercare.db.session() as session:  # webhooks that arrived during the past hour
            happened: dict[int, list[tuple[Story, datetime, str]]] = {store.id: [] for store in mine}
            while next_event < len(events) and events[next_event][0] <= now:
                at, number, kind = events[next_event]
                happened[store_of[number]].append((by_number[number], at, kind))
                next_event += 1
            for store_id, hour in happened.items():
                store_row = session.get(Store, store_id)
                if hour:
                    apply_hour(session, store_row, hour)
                if now.hour % STALL_ROUND_HOURS == 0:  # the worker's tracking round (every 10 min live)
                    ingest.replan(session, store_row, stalls.find(session, store_row, now))
        dispatcher.run_until_idle(max_batches=1000)
        _leave_reviews(aftercare, sorted(ours), reviewers, now)
        now += HOUR

    with aftercare.db.session() as session:
        rows = session.execute(
            select(Order.external_id, Message.step, Message.sent_at)
            .join(Order, Order.id == Message.order_id)
            .where(Message.status == "sent")
        ).all()
    actual: dict[int, dict[str, datetime]] = {}
    for external_id, step, sent_at in rows:
        assert step not in actual.setdefault(int(external_id), {}), (
            f"{step} sent twice for order {external_id}"
        )
        actual[int(external_id)][step] = sent_at

    # each store learns its carriers' usual silences from its own parcels
    limits = {
        store_id: silences([story for story in stories if store_of[story.number] == store_id])
        for store_id in ours
    }
    stalls_seen = 0
    mismatches = []
    for story in stories:
        stall = stalled(story, limits[store_of[story.number]])
        stalls_seen += stall is not None
        expected, got = expect(story, stall), actual.get(story.number, {})
        if expected != got:
            mismatches.append((story.number, sorted(expected.items()), sorted(got.items())))
    if mismatches:
        with aftercare.db.session() as session:
            first = session.scalars(select(Order).where(Order.external_id == str(mismatches[0][0]))).one()
            story = by_number[mismatches[0][0]]
            notes = [
                f"{entry.at:%d %b %H:%M} {timeline.describe(entry)}"
                for entry in session.scalars(
                    select(TimelineEntry).where(TimelineEntry.order_id == first.id).order_by(TimelineEntry.id)
                )
            ]
        raise AssertionError(
            f"{len(mismatches)} orders differ; first: {mismatches[0]}\n{story}\n" + "\n".join(notes)
        )
    assert len(recorder.log) == len(rows) == len({message for message, _ in recorder.log})
    assert stalls_seen > 0  # the scenario did exercise the rule
    assert recorder.senders == {
        store.id: {"hello@tea-and-things.example"} for store in shops.own if store.id in ours
    } | {store.id: {f"store-{store.id}@mail.aftercare.test"} for store in shops.relayed if store.id in ours}
    # every come-back offer sent carries a code its own store made, one code per offer, none unsent
    with aftercare.db.session() as session:
        offered = session.execute(
            select(Message.store_id, OfferCode.code)
            .join(OfferCode, OfferCode.message_id == Message.id)
            .where(Message.step == "win_back", Message.status == "sent")
        ).all()
    sent_offers = sum(1 for _, step, _ in rows if step == "win_back")
    assert len(offered) == sent_offers > 0
    for store in mine:
        assert shops.codes_made(store) == {code for store_id, code in offered if store_id == store.id}
    steps = {step for _, step, _ in rows}
    assert steps >= {
        "merchant_alert",
        "thank_you",
        "shipped",
        "delivery_problem",
        "delivered",
        "check_in",
        "review_request",
        "review_reminder",
        "cross_sell",
        "win_back",
    }


def _leave_reviews(aftercare, stores: list[int], reviewers: set[int], now: datetime) -> None:
    """Customers who review do it a day after the request reaches them."""
    with aftercare.db.session() as session:
        due = session.execute(
            select(Order.id, Order.external_id, Order.customer_id, Order.email, Order.store_id)
            .join(Message, Message.order_id == Order.id)
            .where(
                Message.store_id.in_(stores),
                Message.status == "sent",
                Message.step == "review_request",
                Message.sent_at > now - DAY - HOUR,
                Message.sent_at <= now - DAY,
            )
        ).all()
        for order_id, external_id, customer_id, email, store_id in due:
            if int(external_id) in reviewers:
                order = session.get(Order, order_id)
                for line in order.lines:
                    session.add(
                        Review(
                            store_id=store_id,
                            customer_id=customer_id,
                            email=email,
                            order_id=order_id,
                            product_external_id=line.product_external_id or "",
                            rating=5,
                        )
                    )
                reconcile.refresh(session, session.get(Store, store_id), [order])
