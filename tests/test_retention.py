"""Retention: old mentions, sent outbox rows and closed cases' old events are pruned in batches, on SQLite and
PostgreSQL; what a case, a verdict or the digest's counts still need is kept."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import sqlalchemy as sa
from sqlmodel import select

from storage import cases
from storage.db import session_scope
from storage.mentions import NewMention, store_batch
from storage.models import Case, Event, Mention, MentionBrand, MentionRollup, Outbox
from storage.outbox import enqueue, lease_due, mark_sent
from storage.retention import OUTBOX_KEEP, prune
from storage.rollup import refresh_rollup
from storage.sources import BrandSpec, SourceSpec, sync_brands, sync_sources

NOW = datetime(2026, 11, 7, 12, 0, tzinfo=timezone.utc)
OLD = NOW - timedelta(days=400)
KEEP = timedelta(days=365)


def store(engine, *, old: int, new: int, old_complaints: int) -> list[int]:
    with session_scope(engine) as session:
        brands = sync_brands(session=session, specs=[BrandSpec("Acme", "acme", [], {}, False)])
        sources = sync_sources(session=session, now=OLD, specs=[
            SourceSpec("blog", "feed", "https://blog.example/feed", {}, ["Acme"], 600, True)])
        acme = brands["Acme"]
        items = []
        for n in range(old + new):
            complaint = n < old_complaints
            items.append(NewMention(
                external_id=str(n), text=f"acme mention {n}", content_hash=f"h{n}", story_key=f"s{n}",
                published_at=OLD if n < old else NOW - timedelta(days=1), is_complaint=complaint,
                complaint_score=0.9 if complaint else 0.1, brand_ids=[acme],
                case_brand_id=acme if complaint else None,
                sla_due_at=OLD + timedelta(hours=4) if complaint else None, priority=1.0))
        return store_batch(session=session, source_id=sources["blog"], items=items, now=OLD).case_ids


def catch_up_rollup(engine) -> None:
    while True:
        with session_scope(engine) as session:
            if not refresh_rollup(session=session, now=NOW):
                return


def rows(engine, model) -> list:
    with session_scope(engine) as session:
        return list(session.exec(select(model)).all())


def rollup_totals(engine) -> tuple[int, int, int]:
    with session_scope(engine) as session:
        return tuple(session.exec(select(sa.func.sum(MentionRollup.positive), sa.func.sum(MentionRollup.neutral),
                                         sa.func.sum(MentionRollup.negative))).one())


def test_old_mentions_go_in_batches_and_the_digest_counts_stay(engine):
    (case_id,) = store(engine, old=12, new=2, old_complaints=1)
    catch_up_rollup(engine)
    counted = rollup_totals(engine)
    pruned = prune(engine, now=NOW, mentions_before=NOW - KEEP, batch=5)
    assert pruned.mentions == 11  # the twelve old ones but the one with a case
    kept = rows(engine, Mention)
    assert len(kept) == 3
    with session_scope(engine) as session:
        assert session.get(Case, case_id).mention_id in {m.id for m in kept}
    assert {link.mention_id for link in rows(engine, MentionBrand)} == {m.id for m in kept}
    assert rollup_totals(engine) == counted  # the rollup still counts what was pruned
    assert prune(engine, now=NOW, mentions_before=NOW - KEEP).mentions == 0


def test_mentions_the_rollup_has_not_counted_yet_are_kept(engine):
    store(engine, old=4, new=0, old_complaints=0)
    assert prune(engine, now=NOW, mentions_before=NOW - KEEP).mentions == 0
    assert len(rows(engine, Mention)) == 4


def test_sent_outbox_rows_go_after_their_keep_and_pending_ones_stay(engine):
    with session_scope(engine) as session:
        for key in ("old", "recent", "pending"):
            enqueue(session=session, kind="digest", dedupe_key=key, payload={}, channel="#d", now=OLD)
    with session_scope(engine) as session:
        by_key = {row.dedupe_key: row.id for row in lease_due(session=session, now=OLD + timedelta(minutes=1))}
        mark_sent(session=session, outbox_id=by_key["old"], now=NOW - OUTBOX_KEEP - timedelta(days=1))
        mark_sent(session=session, outbox_id=by_key["recent"], now=NOW - timedelta(days=1))
    assert prune(engine, now=NOW, mentions_before=NOW - KEEP).outbox == 1
    assert sorted(row.dedupe_key for row in rows(engine, Outbox)) == ["pending", "recent"]


def test_old_events_of_closed_cases_go_and_open_cases_keep_theirs(engine):
    closed, still_open = store(engine, old=2, new=0, old_complaints=2)
    with session_scope(engine) as session:
        cases.claim(session=session, case_id=closed, user="U1", now=OLD + timedelta(minutes=1))
        cases.claim(session=session, case_id=still_open, user="U1", now=OLD + timedelta(minutes=1))
    with session_scope(engine) as session:
        cases.resolve(session=session, case_id=closed, user="U1", note="refunded", now=OLD + timedelta(hours=1))
    assert prune(engine, now=NOW, mentions_before=NOW - KEEP).events >= 2
    assert {event.case_id for event in rows(engine, Event)} == {still_open}
