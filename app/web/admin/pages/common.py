"""What every merchant page module shares: the blueprint, the signed-in store, and "done"."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, flash, g, redirect, url_for
from sqlalchemy.orm import Session

from app.models import Store
from app.web.admin.routes import signed_in_store_id

# The pages' stylesheet and script are files of ours (``/admin/static/``), never another site's.
bp = Blueprint(
    "pages",
    __name__,
    url_prefix="/admin",
    template_folder="../templates",
    static_folder="../static",
    static_url_path="/static",
)


def done(said: str, endpoint: str, category: str = "message", **values: Any) -> Any:
    """After a change: redirect to the page with the news in a flash; inside a platform's admin,
    where no cookie carries a flash, answer that page at once with the news on it."""
    if g.get("embedded"):
        g.notices = [(category, said)]
        return current_app.view_functions[endpoint](**values)
    flash(said, category)
    return redirect(url_for(endpoint, **values))


def signed_in_store(db: Session) -> Store:
    return db.get(Store, signed_in_store_id()) or abort(401)
