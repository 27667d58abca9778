"""Leasing rows to one worker: pick and mark them in a single UPDATE ... RETURNING.

One statement is what makes it safe for several workers on SQLite too: SQLite has no SKIP LOCKED, and a SELECT
followed by an UPDATE lets two workers take the same rows (the update takes the write lock first and picks rows
under it). On PostgreSQL the picking also skips rows other workers hold.
"""

from __future__ import annotations

from typing import Any, TypeVar

import sqlalchemy as sa
from sqlmodel import Session, col

Row = TypeVar("Row")


def lease_rows(session: Session, model: type[Row], due: Any, values: dict[str, Any]) -> list[Row]:
    """Apply `values` to the rows whose ids `due` (a SELECT of ids, ordered and limited) picks; return them."""
    if session.get_bind().dialect.name == "postgresql":
        due = due.with_for_update(skip_locked=True)
    statement = (
        sa.update(model)
        .where(col(model.id).in_(due.scalar_subquery()))
        .values(**values)
        .returning(model)
        .execution_options(synchronize_session=False, populate_existing=True)
    )
    return sorted(session.scalars(statement).all(), key=lambda row: row.id)
