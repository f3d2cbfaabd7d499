"""Dispatch throughput: 1 vs 2 worker processes, on SQLite and PostgreSQL, measured side by side.

    python -m bench.dispatch [--messages 600] [--rounds 3]

Each round prepares a fresh database with N due thank-you notes (orders from the sandbox store,
ingested through the real path), then times worker processes draining it through the outbox channel
(rendering, CSS inlining and MIME included; no network). Rounds are interleaved so machine noise hits
every configuration alike; the figures that matter are the ratios, printed last.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import statistics
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import psycopg
from cryptography.fernet import Fernet

from app import create_app, ingest, services
from app.migrate import upgrade
from app.models import Message, MessageStatus, Store
from bench.common import outbox_journey
from connectors.sandbox import translate
from connectors.sandbox.store import SimulatedStore
from scheduler.jobs import make_dispatcher

POSTGRES = "postgresql://postgres@127.0.0.1:5432/test"
KEY = Fernet.generate_key().decode()


def _settings(url: str, outbox: str) -> dict[str, Any]:
    return {
        "database_url": url,
        "secret_key": "b" * 40,
        "encryption_keys": [KEY],
        "outbox_dir": outbox,
        "dispatch_batch_size": 25,
    }


def _prepare(url: str, outbox: str, messages: int) -> None:
    upgrade(url)
    app = create_app(_settings(url, outbox))
    db = services(app).db
    sandbox = SimulatedStore("bench", "secret", "http://127.0.0.1:1/", seed=42)
    with db.session() as session:
        store = Store(
            platform="sandbox",
            external_id="bench",
            name="Bench Boutique",
            journey=outbox_journey(),
            reply_to="hello@bench.example",
        )
        session.add(store)
        session.flush()
        for _ in range(messages):
            payload = sandbox.new_order(status="paid")
            [snapshot] = translate.translate("order.created", json.dumps(payload).encode())
            ingest.apply_all(session, store, [snapshot])
    db.dispose()


def _work(url: str, outbox: str, name: str, start: Any) -> None:
    app = create_app(_settings(url, outbox))
    dispatcher = make_dispatcher(services(app), name)
    start.wait()
    dispatcher.run_until_idle(max_batches=100_000)
    services(app).db.dispose()


def _drain(url: str, outbox: str, workers: int, messages: int) -> float:
    start = multiprocessing.Event()
    procs = [
        multiprocessing.Process(target=_work, args=(url, outbox, f"w{n}", start)) for n in range(workers)
    ]
    for proc in procs:
        proc.start()
    time.sleep(2.0)  # let every process import and connect before the clock starts
    began = time.perf_counter()
    start.set()
    for proc in procs:
        proc.join()
    elapsed = time.perf_counter() - began
    app = create_app(_settings(url, outbox))
    with services(app).db.session() as session:
        sent = session.query(Message).filter(Message.status == MessageStatus.SENT).count()
    services(app).db.dispose()
    if sent != messages:
        raise SystemExit(f"expected {messages} sent, got {sent}")
    return messages / elapsed


def _round(backend: str, workers: int, messages: int) -> float:
    with tempfile.TemporaryDirectory() as folder:
        outbox = str(Path(folder) / "outbox")
        if backend == "sqlite":
            url = f"sqlite:///{folder}/bench.db"
            _prepare(url, outbox, messages)
            return _drain(url, outbox, workers, messages)
        name = f"aftercare_bench_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(POSTGRES, autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
            try:
                url = POSTGRES.rsplit("/", 1)[0] + "/" + name
                _prepare(url, outbox, messages)
                return _drain(url, outbox, workers, messages)
            finally:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=600)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    configs = [(backend, workers) for backend in ("sqlite", "postgresql") for workers in (1, 2)]
    rates: dict[tuple[str, int], list[float]] = {config: [] for config in configs}
    for round_number in range(args.rounds):
        for config in configs:
            rates[config].append(_round(*config, args.messages))
        print(f"round {round_number + 1}/{args.rounds} done")
    median = {config: statistics.median(values) for config, values in rates.items()}
    print(f"\n{args.messages} due messages, median of {args.rounds} rounds (messages/second):")
    for (backend, workers), rate in median.items():
        print(f"  {backend:<10} {workers} worker(s): {rate:7.1f}")
    print("\nratios:")
    for backend in ("sqlite", "postgresql"):
        print(f"  {backend:<10} 2 workers / 1 worker: {median[(backend, 2)] / median[(backend, 1)]:.2f}x")
    print(f"  postgresql / sqlite, 1 worker:     {median[('postgresql', 1)] / median[('sqlite', 1)]:.2f}x")


if __name__ == "__main__":
    main()
