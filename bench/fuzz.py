"""The long fuzz run: no request to the real server answers 5xx or leaves a traceback in its log.

    python -m bench.fuzz --requests 10000 [--database sqlite|postgresql] [--environment production]

Migrates a fresh database, seeds the fuzzer's world into it (stores of every platform, orders,
planned messages, short links, an export, a custom template: ``tests/fuzz/world.py``), starts gunicorn
as the Procfile does (its workers and threads, access log on stdout), and sends it N requests drawn by
the CI slice's strategies (``tests/fuzz/strategies.py``: every rule of the url_map with mutated ids,
queries, headers, forms and JSON, anonymous or signed in by cookie or ID token; signed webhooks with
mutated bodies; signed links over mutated content) over a kept-alive loopback connection. Every 100
requests this process does the worker's part and applies what the webhooks stored. Then gunicorn is
stopped and its log read for tracebacks. The last line is ``fuzz: N requests, M 5xx``; the exit status
is 1 if M, a traceback or an error the worker logged is found.

Only the installed shop gets validly signed ID tokens here: a valid one for a shop not yet installed
makes the App Home exchange it with Shopify, which this machine cannot reach (503, by design); the CI
slice covers that path against a fake Shopify. The fuzzer's own signed webhooks can still uninstall
the installed shop (a ``shop/redact`` erases it, as it should), and its App Home then asks Shopify
for a token too: those 503s, and only those (``GET /shopify``, saying Shopify could not be reached),
are counted apart as the network's answer, not the app's failure.
"""

from __future__ import annotations

import argparse
import collections
import http.client
import logging
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import psycopg
from cryptography.fernet import Fernet
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import seed as hypothesis_seed

from app import create_app, inbox, services
from app.migrate import upgrade
from bench import common
from tests.fuzz.senders import HttpSender
from tests.fuzz.strategies import Call, any_call
from tests.fuzz.world import SETTINGS, seed

POSTGRES = os.environ.get("AFTERCARE_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
ROOT = Path(__file__).resolve().parents[1]
SHOWN = 5  # failing requests printed in full


class Errors(logging.Handler):
    """Errors logged in this process (the worker's part)."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def _database(kind: str, folder: Path) -> tuple[str, str | None]:
    if kind == "sqlite":
        return f"sqlite:///{folder}/fuzz.db", None
    name = f"aftercare_fuzz_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(POSTGRES, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    return POSTGRES.rsplit("/", 1)[0] + f"/{name}", name


def _drop(name: str | None) -> None:
    if name:
        with psycopg.connect(POSTGRES, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _gunicorn(port: int, env: dict[str, str], folder: Path) -> subprocess.Popen[bytes]:
    """The Procfile's web process, on loopback; its log goes to files in ``folder``."""
    command = [
        str(Path(sys.executable).with_name("gunicorn")),
        "--bind",
        f"127.0.0.1:{port}",
        *common.web_concurrency(),
        "--access-logfile",
        "-",
        "app.wsgi:app",
    ]
    return subprocess.Popen(  # noqa: S603 - our own command line
        command,
        cwd=ROOT,
        env=env,
        stdout=(folder / "access.log").open("wb"),
        stderr=(folder / "gunicorn.log").open("wb"),
    )


def _wait_until_up(port: int, process: subprocess.Popen[bytes]) -> None:
    for _ in range(600):
        if process.poll() is not None:
            raise SystemExit(f"gunicorn exited with {process.returncode} before answering")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            connection.request("GET", "/healthz")
            if connection.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.1)
    raise SystemExit("gunicorn did not answer /healthz within a minute")


