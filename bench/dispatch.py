"""Dispatch throughput against a real SMTP server on loopback, beside a raw smtplib loop in the same run.

    python -m bench.dispatch [--messages 1000] [--rounds 3] [--backends sqlite postgresql] [--rtt-ms 0]

An aiosmtpd sink runs in a process of its own, offers PIPELINING as the servers stores use do, and
counts what it accepts. For each round and database:
a fresh migrated database holds ``--messages`` due thank-you notes (sandbox orders ingested through the
real path, the store's own SMTP server set to the sink); worker processes (``scheduler.jobs``'s
dispatcher: claim, re-check, render with CSS inlining and MIME, send, record) drain it, timed from a
common start. The baseline is what the wire alone costs: the very bytes the workers sent (kept by the
sink on the first run) sent again by one plain ``smtplib.SMTP`` connection reused for all of them.
One worker on each database, two on PostgreSQL; rounds interleave configurations so the machine's
noise hits all alike; medians are compared. Every run checks that each message was sent once.

With ``--rtt-ms``, workers and the raw loop reach the sink through a proxy that delays each direction
by half that round trip (``bench.latency``), as a store's server across the internet would: there
the number of round trips a message takes (four in smtplib's lock-step, two pipelined) decides the
rate rather than the worker's own work (``--rtt-ms 20 --messages 200`` takes about a minute a round).

Last line: ``dispatch: <r>x raw smtplib, 2 workers <s>x`` (``r`` the slower database's one worker
against raw, ``s`` two PostgreSQL workers against one).
"""

from __future__ import annotations

import argparse
import gc
import json
import multiprocessing
import os
import smtplib
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from app import channel_settings, clock, create_app, ingest, services
from app.models import Message, MessageStatus, Store
from bench import common, latency
from connectors.sandbox import translate
from connectors.sandbox.store import SimulatedStore
from scheduler.jobs import make_dispatcher
from tests.fakes.smtp import offering_pipelining


class _Counting:
    """aiosmtpd handler: counts accepted messages; keeps their bytes while ``keep`` is set."""

    def __init__(self, count: Any, keep: Any, folder: str) -> None:
        self.count, self.keep, self.folder = count, keep, folder

    async def handle_EHLO(  # noqa: N802
        self, server: Any, session: Any, envelope: Any, hostname: str, responses: list[str]
    ) -> list[str]:
        session.host_name = hostname
        return offering_pipelining(responses)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        with self.count.get_lock():
            self.count.value += 1
            number = self.count.value
        if self.keep.value:
            content = envelope.original_content or envelope.content
            Path(self.folder, f"{number:07d}.eml").write_bytes(content)
            Path(self.folder, f"{number:07d}.rcpt").write_text(
                json.dumps([envelope.mail_from, list(envelope.rcpt_tos)])
            )
        return "250 Message accepted"


def _sink(port: int, count: Any, keep: Any, folder: str, ready: Any, far: tuple[int, float] | None) -> None:
    """The sink on ``port``; with ``far`` (a port and a round trip in seconds), also behind a proxy
    with that latency on that port."""
    from aiosmtpd.controller import Controller

    controller = Controller(_Counting(count, keep, folder), hostname="127.0.0.1", port=port)
    controller.start()
    if far is not None:
        latency.start(far[0], port, far[1])
    ready.set()
    try:
        while True:
            time.sleep(3600)
    finally:
        controller.stop()


def _prepare(url: str, messages: int, port: int) -> None:
    app = create_app(common.settings(url, dispatch_batch_size=50))
    db = services(app).db
    sandbox = SimulatedStore("bench", "secret", "http://127.0.0.1:1/", seed=42)
    with db.session() as session:
        store = Store(
            platform="sandbox",
            external_id="bench",
            name="Bench Boutique",
            reply_to="hello@bench.example",
            plan="scale",  # the Free plan's 300 a month would stop the run with an alert
        )
        session.add(store)
        session.flush()
        own = {"from_email": "hello@bench.example", "host": "127.0.0.1", "port": port, "security": "none"}
        channel_settings.save_values(session, store, "smtp", own)
        snapshots = []
        for _ in range(messages):
            payload = sandbox.new_order(status="paid")
            snapshots.extend(translate.translate("order.created", json.dumps(payload).encode()))
        ingest.apply_all(session, store, snapshots)
    with db.session() as session:
        due = session.scalar(
            select(func.count()).where(
                Message.status == MessageStatus.SCHEDULED, Message.send_at <= clock.now()
            )
        )
    db.dispose()
    if due != messages:
        raise SystemExit(f"expected {messages} due thank-you notes, found {due}")


