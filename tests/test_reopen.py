"""A new complaint by the same author in the same thread reopens that author's case instead of opening another."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from storage import cases
from storage.db import session_scope
from storage.mentions import NewMention, store_batch
from storage.models import Case, Event
from storage.response_clock import record_response
from storage.sources import BrandSpec, SourceSpec, sync_brands, sync_sources
from tests.test_response_clock import PUBLISHED

LATER = PUBLISHED + timedelta(days=1)


def setup(engine) -> tuple[int, int]:
    with session_scope(engine) as session:
        brands = sync_brands(session=session, specs=[BrandSpec("Acme", "acme", [], {}, False)])
        sources = sync_sources(session=session, now=PUBLISHED, specs=[
            SourceSpec("reddit", "reddit", "", {}, ["Acme"], 600, True)])
    return brands["Acme"], sources["reddit"]


def complaint(brand: int, external_id: str, *, author="sam", thread="t3_a", at=PUBLISHED) -> NewMention:
    return NewMention(external_id=external_id, text=f"acme still broken {external_id}", content_hash=external_id,
                      story_key=external_id, published_at=at, author=author, thread_id=thread, is_complaint=True,
                      complaint_score=0.9, brand_ids=[brand], case_brand_id=brand, sla_due_at=at + timedelta(hours=4),
                      url=f"https://www.reddit.com/{external_id}")


def store(engine, source: int, *items: NewMention, now=PUBLISHED):
    with session_scope(engine) as session:
        return store_batch(session=session, source_id=source, items=list(items), now=now)


def all_cases(engine) -> list[Case]:
    with session_scope(engine) as session:
        return list(session.exec(select(Case).order_by(Case.id)).all())


def test_a_closed_case_reopens_with_a_fresh_clock(engine):
    brand, source = setup(engine)
    (case_id,) = store(engine, source, complaint(brand, "t3_a")).case_ids
    with session_scope(engine) as session:
        cases.claim(session=session, case_id=case_id, user="U1", now=PUBLISHED)
        record_response(session=session, case_id=case_id, actor="U1", url=None, now=PUBLISHED + timedelta(hours=1))
        cases.resolve(session=session, case_id=case_id, user="U1", now=PUBLISHED + timedelta(hours=2))
    result = store(engine, source, complaint(brand, "t1_b", author="SAM", at=LATER), now=LATER)
    assert (result.case_ids, result.reopened, result.new) == ([], [case_id], 1)
    (case,) = all_cases(engine)
    assert (case.status, case.claimed_by, case.first_response_at, case.resolved_at) == ("open", None, None, None)
    assert case.sla_due_at == LATER + timedelta(hours=4)
    with session_scope(engine) as session:
        actions = [e.action for e in cases.case_events(session=session, case_id=case_id)]
        reopened = session.exec(select(Event).where(Event.action == "reopened")).one()
    assert actions[-1] == "reopened" and reopened.note == "https://www.reddit.com/t1_b"


def test_an_open_case_absorbs_the_follow_up(engine):
    brand, source = setup(engine)
    (case_id,) = store(engine, source, complaint(brand, "t3_a")).case_ids
    result = store(engine, source, complaint(brand, "t1_b", at=LATER), now=LATER)
    assert (result.case_ids, result.reopened) == ([], [])
    assert [c.id for c in all_cases(engine)] == [case_id]


def test_someone_else_or_another_thread_gets_a_case_of_their_own(engine):
    brand, source = setup(engine)
    store(engine, source, complaint(brand, "t3_a"))
    other_author = store(engine, source, complaint(brand, "t1_b", author="kim", at=LATER), now=LATER)
    other_thread = store(engine, source, complaint(brand, "t3_c", thread="t3_c", at=LATER), now=LATER)
    no_thread = store(engine, source, complaint(brand, "x1", thread=None, at=LATER), now=LATER)
    assert len(other_author.case_ids) == len(other_thread.case_ids) == len(no_thread.case_ids) == 1
    assert len(all_cases(engine)) == 4
