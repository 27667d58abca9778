"""Storing a batch of scored mentions: idempotent upserts, brand matches, stories, and cases for complaints.

One call is one transaction's worth of work for one source poll. The caller (monitors.ingest.pipeline) has already
matched and scored every item; this module only decides what is new, what was edited, and what needs a case.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from operator import attrgetter
from typing import Callable, NamedTuple

import sqlalchemy as sa
from sqlmodel import Session, col, select

from storage.bulk import execute_in, insert_many
from storage.cases import CaseRequest, WrongState, open_cases, reopen
from storage.models import Case, Mention, MentionBrand
from storage.rows import NewMention

__all__ = ["BatchResult", "NewMention", "store_batch"]


@dataclass
class BatchResult:
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    cross_posts: int = 0
    case_ids: list[int] = field(default_factory=list)
    reopened: list[int] = field(default_factory=list)  # closed cases whose author complained again in the thread


_EDITABLE = ("text", "title", "content_hash", "story_key", "sentiment", "sentiment_label", "complaint_score",
             "is_complaint", "complaint_cues", "author_reach", "url", "canonical_url")


def store_batch(
    *, session: Session, source_id: int, items: list[NewMention], now: datetime,
    before_update: Callable[[list[NewMention]], object] | None = None,
) -> BatchResult:
    """`before_update(items already stored)` runs before any of them is overwritten (the velocity check reads
    their stored reach); on a first poll nothing is stored yet, and it is not called."""
    result = BatchResult()
    items = _last_per_external_id(items)
    if not items:
        return result
    known = {
        external_id: _Known(mention_id, content_hash)
        for external_id, mention_id, content_hash in execute_in(
            session, "SELECT external_id, id, content_hash FROM mention WHERE source_id = {mark} "
                     "AND external_id IN ({marks})", [item.external_id for item in items], params=[source_id])
    }
    if known and before_update is not None:
        before_update([item for item in items if item.external_id in known])
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
    if inserted:
        insert_many(session, MentionBrand.__table__, ("mention_id", "brand_id", "published_at", "negative"), [
            (mention_id, brand_id, item.published_at, item.sentiment_label == "negative")
            for mention_id, item in inserted for brand_id in item.brand_ids])
    inserted, result.reopened = _follow_ups(session, source_id, inserted, now)
    result.case_ids, result.cross_posts = _open_cases(session, inserted, now)
    return result


class _Known(NamedTuple):
    id: int
    content_hash: str


def _last_per_external_id(items: list[NewMention]) -> list[NewMention]:
    # a feed may list the same guid twice; the later entry wins, as a re-fetch would
    return list({item.external_id: item for item in items}.values())


def _insert_mentions(session: Session, source_id: int, items: list[NewMention], now: datetime) -> dict[str, int]:
    """Insert new mentions and return external id -> id.

    Through storage.bulk: SQLAlchemy's per-row parameter handling cost more than the database's own work."""
    if not items:
        return {}
    values = attrgetter(*_COLUMNS)
    rows = [(*values(item), source_id, now) for item in items]
    return dict(insert_many(session, Mention.__table__, (*_COLUMNS, "source_id", "fetched_at"), rows,
                            skip_conflicts_on=("source_id", "external_id"), returning=("external_id", "id")))


_COLUMNS = ("external_id", "text", "content_hash", "story_key", "published_at", "url", "canonical_url", "title",
            "author", "author_reach", "language", "thread_id", "parent_id", "sentiment", "sentiment_label",
            "complaint_score", "is_complaint", "complaint_cues")


def _follow_ups(session: Session, source_id: int, inserted: list[tuple[int, NewMention]], now: datetime
                ) -> tuple[list[tuple[int, NewMention]], list[int]]:
    """A new complaint by the author of an earlier case, in the same thread and about the same brand, belongs to
    that case (issue 5): a closed case is reopened, an open one is left as it is; neither gets a second case.
    Returns the items still needing a case of their own, and the reopened case ids."""
    keyed = {(item.thread_id, item.author.casefold(), item.case_brand_id): mid for mid, item in inserted
             if item.case_brand_id is not None and item.thread_id and item.author}
    if not keyed:
        return inserted, []
    rows = session.exec(
        select(Case.id, Case.status, Case.brand_id, Mention.thread_id, Mention.author)
        .join(Mention, Mention.id == Case.mention_id)
        .where(Mention.source_id == source_id, col(Mention.thread_id).in_({key[0] for key in keyed}))
        .order_by(col(Case.id))
    ).all()
    earlier: dict[int, tuple[int, str]] = {}  # new mention id -> (the author's latest case there, its status)
    for case_id, status, brand_id, thread_id, author in rows:
        mid = keyed.get((thread_id, (author or "").casefold(), brand_id))
        if mid is not None:
            earlier[mid] = (case_id, status)
    reopened = []
    for mid, item in inserted:
        if mid in earlier and earlier[mid][1] in ("resolved", "dismissed"):
            try:
                reopen(session=session, case_id=earlier[mid][0], now=now, sla_due_at=item.sla_due_at,
                       note=item.url)
                reopened.append(earlier[mid][0])
            except WrongState:
                pass  # reopened by another item of this batch
    return [(mid, item) for mid, item in inserted if mid not in earlier], reopened


def _open_cases(session: Session, inserted: list[tuple[int, NewMention]], now: datetime) -> tuple[list[int], int]:
    wanted = [(mid, item) for mid, item in inserted if item.case_brand_id is not None]
    if not wanted:
        return [], 0
    # a story (mentions sharing a story key) that already has a case, from an earlier cross-post, gets no second
    stories_with_case = {key for (key,) in execute_in(
        session, 'SELECT m.story_key FROM mention m JOIN "case" c ON c.mention_id = m.id '
                 "WHERE m.story_key IN ({marks})", list({item.story_key for _, item in wanted}))}
    requests, cross_posts = [], 0
    for mention_id, item in wanted:
        if item.story_key in stories_with_case:
            cross_posts += 1
            continue
        stories_with_case.add(item.story_key)
        requests.append(CaseRequest(mention_id=mention_id, brand_id=item.case_brand_id,
                                    sla_due_at=item.sla_due_at, priority=item.priority))
    return open_cases(session=session, requests=requests, now=now), cross_posts
