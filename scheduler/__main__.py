"""The worker process: ``python -m scheduler``.

Runs APScheduler in the foreground with the jobs from ``scheduler.jobs``. Any number of these can run
against PostgreSQL: dispatch claims rows with SKIP LOCKED, so workers never send the same message.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import sys
import uuid
from types import FrameType

from apscheduler.schedulers.blocking import BlockingScheduler

from app import create_app, services
from app.config import ConfigError
from scheduler import jobs

log = logging.getLogger("aftercare.scheduler")


def main() -> int:
    try:
        app = create_app()
    except ConfigError as exc:
        print(f"aftercare worker: {exc}", file=sys.stderr)  # noqa: T201 - the one line a user must see
        return 2
    aftercare = services(app)
    worker_id = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
    dispatcher = jobs.make_dispatcher(aftercare, worker_id)
    settings = aftercare.settings

    scheduler = BlockingScheduler(timezone="UTC")
    common = {"max_instances": 1, "coalesce": True, "misfire_grace_time": None}
    scheduler.add_job(
        jobs.dispatch,
        "interval",
        args=[dispatcher],
        seconds=settings.dispatch_interval_seconds,
        id="dispatch",
        **common,
    )
    scheduler.add_job(
        jobs.replan_stores,
        "interval",
        args=[aftercare, worker_id],
        seconds=settings.replan_interval_seconds,
        id="replan",
        **common,
    )
    scheduler.add_job(
        jobs.retry_inbox,
        "interval",
        args=[aftercare],
        seconds=settings.inbox_retry_interval_seconds,
        id="inbox",
        **common,
    )

    def stop(signum: int, _frame: FrameType | None) -> None:
        log.info("worker %s stopping (signal %d)", worker_id, signum)
        scheduler.shutdown(wait=True)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    log.info("worker %s started: dispatch every %ss", worker_id, settings.dispatch_interval_seconds)
    scheduler.start()
    return 0


if __name__ == "__main__":
    sys.exit(main())
