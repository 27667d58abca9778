"""Spike alerts in the database: negative mentions per bucket, which buckets a brand has had judged, and the
alerts themselves with the changes people make to them.

A bucket is judged once, ever, across workers: the check claims a job_run row per (brand, bucket) in the same
transaction as the alert changes it makes, so a second worker (or a restarted one) that reaches the same bucket
finds the claim and rolls back.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import sqlalchemy as sa
from sqlmodel import Session, col, select

from storage.models import Brand, JobRun, Mention, MentionBrand, SpikeAlert
from storage.upsert import insert_ignore

LIVE = ("open", "acknowledged", "muted")  # an alert in one of these still stands (and folds complaint cards)
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def check_job(brand_id: int) -> str:
    return f"spike-check:{brand_id}"


def bucket_key(at: datetime) -> str:
    """A bucket's start as a job_run period; one fixed format, so the text order is the time order."""
    return at.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def own_brands(*, session: Session) -> list[tuple[int, str]]:
    """(id, name) of the brands whose spikes matter (competitors' do not)."""
    own = select(Brand.id, Brand.name).where(Brand.competitor == False).order_by(col(Brand.id))  # noqa: E712
    rows = session.exec(own)
    return [(brand_id, name) for brand_id, name in rows.all()]


def brand_id_by_name(*, session: Session, name: str) -> int | None:
    return session.exec(select(Brand.id).where(Brand.name == name)).first()


def _bucket_number(session: Session, step_seconds: int):
    """SQL for the bucket a mention falls in: whole steps since 1970 (published_at is stored as naive UTC)."""
    published = col(MentionBrand.published_at)
    if session.get_bind().dialect.name == "postgresql":
        seconds = sa.extract("epoch", published)
    else:
        seconds = sa.cast(sa.func.strftime("%s", published), sa.Integer)
    return sa.func.floor(seconds / step_seconds)


def negative_counts(*, session: Session, brand_id: int, start: datetime, end: datetime, step: timedelta
                    ) -> dict[datetime, int]:
    """Negative mentions of a brand per bucket start, for buckets in [start, end); empty buckets are left out.

    One GROUP BY over the (brand, published) index; 14 days of 5-minute buckets is a few thousand rows at most."""
    step_seconds = int(step.total_seconds())
    bucket = _bucket_number(session, step_seconds).label("bucket")
    rows = session.exec(
        select(bucket, sa.func.count())
        .where(MentionBrand.brand_id == brand_id, MentionBrand.negative == True,  # noqa: E712
               col(MentionBrand.published_at) >= start, col(MentionBrand.published_at) < end)
        .group_by(bucket)
    ).all()
    return {_EPOCH + timedelta(seconds=int(number) * step_seconds): int(count) for number, count in rows}


def first_mention_at(*, session: Session, brand_id: int, since: datetime) -> datetime | None:
    """The brand's earliest mention at or after `since`: history before it is not zeros, it is unwatched."""
    return session.exec(
        select(sa.func.min(MentionBrand.published_at))
        .where(MentionBrand.brand_id == brand_id, col(MentionBrand.published_at) >= since)
    ).first()


def last_judged(*, session: Session, brand_id: int) -> datetime | None:
    """The start of the newest bucket judged for the brand, or None before its first check."""
    period = session.exec(select(sa.func.max(JobRun.period)).where(JobRun.job == check_job(brand_id))).first()
    if not period:
        return None
    return datetime.strptime(period, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)


def claim_buckets(*, session: Session, brand_id: int, buckets: list[datetime], owner: str, now: datetime) -> bool:
    """Take every bucket for judging; False when any was taken already (the caller must roll back)."""
    job = check_job(brand_id)
    rows = [{"job": job, "period": bucket_key(b), "owner": owner, "started_at": now, "finished_at": now}
            for b in buckets]
    return insert_ignore(session, JobRun, rows, keys=["job", "period"]) == len(rows)


