"""Storing a batch of scored mentions: idempotent upserts, brand matches, stories, and cases for complaints.

One call is one transaction's worth of work for one source poll. The caller (monitors.ingest) has already
matched and scored every item; this module only decides what is new, what was edited, and what needs a case.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from storage.cases import CaseRequest, open_cases
from storage.models import Case, Mention, MentionBrand
from storage.upsert import insert_ignore


@dataclass
class NewMention:
    """Column values for one mention plus what the pipeline decided about it."""

    external_id: str
    text: str
    content_hash: str
    story_key: str
    published_at: datetime
    url: str | None = None
    canonical_url: str | None = None
    title: str | None = None
    author: str | None = None
    author_reach: int = 0
    language: str | None = None
    thread_id: str | None = None
    parent_id: str | None = None
    sentiment: float = 0.0
    sentiment_label: str = "neutral"
    complaint_score: float = 0.0
    is_complaint: bool = False
    complaint_cues: list[str] = field(default_factory=list)
    brand_ids: list[int] = field(default_factory=list)
    # set when a case should be opened (a complaint about one of our own brands, recent enough)
    case_brand_id: int | None = None
    sla_due_at: datetime | None = None
    priority: float = 0.0


@dataclass
class BatchResult:
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    cross_posts: int = 0
    case_ids: list[int] = field(default_factory=list)


_EDITABLE = ("text", "title", "content_hash", "story_key", "sentiment", "sentiment_label", "complaint_score",
             "is_complaint", "complaint_cues", "author_reach", "url", "canonical_url")


def store_batch(*, session: Session, source_id: int, items: list[NewMention], now: datetime) -> BatchResult:
    result = BatchResult()
    items = _last_per_external_id(items)
    if not items:
        return result
    known = {
        row.external_id: row
        for row in session.exec(
            select(Mention.id, Mention.external_id, Mention.content_hash).where(
                Mention.source_id == source_id, col(Mention.external_id).in_([i.external_id for i in items])
            )
        ).all()
    }
    fresh = [item for item in items if item.external_id not in known]
    edited = [item for item in items if item.external_id in known
              and known[item.external_id].content_hash != item.content_hash]
    result.unchanged = len(items) - len(fresh) - len(edited)

    for item in edited:
        values = {name: getattr(item, name) for name in _EDITABLE}
        session.execute(sa.update(Mention).where(Mention.id == known[item.external_id].id)
                        .values(**values, updated_at=now))
    result.updated = len(edited)

    ids = _insert_mentions(session, source_id, fresh, now)
    result.new = len(ids)
    inserted = [(ids[item.external_id], item) for item in fresh if item.external_id in ids]
    _link_stories(session, inserted)
    insert_ignore(
        session, MentionBrand,
        [{"mention_id": mention_id, "brand_id": brand_id, "published_at": item.published_at,
          "negative": item.sentiment_label == "negative"}
         for mention_id, item in inserted for brand_id in item.brand_ids],
        keys=["mention_id", "brand_id"],
    )
    result.case_ids, result.cross_posts = _open_cases(session, inserted, now)
    return result


def _last_per_external_id(items: list[NewMention]) -> list[NewMention]:
    # a feed may list the same guid twice; the later entry wins, as a re-fetch would
    return list({item.external_id: item for item in items}.values())


def _insert_mentions(session: Session, source_id: int, items: list[NewMention], now: datetime) -> dict[str, int]:
    if not items:
        return {}
    rows: list[dict[str, Any]] = []
    for item in items:
        row = {name: getattr(item, name) for name in _COLUMNS}
        row.update(source_id=source_id, fetched_at=now)
        rows.append(row)
    table = Mention.__table__
    dialect = session.get_bind().dialect.name
    insert = (postgresql if dialect == "postgresql" else sqlite).insert
    statement = (
        insert(table)
        .on_conflict_do_nothing(index_elements=["source_id", "external_id"])
        .returning(table.c.id, table.c.external_id, sort_by_parameter_order=True)
    )
    return {external_id: mention_id for mention_id, external_id in session.execute(statement, rows).all()}


_COLUMNS = ("external_id", "text", "content_hash", "story_key", "published_at", "url", "canonical_url", "title",
            "author", "author_reach", "language", "thread_id", "parent_id", "sentiment", "sentiment_label",
            "complaint_score", "is_complaint", "complaint_cues")


def _link_stories(session: Session, inserted: list[tuple[int, NewMention]]) -> None:
    """Point each new mention at the first mention of its story (itself when it is the first)."""
    if not inserted:
        return
    keys = {item.story_key for _, item in inserted}
    first = dict(
        session.exec(
            select(Mention.story_key, sa.func.min(Mention.id))
            .where(col(Mention.story_key).in_(keys))
            .group_by(Mention.story_key)
        ).all()
    )
    # ORM bulk UPDATE by primary key: one executemany for the whole batch
    session.execute(sa.update(Mention), [
        {"id": mention_id, "story_id": first.get(item.story_key, mention_id)} for mention_id, item in inserted
    ])


def _open_cases(session: Session, inserted: list[tuple[int, NewMention]], now: datetime) -> tuple[list[int], int]:
    wanted = [(mid, item) for mid, item in inserted if item.case_brand_id is not None]
    if not wanted:
        return [], 0
    story_of = dict(session.exec(
        select(Mention.id, Mention.story_id).where(col(Mention.id).in_([mid for mid, _ in wanted]))).all())
    # a story that already has a case (an earlier cross-post) does not get a second one
    stories_with_case = set(
        session.exec(
            select(Mention.story_id).join(Case, Case.mention_id == Mention.id)
            .where(col(Mention.story_id).in_(set(story_of.values())))
        ).all()
    )
    requests, cross_posts = [], 0
    for mention_id, item in wanted:
        story = story_of[mention_id]
        if story in stories_with_case:
            cross_posts += 1
            continue
        stories_with_case.add(story)
        requests.append(CaseRequest(mention_id=mention_id, brand_id=item.case_brand_id,
                                    sla_due_at=item.sla_due_at, priority=item.priority))
    return open_cases(session=session, requests=requests, now=now), cross_posts
