"""The first-hour checklist: what a new store does before its customers hear from it.

Items are a small registry, in order: each has a key, its words (English; the pages translate them),
the page where it is done, and how to tell it is done from the store alone. Other features add their
own with ``register`` (a channel's setup, say) and mark them with ``mark``. What the merchant did is
kept in ``Store.setup`` as JSON {item: ISO time}; an item readable from the settings (a sender) needs
nothing kept.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from app import clock, setup
from app.models import Store


@dataclass(frozen=True)
class Item:
    key: str
    title: str
    hint: str
    endpoint: str  # the page where it is done
    anchor: str = ""  # the part of that page
    done: Callable[[Store], bool] | None = None  # None: done once ``mark``ed
    order: int = 100
    values: tuple[tuple[str, str], ...] = ()  # the endpoint's URL values
    optional: bool = False  # shown, but not needed to finish (not every store has a domain or texts)


ITEMS: dict[str, Item] = {}


def register(item: Item) -> Item:
    ITEMS[item.key] = item
    return item


def kept(store: Store) -> dict[str, str]:
    try:
        data = json.loads(store.setup or "{}")
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def mark(store: Store, key: str) -> None:
    """Note that the merchant did ``key`` (first time only)."""
    data = kept(store)
    if key not in data:
        data[key] = clock.now().isoformat()
        store.setup = json.dumps(data, sort_keys=True)


def is_done(store: Store, item: Item) -> bool:
    return item.done(store) if item.done is not None else item.key in kept(store)


@dataclass(frozen=True)
class Progress:
    items: list[tuple[Item, bool]]
    dismissed: bool

    @property
    def done(self) -> int:
        return sum(1 for item, finished in self.items if finished and not item.optional)

    @property
    def total(self) -> int:
        return sum(1 for item, _ in self.items if not item.optional)

    @property
    def complete(self) -> bool:
        return self.done == self.total

    @property
    def showing(self) -> bool:
        """Whether the pages point at the checklist (until it is done or put away)."""
        return not (self.complete or self.dismissed)

    def next(self) -> Item | None:
        return next((item for item, finished in self.items if not finished and not item.optional), None)


def progress(store: Store) -> Progress:
    ordered = sorted(ITEMS.values(), key=lambda item: item.order)
    return Progress([(item, is_done(store, item)) for item in ordered], "dismissed" in kept(store))


def _sending(answer: Callable[[Any, Any, Store], bool]) -> Callable[[Store], bool]:
    """An item Sending answers (``app.setup``), from the store's channel context the session keeps."""

    def done(store: Store) -> bool:
        from sqlalchemy.orm import object_session

        from app.web import current_services

        session = object_session(store)
        if session is None:
            return False
        return answer(session, current_services().settings, store)

    return done


register(
    Item(
        "sender",
        "Set who your emails come from",
        "Your sender name and address, and the mail server that sends for you.",
        "sending.page",
        "sender",
        _sending(setup.sender_ready),
        order=10,
    )
)
register(
    Item(
        "domain",
        "Authenticate your domain",
        "Send from your own address, signed with DKIM, so Gmail and Yahoo trust your mail.",
        "sending.page",
        "domain",
        _sending(setup.domain_ready),
        order=12,
        optional=True,
    )
)
register(
    Item(
        "channels",
        "Connect SMS, WhatsApp or Flow",
        "Reach customers who read texts before email, or send through Shopify Flow.",
        "sending.page",
        "channels",
        _sending(setup.channels_ready),
        order=14,
        optional=True,
    )
)
register(
    Item(
        "journey",
        "Check the journey",
        "Which messages go, and how long after each moment. Our defaults suit most stores.",
        "pages.journey",
        order=20,
    )
)
register(
    Item(
        "test",
        "Send a test message to yourself",
        "See the review request as your customers will, in your language.",
        "pages.template_editor",
        order=30,
        values=(("step", "review_request"), ("locale", "")),
    )
)
register(
    Item(
        "live",
        "Go live",
        "Aftercare starts writing to your customers about new orders.",
        "pages.setup",
        "go-live",
        order=90,
    )
)


def link_values(item: Item, lang: str) -> dict[str, Any]:
    return {key: (value or lang) for key, value in item.values}
