"""What the digest reads: grouped counts and short lists, each one query that an index can answer.

Mention volume comes from the quarter-hour rollup (storage.rollup), bucketed by a CASE over the local day bounds
the caller passes, so one GROUP BY serves any time zone and any daylight-saving day; mentions the rollup has not
counted yet are added from the mention tables. Lists of negative mentions use the (brand_id, published_at) index.
Case and event queries read the period's rows over their time indexes and leave the arithmetic to the caller.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, col, select

from storage.models import Brand, Case, Event, Mention, MentionBrand, MentionRollup, Source, SpikeAlert
from storage.rollup import bucket_of, rollup_mark


@dataclass(frozen=True)
class BrandRow:
    id: int
    name: str
    competitor: bool
    query: str = ""


@dataclass(frozen=True)
class DayCount:
    brand_id: int
    day: int  # index into the bounds the query was given
    positive: int
    neutral: int
    negative: int


@dataclass(frozen=True)
class CaseRow:
    id: int
    brand_id: int
    status: str
    opened_at: datetime
    first_response_at: datetime | None
    resolved_at: datetime | None
    sla_due_at: datetime | None
    published_at: datetime | None = None  # the complaint's; response times count from it


@dataclass(frozen=True)
class WaitingCase:
    id: int
    brand: str
    status: str
    claimed_by: str | None
    opened_at: datetime
    slack_channel: str | None
    slack_ts: str | None
    url: str | None
    author: str | None
    text: str


@dataclass(frozen=True)
class AgentAction:
    actor: str
    action: str
    count: int


@dataclass(frozen=True)
class NegativePost:
    mention_id: int
    source: str
    author: str | None
    reach: int
    url: str | None
    title: str | None
    text: str
    brands: tuple[str, ...]


@dataclass(frozen=True)
class SpikeRow:
    brand: str
    window_start: datetime
    window_end: datetime
    observed: float
    expected: float
    score: float
    status: str


@dataclass(frozen=True)
class SourceRow:
    name: str
    kind: str
    enabled: bool
    interval_seconds: int
    consecutive_failures: int
    last_status: int | None
    last_error: str | None
    last_success_at: datetime | None
    last_item_count: int
    disabled_reason: str | None
    mentions: int  # published in the period


def digest_brands(*, session: Session) -> list[BrandRow]:
    rows = session.exec(select(Brand.id, Brand.name, Brand.competitor, Brand.query).order_by(col(Brand.id))).all()
    return [BrandRow(*row) for row in rows]


def mention_counts(*, session: Session, brand_ids: list[int], bounds: list[datetime]) -> list[DayCount]:
    """Mentions per brand and bucket [bounds[i], bounds[i+1]) by sentiment: the rollup's quarter hours plus the
    mentions it has not counted yet. Bounds must fall on quarter hours (every local midnight does)."""
    if not brand_ids or len(bounds) < 2:
        return []
    for _ in range(5):
        mark = rollup_mark(session=session)
        rolled = _rolled_counts(session, brand_ids, bounds)
        tail = session.exec(
            select(MentionBrand.brand_id, MentionBrand.published_at, Mention.sentiment_label)
            .join(Mention, col(Mention.id) == col(MentionBrand.mention_id))
            .where(col(MentionBrand.mention_id) > mark)
        ).all()
        if rollup_mark(session=session) == mark:  # no refresh landed between the reads: nothing counted twice
            break
    totals: dict[tuple[int, int], list[int]] = {key: list(values) for key, values in rolled.items()}
    wanted = set(brand_ids)
    slot = {"positive": 0, "negative": 2}
    for brand_id, published, label in tail:
        if brand_id not in wanted or not bounds[0] <= published < bounds[-1]:
            continue
        day = bisect_right(bounds, published) - 1
        totals.setdefault((brand_id, day), [0, 0, 0])[slot.get(label, 1)] += 1
    return [DayCount(brand_id, day, *counts) for (brand_id, day), counts in sorted(totals.items())]


def _rolled_counts(session: Session, brand_ids: list[int], bounds: list[datetime]) -> dict[tuple[int, int], tuple]:
    edges = [bucket_of(bound) for bound in bounds]
    bucket = col(MentionRollup.bucket)
    day = sa.case(*[(bucket < edge, index) for index, edge in enumerate(edges[1:])]).label("day")
    rows = session.exec(
        select(MentionRollup.brand_id, day, sa.func.sum(MentionRollup.positive),
               sa.func.sum(MentionRollup.neutral), sa.func.sum(MentionRollup.negative))
        .where(col(MentionRollup.brand_id).in_(brand_ids), bucket >= edges[0], bucket < edges[-1])
        .group_by(MentionRollup.brand_id, day)
    ).all()
    return {(brand_id, int(d)): (int(p), int(u), int(n)) for brand_id, d, p, u, n in rows}


def _negative_ids(brand_ids: list[int], start: datetime, end: datetime):
    """Ids of the negative mentions of these brands in [start, end), as a subquery (the pair index answers it)."""
    return (
        select(MentionBrand.mention_id)
        .where(col(MentionBrand.brand_id).in_(brand_ids), col(MentionBrand.published_at) >= start,
               col(MentionBrand.published_at) < end, col(MentionBrand.negative).is_(True))
    )


def negative_posts(
    *, session: Session, brand_ids: list[int], start: datetime, end: datetime, limit: int = 5
) -> list[NegativePost]:
    """The negative mentions with the widest reach."""
    if not brand_ids:
        return []
    rows = session.exec(
        select(Mention.id, Source.name, Mention.author, Mention.author_reach, Mention.url, Mention.title,
               Mention.text)
        .join(Source, col(Source.id) == col(Mention.source_id))
        .where(col(Mention.id).in_(_negative_ids(brand_ids, start, end)))
        .order_by(col(Mention.author_reach).desc(), col(Mention.id))
        .limit(limit)
    ).all()
    names = _brand_names_of(session, [row[0] for row in rows], brand_ids)
    return [NegativePost(*row, brands=names.get(row[0], ())) for row in rows]


def _brand_names_of(session: Session, mention_ids: list[int], brand_ids: list[int]) -> dict[int, tuple[str, ...]]:
    if not mention_ids:
        return {}
    found: dict[int, list[str]] = {}
    for mention_id, name in session.exec(
        select(MentionBrand.mention_id, Brand.name).join(Brand, col(Brand.id) == col(MentionBrand.brand_id))
        .where(col(MentionBrand.mention_id).in_(mention_ids), col(MentionBrand.brand_id).in_(brand_ids))
        .order_by(col(Brand.id))
    ).all():
        found.setdefault(mention_id, []).append(name)
    return {key: tuple(value) for key, value in found.items()}


def negative_texts(
    *, session: Session, brand_ids: list[int], start: datetime, end: datetime, limit: int = 5000
) -> list[str]:
    """Titles and texts of the period's negative mentions (the newest `limit`), for counting their words."""
    if not brand_ids:
        return []
    rows = session.exec(
        select(Mention.title, Mention.text)
        .where(col(Mention.id).in_(_negative_ids(brand_ids, start, end)))
        .order_by(col(Mention.id).desc())
        .limit(limit)
    ).all()
    return [f"{title}\n{text}" if title else text for title, text in rows]