def _work(url: str, name: str, start: Any) -> None:
    app = create_app(common.settings(url, dispatch_batch_size=50))
    dispatcher = make_dispatcher(services(app), name)
    gc.freeze()  # as the worker's own main does (``scheduler.__main__``)
    start.wait()
    dispatcher.run_until_idle(max_batches=100_000)
    services(app).db.dispose()


def _drain(url: str, workers: int, messages: int, count: Any) -> float:
    """Messages per second for ``workers`` processes to send every due message, checked."""
    start = multiprocessing.Event()
    procs = [multiprocessing.Process(target=_work, args=(url, f"w{n}", start)) for n in range(workers)]
    for proc in procs:
        proc.start()
    time.sleep(3.0)  # every process imported and connected before the clock starts
    before = count.value
    began = time.perf_counter()
    start.set()
    for proc in procs:
        proc.join()
    elapsed = time.perf_counter() - began
    app = create_app(common.settings(url))
    with services(app).db.session() as session:
        sent = session.scalar(select(func.count()).where(Message.status == MessageStatus.SENT))
    services(app).db.dispose()
    if sent != messages or count.value - before != messages:
        raise SystemExit(
            f"expected {messages} sent once each: {sent} recorded, {count.value - before} received"
        )
    return messages / elapsed


def _raw(port: int, folder: str, count: Any) -> float:
    """The same bytes over one reused plain smtplib connection."""
    names = sorted(name for name in os.listdir(folder) if name.endswith(".eml"))
    mails = []
    for name in names:
        sender, recipients = json.loads(Path(folder, name.replace(".eml", ".rcpt")).read_text())
        mails.append((sender, recipients, Path(folder, name).read_bytes()))
    before = count.value
    began = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", port) as server:
        for sender, recipients, content in mails:
            server.sendmail(sender, recipients, content)
    elapsed = time.perf_counter() - began
    if count.value - before != len(mails):
        raise SystemExit("the sink did not receive every raw message")
    return len(mails) / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--backends", nargs="+", default=list(common.BACKENDS))
    parser.add_argument("--rtt-ms", type=float, default=0.0, help="round trip to the SMTP server")
    args = parser.parse_args()
    sink_port = common.free_port()
    far = (common.free_port(), args.rtt_ms / 1000) if args.rtt_ms > 0 else None
    port = far[0] if far is not None else sink_port  # where the workers and the raw loop send
    count, keep = multiprocessing.Value("i", 0), multiprocessing.Value("b", 1)
    ready = multiprocessing.Event()
    with tempfile.TemporaryDirectory() as kept:
        sink = multiprocessing.Process(
            target=_sink, args=(sink_port, count, keep, kept, ready, far), daemon=True
        )
        sink.start()
        if not ready.wait(30):
            raise SystemExit("the SMTP sink did not start")
        configs = [(backend, 1) for backend in args.backends]
        if "postgresql" in args.backends:
            configs.append(("postgresql", 2))
        rates: dict[str, list[float]] = {"raw": []}
        rates.update({f"{backend} x{workers}": [] for backend, workers in configs})
        try:
            for number in range(args.rounds):
                for backend, workers in configs:
                    with common.database(backend) as url:
                        _prepare(url, args.messages, port)
                        rate = _drain(url, workers, args.messages, count)
                    keep.value = 0  # the first run's bytes are the raw loop's messages
                    rates[f"{backend} x{workers}"].append(rate)
                    print(f"round {number + 1}: {backend}, {workers} worker(s): {rate:.0f}/s", flush=True)
                rates["raw"].append(_raw(port, kept, count))
                print(f"round {number + 1}: raw smtplib: {rates['raw'][-1]:.0f}/s", flush=True)
        finally:
            sink.terminate()
    median = {name: statistics.median(values) for name, values in rates.items()}
    raw = median["raw"]
    over = f", {args.rtt_ms:g} ms from the SMTP server" if far is not None else ""
    print(f"\n{args.messages} due messages{over}, median of {args.rounds} rounds (messages/second):")
    for name, rate in median.items():
        print(f"  {name:<16} {rate:7.0f}/s  {rate / raw:.2f}x raw")
    slowest = min(median[f"{backend} x1"] for backend in args.backends)
    two = (
        f", 2 workers {median['postgresql x2'] / median['postgresql x1']:.2f}x"
        if "postgresql" in args.backends
        else ""
    )
    print(f"dispatch: {slowest / raw:.2f}x raw smtplib{two}")


if __name__ == "__main__":
    main()