def tracebacks(log: str) -> list[str]:
    """The last line of each traceback in a log: the exception itself."""
    found = []
    lines = log.splitlines()
    for number, line in enumerate(lines):
        if line.startswith("Traceback (most recent call last):"):
            tail = next(
                (
                    later
                    for later in lines[number + 1 :]
                    if later and not later.startswith((" ", "Traceback"))
                ),
                "?",
            )
            found.append(tail)
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=10000)
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--environment", choices=("production", "development"), default="production")
    parser.add_argument("--seed", type=int, default=0, help="hypothesis seed (the same requests each run)")
    parser.add_argument("--keep", action="store_true", help="keep the folder with the logs")
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="aftercare-fuzz-"))
    url, created = _database(args.database, folder)
    port = _free_port()
    config: dict[str, Any] = {
        "database_url": url,
        "secret_key": "fuzz-" + "k" * 40,
        "encryption_keys": Fernet.generate_key().decode(),
        "environment": args.environment,
        "public_url": "https://aftercare.example"
        if args.environment == "production"
        else f"http://127.0.0.1:{port}",
        "outbox_dir": str(folder / "outbox"),
        **SETTINGS,
    }
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("AFTERCARE_")},
        "AFTERCARE_CONFIG": str(folder / "none.toml"),
        **{f"AFTERCARE_{key.upper()}": str(value) for key, value in config.items()},
    }
    os.environ.update({k: v for k, v in env.items() if k.startswith("AFTERCARE_")})
    errors = Errors()
    server = None
    try:
        upgrade(url)
        app = create_app()  # the same settings as gunicorn's, from the same environment
        world = seed(app)
        logging.getLogger().addHandler(errors)
        server = _gunicorn(port, env, folder)
        _wait_until_up(port, server)
        statuses, failing = _fire(app, world, port, args.requests, args.seed)
    finally:
        if server is not None:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=60)
        logging.getLogger().removeHandler(errors)
        _drop(created)

    log = (folder / "gunicorn.log").read_text(errors="replace")
    found = tracebacks(log)
    print(f"database: {args.database}, environment: {args.environment}, logs: {folder}")
    print("answers: " + ", ".join(f"{status}: {n}" for status, n in sorted(statuses.items())))
    for said, times in collections.Counter(said for _, said in failing).items():
        print(f"  {times} x {said}")
    for call, said in failing[:SHOWN]:
        print(f"  {said[:3]} <- {str(call)[:300]}")
    print(
        f"gunicorn log: {len(found)} tracebacks"
        + "".join(f"\n  {line}" for line in collections.Counter(found))
    )
    print(
        f"worker: {len(errors.messages)} errors logged" + "".join(f"\n  {m}" for m in errors.messages[:SHOWN])
    )
    unreachable = sum(1 for call, said in failing if _shopify_unreachable(call, said))
    if not args.keep and not found and unreachable == len(failing):
        for path in sorted(folder.rglob("*"), reverse=True):
            path.unlink() if path.is_file() else path.rmdir()
        folder.rmdir()
    total = sum(statuses.values())
    if unreachable:
        print(f"{unreachable} x 503 from the App Home: Shopify, which this machine cannot reach, was asked")
    fives = sum(n for status, n in statuses.items() if status >= 500) - unreachable
    print(f"fuzz: {total} requests, {fives} 5xx")
    sys.exit(1 if fives or found or errors.messages else 0)


def _shopify_unreachable(call: Call, said: str) -> bool:
    """The App Home's 503 for a token exchange with Shopify, which no request can reach from here."""
    return (
        call.method == "GET"
        and call.path == "/shopify"
        and said == "503 Shopify could not be reached to finish installing. Reload in a moment."
    )


def _fire(
    app: Any, world: Any, port: int, requests: int, seed_value: int
) -> tuple[dict[int, int], list[Any]]:
    sender = HttpSender("127.0.0.1", port, world, services(app).settings)
    statuses: collections.Counter[int] = collections.Counter()
    failing: list[tuple[Call, str]] = []

    @hypothesis_seed(seed_value)
    @settings(
        max_examples=requests,
        database=None,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(call=any_call(app, world, (world.shop,)))
    def one(call: Call) -> None:
        answer = sender.send(call)
        statuses[answer.status] += 1
        if answer.status >= 500:
            said = re.search(rb"<p>([^<]{1,200})</p>|\"message\": ?\"([^\"]{1,200})", answer.body)
            failing.append(
                (call, f"{answer.status} {(said.group(1) or said.group(2)).decode() if said else ''}")
            )
        if sum(statuses.values()) % 100 == 0:
            inbox.drain(services(app).db, services(app).connectors)

    one()
    inbox.drain(services(app).db, services(app).connectors)
    return dict(statuses), failing


if __name__ == "__main__":
    main()
