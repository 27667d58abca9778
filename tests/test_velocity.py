"""Velocity: reach gained between polls raises a worked-on case's priority, explainably."""

from __future__ import annotations

from dataclasses import replace

import pytest

from monitors.ingest.pipeline import priority
from monitors.ingest.intake import store_rows
from monitors.ingest.velocity import bump, velocity_factor
from storage import cases
from storage.db import session_scope
from storage.models import Case, Mention
from tests.test_reopen import complaint, setup
from tests.test_response_clock import PUBLISHED


def test_velocity_factor_and_bump():
    assert velocity_factor(0) == 1.0
    assert velocity_factor(9) == pytest.approx(1.25)
    assert velocity_factor(999) == pytest.approx(1.75)
    assert bump(complaint_score=0.8, old_reach=10, new_reach=10) is None
    assert bump(complaint_score=0.8, old_reach=10, new_reach=5) is None
    assert bump(complaint_score=0.8, old_reach=10, new_reach=109) == round(priority(0.8, 109) * 1.5, 4)


def test_a_refetch_with_more_reach_raises_the_open_case_only(engine):
    brand, source = setup(engine)
    first = replace(complaint(brand, "t3_a"), author_reach=10, priority=priority(0.9, 10))
    second = replace(complaint(brand, "t3_b", thread="t3_b"), author_reach=10, priority=priority(0.9, 10))
    open_id, closed_id = store_rows(engine, source_id=source, rows=[first, second], now=PUBLISHED).case_ids
    with session_scope(engine) as session:
        cases.resolve(session=session, case_id=closed_id, user="U1", now=PUBLISHED)
    store_rows(engine, source_id=source, rows=[replace(first, author_reach=1009), replace(second, author_reach=1009)],
               now=PUBLISHED)
    with session_scope(engine) as session:
        raised, untouched = session.get(Case, open_id), session.get(Case, closed_id)
        assert raised.priority == round(priority(0.9, 1009) * velocity_factor(999), 4)
        assert session.get(Mention, raised.mention_id).author_reach == 1009
        assert untouched.priority == priority(0.9, 10)
