"""The messages: each step's wording per language in the block editor (or as code), with the live
preview beside it, and a test sent to the merchant's own address."""

from __future__ import annotations

from typing import Any

from flask import abort, request
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from app import channel_settings, clock
from app.journeys.steps import STEPS
from app.links import Links
from app.messages import blocks, custom, samples, segments
from app.messages.render import LOCALES, RTL_LOCALES, Custom, render
from app.messages.sandbox import TemplateProblem
from app.models import Store
from app.web import current_services
from app.web.admin import auth, checklist, view
from app.web.admin.pages.common import bp, done, signed_in_store
from channels.base import ChannelError, Outgoing
from channels.registry import send_direct


@bp.get("/templates")
def templates() -> str:
    with current_services().db.session() as db:
        store = signed_in_store(db)
        own = {
            (step, locale) for step in STEPS for locale in LOCALES if custom.load(db, store.id, step, locale)
        }
        return view.page("admin/templates.html", store, own=own, locales=LOCALES)


BLOCK_TITLES = {
    "heading": "Heading",
    "text": "Text",
    "button": "Button",
    "items": "The order's items",
    "reviews": "The products to review",
    "recommendations": "The recommendations",
    "code": "Code",
}


def _blocks_of(wording: Custom, locale: str, own: bool) -> list[blocks.Block] | None:
    """The wording as blocks: those it was saved with, or our own wording read from its elements;
    None for a merchant's code (saved as code, changed by hand, or from before the block editor),
    which opens in the code view ("Back to blocks" reads it into blocks)."""
    saved = blocks.load(wording.body, locale)
    if saved is not None:
        return saved
    return None if own else blocks.read(wording.body)


def _posted_blocks(form: Any) -> list[blocks.Block]:
    """The block editor's fields (``block-<n>-kind``, ``-text``, ``-link``) in their order."""
    items = []
    for n in range(blocks.MAX_BLOCKS):
        kind = form.get(f"block-{n}-kind")
        if kind is None:
            break
        items.append(
            {"kind": kind, "text": form.get(f"block-{n}-text", ""), "link": form.get(f"block-{n}-link", "")}
        )
    try:
        return blocks.from_json(items)
    except blocks.BlocksInvalid as exc:
        abort(400, description=str(exc))


def _operate(chosen: list[blocks.Block], op: str) -> list[blocks.Block]:
    """Add, move or remove a block (the editor's buttons, which work without script too)."""
    verb, _, arg = op.partition(":")
    if verb == "add" and arg in blocks.KINDS and len(chosen) < blocks.MAX_BLOCKS:
        link = next(iter(blocks.LINKS)) if arg == "button" else ""
        return [*chosen, blocks.Block(arg, link=link)]
    if not arg.isdigit() or int(arg) >= len(chosen):
        return chosen
    index = int(arg)
    if verb == "remove":
        return chosen[:index] + chosen[index + 1 :]
    other = index - 1 if verb == "up" else index + 1 if verb == "down" else -1
    if 0 <= other < len(chosen):
        chosen[index], chosen[other] = chosen[other], chosen[index]
    return chosen


def _editor(
    store: Store,
    db: Session,
    step: str,
    locale: str,
    wording: Custom,
    own: bool,
    problem: str = "",
    chosen: list[blocks.Block] | None = None,
    mode: str = "",
) -> str:
    links = Links(current_services().settings)
    context = samples.recent_context(db, store, step, locale, links)
    source = "from your latest order" if context is not None else "from a sample order"
    context = context or samples.sample_context(store, step, locale, links)
    preview = {"source": source, "subject": "", "html": "", "short": "", "segments": "", "error": ""}
    try:
        rendered = render(step, locale, context, wording if own or problem or chosen is not None else None)
    except TemplateProblem as exc:
        preview["error"] = str(exc)
    else:
        counted = segments.count(rendered.short)
        preview.update(
            subject=rendered.subject,
            html=rendered.html,
            short=rendered.short,
            segments=f"{counted.count} × {counted.encoding} ({counted.characters})",
        )
    if chosen is None:
        chosen = _blocks_of(wording, locale, own)
    mode = "code" if chosen is None else (mode or "blocks")  # code has no blocks to show
    return view.page(
        "admin/editor.html",
        store,
        step=step,
        locale=locale,
        wording=wording,
        code=blocks.strip_marker(wording.body) if chosen is None else blocks.compile_blocks(chosen, locale),
        blocks=chosen or [],
        mode=mode,
        block_titles=BLOCK_TITLES,
        block_links={key: title for key, (_, title) in blocks.LINKS.items()},
        own=own,
        problem=problem,
        preview=preview,
        variables=custom.VARIABLES,
        filters_help=custom.FILTERS_HELP,
        # what a right-to-left field shows: each placeholder isolated left to right (blocks.isolate)
        shown=blocks.isolate if locale in RTL_LOCALES else str,
    )