def negative_sources(
    *, session: Session, brand_ids: list[int], start: datetime, end: datetime, limit: int = 5
) -> list[tuple[str, int]]:
    """(source name, negative mentions) for the sources bringing the most negative mentions."""
    if not brand_ids:
        return []
    count = sa.func.count().label("n")
    rows = session.exec(
        select(Source.name, count)
        .select_from(Mention)
        .join(Source, col(Source.id) == col(Mention.source_id))
        .where(col(Mention.id).in_(_negative_ids(brand_ids, start, end)))
        .group_by(Source.name)
        .order_by(count.desc(), col(Source.name))
        .limit(limit)
    ).all()
    return [(name, n) for name, n in rows]


def period_cases(*, session: Session, brand_ids: list[int], start: datetime, end: datetime) -> list[CaseRow]:
    """Cases opened, answered, closed, or due in [start, end)."""
    if not brand_ids:
        return []

    def within(column):
        return sa.and_(col(column) >= start, col(column) < end)

    rows = session.exec(
        select(Case.id, Case.brand_id, Case.status, Case.opened_at, Case.first_response_at,
               Case.resolved_at, Case.sla_due_at, Mention.published_at)
        .join(Mention, col(Mention.id) == col(Case.mention_id))
        .where(col(Case.brand_id).in_(brand_ids),
               sa.or_(within(Case.opened_at), within(Case.first_response_at), within(Case.resolved_at),
                      within(Case.sla_due_at)))
    ).all()
    return [CaseRow(*row) for row in rows]


