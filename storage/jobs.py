"""Singleton jobs: a (job, period) row in job_run is taken by exactly one worker, once, ever.

The caller inserts the row in the same transaction as the work it guards (e.g. the outbox row of a digest), so a
worker that dies before committing leaves neither, and a second worker's insert finds the row and does nothing.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, select

from storage.models import JobRun
from storage.upsert import insert_ignore


def claim_job(*, session: Session, job: str, period: str, owner: str, now: datetime) -> bool:
    """True when this call took (job, period); False when someone (or an earlier run) already had it."""
    row = {"job": job, "period": period, "owner": owner, "started_at": now, "finished_at": now}
    return insert_ignore(session, JobRun, [row], keys=["job", "period"]) == 1


def job_started(*, session: Session, job: str, period: str) -> datetime | None:
    """When (job, period) was taken, or None."""
    return session.exec(
        select(JobRun.started_at).where(JobRun.job == job, JobRun.period == period)
    ).first()

