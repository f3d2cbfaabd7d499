"""Webhooks at a busy store's rate: how many signed deliveries the app answers, against a bare Flask
endpoint on the same gunicorn in the same run; then how fast the worker applies them.

    python -m bench.ingest [--seconds 10] [--seed-orders 100000] [--backends sqlite postgresql]

For each database, on an empty store and on one pre-seeded with ``--seed-orders`` orders:
1. gunicorn as the Procfile runs it (its ``--workers`` and ``--threads``) serves the app; wrk (16 connections)
   posts Shopify's published ``orders/create`` sample, signed per request with the app's secret, each
   a new order id, one in five an update of an earlier one with a newer ``updated_at``. The same
   requests go to ``bench.bare`` (a Flask endpoint that only reads the body) on the same gunicorn,
   played over and over (it answers more in the run's time than are pre-signed).
2. The worker applies what was stored: one process, then two on a copy of the same inbox
   (PostgreSQL), timed until the inbox is empty.
3. The database is checked: every distinct order stored exactly once, and planned (its thank-you).
4. Memory: the resident size of each gunicorn worker after its run and the worker process's peak, on
   the empty store and on the seeded one (the goal: within 1.2x of each other).

Lines per configuration, then the last line: ``ingest: <n>/s, <r>x bare, p99 <ms> ms`` for the worst
configuration (the slowest ratio), and the end-to-end figures before it.
"""

from __future__ import annotations

import argparse
import base64
import copy
import hashlib
import hmac
import json
import multiprocessing
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import requests
from sqlalchemy import func, select

from app import create_app, inbox, services
from app.models import InboxEntry, InboxStatus, Message, Order
from bench import common

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "tests/connectors/shopify/fixtures/webhooks/orders_create.json"
SECRET = "shpss_" + "b" * 32
SHOP = "bench-ingest.myshopify.com"
CONNECTIONS = 16
THREADS = 2


def _bodies(count: int, start: datetime) -> list[tuple[str, bytes]]:
    """``count`` deliveries: (event id, body). New order ids; one in five re-sends an earlier order,
    later and paid."""
    base = json.loads(SAMPLE.read_text())
    base.update({"cancelled_at": None, "cancel_reason": None, "financial_status": "paid", "closed_at": None})
    out: list[tuple[str, bytes]] = []
    made: list[int] = []
    for n in range(count):
        data = copy.deepcopy(base)
        if n % 5 == 4 and made:
            number = made[(n * 7) % len(made)]
            moment = start + timedelta(minutes=n)
        else:
            number = 900_000_000 + n
            made.append(number)
            moment = start + timedelta(seconds=n)
        stamp = moment.strftime("%Y-%m-%dT%H:%M:%S+00:00")
        data.update(
            id=number,
            order_number=number,
            name=f"#{number}",
            created_at=stamp,
            updated_at=stamp,
            processed_at=stamp,
        )
        data["email"] = f"buyer{number % 50_000}@example.test"
        if data.get("customer"):
            data["customer"] = {
                **data["customer"],
                "id": 700_000_000 + number % 50_000,
                "email": data["email"],
            }
        out.append((str(uuid.uuid4()), json.dumps(data, separators=(",", ":")).encode()))
    return out


def _sign(body: bytes) -> str:
    return base64.b64encode(hmac.new(SECRET.encode(), body, hashlib.sha256).digest()).decode()


def _write_wrk_files(folder: Path, bodies: list[tuple[str, bytes]]) -> Path:
    """One Lua file per wrk thread with its share of the pre-signed requests, and the script that
    plays them once each (a thread that runs out stops, so no delivery is sent twice), or, with
    ``BENCH_WRAP=1``, over and over (the bare endpoint, which only reads the body: it answered all
    30,000 in well under the run's 10 s, and a baseline that runs out is measured as slower than it
    is; LuaJIT refuses a table of many more)."""
    for thread in range(THREADS):
        share = bodies[thread::THREADS]
        lines = ["return {"]
        for event_id, body in share:
            text = body.decode()
            assert "]====]" not in text  # noqa: S101 - the long bracket below
            triggered = json.loads(text)["updated_at"]  # the event fired when the order changed
            headers = (
                f'["X-Shopify-Topic"]="orders/create",["X-Shopify-Hmac-Sha256"]="{_sign(body)}",'
                f'["X-Shopify-Shop-Domain"]="{SHOP}",["X-Shopify-Webhook-Id"]="{event_id}",'
                f'["X-Shopify-Event-Id"]="{event_id}",["X-Shopify-API-Version"]="2026-01",'
                f'["X-Shopify-Triggered-At"]="{triggered}",["Content-Type"]="application/json"'
            )
            lines.append(f"{{headers={{{headers}}},body=[====[{text}]====]}},")
        lines.append("}")
        (folder / f"thread-{thread + 1}.lua").write_text("\n".join(lines))
    script = folder / "play.lua"
    script.write_text(
        """
local counter = 0
function setup(thread)
  counter = counter + 1
  thread:set("id", counter)
end
function init(args)
  requests = dofile(os.getenv("BENCH_DIR") .. "/thread-" .. id .. ".lua")
  position = 0
end
function request()
  position = position + 1
  if position > #requests then
    if os.getenv("BENCH_WRAP") == "1" then
      position = 1
    else
      wrk.thread:stop()
      position = #requests
    end
  end
  local r = requests[position]
  return wrk.format("POST", "/webhooks/shopify", r.headers, r.body)
end
"""
    )
    return script


