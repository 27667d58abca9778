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


def lease_due(
    *, session: Session, now: datetime, limit: int = 50, lease: timedelta = timedelta(minutes=2),
    kind: str | None = None,
) -> list[Outbox]:
    """Lease due rows (oldest first; of one kind if given) to the caller (see storage.lease)."""
    due = select(Outbox.id).where(Outbox.status == "pending", col(Outbox.next_attempt_at) <= now)
    if kind is not None:
        due = due.where(Outbox.kind == kind)
    due = due.order_by(col(Outbox.next_attempt_at), col(Outbox.id)).limit(limit)
    return lease_rows(session, Outbox, due, {"next_attempt_at": now + lease, "attempts": Outbox.attempts + 1,
                                             "first_attempt_at": sa.func.coalesce(Outbox.first_attempt_at, now)})


def release(*, session: Session, outbox_id: int, at: datetime) -> None:
    """Hand back a leased row unsent and uncounted (e.g. the channel's rate budget ran out); due again at `at`."""
    session.execute(
        sa.update(Outbox).where(Outbox.id == outbox_id, Outbox.status == "pending")
        .values(next_attempt_at=at, attempts=sa.case((Outbox.attempts > 0, Outbox.attempts - 1), else_=0))
    )


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
