"""Reach re-measured on a re-fetch, for cases still being worked on: what was stored, and the update."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlmodel import Session, col, select

from storage.models import Case, Mention

WORKED_STATES = ("open", "claimed", "snoozed")


@dataclass(frozen=True)
class StoredReach:
    external_id: str
    mention_id: int
    case_id: int
    reach: int


def open_case_reach(*, session: Session, source_id: int, external_ids: list[str]) -> list[StoredReach]:
    if not external_ids:
        return []
    rows = session.exec(
        select(Mention.external_id, Mention.id, Case.id, Mention.author_reach)
        .join(Case, Case.mention_id == Mention.id)
        .where(Mention.source_id == source_id, col(Mention.external_id).in_(external_ids),
               col(Case.status).in_(WORKED_STATES))
    ).all()
    return [StoredReach(*row) for row in rows]


def raise_reach(*, session: Session, mention_id: int, case_id: int, reach: int, priority: float) -> None:
    session.execute(sa.update(Mention).where(Mention.id == mention_id).values(author_reach=reach))
    session.execute(sa.update(Case).where(Case.id == case_id).values(priority=priority))