def prune_claims(*, session: Session, brand_id: int, before: datetime) -> None:
    """Only the newest claim is ever read; older ones just have to outlive any worker still working on them."""
    session.execute(sa.delete(JobRun).where(JobRun.job == check_job(brand_id),
                                            col(JobRun.period) < bucket_key(before)))


def live_alert(*, session: Session, brand_id: int) -> SpikeAlert | None:
    """The brand's standing alert, if any (there is at most one: a new one opens only when none stands)."""
    return session.exec(
        select(SpikeAlert).where(SpikeAlert.brand_id == brand_id, col(SpikeAlert.status).in_(LIVE))
        .order_by(col(SpikeAlert.id).desc()).with_for_update()  # a click in between must not be overwritten
    ).first()


def get_alert(*, session: Session, alert_id: int) -> SpikeAlert | None:
    return session.get(SpikeAlert, alert_id)


def brand_name(*, session: Session, brand_id: int) -> str:
    return session.exec(select(Brand.name).where(Brand.id == brand_id)).first() or f"brand {brand_id}"


def record_alert_message(*, session: Session, alert_id: int, channel: str, ts: str) -> None:
    session.execute(sa.update(SpikeAlert).where(SpikeAlert.id == alert_id).values(slack_channel=channel, slack_ts=ts))


@dataclass(frozen=True)
class SpikePost:
    mention_id: int
    author: str | None
    reach: int
    title: str | None
    text: str
    url: str | None
    published_at: datetime | None


def top_negative_posts(*, session: Session, brand_id: int, start: datetime, end: datetime, limit: int = 3
                       ) -> list[SpikePost]:
    """The most-reached negative mentions of the brand published in [start, end)."""
    rows = session.exec(
        select(Mention.id, Mention.author, Mention.author_reach, Mention.title, Mention.text, Mention.url,
               Mention.published_at)
        .join(MentionBrand, col(MentionBrand.mention_id) == col(Mention.id))
        .where(MentionBrand.brand_id == brand_id, MentionBrand.negative == True,  # noqa: E712
               col(MentionBrand.published_at) >= start, col(MentionBrand.published_at) < end)
        .order_by(col(Mention.author_reach).desc(), col(Mention.id).desc())
        .limit(limit)
    ).all()
    return [SpikePost(*row) for row in rows]


def negative_texts(*, session: Session, brand_id: int, start: datetime, end: datetime, limit: int = 500
                   ) -> list[str]:
    """Title and text of the brand's negative mentions in [start, end), newest first, for the top terms."""
    rows = session.exec(
        select(Mention.title, Mention.text)
        .join(MentionBrand, col(MentionBrand.mention_id) == col(Mention.id))
        .where(MentionBrand.brand_id == brand_id, MentionBrand.negative == True,  # noqa: E712
               col(MentionBrand.published_at) >= start, col(MentionBrand.published_at) < end)
        .order_by(col(MentionBrand.published_at).desc())
        .limit(limit)
    ).all()
    return [f"{title or ''} {text or ''}" for title, text in rows]


class AlertNotFound(LookupError):
    pass


def handle_alert(*, session: Session, alert_id: int, action: str, user: str, now: datetime,
                 mute: timedelta = timedelta(hours=1)) -> SpikeAlert:
    """A person acknowledges, mutes or resolves an alert. Raises AlertNotFound, or ValueError when the alert is
    already over (the message says so)."""
    alert = session.exec(select(SpikeAlert).where(SpikeAlert.id == alert_id).with_for_update()).first()
    if alert is None:
        raise AlertNotFound(f"there is no spike alert #{alert_id}")
    if alert.status not in LIVE:
        over = "back to normal" if alert.status == "ended" else alert.status
        raise ValueError(f"this alert is {over} already")
    if action == "acknowledge":
        alert.status = "acknowledged"
    elif action == "mute":
        alert.status, alert.muted_until = "muted", now + mute
    elif action == "resolve":
        alert.status, alert.ended_at = "resolved", now
    else:
        raise ValueError(f"unknown alert action {action!r}")
    alert.handled_by, alert.updated_at = user, now
    session.add(alert)
    session.flush()
    return alert
