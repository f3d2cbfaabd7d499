"""The WSGI entry point for gunicorn: ``gunicorn app.wsgi:app``. The only module-level app."""

from __future__ import annotations

import sys

from app import create_app
from app.config import ConfigError

try:
    app = create_app()
except ConfigError as exc:
    print(f"aftercare web: {exc}", file=sys.stderr)  # noqa: T201 - the one line a user must see
    sys.exit(2)
