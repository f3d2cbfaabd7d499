"""Four worker processes on PostgreSQL, one killed mid-batch: every due message is sent exactly once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter

import pytest
from sqlalchemy import func, select

from app import create_app, ingest, services
from app.models import Message, Store
from tests.conftest import ENCRYPTION_KEY, SECRET_KEY, settings_for
from tests.helpers import make_store, order_snapshot

pytestmark = pytest.mark.processes
DUE = 400
LEASE_SECONDS = 10
STALLED_SECONDS = 120  # longer than a lease: the victim's claims come back after LEASE_SECONDS


def _worker(url: str, tmp_path, batch: int) -> subprocess.Popen:
    env = {
        **os.environ,
        "AFTERCARE_CONFIG": str(tmp_path / "none.toml"),
        "AFTERCARE_DATABASE_URL": url,
        "AFTERCARE_SECRET_KEY": SECRET_KEY,
        "AFTERCARE_ENCRYPTION_KEYS": ENCRYPTION_KEY,
        "AFTERCARE_DISPATCH_INTERVAL_SECONDS": "0.2",
        "AFTERCARE_DISPATCH_BATCH_SIZE": str(batch),
        "AFTERCARE_DISPATCH_LEASE_SECONDS": str(LEASE_SECONDS),
    }
    return subprocess.Popen(
        [sys.executable, "-m", "scheduler"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )


def test_four_workers_one_killed_mid_batch_send_everything_exactly_once(fresh_postgres, smtp, tmp_path):
    app = create_app(settings_for(fresh_postgres, tmp_path))
    aftercare = services(app)
    store = make_store(aftercare, smtp_port=smtp.port, plan="scale")  # over the Free plan's 300
    with aftercare.db.session() as session:
        store_row = session.get(Store, store.id)
        for n in range(DUE):
            ingest.apply_all(
                session,
                store_row,
                [order_snapshot(str(n), email=f"c{n}@example.test", items=1, accepts_marketing=False)],
            )

    smtp.hold_after = 10  # the victim sends ten, then stalls in the middle of its batch
    victim = _worker(fresh_postgres, tmp_path, batch=50)
    others: list[subprocess.Popen] = []
    try:
        assert smtp.holding.wait(timeout=300), "the first worker never reached the stall"
        others = [_worker(fresh_postgres, tmp_path, batch=20) for _ in range(3)]
        time.sleep(1.0)  # the others are claiming and sending while the victim hangs
        victim.send_signal(signal.SIGKILL)
        victim.wait(timeout=10)
        smtp.released.set()  # the stalled conversation ends on a dead socket: that message was never sent

        # However busy the machine: wait while the workers make progress, give up only when they stop.
        sent, progressed = 0, time.monotonic()
        while time.monotonic() - progressed < STALLED_SECONDS:
            with aftercare.db.session() as session:
                now_sent = session.scalar(
                    select(func.count()).select_from(Message).where(Message.status == "sent")
                )
            if now_sent != sent:
                sent, progressed = now_sent, time.monotonic()
            if sent == DUE:
                break
            time.sleep(0.5)
    finally:
        for process in others:
            process.send_signal(signal.SIGTERM)
        for process in [*others, victim]:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()  # reaped: an unreaped child fails the test with a ResourceWarning

    received = Counter(mail.message["X-Aftercare-Message"] for mail in smtp.wait_for(DUE, timeout=60))
    assert sent == DUE
    assert len(received) == DUE and set(received.values()) == {1}  # nothing lost, nothing twice
    with aftercare.db.session() as session:
        by_victim = session.scalar(
            select(func.count()).select_from(Message).where(Message.claimed_by.like(f"%:{victim.pid}:%"))
        )
        workers = session.scalar(select(func.count(func.distinct(Message.claimed_by))))
    # the victim recorded the ten it sent before it stalled; its forty other claims (and the one in
    # flight) went to the others once their lease ran out
    assert by_victim == 10
    aftercare.db.dispose()
    assert workers == 4  # the victim's ten sent before it died, and the three survivors
