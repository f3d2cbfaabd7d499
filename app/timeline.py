"""The per-order timeline: what happened and why, kept as codes and worded when a merchant reads it.

Each entry is a kind of event (``received``, ``scheduled``, ``sent``, ...), the step it is about, and
a reason (``journeys.reasons``) with the event's own details beside the reason's parameters
(``send_at``, ``to``, ``channel``...). ``describe`` turns one into a sentence in the merchant's
language.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session

from app import clock
from app.db import bulk_insert
from app.journeys.reasons import LANGUAGES, Reason, legacy, short_date, words
from app.journeys.steps import STEPS
from app.models import TimelineEntry

# Details of the event itself, kept beside the reason's own parameters.
EVENT_KEYS = ("send_at", "to", "channel", "segments", "encoding", "number", "old", "new", "label", "status")

NOTE_COLUMNS = ("store_id", "order_id", "kind", "step", "code", "params", "at")  # ``note_many``'s rows

EVENTS: dict[str, tuple[str, str, str]] = {
    "scheduled": (
        "{step}: scheduled for {send_at} ({reason}).",
        "{step}: مجدولة في {send_at} ({reason})",
        "{step}: برای {send_at} برنامه‌ریزی شد ({reason})",
    ),
    "cancelled": (
        "{step}: not sent, {reason}.",
        "{step}: لم تُرسل، {reason}",
        "{step}: فرستاده نشد، {reason}",
    ),
    "held": ("{step}: {reason}", "{step}: {reason}", "{step}: {reason}"),
    "fallback": ("{step}: {reason}.", "{step}: {reason}", "{step}: {reason}"),
    "failed": ("{step}: failed, {reason}.", "{step}: فشلت، {reason}", "{step}: ناموفق، {reason}"),
    "reopened": (
        "{step}: planned again, {reason}",
        "{step}: خُطط لها من جديد، {reason}",
        "{step}: دوباره برنامه‌ریزی شد، {reason}",
    ),
    "sent": (
        "{step}: sent to {to} by {channel}{cost}.",
        "{step}: أُرسلت إلى {to} عبر {channel}{cost}",
        "{step}: از راه {channel} به {to} فرستاده شد{cost}",
    ),
    "send_now": (
        "{step}: the merchant sent it now",
        "{step}: أرسلها التاجر الآن",
        "{step}: فروشنده همین حالا فرستاد",
    ),
    "received": (
        "Order {number} received ({status}).",
        "وصل الطلب {number} ({status}).",
        "سفارش {number} رسید ({status}).",
    ),
    "status": (
        "Status changed from {old} to {new}.",
        "تغيّرت الحالة من {old} إلى {new}.",
        "وضعیت از {old} به {new} تغییر کرد.",
    ),
    "deleted": ("The store deleted the order.", "حذف المتجر الطلب.", "فروشگاه سفارش را حذف کرد."),
    "restored": ("The store restored the order.", "استعاد المتجر الطلب.", "فروشگاه سفارش را بازگرداند."),
    "shipment": ("Parcel {label}: {status}.", "الشحنة {label}: {status}.", "مرسوله {label}: {status}."),
    "feedback": (
        "The customer said everything was right.",
        "قال العميل إن كل شيء على ما يرام.",
        "مشتری گفت همه‌چیز درست است.",
    ),
    "alert": (
        "The customer said something was not right.",
        "قال العميل إن شيئًا ما لم يكن على ما يرام.",
        "مشتری گفت چیزی درست نبود.",
    ),
    "template": (
        "{step}: the store's own wording failed ({reason}); the default was used.",
        "{step}: تعذّر استخدام صياغة المتجر ({reason})؛ استُخدمت الصياغة الافتراضية.",
        "{step}: متن خود فروشگاه کار نکرد ({reason})؛ متن پیش‌فرض به کار رفت.",
    ),
}
SEGMENTS = (
    " ({segments} {encoding} segment{plural})",
    " ({segments} أجزاء {encoding})",
    " ({segments} بخش {encoding})",
)


def note(
    session: Session,
    store_id: int,
    order_id: int,
    kind: str,
    reason: Reason | None = None,
    *,
    step: str = "",
    at: datetime | None = None,
    **event: Any,
) -> None:
    """Add an entry; ``event`` holds the event's own details (see ``EVENT_KEYS``)."""
    reason = reason or Reason.of("none")
    params = {**reason.params, **Reason.of("event", **event).params}
    stored = Reason(reason.code, params)
    session.add(
        TimelineEntry(
            store_id=store_id,
            order_id=order_id,
            kind=kind,
            step=step,
            code=stored.code,
            params=stored.dumps(),
            at=at or clock.now(),
        )
    )


