"""Per-channel send slots shared by every worker on one database (table `slack_pace`).

Each send reserves the channel's next slot: the later of "now" and the row's `next_at`, and moves `next_at` one
interval past it. The reservation is atomic across workers: on PostgreSQL the row is locked (SELECT ... FOR UPDATE)
for the transaction; on SQLite the first statement is a write, so the database's write lock serialises it.
Time is wall-clock UTC (workers on different machines share it, a monotonic clock is per process).
"""

from __future__ import annotations

from contextlib import nullcontext
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from storage.models import SlackPace

def _insert(bind: sa.Engine | sa.Connection):
    return (postgresql.insert if bind.dialect.name == "postgresql" else sqlite.insert)(SlackPace)


def _transaction(bind: sa.Engine | sa.Connection):
    """A transaction of its own on an engine; on a connection, the one it is in (committed by its owner)."""
    return bind.begin() if isinstance(bind, sa.Engine) else nullcontext(bind)


def reserve_slot(bind: sa.Engine | sa.Connection, channel: str, *, interval: float, now: datetime) -> float:
    """Book `channel`'s next send slot; returns the seconds to wait (from `now`) before sending in it."""
    table = SlackPace.__table__
    with _transaction(bind) as conn:
        # a write first: creates the row if missing and, on SQLite, takes the write lock for the transaction
        conn.execute(_insert(conn).values(channel=channel, next_at=now).on_conflict_do_nothing(
            index_elements=["channel"]))
        next_at = conn.execute(sa.select(table.c.next_at).where(table.c.channel == channel)
                               .with_for_update()).scalar_one()
        slot = max(next_at, now)
        conn.execute(table.update().where(table.c.channel == channel)
                     .values(next_at=slot + timedelta(seconds=interval)))
    return (slot - now).total_seconds()


def give_back_slot(bind: sa.Engine | sa.Connection, channel: str, *, interval: float, wait: float, now: datetime) -> None:
    """Undo a reservation that will not be used (the run ran out of time), if no one booked after it."""
    table = SlackPace.__table__
    booked_end = now + timedelta(seconds=wait + interval)
    with _transaction(bind) as conn:
        conn.execute(table.update().where(table.c.channel == channel, table.c.next_at == booked_end)
                     .values(next_at=booked_end - timedelta(seconds=interval)))


def carry_over(bind: sa.Engine | sa.Connection, name: str, channel_id: str) -> None:
    """A channel first sent to by name ('#support') is from now on paced under its id: the id's next slot is
    no earlier than the name's, so the switch does not let a message through early."""
    table = SlackPace.__table__
    with _transaction(bind) as conn:
        named = conn.execute(sa.select(table.c.next_at).where(table.c.channel == name)).scalar_one_or_none()
        if named is None:
            return
        conn.execute(_insert(conn).values(channel=channel_id, next_at=named).on_conflict_do_nothing(
            index_elements=["channel"]))
        conn.execute(table.update().where(table.c.channel == channel_id, table.c.next_at < named)
                     .values(next_at=named))
