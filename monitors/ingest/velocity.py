"""Velocity: a complaint whose engagement keeps growing between polls is spreading, and moves up the queue.

priority = severity × reach factor (monitors.ingest.pipeline.priority) × velocity factor, where the velocity factor is
1 + 0.25 · log10(1 + reach gained since the last poll): +25% for 9 more, +50% for 99 more, +75% for 999 more.
Growth is only ever seen on a re-fetch (sources that re-read recent posts), and only raises a case's priority
while it is being worked on. `bump` is pure; `refresh_priorities` reads and writes through storage.
"""

from __future__ import annotations

import math

from sqlmodel import Session

from monitors.ingest.pipeline import priority
from storage.mentions import NewMention
from storage.reach import open_case_reach, raise_reach

WEIGHT = 0.25


def velocity_factor(gained: int) -> float:
    return 1.0 + WEIGHT * math.log10(1 + max(gained, 0))


def bump(*, complaint_score: float, old_reach: int, new_reach: int) -> float | None:
    """The case's new priority when reach grew, else None (nothing to change)."""
    if new_reach <= old_reach:
        return None
    return round(priority(complaint_score, new_reach) * velocity_factor(new_reach - old_reach), 4)


def refresh_priorities(*, session: Session, source_id: int, rows: list[NewMention]) -> list[int]:
    """Before a batch is stored: raise the priority of worked-on cases whose mention came back with more reach.
    Returns the case ids raised."""
    by_id = {row.external_id: row for row in rows}
    raised = []
    for stored in open_case_reach(session=session, source_id=source_id, external_ids=list(by_id)):
        row = by_id[stored.external_id]
        new = bump(complaint_score=row.complaint_score, old_reach=stored.reach, new_reach=row.author_reach)
        if new is not None:
            raise_reach(session=session, mention_id=stored.mention_id, case_id=stored.case_id,
                        reach=row.author_reach, priority=new)
            raised.append(stored.case_id)
    return raised
