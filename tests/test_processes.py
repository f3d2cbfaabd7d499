"""The worker process as deployed: ``python -m scheduler`` sends due mail and stops cleanly."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import text

from app import clock, create_app, services
from app.migrate import upgrade
from app.models import Message
from tests.conftest import ENCRYPTION_KEY, SECRET_KEY, settings_for
from tests.helpers import count, ingest_order, make_store, order_snapshot


def _worker_env(database_url: str, tmp_path: Path, **settings: str) -> dict[str, str]:
    """The environment of a ``python -m scheduler`` on the test's database, with ``settings`` as
    ``AFTERCARE_*`` variables (``dispatch_interval_seconds="0.2"``), and no developer's config file."""
    return {
        **os.environ,
        "AFTERCARE_DATABASE_URL": database_url,
        "AFTERCARE_SECRET_KEY": SECRET_KEY,
        "AFTERCARE_ENCRYPTION_KEYS": ENCRYPTION_KEY,
        "AFTERCARE_CONFIG": str(tmp_path / "none.toml"),
        **{f"AFTERCARE_{name.upper()}": value for name, value in settings.items()},
    }


@pytest.mark.processes
def test_worker_process_sends_due_mail_and_stops_on_sigterm(aftercare, smtp, database_url, tmp_path):
    store = make_store(aftercare, smtp_port=smtp.port)
    ingest_order(aftercare, store, order_snapshot("77", first_name="Nasrin", placed_at=clock.now()))
    env = _worker_env(database_url, tmp_path, dispatch_interval_seconds="0.2")
    worker = subprocess.Popen(
        [sys.executable, "-m", "scheduler"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        [mail] = smtp.wait_for(1, timeout=180)  # a worker that starts on a busy machine
        assert mail.message["Subject"] == "Thank you for your order #77, Nasrin"
        deadline = time.monotonic() + 60
        while count(aftercare, Message, status="sent") != 1 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert count(aftercare, Message, status="sent") == 1
    finally:
        worker.send_signal(signal.SIGTERM)
        output, _ = worker.communicate(timeout=30)
    assert worker.returncode == 0, output
    assert "stopping" in output


def test_sqlite_runs_in_wal_mode_with_foreign_keys(tmp_path):
    """The embedded default: readers never block the writer, and foreign keys are enforced."""
    url = f"sqlite:///{tmp_path / 'wal.db'}"
    upgrade(url)
    app = create_app(settings_for(url, tmp_path))
    try:
        with services(app).db.engine.connect() as connection:
            assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
    finally:
        services(app).db.dispose()


def _blocks(task_status: str, signum: int) -> bool:
    """Whether a thread's ``/proc/<pid>/task/<tid>/status`` says it blocks ``signum``."""
    mask = next(line for line in task_status.splitlines() if line.startswith("SigBlk:")).split()[1]
    return bool(int(mask, 16) >> (signum - 1) & 1)


@pytest.mark.processes
@pytest.mark.any_database
def test_no_thread_of_a_running_worker_can_take_its_stop_signal(database_url, tmp_path):
    """A stop signal is taken only by the main thread's ``sigwait``: a thread that did not block it (as
    OpenBLAS's, started by importing numpy, once did) takes a SIGTERM that arrives while the main
    thread is elsewhere, and the worker dies of it mid-job. Every thread of a running worker blocks it."""
    env = _worker_env(database_url, tmp_path)
    log = tmp_path / "worker.log"
    with log.open("w") as output:
        worker = subprocess.Popen([sys.executable, "-m", "scheduler"], env=env, stdout=output, stderr=output)
    try:
        while "started" not in log.read_text() and worker.poll() is None:
            time.sleep(0.05)
        threads = {}
        # All but the main thread, whose mask shows the signals open while it waits in sigwait for them.
        for task in sorted(Path(f"/proc/{worker.pid}/task").iterdir()):
            if task.name != str(worker.pid):
                with contextlib.suppress(FileNotFoundError):  # a thread that ended meanwhile
                    threads[task.name] = (task / "status").read_text()
        assert threads  # the scheduler's own threads, and numpy's
        for stop in (signal.SIGTERM, signal.SIGINT):
            open_to_it = [tid for tid, status in threads.items() if not _blocks(status, stop)]
            assert open_to_it == [], f"threads {open_to_it} of the worker could take its {stop.name}"
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(timeout=60) == 0, log.read_text()[-2000:]
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()


@pytest.mark.processes
@pytest.mark.any_database
def test_busy_workers_each_stopped_at_a_different_moment_all_stop_cleanly(database_url, tmp_path):
    """A stop signal can arrive while the scheduler's loop holds one of its locks (the worker's old
    signal handler then deadlocked and the worker ignored SIGTERM until killed: 5 of 60 stops of a
    scheduler running jobs every 2 ms). Workers running their jobs every few milliseconds, each stopped
    at another moment of its loop, all stop and exit 0."""
    env = _worker_env(
        database_url, tmp_path, dispatch_interval_seconds="0.002", inbox_interval_seconds="0.002"
    )
    logs = [tmp_path / f"worker-{n}.log" for n in range(8)]
    workers = []
    for log in logs:
        with log.open("w") as output:  # a file, not a pipe: a full pipe would stop the worker itself
            workers.append(
                subprocess.Popen([sys.executable, "-m", "scheduler"], env=env, stdout=output, stderr=output)
            )
    try:
        for n, (worker, log) in enumerate(zip(workers, logs, strict=True)):
            while "started" not in log.read_text() and worker.poll() is None:
                time.sleep(0.05)
            time.sleep(0.013 * n)  # somewhere else in the loop each time
            worker.send_signal(signal.SIGTERM)
        for worker in workers:
            worker.wait(timeout=60)  # a clean stop takes well under a second; a deadlock, for ever
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
                worker.wait()
    for worker, log in zip(workers, logs, strict=True):
        assert worker.returncode == 0, log.read_text()[-2000:]
        assert "stopping (signal 15)" in log.read_text()
