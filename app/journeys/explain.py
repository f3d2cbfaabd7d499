"""For any order: what was sent, what is scheduled and when, what was skipped or held, and why.

The outbox rows say what happened; the planner, asked now, says what will happen and why the rest
will not. Together they are the order's journey in plain words, for the merchant's timeline and the
JSON route behind it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.journeys import state
from app.journeys.planner import Verdict
from app.journeys.reasons import Reason, words
from app.models import Message, MessageStatus, Order, Store

SENT_TO = {"en": "sent to {to} ({why})", "ar": "أُرسلت إلى {to} ({why})", "fa": "به {to} فرستاده شد ({why})"}
PLANNED = {Verdict.SEND: "planned", Verdict.WAIT: "waiting", Verdict.HOLD: "held", Verdict.SKIP: "skipped"}


@dataclass(frozen=True)
class Entry:
    step: str
    key: str
    status: str  # sent | scheduled | held | sending | failed | cancelled | planned | waiting | skipped
    at: datetime | None  # when it was sent, or when it is due
    why: Reason
    channel: str | None = None
    recipient: str | None = None

    @property
    def reason(self) -> str:
        return self.describe()

    def describe(self, locale: str = "en", zone: str = "UTC") -> str:
        said = words(self.why, locale, zone)
        if self.status == MessageStatus.SENT:
            return SENT_TO[locale if locale in SENT_TO else "en"].format(to=self.recipient or "", why=said)
        return said

    def as_json(self) -> dict[str, object]:
        """Plain English words beside the code and its parameters, for other programs to word."""
        data = asdict(self)
        data.pop("why")
        data["at"] = self.at.isoformat() if self.at else None
        data["reason"] = self.reason
        data["reason_code"] = self.why.code
        data["reason_params"] = dict(self.why.params)
        return data


def explain(session: Session, store: Store, order: Order) -> list[Entry]:
    messages = {
        message.dedupe_key: message
        for message in session.scalars(
            select(Message)
            .where(Message.store_id == store.id, Message.order_id == order.id)
            .order_by(Message.id)
        )
    }
    entries = []
    for decision in state.load(session, store, [order], recommendations_for=[order.id]).plan(order):
        message = messages.pop(decision.dedupe_key, None)
        if message is not None:
            entries.append(_from_message(message))
        elif decision.verdict is not Verdict.SEND or decision.send_at is not None:
            entries.append(
                Entry(
                    decision.step,
                    decision.dedupe_key,
                    PLANNED[decision.verdict],
                    decision.send_at,
                    decision.reason,
                )
            )
    entries.extend(_from_message(message) for message in messages.values())  # alerts, superseded reports
    return entries


def _from_message(message: Message) -> Entry:
    at = message.sent_at if message.status == MessageStatus.SENT else message.send_at
    recipient = message.recipient if message.status == MessageStatus.SENT else None
    return Entry(
        message.step, message.dedupe_key, message.status, at, message.why, message.channel, recipient
    )
