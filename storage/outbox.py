"""The outbox: every Slack write is a row here first, written in the same transaction as the change it reports.

A dispatcher takes due rows with a lease (so several workers never send one row twice), sends them, and records
the result. Dedupe keys make enqueueing idempotent.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from storage.lease import lease_rows
from storage.models import Outbox
from storage.upsert import insert_ignore


def enqueue(
    *, session: Session, kind: str, dedupe_key: str, payload: dict[str, Any], channel: str | None,
    now: datetime, not_before: datetime | None = None,
) -> bool:
    """Add a row unless one with the same dedupe key exists; True when added."""
    row = {"kind": kind, "dedupe_key": dedupe_key, "payload": payload, "channel": channel}
    return enqueue_many(session=session, rows=[row], now=now, not_before=not_before) == 1


def enqueue_many(
    *, session: Session, rows: list[dict[str, Any]], now: datetime, not_before: datetime | None = None
) -> int:
    """Add rows given as {kind, dedupe_key, payload, channel}, skipping known dedupe keys; returns how many."""
    full = [{**row, "status": "pending", "attempts": 0, "next_attempt_at": not_before or now, "created_at": now}
            for row in rows]
    return insert_ignore(session, Outbox, full, keys=["dedupe_key"])


def mark_sent(
    *, session: Session, outbox_id: int, now: datetime, channel: str | None = None, ts: str | None = None
) -> None:
    session.execute(
        sa.update(Outbox).where(Outbox.id == outbox_id)
        .values(status="sent", sent_at=now, result_channel=channel, result_ts=ts, last_error=None)
    )


def mark_retry(
    *, session: Session, outbox_id: int, error: str, next_attempt_at: datetime, counted: bool = True
) -> None:
    """Due again at `next_attempt_at`. `counted=False` when the try never reached the other side (a 429, or the
    row waits for another), so it neither lengthens the row's backoff nor makes it look for an earlier try."""
    values: dict = {"status": "pending", "last_error": error[:500], "next_attempt_at": next_attempt_at}
    if not counted:
        values["attempts"] = sa.case((Outbox.attempts > 0, Outbox.attempts - 1), else_=0)
    session.execute(sa.update(Outbox).where(Outbox.id == outbox_id).values(**values))


def mark_failed(*, session: Session, outbox_id: int, error: str) -> None:
    """Give up on a row (a permanent error); it stays in the table for `earful doctor` and the digest."""
    session.execute(
        sa.update(Outbox).where(Outbox.id == outbox_id).values(status="failed", last_error=error[:500])
    )


def sent_result(*, session: Session, dedupe_key: str) -> Outbox | None:
    """The sent row for a key, e.g. to learn the ts of a card before threading under it."""
    return session.exec(
        select(Outbox).where(Outbox.dedupe_key == dedupe_key, Outbox.status == "sent")
    ).first()


def pending_count(*, session: Session) -> int:
    return session.exec(select(sa.func.count()).select_from(Outbox).where(Outbox.status == "pending")).one()


# -- used by the outbox dispatcher (bot/outbox/dispatcher.py) -------------------------------------------------


# A batch is leased briefly: a worker that dies before trying a row leaves it to the others within this long.
# Each row's try then takes the longer send lease (`begin_attempt`), which covers a slow Slack answer.
BATCH_LEASE = timedelta(seconds=30)
SEND_LEASE = timedelta(minutes=2)


def lease_due(
    *, session: Session, now: datetime, limit: int = 50, lease: timedelta = BATCH_LEASE, kind: str | None = None,
) -> list[Outbox]:
    """Lease due rows (oldest first; of one kind if given) to the caller (see storage.lease). Leasing is not
    trying: the attempt is counted when the row's send begins."""
    due = select(Outbox.id).where(Outbox.status == "pending", col(Outbox.next_attempt_at) <= now)
    if kind is not None:
        due = due.where(Outbox.kind == kind)
    due = due.order_by(col(Outbox.next_attempt_at), col(Outbox.id)).limit(limit)
    return lease_rows(session, Outbox, due, {"next_attempt_at": now + lease})


def begin_attempt(*, session: Session, row: Outbox, now: datetime, lease: timedelta = SEND_LEASE) -> bool:
    """Count a try of a leased row and hold it for the send; False if the row is no longer this caller's (its
    batch lease ran out and another worker took it, or it was settled). Commit before sending: a crash after
    the send must leave the try counted, so the next one looks for it first. Updates `row` to match."""
    until = now + lease
    taken = session.execute(
        sa.update(Outbox).where(Outbox.id == row.id, Outbox.status == "pending",
                                Outbox.next_attempt_at == row.next_attempt_at)
        .values(attempts=Outbox.attempts + 1, first_attempt_at=sa.func.coalesce(Outbox.first_attempt_at, now),
                next_attempt_at=until)
        .execution_options(synchronize_session=False)
    ).rowcount == 1
    if taken:
        row.attempts += 1
        row.first_attempt_at = row.first_attempt_at or now
        row.next_attempt_at = until
    return taken


def release(*, session: Session, outbox_id: int, at: datetime, counted: bool = True) -> None:
    """Hand back a leased row unsent, due again at `at`. `counted`: its try had begun (e.g. the channel's rate
    budget ran out before the send), so the try is taken back."""
    values: dict = {"next_attempt_at": at}
    if counted:
        values["attempts"] = sa.case((Outbox.attempts > 0, Outbox.attempts - 1), else_=0)
    session.execute(sa.update(Outbox).where(Outbox.id == outbox_id, Outbox.status == "pending").values(**values))


def sent_since(*, session: Session, kind: str, since: datetime) -> list[Outbox]:
    return list(session.exec(
        select(Outbox).where(Outbox.kind == kind, Outbox.status == "sent", col(Outbox.sent_at) >= since)
    ).all())


def rows_by_keys(*, session: Session, dedupe_keys: list[str]) -> list[Outbox]:
    if not dedupe_keys:
        return []
    return list(session.exec(select(Outbox).where(col(Outbox.dedupe_key).in_(dedupe_keys))).all())


def failed_count(*, session: Session) -> int:
    return session.exec(select(sa.func.count()).select_from(Outbox).where(Outbox.status == "failed")).one()
