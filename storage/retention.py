"""Pruning what Earful no longer needs, in batches, so the mention, outbox and event tables stop growing.

- Mentions older than the cutoff go with their brand links, unless a case or a verdict refers to them (a
  case's card and the tuning both read their mention) or the digest's rollup has not counted them yet (the
  rollup keeps their counts, so the digest's volumes and share of voice over old periods stay exact).
- Outbox rows sent more than `OUTBOX_KEEP` ago go: once sent, a row only guards against sending twice, and
  retries never look back that far. Rows given up on stay for `earful doctor` until the mention cutoff.
- Events older than the cutoff go for cases that are closed (resolved or dismissed); open cases keep their
  whole story.

Each batch is its own transaction, so a big first prune neither holds long locks nor redoes work after a crash.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, col, select

from storage.db import session_scope
from storage.models import Case, Event, Feedback, Mention, MentionBrand, Outbox
from storage.rollup import rollup_mark

OUTBOX_KEEP = timedelta(days=30)
BATCH = 5_000


@dataclass
class Pruned:
    mentions: int = 0
    outbox: int = 0
    events: int = 0


def prune(engine: sa.Engine, *, now: datetime, mentions_before: datetime, batch: int = BATCH) -> Pruned:
    """Delete what is older than `mentions_before` (mentions, events of closed cases, failed outbox rows) and
    outbox rows sent before `now - OUTBOX_KEEP`."""
    pruned = Pruned()
    while (done := _in_batch(engine, _old_mentions(mentions_before), _delete_mentions, batch)):
        pruned.mentions += done
    old_sent = select(Outbox.id).where(
        sa.or_(sa.and_(Outbox.status == "sent", col(Outbox.sent_at) < now - OUTBOX_KEEP),
               sa.and_(Outbox.status == "failed", col(Outbox.created_at) < mentions_before)))
    while (done := _in_batch(engine, old_sent, _delete_ids(Outbox), batch)):
        pruned.outbox += done
    old_events = (select(Event.id).join(Case, Case.id == Event.case_id)
                  .where(col(Event.at) < mentions_before, col(Case.status).in_(("resolved", "dismissed"))))
    while (done := _in_batch(engine, old_events, _delete_ids(Event), batch)):
        pruned.events += done
    return pruned


def _old_mentions(before: datetime):
    def query(session: Session):
        return (select(Mention.id)
                .where(sa.func.coalesce(Mention.published_at, Mention.fetched_at) < before,
                       col(Mention.id) <= rollup_mark(session=session),
                       ~sa.exists().where(Case.mention_id == Mention.id),
                       ~sa.exists().where(Feedback.mention_id == Mention.id)))
    return query


def _in_batch(engine: sa.Engine, ids, delete, batch: int) -> int:
    with session_scope(engine) as session:
        query = ids(session) if callable(ids) else ids
        found = list(session.exec(query.limit(batch)).all())
        if found:
            delete(session, found)
        return len(found)


def _delete_mentions(session: Session, ids: list[int]) -> None:
    session.execute(sa.delete(MentionBrand).where(col(MentionBrand.mention_id).in_(ids)))
    session.execute(sa.delete(Mention).where(col(Mention.id).in_(ids)))


def _delete_ids(model):
    def delete(session: Session, ids: list[int]) -> None:
        session.execute(sa.delete(model).where(col(model.id).in_(ids)))
    return delete
