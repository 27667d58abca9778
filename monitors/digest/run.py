"""The digest's I/O: read what a period needs from storage and compose it; decide and enqueue due digests.

Exactly once: a due digest is a (job, period) row in job_run inserted in the same transaction as its outbox rows,
so several workers and restarts can only ever enqueue it once. A digest whose time passed while Earful was not
running is sent when it comes back, marked late; only the most recent one is owed (nobody wants a week of
digests at once), and none from before the first time this Earful saw the schedule.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlmodel import Session

from monitors.config import Config
from monitors.digest.compose import Digest, Inputs, compose
from monitors.digest.period import LATE_AFTER, Due, Period, Plan, day_bounds, latest_due, weekday_number
from storage import digest_queries as q
from storage.jobs import claim_job, job_started
from storage.ops import given_up
from storage.outbox import enqueue

NEGATIVE_POSTS = 5
WAITING_LISTED = 5
FIRST_SEEN = "first-seen"  # job_run period that records when a digest schedule was first seen


class UnknownBrand(ValueError):
    def __init__(self, name: str, known: list[str]):
        super().__init__(f"there is no brand {name!r}; the brands are: {', '.join(sorted(known)) or 'none yet'}")


def gather(*, session: Session, period: Period, now: datetime, focus: str | None = None, late: bool = False,
           scheduled_at: datetime | None = None) -> Digest:
    """Read everything the digest for `period` needs and compose it. `focus` narrows it to one brand (and the
    competitors it is compared with)."""
    brands = q.digest_brands(session=session)
    if focus is not None:
        match = [b for b in brands if b.name.lower() == focus.strip().lower()]
        if not match:
            raise UnknownBrand(focus, [b.name for b in brands])
        focus = match[0].name
        scope = [match[0].id]
    else:
        scope = [b.id for b in brands if not b.competitor] or [b.id for b in brands]
    first_day, days = period.window_days()
    start, end = period.start, period.end
    waiting_total, waiting = q.waiting_cases(session=session, brand_ids=scope, at=min(end, now),
                                             limit=WAITING_LISTED)
    undelivered = given_up(session=session, since=start, until=end, limit=1)
    inputs = Inputs(
        period=period, brands=brands, scope=scope, first_day=first_day,
        counts=q.mention_counts(session=session, brand_ids=[b.id for b in brands],
                                bounds=day_bounds(first_day, days, period.zone)),
        cases=q.period_cases(session=session, brand_ids=scope, start=period.shifted(-1).start, end=end),
        waiting_total=waiting_total, waiting=waiting,
        agents=q.agent_actions(session=session, brand_ids=scope, start=start, end=end),
        negative_posts=q.negative_posts(session=session, brand_ids=scope, start=start, end=end,
                                        limit=NEGATIVE_POSTS),
        negative_sources=q.negative_sources(session=session, brand_ids=scope, start=start, end=end),
        negative_texts=q.negative_texts(session=session, brand_ids=scope, start=start, end=end),
        spikes=q.spikes(session=session, brand_ids=scope, start=start, end=end),
        sources=q.source_rows(session=session, start=start, end=end),
        given_up=undelivered.count, given_up_error=(undelivered.latest[0][2] or "") if undelivered.latest else "",
    )
    return compose(inputs, now=now, late=late, scheduled_at=scheduled_at, focus=focus)


# -- schedule ---------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Schedule:
    plan: Plan
    audience: str  # a channel (name or id) or a user id for a direct message

    @property
    def job(self) -> str:
        return f"digest-{self.plan.kind}:{self.audience}"


def schedules(config: Config) -> list[Schedule]:
    """Every (plan, audience) the config asks for."""
    zone, at = config.schedule.timezone, config.schedule.digest_time
    plans = []
    if config.schedule.daily_digest:
        plans.append(Plan(at=at, zone=zone))
    if config.schedule.weekly_digest_day:
        plans.append(Plan(at=at, zone=zone, weekday=weekday_number(config.schedule.weekly_digest_day)))
    return [Schedule(plan, audience) for plan in plans for audience in audiences(config)]


def audiences(config: Config) -> list[str]:
    slack = config.slack
    found = [slack.digest_channel] if slack.digest_channel else []
    for entry in slack.digest_dms:
        found.extend(slack.managers if entry == "managers" else [entry])
    return list(dict.fromkeys(found))


def payload(due: Due, *, late: bool) -> dict[str, Any]:
    period = due.period
    return {"first_day": period.first_day.isoformat(), "days": period.days, "zone": period.zone, "late": late,
            "scheduled_at": due.scheduled_at.isoformat()}


def period_of(data: dict[str, Any]) -> Period:
    return Period(date.fromisoformat(data["first_day"]), int(data["days"]), data["zone"])


def enqueue_due(*, session: Session, schedules: list[Schedule], now: datetime, owner: str) -> list[str]:
    """Enqueue each digest that is due and not yet taken; returns the outbox keys of the digests enqueued.
    Commit with the session: the job_run row and the outbox rows go together."""
    enqueued = []
    for schedule in schedules:
        claim_job(session=session, job=schedule.job, period=FIRST_SEEN, owner=owner, now=now)
        first_seen = job_started(session=session, job=schedule.job, period=FIRST_SEEN)
        due = latest_due(schedule.plan, now)
        if first_seen is not None and due.scheduled_at < first_seen - LATE_AFTER:
            continue  # due well before this schedule existed: not missed, just not owed
        if not claim_job(session=session, job=schedule.job, period=due.period.key, owner=owner, now=now):
            continue
        key = f"digest:{schedule.job}:{due.period.key}"
        data = payload(due, late=due.late(now))
        enqueue(session=session, kind="digest", dedupe_key=key, payload=data, channel=schedule.audience, now=now)
        enqueue(session=session, kind="digest_chart", dedupe_key=f"digest-chart:{schedule.job}:{due.period.key}",
                payload={**data, "digest_key": key}, channel=schedule.audience, now=now)
        enqueued.append(key)
    return enqueued
