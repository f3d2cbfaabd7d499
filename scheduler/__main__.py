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
    periodic = [  # (id, function, arguments, every so many seconds)
        ("dispatch", jobs.dispatch, [dispatcher], settings.dispatch_interval_seconds),
        ("replan", jobs.replan_stores, [aftercare, worker_id], settings.replan_interval_seconds),
        ("settings", jobs.settings_replans, [aftercare, worker_id], settings.dispatch_interval_seconds),
        ("inbox", jobs.process_inbox, [aftercare], settings.inbox_interval_seconds),
        ("reconcile", jobs.reconcile_stores, [aftercare, worker_id], settings.reconcile_interval_seconds),
        ("webhooks", jobs.check_webhooks, [aftercare, worker_id], settings.webhook_check_interval_seconds),
        (
            "recommend",
            jobs.build_recommendations,
            [aftercare, worker_id],
            settings.recommend_interval_seconds,
        ),
        ("tracking", jobs.follow_tracking, [aftercare, worker_id], settings.tracking_interval_seconds),
        ("consent", jobs.write_back_consent, [aftercare, worker_id], settings.reconcile_interval_seconds),
        (
            "whatsapp_templates",
            jobs.sync_whatsapp_templates,
            [aftercare, worker_id],
            settings.whatsapp_template_interval_seconds,
        ),
        ("reviews", jobs.publish_reviews, [aftercare], settings.dispatch_interval_seconds),
        ("store-reviews", jobs.import_reviews, [aftercare, worker_id], settings.reconcile_interval_seconds),
        ("billing", jobs.end_departed_plans, [aftercare, worker_id], settings.reconcile_interval_seconds),
    ]
    for job_id, function, arguments, seconds in periodic:
        # One run of a job at a time per process; a run missed while busy is not made up twice.
        scheduler.add_job(
            function,
            "interval",
            args=arguments,
            seconds=seconds,
            id=job_id,
            max_instances=1,
            coalesce=True,
            misfire_grace_time=None,
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
