"""Serve a WSGI app on a loopback port in a thread, for the fake stores and the app itself."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from werkzeug.serving import make_server

# ``shutdown()`` waits for ``serve_forever`` to notice it, which it checks between polls: the default
# half second cost 0.46 s per server, and a server is started in about 90 tests per database.
POLL_SECONDS = 0.01


@contextmanager
def serving(app: Any, port: int = 0) -> Iterator[str]:
    """Yields the base URL while ``app`` answers on it; ``port`` 0 takes a free one. On leaving, the
    port is closed, so a late request is refused rather than left waiting."""
    try:
        server = make_server("127.0.0.1", port, app, threaded=True)
    except SystemExit as exc:  # werkzeug exits when the port is taken: fail this test, not the worker
        raise OSError(f"port {port} is in use: cannot serve the app on it") from exc
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": POLL_SECONDS}, daemon=True
    )
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
