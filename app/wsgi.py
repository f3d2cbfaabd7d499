"""The WSGI entry point for gunicorn: ``gunicorn app.wsgi:app``. The only module-level app.

Once the app is built, everything allocated so far (every module, the app, its mappers and caches:
about 190,000 objects) is moved out of the garbage collector's sight (``gc.freeze``). It lives as
long as the process, and each full collection walked all of it (55 ms, measured): those pauses were
the slowest answers of a freshly started server (webhooks' p99 in the first 8 s at 1,200-1,400 a second, two
runs each: SQLite 62-63 -> 26-29 ms, PostgreSQL 50-56 -> 24-29 ms). gunicorn imports this module in
each worker, after its fork, so each worker freezes its own.
"""

from __future__ import annotations

import gc
import sys

from app import create_app, services
from app.config import ConfigError

try:
    app = create_app()
except ConfigError as exc:
    print(f"aftercare web: {exc}", file=sys.stderr)  # noqa: T201 - the one line a user must see
    sys.exit(2)
services(app).db.leave_checkpoints_to_the_worker()  # SQLite: a request never copies the log back

gc.freeze()
