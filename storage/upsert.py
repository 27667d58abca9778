"""INSERT ... ON CONFLICT DO NOTHING for both SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from storage.bulk import insert_many


def insert_ignore(session: Session, model: Any, rows: list[dict[str, Any]], *, keys: list[str]) -> int:
    """Insert rows (dicts with the same keys), skipping those that collide on the unique `keys`; returns how many
    were inserted."""
    if not rows:
        return 0
    table = model.__table__
    columns = list(rows[0])
    # counted from RETURNING: executemany rowcounts are not reliable across drivers
    return len(insert_many(session, table, columns, [[row[name] for name in columns] for row in rows],
                           skip_conflicts_on=keys, returning=[column.name for column in table.primary_key]))
