"""Verdicts on whether a mention is a complaint, and the (brand, score, verdict) samples tuning reads."""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

import sqlalchemy as sa
from sqlmodel import Session, col, select

from storage.models import Brand, Feedback, Mention, MentionBrand


class UnknownMention(LookupError):
    def __init__(self, mention_id: int):
        super().__init__(f"there is no mention #{mention_id}")


def record_feedback(*, session: Session, mention_id: int, verdict: bool, who: str, now: datetime) -> None:
    if session.get(Mention, mention_id) is None:
        raise UnknownMention(mention_id)
    session.add(Feedback(mention_id=mention_id, verdict=verdict, who=who, at=now))
    session.flush()


class Sample(NamedTuple):
    brand: str
    score: float
    verdict: bool


def feedback_samples(*, session: Session) -> list[Sample]:
    """The latest verdict on each mention, with its complaint score, once per brand it matched (competitors'
    mentions open no cases and are left out)."""
    latest = (select(Feedback.mention_id, sa.func.max(Feedback.id).label("last"))
              .group_by(Feedback.mention_id).subquery())
    rows = session.exec(
        select(Brand.name, Mention.complaint_score, Feedback.verdict)
        .join(latest, latest.c.last == Feedback.id)
        .join(Mention, Mention.id == Feedback.mention_id)
        .join(MentionBrand, MentionBrand.mention_id == Mention.id)
        .join(Brand, Brand.id == MentionBrand.brand_id)
        .where(col(Brand.competitor).is_(False))
        .order_by(col(Feedback.id))
    ).all()
    return [Sample(*row) for row in rows]


def mention_by_link(*, session: Session, canonical: str) -> int | None:
    """The mention a pasted link points at, the earliest if several: `canonical` is the link's canonical form,
    which every stored link has beside it. (Matching the stored link as well, with OR, read the whole table:
    that column has no index, and the same link has the same canonical form anyway.)"""
    return session.exec(select(sa.func.min(Mention.id)).where(Mention.canonical_url == canonical)).one()


def own_brand_of(*, session: Session, mention_id: int) -> tuple[int, str, datetime | None, float, int] | None:
    """The first own (not competitor) brand a mention matched: (brand id, name, published, complaint score,
    author reach), or None."""
    row = session.exec(
        select(Brand.id, Brand.name, Mention.published_at, Mention.complaint_score, Mention.author_reach)
        .join(MentionBrand, MentionBrand.brand_id == Brand.id)
        .join(Mention, Mention.id == MentionBrand.mention_id)
        .where(MentionBrand.mention_id == mention_id, col(Brand.competitor).is_(False))
        .order_by(col(Brand.id))
    ).first()
    return tuple(row) if row is not None else None
