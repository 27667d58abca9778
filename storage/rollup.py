"""The mention rollup: counts per brand, quarter hour and sentiment, brought up to date by `refresh_rollup`.

Mention ids grow as mentions are stored, so the rollup remembers the last id it counted (`rollup_mark.upto`) and
each refresh adds the mentions after it. It stops short of mentions fetched in the last `settle` minutes: a
storing transaction may still hold smaller ids than ones already committed, and counting past them would skip
them forever. Readers add the uncounted tail from the mention tables (see `mention_counts`), so what they see is
exact whenever the refresh last ran.

Two workers refreshing at once cannot both count a range: the mark moves by compare-and-set in the same
transaction as the counts, and the loser rolls back.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from storage.models import Mention, MentionBrand, MentionRollup, RollupMark
from storage.upsert import insert_ignore

MARK = "mentions"
BUCKET_SECONDS = 900
SETTLE = timedelta(minutes=10)
CHUNK = 200_000  # mention ids per transaction, so a first refresh over a big table never holds the lock long


def bucket_of(instant: datetime) -> int:
    """The quarter hour an aware instant falls in, as stored in mention_rollup.bucket."""
    return int(instant.timestamp()) // BUCKET_SECONDS


def bucket_expression(session: Session, column):
    """SQL for the quarter hour of a stored (naive UTC) timestamp column."""
    if session.get_bind().dialect.name == "postgresql":
        return sa.cast(sa.func.floor(sa.extract("epoch", column) / BUCKET_SECONDS), sa.Integer)
    return sa.cast(sa.func.strftime("%s", column), sa.Integer) / BUCKET_SECONDS


def label_sums(label_column) -> list:
    """sum(positive), sum(neutral), sum(negative) over rows with a sentiment label (anything else is neutral)."""
    return [
        sa.func.sum(sa.case((label_column == "positive", 1), else_=0)),
        sa.func.sum(sa.case((label_column.in_(("positive", "negative")), 0), else_=1)),
        sa.func.sum(sa.case((label_column == "negative", 1), else_=0)),
    ]


def rollup_mark(*, session: Session) -> int:
    return session.exec(select(RollupMark.upto).where(RollupMark.name == MARK)).first() or 0


def refresh_rollup(*, session: Session, now: datetime, settle: timedelta = SETTLE) -> int:
    """Count the mentions stored since the last refresh (one chunk of ids); returns how many ids it covered, 0
    when there was nothing to do or another worker was doing it. Call until it returns 0 to catch up fully."""
    insert_ignore(session, RollupMark, [{"name": MARK, "upto": 0, "updated_at": now}], keys=["name"])
    old = rollup_mark(session=session)
    new = _settled_upto(session, old, now - settle)
    if new <= old:
        return 0
    moved = session.execute(
        sa.update(RollupMark).where(RollupMark.name == MARK, RollupMark.upto == old)
        .values(upto=new, updated_at=now)
    ).rowcount
    if moved != 1:  # another worker took this range; its transaction counts it
        return 0
    bucket = bucket_expression(session, col(MentionBrand.published_at)).label("bucket")
    rows = session.exec(
        select(MentionBrand.brand_id, bucket, *label_sums(col(Mention.sentiment_label)))
        .join(Mention, col(Mention.id) == col(MentionBrand.mention_id))
        .where(col(MentionBrand.mention_id) > old, col(MentionBrand.mention_id) <= new)
        .group_by(MentionBrand.brand_id, bucket)
    ).all()
    _add(session, [{"brand_id": brand_id, "bucket": int(b), "positive": int(p), "neutral": int(u),
                    "negative": int(n)} for brand_id, b, p, u, n in rows])
    return new - old


def _settled_upto(session: Session, old: int, cutoff: datetime) -> int:
    """The highest id such that every mention after `old` up to it was fetched before `cutoff`."""
    last = session.exec(select(sa.func.max(Mention.id)).where(col(Mention.id) > old)).one()
    if last is None:
        return old
    recent = session.exec(
        select(sa.func.min(Mention.id)).where(col(Mention.id) > old, col(Mention.fetched_at) >= cutoff)
    ).one()
    upto = last if recent is None else recent - 1
    return min(upto, old + CHUNK)


def _add(session: Session, rows: list[dict]) -> None:
    if not rows:
        return
    table = MentionRollup.__table__
    module = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    statement = module.insert(table)
    statement = statement.on_conflict_do_update(
        index_elements=["brand_id", "bucket"],
        set_={name: table.c[name] + statement.excluded[name] for name in ("positive", "neutral", "negative")},
    )
    session.execute(statement, rows)
