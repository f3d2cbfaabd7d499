"""The merchant's own wording, per step and language, as JSON for the template editor.

Reading is open to the signed-in store; saving, resetting and previewing change or reveal nothing of
another store (every query names the session's store). Writes carry the CSRF token in ``X-CSRFToken``
(from ``/admin/api/session``). A template that fails is answered 422 with the field, line and reason,
and nothing is saved.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, jsonify, request
from werkzeug.wrappers import Response

from app.journeys.steps import STEPS
from app.links import Links
from app.messages import blocks, custom, samples, segments
from app.messages.render import LOCALES, Custom, render
from app.messages.sandbox import TemplateProblem
from app.models import Store
from app.web import current_services
from app.web.admin import auth
from app.web.admin.routes import signed_in_store_id

bp = Blueprint("admin_templates", __name__, url_prefix="/admin/api/templates")
FIELDS = ("subject", "body", "short")


def _checked(step: str, locale: str) -> int:
    store_id = signed_in_store_id()
    if not custom.editable(step, locale):
        abort(404, description=f"There is no step {step!r} in {locale!r} to edit.")
    return store_id


def _posted(locale: str = "en") -> Custom:
    """The posted wording; a ``blocks`` list (the block editor's) instead of ``body`` is compiled to
    the body it stands for."""
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        abort(400, description="Send the template as a JSON object with subject, body and short.")
    if "blocks" in data:
        try:
            data = {**data, "body": blocks.dump(blocks.from_json(data["blocks"]), locale)}
        except blocks.BlocksInvalid as exc:
            abort(400, description=str(exc))
    if not all(isinstance(data.get(field, ""), str) for field in FIELDS):
        abort(400, description="subject, body and short must be text.")
    return Custom(**{field: data.get(field, "") for field in FIELDS})


def _refused(problem: TemplateProblem) -> tuple[Response, int]:
    return jsonify(
        error="template_refused", field=problem.field, line=problem.line, message=str(problem)
    ), 422


@bp.get("")
def index() -> dict[str, Any]:
    """Every editable step with the languages the merchant has reworded, and the variables."""
    store_id = signed_in_store_id()
    with current_services().db.session() as db:
        own = {
            (step, locale)
            for step in STEPS
            for locale in LOCALES
            if custom.load(db, store_id, step, locale) is not None
        }
    return {
        "steps": [
            {
                "step": name,
                "title": step.title,
                "kind": step.kind.value,
                "own": [code for code in LOCALES if (name, code) in own],
            }
            for name, step in STEPS.items()
        ],
        "locales": list(LOCALES),
        "variables": [
            {"name": name, "description": description, "steps": where}
            for name, (description, where) in custom.VARIABLES.items()
        ],
        "filters": custom.FILTERS_HELP,
    }


@bp.get("/<step>/<locale>")
def show(step: str, locale: str) -> dict[str, Any]:
    store_id = _checked(step, locale)
    with current_services().db.session() as db:
        wording, own = custom.current(db, store_id, step, locale)
    return {
        "step": step,
        "locale": locale,
        "own": own,
        **{field: getattr(wording, field) for field in FIELDS},
    }


@bp.put("/<step>/<locale>")
def save(step: str, locale: str) -> Any:
    store_id = _checked(step, locale)
    auth.require_csrf()
    wording = _posted(locale)
    services = current_services()
    with services.db.session() as db:
        store = db.get(Store, store_id) or abort(401)
        try:
            custom.save(db, store, step, locale, wording, Links(services.settings))
        except TemplateProblem as problem:
            return _refused(problem)
    return {"saved": True, "step": step, "locale": locale}


@bp.delete("/<step>/<locale>")
def reset(step: str, locale: str) -> dict[str, Any]:
    store_id = _checked(step, locale)
    auth.require_csrf()
    with current_services().db.session() as db:
        removed = custom.reset(db, store_id, step, locale)
    return {"reset": removed, "step": step, "locale": locale}


@bp.post("/<step>/<locale>/preview")
def preview(step: str, locale: str) -> Any:
    """The step rendered from the store's most recent order (or a sample), with the wording posted,
    or the wording in use when nothing is posted; and what its short text costs in SMS segments."""
    store_id = _checked(step, locale)
    auth.require_csrf()
    services = current_services()
    links = Links(services.settings)
    with services.db.session() as db:
        store = db.get(Store, store_id) or abort(401)
        wording = _posted(locale) if request.content_length else custom.load(db, store_id, step, locale)
        context = samples.recent_context(db, store, step, locale, links)
        source = "recent order" if context is not None else "sample order"
        context = context or samples.sample_context(store, step, locale, links)
        try:
            rendered = render(step, locale, context, wording)
        except TemplateProblem as problem:
            return _refused(problem)
    return {
        "from": source,
        "locale": rendered.locale,
        "subject": rendered.subject,
        "html": rendered.html,
        "text": rendered.text,
        "short": rendered.short,
        "segments": segments.count(rendered.short).as_json(),
    }
