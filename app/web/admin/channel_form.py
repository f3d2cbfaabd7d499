"""A channel's settings form, built from its ``Settings`` model: one field per model field, checked by
the model on save (``public_only`` in production), every problem a sentence beside its field. Secret
fields are never shown back; left empty, the saved value is kept."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, get_args, get_origin

from pydantic import ValidationError
from werkzeug.datastructures import MultiDict

from channels.base import ChannelSettings


@dataclass(frozen=True)
class Field:
    name: str  # the model's
    key: str  # the form's: "<channel>.<name>"
    title: str
    kind: str  # text | password | number | checkbox | choice
    choices: tuple[str, ...] = ()
    required: bool = False


@dataclass
class Result:
    settings: ChannelSettings | None = None  # None and no errors: the merchant cleared the channel
    errors: dict[str, str] = field(default_factory=dict)


def fields(channel: str, model: type[ChannelSettings]) -> list[Field]:
    secrets = model.secrets()
    found = []
    for name, info in model.model_fields.items():
        annotation = info.annotation
        kind = "text"
        choices: tuple[str, ...] = ()
        if name in secrets:
            kind = "password"
        elif annotation is bool:
            kind = "checkbox"
        elif get_origin(annotation) is Literal:
            kind, choices = "choice", tuple(str(choice) for choice in get_args(annotation))
        elif int in (annotation, *get_args(annotation)):
            kind = "number"
        found.append(Field(name, f"{channel}.{name}", info.title or name, kind, choices, info.is_required()))
    return found


def parse(
    channel: str,
    model: type[ChannelSettings],
    form: MultiDict[str, str],
    saved: ChannelSettings | None,
    *,
    public_only: bool,
) -> Result:
    values: dict[str, Any] = {}
    for item in fields(channel, model):
        raw = form.get(item.key, "")
        if item.kind == "checkbox":
            values[item.name] = raw == "on"
            continue
        raw = raw.strip()
        if not raw and item.kind == "password" and saved is not None:
            raw = getattr(saved, item.name) or ""
        if raw:
            values[item.name] = raw
    if not any(value for value in values.values()):
        return Result()
    try:
        return Result(settings=model.model_validate(values, context={"public_only": public_only}))
    except ValidationError as exc:
        errors: dict[str, str] = {}
        names = set(model.model_fields)
        for error in exc.errors():
            message = str(error["msg"]).removeprefix("Value error, ")
            where = str(error["loc"][0]) if error["loc"] else ""
            if not where and ": " in message and message.split(": ", 1)[0] in names:
                where, message = message.split(": ", 1)
            if error["type"] == "missing":
                message = "Required."
            key = f"{channel}.{where}" if where in names else f"{channel}."
            errors.setdefault(key, message[0].upper() + message[1:] if message else message)
        return Result(errors=errors)


def shown(settings: ChannelSettings | None, item: Field) -> str:
    """What the page shows in a field: the saved value, never a secret."""
    if settings is None or item.kind == "password":
        return ""
    value = getattr(settings, item.name)
    return "" if value is None else str(value)
