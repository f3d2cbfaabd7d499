"""Per-store leases for periodic jobs, held in the database.

Any number of workers run the same periodic jobs; for each (job, store) only the worker holding the
lease does the work. A lease is taken by inserting its row, or by taking over a row whose time ran
out; both are single statements, so two workers racing for one lease cannot both win. A worker that
dies simply stops renewing, and the lease passes on when it expires.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import or_, update

from app import clock
from app.db import Database, insert_ignore
from app.models import JobLease


def acquire(db: Database, job: str, store_id: int, holder: str, ttl: timedelta) -> bool:
    """True when ``holder`` now holds the lease (new, expired and taken over, or renewed)."""
    now = clock.now()
    with db.session() as session:
        values = {"job": job, "store_id": store_id, "holder": holder, "lease_until": now + ttl}
        if insert_ignore(session, JobLease, values):
            return True
        taken = session.execute(
            update(JobLease)
            .where(
                JobLease.job == job,
                JobLease.store_id == store_id,
                or_(JobLease.lease_until <= now, JobLease.holder == holder),
            )
            .values(holder=holder, lease_until=now + ttl)
            .returning(JobLease.job)
        ).first()
        return taken is not None


def release(db: Database, job: str, store_id: int, holder: str) -> None:
    """Give the lease up early (the job finished), so the next run need not wait for it to expire."""
    with db.session() as session:
        session.execute(
            update(JobLease)
            .where(JobLease.job == job, JobLease.store_id == store_id, JobLease.holder == holder)
            .values(lease_until=clock.now())
        )
