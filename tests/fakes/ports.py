"""Loopback ports for the fakes and the live app, chosen before the server that will listen on them
starts (the app must know its own address when it is built; a fake SMTP server is named in a store's
settings before it runs).

A port the kernel hands out for ``bind(0)`` comes from its ephemeral range, the same range every
outgoing connection of the machine draws its local port from: between our check and the server's own
bind, a PostgreSQL or browser connection could take it, and werkzeug then exits its caller (seen once
in a full run: nine tests of one xdist worker failed after it). So ports come from below that range,
where only an explicit bind can land, each pytest-xdist worker from its own band, starting at a random
place in it (another suite running beside this one draws from the same bands), and each is checked by
binding it.
"""

from __future__ import annotations

import os
import random
import socket
from pathlib import Path

LOWEST = 10_000  # below are the well-known and registered ports local services listen on
BANDS = 16  # xdist workers with a band of their own (more share one, still checked by binding)


def _ephemeral_start() -> int:
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32_768  # Linux's default; IANA's would be 49,152


def _band() -> range:
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw")
    index = int(worker) % BANDS if worker.isdigit() else 0
    width = (_ephemeral_start() - LOWEST) // BANDS
    return range(LOWEST + index * width, LOWEST + (index + 1) * width)


_BAND = _band()
_next = random.SystemRandom().randrange(len(_BAND)) if len(_BAND) else 0


def free_port() -> int:
    """A loopback port nothing listens on now and no outgoing connection can take meanwhile."""
    global _next
    for _ in range(len(_BAND)):
        port = _BAND[_next % len(_BAND)]
        _next += 1
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:  # in use, or a closed connection of it still waiting out TIME_WAIT
                continue
            return port
    with socket.socket() as probe:  # no room below the ephemeral range on this machine
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