def _editable(step: str, locale: str) -> None:
    if not custom.editable(step, locale):
        abort(404, description="There is no such step or language to edit.")


@bp.get("/templates/<step>/<locale>")
def template_editor(step: str, locale: str, mode: str = "") -> str:
    """``mode`` (``?mode=code``, or given by a save inside a platform's admin) opens the code view."""
    _editable(step, locale)
    mode = mode or request.args.get("mode", "")
    with current_services().db.session() as db:
        store = signed_in_store(db)
        wording, own = custom.current(db, store.id, step, locale)
        return _editor(store, db, step, locale, wording, own, mode=mode if mode in ("code", "blocks") else "")


@bp.post("/templates/<step>/<locale>")
def save_template(step: str, locale: str) -> Any:
    """Save the wording: blocks compiled to their code, or the code as written. ``op`` adds, moves or
    removes a block, or switches view, and saves nothing."""
    auth.require_csrf()
    _editable(step, locale)
    mode = request.form.get("mode", "blocks")
    op = request.form.get("op", "")
    chosen = _posted_blocks(request.form) if mode == "blocks" else None
    if chosen is not None:
        chosen = _operate(chosen, op) if op else chosen
        body = blocks.dump(chosen, locale)
    else:
        body = request.form.get("body", "")
    wording = Custom(subject=request.form.get("subject", ""), body=body, short=request.form.get("short", ""))
    with current_services().db.session() as db:
        store = signed_in_store(db)
        own = custom.load(db, store.id, step, locale) is not None
        if op == "code":
            return _editor(store, db, step, locale, wording, own, chosen=None, mode="code")
        if op == "blocks":
            read = blocks.read(body) if mode == "code" else chosen
            return _editor(store, db, step, locale, wording, own, chosen=read, mode="blocks")
        if op:
            return _editor(store, db, step, locale, wording, own, chosen=chosen, mode="blocks")
        try:
            custom.save(db, store, step, locale, wording, Links(current_services().settings))
        except TemplateProblem as problem:
            return _editor(store, db, step, locale, wording, own, str(problem), chosen, mode), 422
        said = view.translator(store)("Saved. New messages use this wording.")
    return done(
        said,
        "pages.template_editor",
        step=step,
        locale=locale,
        **({"mode": "code"} if chosen is None else {}),
    )


@bp.post("/templates/<step>/<locale>/reset")
def reset_template(step: str, locale: str) -> Response:
    auth.require_csrf()
    _editable(step, locale)
    with current_services().db.session() as db:
        store = signed_in_store(db)
        custom.reset(db, store.id, step, locale)
        said = view.translator(store)("Back to our wording.")
    return done(said, "pages.template_editor", step=step, locale=locale)


@bp.post("/templates/<step>/<locale>/test")
def send_test(step: str, locale: str) -> Response:
    """The step as the store's latest order would get it (or a sample), with the wording in use, sent
    now to the store's own address through its email channel, marked as a test."""
    auth.require_csrf()
    _editable(step, locale)
    services = current_services()
    links = Links(services.settings)
    with services.db.session() as db:
        store = signed_in_store(db)
        t = view.translator(store)
        to = store.reply_to
        target = {"step": step, "locale": locale}
        if not to:
            said = t("Set your store's address first; the test goes there.")
            return done(said, "pages.template_editor", "error", **target)
        context = samples.recent_context(db, store, step, locale, links) or samples.sample_context(
            store, step, locale, links
        )
        try:  # checked when saved, but a newer order may hold what the wording cannot take
            rendered = render(step, locale, context, custom.load(db, store.id, step, locale))
        except TemplateProblem as problem:
            said = t("The test could not be sent: {reason}").format(reason=problem)
            return done(said, "pages.template_editor", "error", **target)
        outgoing = Outgoing(
            message_id=f"<aftercare.test.{store.id}.{step}.{clock.now().timestamp():.0f}@aftercare.invalid>",
            to_address=to,
            to_name=store.name,
            subject=f"[{t('Test')}] {rendered.subject}",
            text=rendered.text,
            html=rendered.html,
            locale=rendered.locale,
            step=step,
        )
        sender = channel_settings.context(db, store)
    try:
        send_direct(services.settings, sender, outgoing)
    except ChannelError as exc:
        return done(
            t("The test could not be sent: {reason}").format(reason=exc),
            "pages.template_editor",
            "error",
            **target,
        )
    with services.db.session() as db:
        checklist.mark(signed_in_store(db), "test")
    return done(t("A test was sent to {address}.").format(address=to), "pages.template_editor", **target)
