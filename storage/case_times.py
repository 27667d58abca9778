"""The per-case times `earful stats` aggregates, read in one query (cases opened in a period)."""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

import sqlalchemy as sa
from sqlmodel import Session, col, select

from storage.models import Brand, Case, Mention


class CaseTimeRow(NamedTuple):
    brand: str
    agent: str | None
    status: str
    started: datetime  # the complaint's publication time (the case's opening when unknown)
    opened_at: datetime
    claimed_at: datetime | None
    first_response_at: datetime | None
    resolved_at: datetime | None


def case_times(*, session: Session, since: datetime, brand: str | None = None) -> list[CaseTimeRow]:
    """The times of every case opened since `since` (optionally of one brand)."""
    query = (
        select(Brand.name, Case.claimed_by, Case.status, Mention.published_at, Case.opened_at, Case.claimed_at,
               Case.first_response_at, Case.resolved_at)
        .join(Brand, Brand.id == Case.brand_id)
        .join(Mention, Mention.id == Case.mention_id)
        .where(col(Case.opened_at) >= since)
        .order_by(col(Case.id))
    )
    if brand is not None:
        query = query.where(sa.func.lower(Brand.name) == brand.lower())
    rows = []
    for name, claimer, status, published, opened, claimed, answered, resolved in session.exec(query).all():
        rows.append(CaseTimeRow(name, claimer, status, published or opened, opened, claimed, answered, resolved))
    return rows
