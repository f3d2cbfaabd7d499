"""What a request may carry, checked once for every route: what no column can hold is refused with
400 at the door, before a view reads it, rather than failing in the database (a 500) or being stored
on one database and not the other.

- ``<int:...>`` in a rule admits only what an id column holds (``models.ID_MAX``): a bigger number
  names no row, so it is not found (404), and never reaches PostgreSQL, which would refuse it;
- NUL (PostgreSQL's text cannot hold it) in the path, a header, the query or a form field; lone
  surrogates cannot arrive there (werkzeug decodes UTF-8 with replacement characters), but can in JSON;
- JSON nested deeper than the parser's recursion limit, or holding NUL or a lone surrogate (no UTF-8
  text holds one) in any string, key or value, is not JSON the app accepts: ``request.get_json``
  answers 400 (or None with ``silent=True``, which each view refuses with its own sentence).
"""

from __future__ import annotations

import re
from typing import Any

from flask import Flask, Request, abort, request
from flask.json.provider import DefaultJSONProvider
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.exceptions import BadRequest
from werkzeug.routing import IntegerConverter, Map

from app.models import ID_MAX

UNSTORABLE = re.compile(r"[\x00\ud800-\udfff]")
REFUSED = "The request holds a character no text may contain (a NUL byte or an unpaired surrogate)."


def init_app(app: Flask) -> None:
    """Before any blueprint is registered: the converter is looked up when a rule is added."""
    app.url_map.converters["int"] = IdConverter
    app.request_class = CheckedRequest
    app.json = CheckedJSON(app)
    app.before_request(_refuse_unstorable)


class IdConverter(IntegerConverter):
    """``<int:...>``, bounded by what an id column holds unless the rule names its own ``max``."""

    def __init__(
        self,
        map: Map,
        fixed_digits: int = 0,
        min: int | None = None,
        max: int | None = None,
        signed: bool = False,
    ) -> None:
        super().__init__(map, fixed_digits, min, ID_MAX if max is None else max, signed)


class _CheckedPairs(ImmutableMultiDict[str, str]):
    """The query's and a form's fields: werkzeug builds them lazily, so a view that reads them gets a
    400 for an unstorable one, and one that does not is not refused for it."""

    def __init__(self, mapping: Any = None) -> None:
        super().__init__(mapping)
        for key, values in self.lists():
            if UNSTORABLE.search(key) or any(isinstance(v, str) and UNSTORABLE.search(v) for v in values):
                raise BadRequest(REFUSED)


class CheckedRequest(Request):
    parameter_storage_class = _CheckedPairs


def _refuse_unstorable() -> None:
    # One search over the path and every header's value, read from the WSGI environ: this runs before
    # every request, deliveries at a busy store's rate included.
    environ = request.environ
    seen = "\n".join(
        value
        for key, value in environ.items()
        if isinstance(value, str) and key.startswith(("HTTP_", "CONTENT_"))
    )
    if UNSTORABLE.search(request.path) or UNSTORABLE.search(seen):
        abort(400, description=REFUSED)


class CheckedJSON(DefaultJSONProvider):
    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        try:
            document = super().loads(s, **kwargs)
        except RecursionError as exc:
            raise ValueError("the JSON is nested too deeply") from exc
        pending = [document]
        while pending:  # a loop, not recursion: the document may be nested almost to the limit
            value = pending.pop()
            if isinstance(value, str):
                if UNSTORABLE.search(value):
                    raise ValueError(REFUSED)
            elif isinstance(value, dict):
                pending.extend(value.keys())
                pending.extend(value.values())
            elif isinstance(value, list):
                pending.extend(value)
        return document
