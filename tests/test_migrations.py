"""The migrations build exactly the schema the models describe (a model change without a migration fails)."""

from __future__ import annotations

from datetime import datetime, timezone

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import SQLModel

import storage.models  # noqa: F401  (registers the tables)

NOW = datetime(2026, 11, 29, tzinfo=timezone.utc)


def test_migrated_schema_matches_the_models(engine):
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        differences = compare_metadata(context, SQLModel.metadata)
    assert differences == []


def _alembic(engine, action: str, revision: str) -> None:
    from alembic import command
    from alembic.config import Config

    from storage.db import MIGRATIONS

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        getattr(command, action)(config, revision)


def test_dropping_story_id_keeps_the_mentions_and_a_downgrade_restores_it(engine):
    _story_id_round_trip(engine)


def test_an_sqlite_older_than_3_35_drops_story_id_by_copying_the_table(sqlite_engine, monkeypatch):
    with sqlite_engine.connect():  # the dialect learns the server's version on the first connection
        monkeypatch.setattr(sqlite_engine.dialect, "server_version_info", (3, 34, 1))
    _story_id_round_trip(sqlite_engine)


def _story_id_round_trip(engine) -> None:
    import sqlalchemy as sa

    from storage.db import session_scope
    from storage.models import Mention, Source

    try:
        _alembic(engine, "downgrade", "0005")
        with session_scope(engine) as session:  # these two tables' other columns are as they were at 0005
            session.add(Source(name="blog", kind="feed", url="https://a.example/"))
            session.flush()
            for external_id, key in (("a", "k"), ("b", "k"), ("c", "other")):
                session.add(Mention(source_id=1, external_id=external_id, text="acme", content_hash="h",
                                    story_key=key, fetched_at=NOW))
        _alembic(engine, "upgrade", "head")
        with engine.connect() as conn:
            columns = {column["name"] for column in sa.inspect(conn).get_columns("mention")}
            kept = conn.execute(sa.text("SELECT external_id, story_key FROM mention ORDER BY id")).all()
        assert "story_id" not in columns
        assert [tuple(row) for row in kept] == [("a", "k"), ("b", "k"), ("c", "other")]
        _alembic(engine, "downgrade", "0005")
        with engine.connect() as conn:
            stories = conn.execute(sa.text("SELECT external_id, story_id FROM mention ORDER BY id")).all()
        assert [tuple(row) for row in stories] == [("a", 1), ("b", 1), ("c", 3)]  # the first of each story
    finally:  # PostgreSQL's test database is shared with the tests after this one
        _alembic(engine, "upgrade", "head")
