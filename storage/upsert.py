"""INSERT ... ON CONFLICT DO NOTHING for both SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session


def insert_ignore(session: Session, model: Any, rows: list[dict[str, Any]], *, keys: list[str]) -> int:
    """Insert rows, skipping those that collide on the unique `keys`; returns how many were inserted."""
    if not rows:
        return 0
    dialect = session.get_bind().dialect.name
    module = postgresql if dialect == "postgresql" else sqlite
    table = model.__table__
    statement = module.insert(table).on_conflict_do_nothing(index_elements=keys).returning(*table.primary_key)
    # counted from RETURNING: executemany rowcounts are not reliable across drivers
    return len(session.execute(statement, rows).all())
