"""Marketing consent with its proof, per address and channel (email, sms, whatsapp).

Every piece of evidence says where it came from (``source``: the platform, a plugin's checkbox, our own
opt-in page, an unsubscribe), when it was given and the words the person saw. One rule decides which
evidence holds: the newest, by when it was given (not by when we heard of it), so an order updated
later that still carries an old "no" from checkout never undoes a "yes" clicked since. On a tie the
same source may restate itself.

A choice made with us (``OWN_SOURCES``) is also the store's business where the platform keeps consent
of its own (Shopify's customer consent): it is marked ``write_back`` and a worker job tells the store
(``app.writeback``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from app.db import among
from app.journeys.steps import CONSENT_FOR_CHANNEL  # noqa: F401 - re-exported
from app.models import Consent, Store
from connectors import registry
from connectors.base import ConsentWriteBack

CHANNELS = ("email", "sms", "whatsapp")
OPT_IN = "aftercare_opt_in"  # our own double opt-in: the thank-you's "Yes, send me offers"
UNSUBSCRIBE = "aftercare_unsubscribe"  # our unsubscribe page (or RFC 8058 one-click)
OWN_SOURCES = (OPT_IN, UNSUBSCRIBE)


@dataclass(frozen=True)
class Evidence:
    address: str  # lower-cased email or E.164 phone
    channel: str
    granted: bool
    source: str
    at: datetime
    words: str = ""
    write_back: bool = False


def writes_back(store: Store) -> bool:
    """Whether the store's platform keeps consent of its own, to be told of choices made with us."""
    platform = registry.CONNECTORS.get(store.platform)
    return platform is not None and issubclass(platform, ConsentWriteBack)


def channels_of(address: str) -> tuple[str, ...]:
    """The consent channels an address is reached on: an email's, or a phone's two."""
    return ("email",) if "@" in address else ("sms", "whatsapp")


def record(session: Session, store: Store, evidence: Sequence[Evidence]) -> None:
    """Keep each piece of evidence that is newer than what is held (one statement for them all)."""
    newest: dict[tuple[str, str], Evidence] = {}
    for item in evidence:
        if item.channel not in CHANNELS:
            raise ValueError(f"not a consent channel: {item.channel}")
        key = (item.address, item.channel)
        held = newest.get(key)
        if held is None or item.at >= held.at:
            newest[key] = item
    if not newest:
        return
    table = Consent.__table__
    dialect_insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = dialect_insert(table)
    statement = statement.on_conflict_do_update(
        index_elements=[table.c.store_id, table.c.address, table.c.channel],
        set_={
            "granted": statement.excluded.granted,
            "source": statement.excluded.source,
            "recorded_at": statement.excluded.recorded_at,
            "words": statement.excluded.words,
            "write_back": statement.excluded.write_back,
            "written_back_at": None,
            "write_back_error": None,
        },
        where=(statement.excluded.recorded_at > table.c.recorded_at)
        | (
            (statement.excluded.recorded_at == table.c.recorded_at)
            & (table.c.source == statement.excluded.source)
        ),
    )
    session.execute(
        statement,
        [
            {
                "store_id": store.id,
                "address": item.address,
                "channel": item.channel,
                "granted": item.granted,
                "source": item.source,
                "recorded_at": item.at,
                "words": item.words,
                "write_back": item.write_back and writes_back(store),
                "written_back_at": None,
                "write_back_error": None,
            }
            for item in newest.values()
        ],
    )
    session.flush()


def granted(session: Session, store: Store, addresses: Iterable[str]) -> dict[str, set[str]]:
    """The channels each address agreed to marketing on."""
    wanted = sorted(set(addresses))
    found: dict[str, set[str]] = {}
    if not wanted:
        return found
    for address, channel in session.execute(
        select(Consent.address, Consent.channel).where(
            Consent.store_id == store.id, among(session, Consent.address, wanted), Consent.granted.is_(True)
        )
    ):
        found.setdefault(address, set()).add(channel)
    return found
