"""The worker process: ``python -m scheduler``.

Runs APScheduler with the jobs from ``scheduler.jobs``. Any number of these can run against
PostgreSQL: dispatch claims rows with SKIP LOCKED, so workers never send the same message.

SIGTERM and SIGINT are taken synchronously: blocked in every thread before any starts, and received by
the main thread with ``signal.sigwait``, which then stops the scheduler and waits for the running jobs.
No Python signal handler runs. A handler runs between two bytecodes of the main thread, whatever locks
that thread holds; one that stopped the scheduler itself (as this worker's did) deadlocked whenever the
signal arrived while the scheduler's loop held the thread pool's or its own event's lock, and the
worker then ignored SIGTERM until killed (5 of 60 stops of a scheduler running thirteen jobs every 2 ms).

The app is imported only once the signals are blocked: importing numpy (the recommendations' model)
starts OpenBLAS's threads, and a thread started before the mask would take a SIGTERM that reached the
process while the main thread was not yet in ``sigwait``, with the default action: the worker killed
mid-job (exit -15). One make test in three with the other core busy lost a worker that way.
"""

from __future__ import annotations

import gc
import logging
import os
import signal
import socket
import sys
import uuid
from typing import TYPE_CHECKING

from apscheduler.schedulers.background import BackgroundScheduler

if TYPE_CHECKING:
    from app import Services
    from scheduler.dispatch import Dispatcher

log = logging.getLogger("aftercare.scheduler")


STOP_SIGNALS = {signal.SIGTERM, signal.SIGINT}


def build() -> tuple[Services, str, Dispatcher]:
    """The worker's services, its id (host, process, a random part: unique among workers) and its
    dispatcher. Everything allocated so far lives as long as the process, so it is then moved out of
    the collector's sight, as in the web (``app.wsgi``): each full collection walked all of it, a
    pause of 140-190 ms about every thousand messages a worker sends (``bench.dispatch``)."""
    from app import create_app, services  # noqa: PLC0415 - after main's mask
    from scheduler import jobs  # noqa: PLC0415

    aftercare = services(create_app())
    worker_id = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
    dispatcher = jobs.make_dispatcher(aftercare, worker_id)
    gc.freeze()
    return aftercare, worker_id, dispatcher


def main() -> int:
    # before any thread exists, so that every thread inherits the mask and only sigwait takes them
    signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
    from app.config import ConfigError  # noqa: PLC0415 - after the mask: see the module's docstring
    from scheduler import jobs  # noqa: PLC0415

    try:
        aftercare, worker_id, dispatcher = build()
    except ConfigError as exc:
        print(f"aftercare worker: {exc}", file=sys.stderr)  # noqa: T201 - the one line a user must see
        return 2
    settings = aftercare.settings

    scheduler = BackgroundScheduler(timezone="UTC")
    periodic = [  # (id, function, arguments, every so many seconds)
        ("dispatch", jobs.dispatch, [dispatcher], settings.dispatch_interval_seconds),
        ("replan", jobs.replan_stores, [aftercare, worker_id], settings.replan_interval_seconds),
        ("settings", jobs.settings_replans, [aftercare, worker_id], settings.dispatch_interval_seconds),
        ("inbox", jobs.process_inbox, [aftercare], settings.inbox_interval_seconds),
        ("inbox-prune", jobs.prune_inbox, [aftercare], 3600.0),
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

    scheduler.start()
    log.info("worker %s started: dispatch every %ss", worker_id, settings.dispatch_interval_seconds)
    signum = signal.sigwait(STOP_SIGNALS)
    log.info("worker %s stopping (signal %d)", worker_id, signum)
    scheduler.shutdown(wait=True)  # the jobs running now finish; a claimed batch is recorded
    return 0


if __name__ == "__main__":
    sys.exit(main())
