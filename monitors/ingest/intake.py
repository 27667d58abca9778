"""Store one source's items: match, score, then write them in one transaction. Polled and pushed items take
this same path, so a pushed complaint opens a case exactly as a polled one does."""

from __future__ import annotations

from datetime import datetime
from typing import Callable

import sqlalchemy as sa
from sqlmodel import Session

from monitors.ingest.pipeline import Pipeline
from monitors.ingest.velocity import refresh_priorities
from monitors.ingest.raw import RawMention
from storage.db import session_scope
from storage.mentions import BatchResult, NewMention, store_batch


def store_mentions(
    engine: sa.Engine, pipeline: Pipeline, *, source_id: int, brand_names: list[str], mentions: list[RawMention],
    now: datetime, also: Callable[[Session], None] | None = None,
) -> BatchResult:
    rows = pipeline.prepare(mentions, brand_names=brand_names, now=now)
    return store_rows(engine, source_id=source_id, rows=rows, now=now, also=also)


def store_rows(
    engine: sa.Engine, *, source_id: int, rows: list[NewMention], now: datetime,
    also: Callable[[Session], None] | None = None,
) -> BatchResult:
    """Write prepared rows in a transaction of their own; `also(session)` adds the caller's own writes (a poll's
    health record) to it, so they commit or roll back together."""
    with session_scope(engine) as session:
        stored = store_rows_in(session, source_id=source_id, rows=rows, now=now)
        if also is not None:
            also(session)
    return stored


def store_rows_in(session: Session, *, source_id: int, rows: list[NewMention], now: datetime) -> BatchResult:
    """Write prepared rows in the caller's transaction (the poller puts several sources in one)."""
    return store_batch(session=session, source_id=source_id, items=rows, now=now,
                       before_update=lambda known: refresh_priorities(  # reads reach before it is overwritten
                           session=session, source_id=source_id, rows=known))
