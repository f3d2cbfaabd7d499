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

from app import clock
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
        return sum(1 for _, finished in self.items if finished)

    @property
    def complete(self) -> bool:
        return self.done == len(self.items)

    @property
    def showing(self) -> bool:
        """Whether the pages point at the checklist (until it is done or put away)."""
        return not (self.complete or self.dismissed)

    def next(self) -> Item | None:
        return next((item for item, finished in self.items if not finished), None)


def progress(store: Store) -> Progress:
    ordered = sorted(ITEMS.values(), key=lambda item: item.order)
    return Progress([(item, is_done(store, item)) for item in ordered], "dismissed" in kept(store))


def _sender_ready(store: Store) -> bool:
    """Sending's own answer (``app.setup``): a sender exists (the operator's relay or the store's own
    server) and the store's address, where replies go, is set."""
    from sqlalchemy.orm import object_session

    from app import setup
    from app.web import current_services

    session = object_session(store)
    if session is None:
        return False
    return setup.sender_ready(session, current_services().settings, store)


register(
    Item(
        "sender",
        "Set who your emails come from",
        "Your sender name and address, and the mail server that sends for you.",
        "sending.page",
        "sender",
        _sender_ready,
        order=10,
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
