"""The sandbox a merchant's own template runs in, and the check that refuses a broken one on save.

Jinja2's ``ImmutableSandboxedEnvironment`` already refuses attribute tricks (``__class__``, ``mro``)
and changes to the data; autoescaping makes every value text. What it leaves open is cost: ``'x' *
10**9``, ``9**9**9``, ``'x'.center(10**9)``, a loop inside a loop inside a loop. So here numbers
given to calls are bounded, ``*`` and ``**`` are checked, every filter's result is bounded, loops
nest at most twice over at most ``MAX_RANGE`` steps, and a template may include only our partials
(``PARTIALS``, such as the table of items), never extend or import a file.
The filters are a short list: ``safe`` is not on it, so a hostile customer name stays text even in
a merchant's template. The merchant's HTML itself goes through ``nh3`` (ammonia): formatting, links,
images and tables stay; scripts, forms and event handlers go.
"""

from __future__ import annotations

import functools
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nh3
from jinja2 import FunctionLoader, StrictUndefined, TemplateError, TemplateSyntaxError, nodes
from jinja2.defaults import DEFAULT_FILTERS
from jinja2.environment import Template
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError

from app.messages.filters import localised_number, ltr_html, ltr_text

TEMPLATES = Path(__file__).parent / "templates"
PARTIALS = frozenset({"items.html.j2"})  # what a merchant's template may include

MAX_SOURCE = 20_000  # characters in one field
MAX_OUTPUT = 100_000  # characters any filter, call or whole field may produce
MAX_NUMBER = 10_000
MAX_RANGE = 1_000
MAX_LOOP_DEPTH = 2
ORIGIN = "<template>"  # the file name Jinja2 gives a template made from a string
FILTERS = (
    "abs capitalize count d default e escape first float format int join last length list lower "
    "replace reverse round sort string striptags sum title trim truncate upper wordcount"
).split()
TAGS = {
    "a", "b", "blockquote", "br", "bdi", "center", "div", "em", "h1", "h2", "h3", "h4", "hr", "i",
    "img", "li", "ol", "p", "small", "span", "strong", "table", "tbody", "td", "th", "thead", "tr",
    "u", "ul",
}  # fmt: skip
ATTRIBUTES = {
    "*": {"dir", "style", "class", "align", "lang"},
    "a": {"href", "title"},
    "img": {"src", "alt", "width", "height"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan"},
}


@dataclass(eq=False)  # not frozen: raising sets __traceback__, and a context manager's exit sets it again
class TemplateProblem(Exception):
    """Why a merchant's template cannot be used: which field, which line, in a sentence."""

    field: str
    line: int | None
    reason: str

    def __str__(self) -> str:
        where = f"{self.field}, line {self.line}" if self.line else self.field
        return f"{where}: {self.reason}"


class _Bounded(ImmutableSandboxedEnvironment):
    intercepted_binops = frozenset({"*", "**"})

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        if operator == "**" and (_big(right, 64) or _big(left, MAX_NUMBER)):
            raise SecurityError("powers that large are not allowed")
        if operator == "*" and (
            isinstance(left, str | list | tuple) or isinstance(right, str | list | tuple)
        ):
            if _big(left, 100) or _big(right, 100):
                raise SecurityError("repeating text more than 100 times is not allowed")
        return _bounded_result(super().call_binop(context, operator, left, right))

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N805 - Jinja2's signature
        _bounded_arguments((*args, *kwargs.values()))
        return _bounded_result(super().call(__context, __obj, *args, **kwargs))


def _big(value: Any, limit: int) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and abs(value) > limit


def _bounded_arguments(values: tuple[Any, ...]) -> None:
    if any(_big(value, MAX_NUMBER) for value in values):
        raise SecurityError(f"numbers above {MAX_NUMBER:,} are not allowed here")


def _bounded_result(value: Any) -> Any:
    if isinstance(value, str | list | tuple) and len(value) > MAX_OUTPUT:
        raise SecurityError(f"the text grew beyond {MAX_OUTPUT:,} characters")
    return value


def _bounded_filter(function: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(function)  # keeps Jinja2's pass_context / pass_eval_context marker
    def bounded(*args: Any, **kwargs: Any) -> Any:
        _bounded_arguments((*args[1:], *kwargs.values()))  # the first is the value being filtered
        return _bounded_result(function(*args, **kwargs))

    return bounded


def _range(*args: int) -> range:
    numbers = range(*args)
    if len(numbers) > MAX_RANGE:
        raise SecurityError(f"a range may not have more than {MAX_RANGE:,} steps")
    return numbers


def _partial(name: str) -> str | None:
    return (TEMPLATES / name).read_text(encoding="utf-8") if name in PARTIALS else None


_environment = _Bounded(
    loader=FunctionLoader(_partial),
    undefined=StrictUndefined,
    autoescape=True,
    trim_blocks=True,
    lstrip_blocks=True,
)
_environment.filters = {name: _bounded_filter(DEFAULT_FILTERS[name]) for name in FILTERS}
_environment.filters.update(ltr=ltr_html, ltr_text=ltr_text, number=_bounded_filter(localised_number))
_environment.globals = {"range": _range}


def _check_shape(tree: nodes.Template) -> None:
    for node in tree.find_all((nodes.Extends, nodes.Import, nodes.FromImport)):
        raise TemplateSyntaxError("a template may not extend or import another", node.lineno)
    for include in tree.find_all(nodes.Include):
        if not (isinstance(include.template, nodes.Const) and include.template.value in PARTIALS):
            allowed = ", ".join(sorted(PARTIALS))
            raise TemplateSyntaxError(f"a template may include only {allowed}", include.lineno)

    def depth(node: nodes.Node, level: int) -> None:
        for child in node.iter_child_nodes():
            inner = level + isinstance(child, nodes.For)
            if inner > MAX_LOOP_DEPTH:
                raise TemplateSyntaxError(f"loops may nest at most {MAX_LOOP_DEPTH} deep", child.lineno)
            depth(child, inner)

    depth(tree, 0)


@functools.lru_cache(maxsize=512)
def _compile(source: str) -> Template:
    if len(source) > MAX_SOURCE:
        raise TemplateSyntaxError(f"longer than {MAX_SOURCE:,} characters", 1)
    _check_shape(_environment.parse(source))
    return _environment.from_string(source)


def _line_of(exc: BaseException) -> int | None:
    lines = [frame.lineno for frame in traceback.extract_tb(exc.__traceback__) if frame.filename == ORIGIN]
    return lines[-1] if lines else None


def render(source: str, context: dict[str, Any], field: str) -> str:
    """Render one field of a merchant's template; any failure is a ``TemplateProblem`` naming the line."""
    try:
        output = _compile(source).render(context)
    except TemplateSyntaxError as exc:
        raise TemplateProblem(field, exc.lineno, exc.message or "the template cannot be read") from None
    except (TemplateError, ArithmeticError, TypeError, ValueError, LookupError, RecursionError) as exc:
        reason = str(exc) or type(exc).__name__
        raise TemplateProblem(field, _line_of(exc), reason) from None
    if len(output) > MAX_OUTPUT:
        raise TemplateProblem(field, None, f"the result is longer than {MAX_OUTPUT:,} characters")
    return output


def clean_html(markup: str) -> str:
    """A merchant's HTML with what an email may carry: no scripts, forms, frames or event handlers."""
    return nh3.clean(markup, tags=TAGS, attributes=ATTRIBUTES, url_schemes={"http", "https", "mailto", "tel"})
