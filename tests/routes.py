"""The app's routes, discovered from its ``url_map``, for the suites that must cover every one of them
(so a route added later is covered without editing them): the fuzzer (``tests/fuzz/``) and the
internal-address guard (``tests/app/web/test_no_internal_fetch.py``)."""

from __future__ import annotations

import re
from collections.abc import Mapping

from flask import Flask
from werkzeug.routing import Rule


def rules(app: Flask) -> list[tuple[Rule, str]]:
    """Every (rule, method) the app answers, HEAD and OPTIONS included; not the static files."""
    return [
        (rule, method)
        for rule in sorted(app.url_map.iter_rules(), key=lambda r: (r.rule, r.endpoint))
        if rule.endpoint != "static"
        for method in sorted(rule.methods or ())
    ]


def path_of(rule: Rule, segments: Mapping[str, str]) -> str:
    """The rule's path with each argument replaced by its segment, sent as given (not converted, so a
    segment the converter would refuse can be sent too)."""
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", lambda m: segments[m.group(1)], rule.rule)


def routes(app: Flask, arguments: Mapping[str, str]) -> list[tuple[str, str]]:
    """(method, path) for every rule and method but HEAD and OPTIONS, each argument taken from
    ``arguments`` by name ("1" when it is not there)."""
    return [
        (method, path_of(rule, {name: arguments.get(name, "1") for name in rule.arguments}))
        for rule, method in rules(app)
        if method not in ("HEAD", "OPTIONS")
    ]
