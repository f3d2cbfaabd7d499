"""What a customer's own message to the store's number changes: WhatsApp's 24-hour window opens (the
store may then write freely, not only in approved templates), and an SMS STOP or START is kept.

Written by the web as Twilio's webhook arrives (``app.web.twilio_webhooks``), in one short
transaction: the window must be open by the time the merchant answers, not when the worker next
runs, and it is one upsert. The STOP suppresses the number as Twilio's 21610 answer does (Twilio obeys
it already; we then stop trying that number and go by the step's next channel), withdraws SMS
marketing consent with the customer's word as proof (told to Shopify by the ``consent`` job), and a
later START lifts the suppression again.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from app import clock, evidence
from app.db import insert_ignore
from app.models import InboundContact, Store, Suppression
from channels.twilio_inbound import Inbound

WINDOW = timedelta(hours=24)  # WhatsApp's customer service window
STOP_REPLY = "stop_reply"  # the suppression's reason: the customer texted STOP
PHONE_STOPS = (STOP_REPLY, "hard_bounce")  # Twilio's 21610 is recorded as a bounce of the number
SOURCE = "twilio_stop"  # the consent evidence's source


def record(session: Session, store: Store, inbound: Inbound) -> None:
    """Keep that ``inbound.phone`` wrote now on ``inbound.channel``, and what an SMS keyword chose."""
    now = clock.now()
    table = InboundContact.__table__
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = insert(table).values(
        store_id=store.id,
        channel=inbound.channel,
        phone=inbound.phone,
        last_inbound_at=now,
        message_sid=inbound.sid,
    )
    statement = statement.on_conflict_do_update(
        index_elements=[table.c.store_id, table.c.channel, table.c.phone],
        set_={"last_inbound_at": now, "message_sid": inbound.sid},
        where=table.c.last_inbound_at <= now,  # a delivery Twilio retried late never moves it back
    )
    session.execute(statement)
    if inbound.choice == "stop":
        insert_ignore(
            session,
            Suppression,
            {"store_id": store.id, "address": inbound.phone, "kind": "all", "reason": STOP_REPLY},
        )
        words = f"Replied {inbound.body.strip()[:100]!r} to {inbound.to}"
        evidence.record(
            session,
            store,
            [evidence.Evidence(inbound.phone, "sms", False, SOURCE, now, words, write_back=True)],
        )
    elif inbound.choice == "start":
        session.execute(
            delete(Suppression).where(
                Suppression.store_id == store.id,
                Suppression.address == inbound.phone,
                Suppression.kind == "all",
                Suppression.reason.in_(PHONE_STOPS),
            )
        )
    session.flush()


def windows(session: Session, store_id: int) -> dict[str, datetime]:
    """The store's customers whose WhatsApp window is open now: phone -> when it closes. Only those
    who wrote within the last day, so it stays small whatever the store's size."""
    since = clock.now() - WINDOW
    rows = session.execute(
        select(InboundContact.phone, InboundContact.last_inbound_at).where(
            InboundContact.store_id == store_id,
            InboundContact.channel == "whatsapp",
            InboundContact.last_inbound_at > since,
        )
    )
    return {phone: at + WINDOW for phone, at in rows}
