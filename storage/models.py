"""The tables. Every timestamp is stored as naive UTC and handed back as aware UTC (see UTCDateTime)."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Optional

import sqlalchemy as sa
from sqlalchemy.types import TypeDecorator
from sqlmodel import JSON, Column, Field, SQLModel


class UTCDateTime(TypeDecorator):
    """Stores UTC without a zone (SQLite has none) and always returns an aware UTC datetime."""

    impl = sa.DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database; pass an aware UTC datetime")
        return value.astimezone(timezone.utc).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=timezone.utc)

    def bind_processor(self, dialect):
        if dialect.name != "sqlite":
            return super().bind_processor(dialect)
        # Ingest writes a few of these per stored mention. SQLite's DATETIME processor formats through a dict
        # and a %-template after process_bind_param; isoformat writes the same text ("2026-11-29 08:30:00.000000",
        # checked against SQLAlchemy's own processor in tests/test_bulk.py) in one step.
        def to_sqlite_text(value: datetime | None) -> str | None:
            if value is None:
                return None
            zone = value.tzinfo
            if zone is timezone.utc:  # most values: the text is ISO's without its "+00:00"
                return value.isoformat(" ", "microseconds")[:26]
            if zone is None:
                raise ValueError("naive datetime given to the database; pass an aware UTC datetime")
            return value.astimezone(timezone.utc).replace(tzinfo=None).isoformat(" ", "microseconds")

        return to_sqlite_text


def _when(**kw: Any) -> Any:
    return Field(sa_type=UTCDateTime, **kw)


def _json(default_factory=dict) -> Any:
    return Field(default_factory=default_factory, sa_column=Column(JSON, nullable=False))


class Brand(SQLModel, table=True):
    id: Optional[int] = Field(default=None, primary_key=True)
    name: str = Field(unique=True, index=True)
    query: str
    exclude: list[str] = _json(list)
    handles: dict[str, list[str]] = _json(dict)  # platform -> the brand's own accounts there
    competitor: bool = False


class Source(SQLModel, table=True):
    id: Optional[int] = Field(default=None, primary_key=True)
    name: str = Field(unique=True, index=True)
    kind: str
    url: str = ""
    params: dict[str, Any] = _json(dict)
    brands: list[str] = _json(list)  # brand names this source is matched against; empty = all
    interval_seconds: int = 900
    enabled: bool = True
    # conditional GET and paging state
    etag: Optional[str] = None
    last_modified: Optional[str] = None
    cursor: Optional[str] = None
    # scheduling and leasing (several workers share one PostgreSQL)
    next_poll_at: Optional[datetime] = _when(default=None, index=True)
    lease_owner: Optional[str] = None
    lease_until: Optional[datetime] = _when(default=None)
    # health
    consecutive_failures: int = 0
    last_status: Optional[int] = None
    last_error: Optional[str] = None
    last_error_at: Optional[datetime] = _when(default=None)
    last_success_at: Optional[datetime] = _when(default=None)
    last_item_count: int = 0
    disabled_reason: Optional[str] = None


class Mention(SQLModel, table=True):
    __table_args__ = (sa.UniqueConstraint("source_id", "external_id", name="uq_mention_source_external"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    source_id: int = Field(foreign_key="source.id")  # looked up through uq_mention_source_external
    external_id: str
    url: Optional[str] = None
    canonical_url: Optional[str] = Field(default=None, index=True)
    author: Optional[str] = None
    author_reach: int = 0
    title: Optional[str] = None
    text: str = ""
    language: Optional[str] = None
    published_at: Optional[datetime] = _when(default=None, index=True)
    fetched_at: datetime = _when()
    updated_at: Optional[datetime] = _when(default=None)
    thread_id: Optional[str] = None
    parent_id: Optional[str] = None
    sentiment: float = 0.0
    sentiment_label: str = "neutral"
    complaint_score: float = 0.0
    is_complaint: bool = False
    complaint_cues: list[str] = _json(list)
    content_hash: str  # exact title+text: tells an edited re-publication from an unchanged one
    # normalised text: the same story cross-posted shares it, and a story with a case opens no second one
    story_key: str = Field(index=True)


class MentionBrand(SQLModel, table=True):
    __tablename__ = "mention_brand"
    __table_args__ = (
        sa.UniqueConstraint("mention_id", "brand_id", name="uq_mention_brand"),
        # a brand's mentions of a period, and (negative, mention_id being in it) its negative ones, without
        # touching the table
        sa.Index("ix_mention_brand_brand_published", "brand_id", "published_at", "negative", "mention_id"),
    )

    id: Optional[int] = Field(default=None, primary_key=True)
    mention_id: int = Field(foreign_key="mention.id")  # looked up through uq_mention_brand
    brand_id: int = Field(foreign_key="brand.id")
    # copied from the mention so per-brand time-range queries use one index
    published_at: datetime = _when()
    negative: bool = False


class Case(SQLModel, table=True):
    id: Optional[int] = Field(default=None, primary_key=True)
    mention_id: int = Field(foreign_key="mention.id", unique=True)
    brand_id: int = Field(foreign_key="brand.id", index=True)
    status: str = Field(default="open", index=True)  # open, claimed, resolved, dismissed, snoozed
    priority: float = 0.0
    claimed_by: Optional[str] = None
    # indexed for the digest's per-period counts
    opened_at: datetime = _when(index=True)
    claimed_at: Optional[datetime] = _when(default=None)
    first_response_at: Optional[datetime] = _when(default=None, index=True)
    resolved_at: Optional[datetime] = _when(default=None, index=True)
    sla_due_at: Optional[datetime] = _when(default=None, index=True)
    escalated_at: Optional[datetime] = _when(default=None)
    escalations: int = 0  # sent since the clock (re)started: the next follow-up's number
    snoozed_until: Optional[datetime] = _when(default=None)
    note: Optional[str] = None
    slack_channel: Optional[str] = None
    slack_ts: Optional[str] = None
    version: int = 1


class Event(SQLModel, table=True):
    id: Optional[int] = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case.id", index=True)
    actor: str
    action: str
    note: Optional[str] = None
    at: datetime = _when(index=True)


class Outbox(SQLModel, table=True):
    id: Optional[int] = Field(default=None, primary_key=True)
    kind: str
    dedupe_key: str = Field(unique=True)
    channel: Optional[str] = Field(default=None, index=True)
    payload: dict[str, Any] = _json(dict)
    status: str = Field(default="pending", index=True)  # pending, sent, failed
    attempts: int = 0
    next_attempt_at: datetime = _when(index=True)
    created_at: datetime = _when()
    # when a worker first took the row: an earlier try, if any, reached Slack after this (bounds the lookup)
    first_attempt_at: Optional[datetime] = _when(default=None)
    sent_at: Optional[datetime] = _when(default=None)
    result_channel: Optional[str] = None
    result_ts: Optional[str] = None
    last_error: Optional[str] = None


class SlackPace(SQLModel, table=True):
    """When the next message may go to a channel, shared by every worker (one row per channel)."""

    __tablename__ = "slack_pace"

    channel: str = Field(primary_key=True)
    next_at: datetime = _when()


class SpikeAlert(SQLModel, table=True):
    __tablename__ = "spike_alert"

    id: Optional[int] = Field(default=None, primary_key=True)
    brand_id: int = Field(foreign_key="brand.id", index=True)
    window_start: datetime = _when()
    window_end: datetime = _when()
    observed: float
    expected: float
    score: float
    status: str = "open"  # open, acknowledged, muted (all still live), ended (back to normal), resolved
    slack_channel: Optional[str] = None
    slack_ts: Optional[str] = None
    created_at: datetime = _when()
    updated_at: Optional[datetime] = _when(default=None)
    explanation: str = ""  # the detector's sentence for the latest judged window
    calm_buckets: int = 0  # buckets in a row judged under the alert line
    ended_at: Optional[datetime] = _when(default=None)  # back to normal (or resolved by a person)
    muted_until: Optional[datetime] = _when(default=None)
    handled_by: Optional[str] = None  # who acknowledged, muted or resolved it last


class JobRun(SQLModel, table=True):
    __tablename__ = "job_run"
    __table_args__ = (sa.UniqueConstraint("job", "period", name="uq_job_run"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    job: str
    period: str
    owner: str
    started_at: datetime = _when()
    finished_at: Optional[datetime] = _when(default=None)


class MentionRollup(SQLModel, table=True):
    """Mentions per brand, quarter hour (UTC) and sentiment, so the digest reads a few thousand rows instead of
    every mention of the last weeks. Kept by storage.rollup; quarter hours fit every time zone's midnight."""

    __tablename__ = "mention_rollup"
    __table_args__ = (sa.UniqueConstraint("brand_id", "bucket", name="uq_mention_rollup"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    brand_id: int = Field(foreign_key="brand.id")
    bucket: int  # quarter hours since 1970-01-01 00:00 UTC
    positive: int = 0
    neutral: int = 0
    negative: int = 0


class RollupMark(SQLModel, table=True):
    """How far a rollup has counted: every mention with an id up to `upto` is in it."""

    __tablename__ = "rollup_mark"

    name: str = Field(primary_key=True)
    upto: int = 0
    updated_at: Optional[datetime] = _when(default=None)


class Feedback(SQLModel, table=True):
    """A person's verdict on whether a mention is a complaint ("Not a complaint" dismissals, "mark as complaint"):
    what `earful tune` proposes per-brand thresholds from. The latest verdict per mention counts."""

    id: Optional[int] = Field(default=None, primary_key=True)
    mention_id: int = Field(foreign_key="mention.id", index=True)
    verdict: bool  # True: it is a complaint
    who: str
    at: datetime = _when()


class SeenSignature(SQLModel, table=True):
    """A signed push request already accepted, or the key of a Slack request already handled
    (`slack:trigger:…`, `slack:event:…`, `slack:body:…`), so the same request sent again is refused or skipped.
    Kept in the database, not in memory, so this holds across restarts and across workers sharing one
    PostgreSQL; rows older than the signature window are pruned as new ones come in (storage.replay)."""

    __tablename__ = "seen_signature"

    signature: str = Field(primary_key=True)
    seen_at: datetime = _when(index=True)


class DetectorCorrection(SQLModel, table=True):
    """The workspace's correction to the complaint model, learned from its verdicts (monitors.scoring.adapt):
    one row per scope ("" is the whole workspace), its state as JSON. Deleting the row resets the detector."""

    __tablename__ = "detector_correction"

    scope: str = Field(default="", primary_key=True)
    state: dict = _json(dict)
    verdicts: int = 0
    updated_at: datetime = _when()
