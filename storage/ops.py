"""What an operator watches, read from the database at scrape time (for /metrics), so every worker sharing one
PostgreSQL reports the same numbers. Each is one cheap query on an indexed column or a primary key."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone

import sqlalchemy as sa
from sqlmodel import Session, col, select

from storage.models import Case, Mention, Outbox, Source, SpikeAlert

LIVE_ALERTS = ("open", "acknowledged", "muted")
UNANSWERED = ("open", "claimed", "snoozed")


@dataclass
class OpsCounts:
    sources: dict[str, int] = field(default_factory=dict)  # ok, failing, backing_off, disabled
    mentions_stored: int = 0  # ever (the highest id: pruning does not make it go down)
    complaints_stored: int = 0  # ever: each complaint opens one case
    cases: dict[str, int] = field(default_factory=dict)
    past_sla: int = 0
    outbox_pending: int = 0
    outbox_oldest_pending_age: float = 0.0  # seconds
    outbox_given_up: int = 0  # failed for good: never reached Slack
    spike_alerts_open: int = 0


def source_state(source: Source, now: datetime) -> str:
    if not source.enabled or source.disabled_reason:  # e.g. answered 404 three times: no longer polled
        return "disabled"
    if not source.consecutive_failures:
        return "ok"
    if source.next_poll_at is not None and source.next_poll_at > now:
        return "backing_off"  # failed, and waiting out its backoff
    return "failing"


def ops_counts(*, session: Session, now: datetime) -> OpsCounts:
    counts = OpsCounts(sources={"ok": 0, "failing": 0, "backing_off": 0, "disabled": 0})
    for source in session.exec(select(Source)).all():
        counts.sources[source_state(source, now)] += 1
    counts.mentions_stored = session.exec(select(sa.func.coalesce(sa.func.max(Mention.id), 0))).one()
    counts.complaints_stored = session.exec(select(sa.func.coalesce(sa.func.max(Case.id), 0))).one()
    counts.cases = {status: 0 for status in ("open", "claimed", "snoozed", "resolved", "dismissed")}
    for status, number in session.exec(select(Case.status, sa.func.count()).group_by(Case.status)).all():
        counts.cases[status] = number
    counts.past_sla = session.exec(select(sa.func.count()).select_from(Case).where(
        col(Case.status).in_(UNANSWERED), col(Case.first_response_at).is_(None),
        col(Case.sla_due_at) < now)).one()
    pending, oldest = session.exec(select(sa.func.count(), sa.func.min(Outbox.created_at))
                                   .where(Outbox.status == "pending")).one()
    counts.outbox_pending = pending
    if oldest is not None:
        oldest = oldest if oldest.tzinfo is not None else oldest.replace(tzinfo=timezone.utc)
        counts.outbox_oldest_pending_age = max(0.0, (now - oldest).total_seconds())
    counts.outbox_given_up = session.exec(select(sa.func.count()).select_from(Outbox).where(
        Outbox.status == "failed")).one()
    counts.spike_alerts_open = session.exec(select(sa.func.count()).select_from(SpikeAlert).where(
        col(SpikeAlert.status).in_(LIVE_ALERTS))).one()
    return counts


@dataclass(frozen=True)
class GivenUp:
    """Outbox rows the dispatcher gave up on (status `failed`): messages that never reached Slack."""

    count: int
    latest: list[tuple[str, str | None, str | None, datetime]]  # (kind, channel, last error, created), newest first


def given_up(*, session: Session, since: datetime | None = None, until: datetime | None = None,
             limit: int = 5) -> GivenUp:
    where = [Outbox.status == "failed"]
    if since is not None:
        where.append(col(Outbox.created_at) >= since)
    if until is not None:
        where.append(col(Outbox.created_at) < until)
    count = session.exec(select(sa.func.count()).select_from(Outbox).where(*where)).one()
    rows = session.exec(select(Outbox.kind, Outbox.channel, Outbox.last_error, Outbox.created_at).where(*where)
                        .order_by(col(Outbox.id).desc()).limit(limit)).all()
    return GivenUp(count=count, latest=[tuple(row) for row in rows])