def _gunicorn(target: str, env: dict[str, str], log: Path) -> tuple[subprocess.Popen, str]:
    port = common.free_port()
    process = subprocess.Popen(  # noqa: S603 - our own command line
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--bind",
            f"127.0.0.1:{port}",
            *common.web_concurrency(),
            "--error-logfile",
            str(log),
            target,
        ],
        env={**os.environ, **env},
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            requests.get(f"{url}/healthz", timeout=5)  # answered by our app and by the bare 404 alike
            break
        except requests.RequestException:
            time.sleep(0.2)
    time.sleep(1.0)  # both workers up
    return process, url


def _rss_mb(pid: int | str, field: str = "VmRSS") -> float:
    """The resident size of a process (``VmHWM``: its peak), from /proc (Linux)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _workers_rss_mb(master: subprocess.Popen) -> float:
    """The largest of gunicorn's workers (the master's children), each a copy of the app."""
    children = Path(f"/proc/{master.pid}/task/{master.pid}/children").read_text().split()
    return max((_rss_mb(int(child)) for child in children), default=0.0)


def _stop(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()


def _wrk(
    url: str, script: Path, folder: Path, seconds: int, deliveries: int, wrap: bool = False
) -> tuple[float, float, int]:
    """(requests per second, p99 ms, non-2xx answers). Without ``wrap``, ``deliveries`` pre-signed
    deliveries are played once each: a run that answers them all before its time is up would be
    measured as slower than it is, so it stops the bench."""
    output = subprocess.run(  # noqa: S603 - our own command line
        [
            shutil.which("wrk") or "wrk",
            "-t",
            str(THREADS),
            "-c",
            str(CONNECTIONS),
            "-d",
            f"{seconds}s",
            "--latency",
            "-s",
            str(script),
            url,
        ],
        env={**os.environ, "BENCH_DIR": str(folder), "BENCH_WRAP": "1" if wrap else "0"},
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", output)
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}[p99.group(2)]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    answered = int(re.search(r"(\d+) requests in", output).group(1))
    if not wrap and answered >= deliveries:
        raise SystemExit(f"all {deliveries} deliveries answered before {seconds} s ran out: more --requests")
    return rate, float(p99.group(1)) * scale, int(errors.group(1)) if errors else 0


def _drain_worker(url: str, ready: Any, start: Any, peaks: Any) -> None:
    app = create_app(common.settings(url, shopify_client_secret=SECRET))
    aftercare = services(app)
    inbox.pending_all(aftercare.db)  # connected
    ready.put(True)
    start.wait()
    while inbox.drain(aftercare.db, aftercare.connectors) or inbox.pending_all(aftercare.db):
        pass
    aftercare.db.dispose()
    # the peak of this process's own memory: getrusage's ru_maxrss survives the exec of a spawned
    # child and would report the bench's size at the fork
    peaks.put(_rss_mb("self", "VmHWM"))


def _apply(url: str, workers: int) -> tuple[float, int, float]:
    """Seconds for ``workers`` processes to apply every pending delivery; how many there were; the
    largest peak resident size among the workers (MB)."""
    app = create_app(common.settings(url, shopify_client_secret=SECRET))
    db = services(app).db
    pending = inbox.pending_all(db)
    db.dispose()
    # spawned, not forked: a forked child would hold this process's pages (the pre-signed bodies, the
    # seeded store's rows), and its resident size would measure the bench instead of the worker
    spawn = multiprocessing.get_context("spawn")
    ready, start, peaks = spawn.Queue(), spawn.Event(), spawn.Queue()
    procs = [spawn.Process(target=_drain_worker, args=(url, ready, start, peaks)) for _ in range(workers)]
    for proc in procs:
        proc.start()
    for _ in procs:
        ready.get(timeout=300)  # imported and connected before the clock starts
    began = time.perf_counter()
    start.set()
    for proc in procs:
        proc.join()
    took = time.perf_counter() - began
    return took, pending, max(peaks.get(timeout=60) for _ in procs)


def _check(url: str, bodies: list[tuple[str, bytes]]) -> None:
    app = create_app(common.settings(url, shopify_client_secret=SECRET))
    with services(app).db.session() as session:
        stored = dict(
            session.execute(select(Order.external_id, func.count()).group_by(Order.external_id)).all()
        )
        planned = set(session.scalars(select(Message.order_id).where(Message.step == "thank_you")))
        orders = len(set(session.scalars(select(Order.id).where(Order.external_id.like("9%")))))
        left = session.scalar(select(func.count()).where(InboxEntry.status != InboxStatus.PROCESSED))
    services(app).db.dispose()
    sent = {str(json.loads(body)["id"]) for _, body in bodies}
    received = {key for key in sent if key in stored}
    if any(stored[key] != 1 for key in received) or left or len(planned) < orders:
        raise SystemExit(
            f"check failed: {len(received)} orders, duplicates or unplanned orders, {left} not applied"
        )


def _store(url: str, seeded: int) -> None:
    app = create_app(common.settings(url, shopify_client_secret=SECRET))
    db = services(app).db
    store_id = common.store(db, platform="shopify", external_id=SHOP, webhook_secret=None)
    if seeded:
        common.seed(db, store_id, seeded, now=common.NOW)
    db.dispose()


def _copy_database(backend: str, url: str) -> tuple[str, Any]:
    """A copy of the database to apply the same inbox with two workers; returns its URL and a drop."""
    if backend == "sqlite":
        path = url.split("///", 1)[1]
        twin = path + ".twin"
        shutil.copyfile(path, twin)
        return f"sqlite:///{twin}", lambda: os.remove(twin)
    import psycopg

    name = url.rsplit("/", 1)[1]
    twin = f"{name}_twin"
    with psycopg.connect(common.POSTGRES, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", [name])
        admin.execute(f'CREATE DATABASE "{twin}" TEMPLATE "{name}"')

    def drop() -> None:
        with psycopg.connect(common.POSTGRES, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{twin}" WITH (FORCE)')

    return url.rsplit("/", 1)[0] + "/" + twin, drop


def _run(
    backend: str, seeded: int, seconds: int, folder: Path, bodies: list[tuple[str, bytes]]
) -> dict[str, Any]:
    script = _write_wrk_files(folder, bodies)
    with common.database(backend) as url:
        _store(url, seeded)
        env = common.environment(url, shopify_client_secret=SECRET)
        results: dict[str, Any] = {}
        for name, target in (("bare", "bench.bare:app"), ("app", "app.wsgi:app")):
            log = folder / f"{name}.log"
            process, base = _gunicorn(target, env, log)
            try:
                results[name] = _wrk(base, script, folder, seconds, len(bodies), wrap=name == "bare")
                results[f"{name}_rss"] = _workers_rss_mb(process)
            finally:
                _stop(process)
            if "Traceback" in log.read_text():
                raise SystemExit(f"{name} logged a traceback: see {log}")
        twin, drop = _copy_database(backend, url) if backend == "postgresql" else (None, None)
        results["one"] = _apply(url, 1)
        _check(url, bodies)
        if twin is not None:
            results["two"] = _apply(twin, 2)
            _check(twin, bodies)
            drop()
        return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--seed-orders", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=30_000, help="pre-signed deliveries per run")
    parser.add_argument("--backends", nargs="+", default=list(common.BACKENDS))
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is missing: `make bench` installs it (Debian's wrk package)")
    worst = None
    empty: dict[str, float] = {}
    memory: dict[str, tuple[float, float]] = {}
    for backend in args.backends:
        for seeded in (0, args.seed_orders):
            with tempfile.TemporaryDirectory() as folder:
                # placed now: the app runs on the real clock, and a thank-you for an order placed
                # more than its step's lateness ago is skipped, which the check counts as unplanned
                bodies = _bodies(args.requests, datetime.now(UTC).replace(microsecond=0))
                found = _run(backend, seeded, args.seconds, Path(folder), bodies)
            rate, p99, errors = found["app"]
            bare, bare_p99, _ = found["bare"]
            seconds, applied, worker_rss = found["one"]
            line = (
                f"{backend:<10} {seeded:>7} orders in the store: {rate:7.0f}/s ({rate / bare:.2f}x bare "
                f"{bare:.0f}/s), p99 {p99:.1f} ms (bare {bare_p99:.1f}), {errors} non-2xx; worker applied "
                f"{applied / seconds:.0f}/s"
            )
            line += f"; RSS web {found['app_rss']:.0f} MB, worker {worker_rss:.0f} MB"
            if "two" in found:
                two_seconds, two_applied, _ = found["two"]
                two = two_applied / two_seconds
                line += f", two workers {two:.0f}/s ({two / (applied / seconds):.2f}x)"
            if seeded == 0:
                empty[backend] = rate
                memory[backend] = (found["app_rss"], worker_rss)
            else:
                web_before, worker_before = memory[backend]
                line += (
                    f"; {rate / empty[backend]:.2f}x the empty store, RSS"
                    f" {found['app_rss'] / web_before:.2f}x web, {worker_rss / worker_before:.2f}x worker"
                )
            print(line, flush=True)
            if worst is None or rate / bare < worst[1]:
                worst = (rate, rate / bare, p99)
    assert worst is not None  # noqa: S101
    print(f"ingest: {worst[0]:.0f}/s, {worst[1]:.2f}x bare, p99 {worst[2]:.0f} ms")


if __name__ == "__main__":
    main()
