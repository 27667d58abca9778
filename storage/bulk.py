"""Inserting many rows at driver speed, on SQLite and PostgreSQL.

An ORM-level executemany runs SQLAlchemy's parameter machinery for every row (a parameter dict, then each
value's type processor), and with RETURNING it renders the rows one statement at a time. For the hot inserts
of ingest (a poll stores hundreds of mentions at once) that cost more than the database's own work. Here the
rows go to the driver as one multi-row INSERT per chunk, with the values passed through the same bind
processors SQLAlchemy would use, column by column, so what is stored is exactly what the ORM path stores.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import lru_cache
from itertools import chain
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

# SQLite allows 32,766 bound values per statement (since 3.32), PostgreSQL 65,535; stay under both.
MAX_VALUES = 30_000


def insert_many(
    session: Session, table: sa.Table, columns: Sequence[str], rows: Sequence[Sequence[Any]], *,
    skip_conflicts_on: Sequence[str] | None = None, returning: Sequence[str] | None = None,
) -> list[tuple[Any, ...]]:
    """Insert `rows` (value tuples in the order of `columns`; other columns get their scalar defaults).

    With `skip_conflicts_on`, rows that collide on that unique key are skipped (ON CONFLICT DO NOTHING); with
    `returning`, those columns of the rows actually inserted come back, in no particular order."""
    if not rows:
        return []
    connection = session.connection()
    dialect = connection.dialect
    returning = tuple(returning or ())
    by_column = list(zip(*rows))
    # the columns' own scalar defaults for those not given, as the ORM would fill them in
    defaults = [column for column in table.c if column.name not in columns
                and column.default is not None and column.default.is_scalar]
    columns = (*columns, *(column.name for column in defaults))
    by_column += [[column.default.arg] * len(rows) for column in defaults]
    for index, name in enumerate(columns):
        processor = _processor(dialect, table.c[name].type)
        if processor is not None:
            by_column[index] = _convert(processor, by_column[index])
    values = list(zip(*by_column))
    chunk = max(1, MAX_VALUES // len(columns))
    inserted: list[tuple[Any, ...]] = []
    for start in range(0, len(values), chunk):
        part = values[start:start + chunk]
        sql = _sql(dialect, table.name, columns, tuple(skip_conflicts_on or ()), returning, len(part))
        result = connection.exec_driver_sql(sql, tuple(chain.from_iterable(part)))  # flattened in C
        if returning:
            inserted.extend(tuple(row) for row in result.fetchall())
    return inserted


def _convert(processor: Callable[[Any], Any], values: Sequence[Any]) -> list[Any]:
    """One column's values through its bind processor, each distinct value once (a batch shares its `now`, and
    most mentions the same empty tuple of complaint cues)."""
    done = None
    kinds = set(map(type, values)) - {type(None)}
    if len(kinds) <= 1:  # 1 == True == 1.0 as keys, yet JSON writes them apart
        try:
            done = dict.fromkeys(values)
        except TypeError:  # unhashable values, such as lists for a JSON column
            pass
        # the same within tuples: (1,) == (True,); tuples of strings are safe
        if done is not None and kinds == {tuple} and not all(type(x) is str for key in done for x in key):
            done = None
    if done is None:
        return [None if value is None else processor(value) for value in values]
    for value in done:
        done[value] = None if value is None else processor(value)
    return list(map(done.__getitem__, values))


@lru_cache(maxsize=128)
def _processor(dialect: sa.Dialect, type_: sa.types.TypeEngine) -> Callable[[Any], Any] | None:
    return type_.dialect_impl(dialect).bind_processor(dialect)


def _mark(dialect: sa.Dialect) -> str:
    """The driver's positional placeholder: sqlite3 takes "?", psycopg "%s"."""
    return "?" if dialect.paramstyle == "qmark" else "%s"


@lru_cache(maxsize=128)
def _sql(dialect: sa.Dialect, table: str, columns: tuple[str, ...], conflict: tuple[str, ...],
         returning: tuple[str, ...], rows: int) -> str:
    quote = dialect.identifier_preparer.quote
    mark = _mark(dialect)
    row = "(" + ", ".join([mark] * len(columns)) + ")"
    sql = f"INSERT INTO {quote(table)} ({', '.join(map(quote, columns))}) VALUES " + ", ".join([row] * rows)
    if conflict:
        sql += f" ON CONFLICT ({', '.join(map(quote, conflict))}) DO NOTHING"
    if returning:
        sql += f" RETURNING {', '.join(map(quote, returning))}"
    return sql


def execute_in(
    session: Session, sql: str, values: Sequence[Any], *, params: Sequence[Any] = (),
) -> list[tuple[Any, ...]]:
    """Run `sql` with its `IN ({marks})` list bound to `values` (in chunks under the databases' limits) and
    each `{mark}` before it to the next of `params`; return the rows of every chunk.

    For the per-batch look-ups of ingest (hundreds of external ids or story keys at once), where SQLAlchemy's
    rendering of an expanding IN list cost more than the database's index look-ups. The columns read back must
    need no type conversion (ids, keys, hashes)."""
    if not values:
        return []
    connection = session.connection()
    mark = _mark(connection.dialect)
    values = list(values)
    chunk = MAX_VALUES - len(params)
    rows: list[tuple[Any, ...]] = []
    for start in range(0, len(values), chunk):
        part = values[start:start + chunk]
        statement = sql.format(mark=mark, marks=", ".join([mark] * len(part)))
        result = connection.exec_driver_sql(statement, (*params, *part))
        if result.returns_rows:
            rows.extend(tuple(row) for row in result.fetchall())
    return rows
