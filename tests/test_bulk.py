"""storage.bulk stores exactly what the ORM stores, skips conflicts, and returns only what it inserted."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from storage.bulk import MAX_VALUES, insert_many
from storage.db import session_scope
from storage.models import Mention, Source

UTC = timezone.utc
COLUMNS = ("source_id", "external_id", "text", "content_hash", "story_key", "published_at", "fetched_at",
           "complaint_cues", "is_complaint", "sentiment", "title")


@pytest.fixture
def source_id(engine) -> int:
    with session_scope(engine) as session:
        source = Source(name="bulk", kind="feed", url="https://example.com/feed")
        session.add(source)
        session.flush()
        return source.id


def _values(source_id: int, external_id: str, when: datetime) -> tuple:
    return (source_id, external_id, "text with 'quotes' and ünïcode", "h", "k", when, when,
            ["still waiting", "no reply"], True, -0.5, None)


def _raw_rows(engine) -> list[tuple]:
    """Every column as the database holds it (no type processing on the way out), but the id."""
    columns = ", ".join(c.name for c in Mention.__table__.c if c.name != "id")
    with engine.connect() as conn:
        return [tuple(row) for row in conn.execute(sa.text(f"SELECT {columns} FROM mention ORDER BY external_id"))]


def test_stores_the_same_values_as_the_orm(engine, source_id):
    # an aware non-UTC time, microseconds, JSON, a bool, a float and a NULL: every bind processor in play
    when = datetime(2026, 3, 29, 1, 30, 15, 123456, tzinfo=timezone(timedelta(hours=2)))
    with session_scope(engine) as session:
        session.add(Mention(**dict(zip(COLUMNS, _values(source_id, "orm", when)))))
    with session_scope(engine) as session:
        insert_many(session, Mention.__table__, COLUMNS, [_values(source_id, "bulk", when)])
    bulk, orm = _raw_rows(engine)
    external_id = [c.name for c in Mention.__table__.c if c.name != "id"].index("external_id")
    assert (bulk[external_id], orm[external_id]) == ("bulk", "orm")
    assert bulk[:external_id] + bulk[external_id + 1:] == orm[:external_id] + orm[external_id + 1:]
    with session_scope(engine) as session:
        read = session.exec(sa.select(Mention).where(Mention.external_id == "bulk")).scalar_one()
        assert read.published_at == when and read.published_at.tzinfo is not None
        assert read.complaint_cues == ["still waiting", "no reply"]


def test_skips_conflicts_and_returns_only_inserted_rows(engine, source_id):
    now = datetime(2026, 11, 29, tzinfo=UTC)
    with session_scope(engine) as session:
        insert_many(session, Mention.__table__, COLUMNS, [_values(source_id, "a", now)])
    with session_scope(engine) as session:
        returned = insert_many(session, Mention.__table__, COLUMNS,
                               [_values(source_id, "a", now), _values(source_id, "b", now)],
                               skip_conflicts_on=("source_id", "external_id"), returning=("external_id", "id"))
    assert [external_id for external_id, _ in returned] == ["b"]
    with session_scope(engine) as session:
        stored = dict(session.execute(sa.select(Mention.external_id, Mention.id)).all())
    assert stored["b"] == returned[0][1]


def test_batches_larger_than_one_statement_allows(engine, source_id):
    now = datetime(2026, 11, 29, tzinfo=UTC)
    count = MAX_VALUES // len(COLUMNS) * 2 + 7  # three statements
    rows = [_values(source_id, f"item-{i}", now) for i in range(count)]
    with session_scope(engine) as session:
        returned = insert_many(session, Mention.__table__, COLUMNS, rows, returning=("id",))
    assert len(returned) == count
    with session_scope(engine) as session:
        assert session.execute(sa.select(sa.func.count()).select_from(Mention)).scalar_one() == count


def test_a_failing_batch_rolls_back_whole(engine, source_id):
    now = datetime(2026, 11, 29, tzinfo=UTC)
    rows = [_values(source_id, "x", now), _values(source_id, "x", now)]  # a duplicate, and no conflict clause
    with pytest.raises(sa.exc.IntegrityError):
        with session_scope(engine) as session:
            insert_many(session, Mention.__table__, COLUMNS, rows)
    assert _raw_rows(engine) == []


def test_utc_datetimes_reach_sqlite_as_sqlalchemy_would_write_them():
    import random

    from sqlalchemy.dialects import sqlite

    from storage.models import UTCDateTime

    dialect = sqlite.dialect()
    ours = UTCDateTime().dialect_impl(dialect).bind_processor(dialect)
    theirs = sa.DateTime().dialect_impl(dialect).bind_processor(dialect)
    rng = random.Random(7)
    for _ in range(20_000):
        moment = datetime(1, 1, 2, tzinfo=UTC) + timedelta(seconds=rng.random() * 3e11,
                                                            microseconds=rng.randrange(1_000_000))
        if rng.random() < 0.5:
            moment = moment.astimezone(timezone(timedelta(minutes=rng.randrange(-720, 720, 15))))
        assert ours(moment) == theirs(moment.astimezone(UTC).replace(tzinfo=None))
    with pytest.raises(ValueError, match="naive"):
        ours(datetime(2026, 1, 1))


def test_execute_in_binds_long_lists_in_chunks(engine, source_id):
    from storage.bulk import execute_in

    now = datetime(2026, 11, 29, tzinfo=UTC)
    with session_scope(engine) as session:
        insert_many(session, Mention.__table__, COLUMNS, [_values(source_id, name, now) for name in ("a", "b")])
    wanted = [f"missing-{i}" for i in range(MAX_VALUES + 5)] + ["b", "a"]  # two statements
    with session_scope(engine) as session:
        rows = execute_in(session, "SELECT external_id FROM mention WHERE source_id = {mark} AND external_id "
                                   "IN ({marks})", wanted, params=[source_id])
        assert sorted(rows) == [("a",), ("b",)]
        assert execute_in(session, "SELECT id FROM mention WHERE id IN ({marks})", []) == []


def test_values_equal_as_keys_but_of_different_types_are_converted_apart(engine, source_id):
    now = datetime(2026, 11, 29, tzinfo=UTC)
    rows = []
    for external_id, cues in (("int", 1), ("bool", True), ("float", 1.0)):
        row = list(_values(source_id, external_id, now))
        row[COLUMNS.index("complaint_cues")] = cues  # a JSON column: 1, true and 1.0 are different documents
        rows.append(tuple(row))
    tuples = []  # the same inside tuples, when a column holds nothing else: (1,) == (True,)
    for external_id, cues in (("ints", (1,)), ("bools", (True,))):
        row = list(_values(source_id, external_id, now))
        row[COLUMNS.index("complaint_cues")] = cues
        tuples.append(tuple(row))
    with session_scope(engine) as session:
        insert_many(session, Mention.__table__, COLUMNS, rows)
        insert_many(session, Mention.__table__, COLUMNS, tuples)
    with engine.connect() as conn:
        stored = dict(conn.execute(sa.text("SELECT external_id, complaint_cues FROM mention")).all())
    as_text = {key: str(value).lower() for key, value in stored.items()}
    assert as_text["int"] == "1" and as_text["bool"] == "true" and as_text["float"] in ("1.0", "1")
    assert as_text["int"] != as_text["bool"]
    assert as_text["ints"] == "[1]" and as_text["bools"] == "[true]"