def _waiting_at(brand_ids: list[int], at: datetime):
    """Cases opened before `at` that at `at` had neither an answer nor a close."""
    return sa.and_(
        col(Case.brand_id).in_(brand_ids),
        col(Case.opened_at) < at,
        sa.or_(col(Case.first_response_at).is_(None), col(Case.first_response_at) >= at),
        sa.or_(col(Case.resolved_at).is_(None), col(Case.resolved_at) >= at),
    )


def waiting_cases(
    *, session: Session, brand_ids: list[int], at: datetime, limit: int = 5
) -> tuple[int, list[WaitingCase]]:
    """How many cases were waiting for an answer at `at`, and the oldest `limit` of them."""
    if not brand_ids:
        return 0, []
    condition = _waiting_at(brand_ids, at)
    total = session.exec(select(sa.func.count()).select_from(Case).where(condition)).one()
    rows = session.exec(
        select(Case.id, Brand.name, Case.status, Case.claimed_by, Case.opened_at, Case.slack_channel,
               Case.slack_ts, Mention.url, Mention.author, Mention.text)
        .join(Brand, col(Brand.id) == col(Case.brand_id))
        .join(Mention, col(Mention.id) == col(Case.mention_id))
        .where(condition)
        .order_by(col(Case.opened_at), col(Case.id))
        .limit(limit)
    ).all()
    return total, [WaitingCase(*row) for row in rows]


def agent_actions(
    *, session: Session, brand_ids: list[int], start: datetime, end: datetime
) -> list[AgentAction]:
    """Per person and action (claimed, resolved, dismissed, ...), how many times in [start, end)."""
    if not brand_ids:
        return []
    count = sa.func.count()
    rows = session.exec(
        select(Event.actor, Event.action, count)
        .join(Case, col(Case.id) == col(Event.case_id))
        .where(col(Event.at) >= start, col(Event.at) < end, col(Event.actor) != "earful",
               col(Case.brand_id).in_(brand_ids))
        .group_by(Event.actor, Event.action)
    ).all()
    return [AgentAction(*row) for row in rows]


def spikes(*, session: Session, brand_ids: list[int], start: datetime, end: datetime) -> list[SpikeRow]:
    """Spike alerts raised in [start, end), oldest first."""
    if not brand_ids:
        return []
    rows = session.exec(
        select(Brand.name, SpikeAlert.window_start, SpikeAlert.window_end, SpikeAlert.observed,
               SpikeAlert.expected, SpikeAlert.score, SpikeAlert.status)
        .join(Brand, col(Brand.id) == col(SpikeAlert.brand_id))
        .where(col(SpikeAlert.brand_id).in_(brand_ids), col(SpikeAlert.created_at) >= start,
               col(SpikeAlert.created_at) < end)
        .order_by(col(SpikeAlert.created_at), col(SpikeAlert.id))
    ).all()
    return [SpikeRow(*row) for row in rows]


def source_rows(*, session: Session, start: datetime, end: datetime) -> list[SourceRow]:
    """Every source's health, with how many of its mentions were published in [start, end)."""
    published = col(Mention.published_at)
    counts = dict(session.exec(
        select(Mention.source_id, sa.func.count())
        .where(published >= start, published < end)
        .group_by(Mention.source_id)
    ).all())
    sources = session.exec(select(Source).order_by(col(Source.name))).all()
    return [
        SourceRow(name=s.name, kind=s.kind, enabled=s.enabled, interval_seconds=s.interval_seconds,
                  consecutive_failures=s.consecutive_failures, last_status=s.last_status, last_error=s.last_error,
                  last_success_at=s.last_success_at, last_item_count=s.last_item_count,
                  disabled_reason=s.disabled_reason, mentions=counts.get(s.id, 0))
        for s in sources
    ]