def kept(reason: Reason, event: dict[str, Any]) -> Reason:
    """What an entry keeps: the reason's code, its parameters and the event's own details beside."""
    return Reason(reason.code, {**reason.params, **Reason.of("event", **event).params})


def note_many(session: Session, entries: list[tuple[int, int, str, Reason, str, dict[str, Any]]]) -> None:
    """Many entries in one statement: (store id, order id, kind, reason, step, event details)."""
    if not entries:
        return
    now = clock.now()
    rows = []
    for store_id, order_id, kind, reason, step, event in entries:
        stored = kept(reason, event)
        rows.append((store_id, order_id, kind, step, stored.code, stored.dumps(), now))
    if session.get_bind().dialect.name == "postgresql":
        # COPY: a whole store planned writes an entry or more an order, and an INSERT of many rows
        # cost the driver more to build than PostgreSQL to run.
        bulk_insert(session, TimelineEntry.__table__, rows, NOTE_COLUMNS)
        return
    session.execute(
        insert(TimelineEntry.__table__), [dict(zip(NOTE_COLUMNS, row, strict=True)) for row in rows]
    )


def describe(
    entry: TimelineEntry, locale: str = "en", zone: str = "UTC", title: Callable[[str], str] | None = None
) -> str:
    """The entry as a sentence; ``title`` names a step in the merchant's language."""
    index = LANGUAGES.index(locale) if locale in LANGUAGES else 0
    why = entry.why
    if entry.code == "legacy":
        return words(why, locale, zone)
    event = {key: why.params[key] for key in EVENT_KEYS if key in why.params}
    reason = Reason(why.code, {k: v for k, v in why.params.items() if k not in event})
    sentence = EVENTS.get(entry.kind)
    if sentence is None:
        return words(reason, locale, zone)
    step = (title or _title)(entry.step) if entry.step else ""
    values = {key: str(value) for key, value in event.items()}
    if "send_at" in event:
        values["send_at"] = long_time(str(event["send_at"]), locale, zone)
    plural = "" if str(event.get("segments")) == "1" else "s"
    values["cost"] = SEGMENTS[index].format(plural=plural, **values) if "segments" in event else ""
    values.update(step=step, reason=words(reason, locale, zone))
    return sentence[index].format_map(_Blank(values))


def fold(entries: list[TimelineEntry]) -> list[TimelineEntry]:
    """The timeline as a merchant reads it: a step scheduled again and again by re-plans (new
    settings, a later parcel scan) shows once, at its latest time, where it was."""
    shown: list[TimelineEntry] = []
    last_of_step: dict[str, int] = {}
    for entry in entries:
        previous = last_of_step.get(entry.step) if entry.step else None
        if entry.kind == "scheduled" and previous is not None and shown[previous].kind == "scheduled":
            shown[previous] = entry
            continue
        if entry.step:
            last_of_step[entry.step] = len(shown)
        shown.append(entry)
    return shown


def _title(name: str) -> str:
    step = STEPS.get(name)
    return step.title if step is not None else name.replace("_", " ")


def long_time(iso: str, locale: str, zone: str) -> str:
    """Day, month and time of day in ``zone``, with the zone named."""
    try:
        moment = datetime.fromisoformat(iso)
    except ValueError:
        return iso
    from zoneinfo import ZoneInfo

    from app.messages.localise import digits

    local = moment.astimezone(ZoneInfo(zone))
    return f"{short_date(iso, locale, zone)} {digits(f'{local:%H:%M}', locale)} {zone}"


class _Blank(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return ""


__all__ = ["describe", "fold", "legacy", "note"]
