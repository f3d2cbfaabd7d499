"""The periodic jobs the worker runs. Each is a plain function of the app's services."""

from __future__ import annotations

import logging

from app import Services, inbox
from app.links import Links
from scheduler.channels import build as build_channels
from scheduler.dispatch import Dispatcher, Outcome

log = logging.getLogger(__name__)


def make_dispatcher(services: Services, worker_id: str) -> Dispatcher:
    settings = services.settings
    return Dispatcher(
        services.db,
        build_channels(settings),
        worker_id,
        Links(settings),
        batch_size=settings.dispatch_batch_size,
        lease_seconds=settings.dispatch_lease_seconds,
        max_attempts=settings.dispatch_max_attempts,
    )


def dispatch(dispatcher: Dispatcher) -> None:
    """Send everything that is due."""
    outcomes = dispatcher.run_until_idle()
    if outcomes:
        log.info(
            "dispatch: %s", ", ".join(f"{count} {outcome}" for outcome, count in sorted(outcomes.items()))
        )
    if outcomes.get(Outcome.LOST_LEASE):
        log.warning("dispatch: %d leases expired before the send was recorded", outcomes[Outcome.LOST_LEASE])


def retry_inbox(services: Services) -> None:
    """Process webhooks whose first processing failed."""
    done = inbox.process_pending(services.db, services.connectors)
    if done:
        log.info("inbox: processed %d delayed deliveries", done)
