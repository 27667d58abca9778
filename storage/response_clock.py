"""The response clock's storage: recording the first public answer, and the reads and guarded writes the reply
watch and the escalation sweep need. Every write is a compare-and-set, so two workers cannot both answer,
remind or escalate; the Slack messages go through the outbox in the same transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from storage.cases import CaseError, CaseNotFound
from storage.models import Brand, Case, Event, Mention, Source
from storage.outbox import enqueue

WATCHED_STATES = ("open", "claimed", "snoozed")  # a case being worked on whose answer may still appear


class AlreadyAnswered(CaseError):
    def __init__(self, case: Case):
        super().__init__(f"case #{case.id} was already answered at {case.first_response_at:%Y-%m-%d %H:%M} UTC")
        self.case = case


def record_response(
    *, session: Session, case_id: int, actor: str, url: str | None, now: datetime, answered_at: datetime | None = None,
) -> Event:
    """Stop the case's clock at `answered_at` (default `now`): who answered and where go in an 'answered'
    event. Only the first answer counts; a second raises AlreadyAnswered."""
    at = min(answered_at or now, now)
    result = session.execute(
        sa.update(Case).where(Case.id == case_id, col(Case.first_response_at).is_(None))
        .values(first_response_at=at, version=Case.version + 1)
    )
    case = session.get(Case, case_id, populate_existing=True)
    if case is None:
        raise CaseNotFound(case_id)
    if result.rowcount != 1:
        raise AlreadyAnswered(case)
    event = _event(session, case, actor=actor, action="answered", note=url, now=now)
    return event


def _event(session: Session, case: Case, *, actor: str, action: str, note: str | None, now: datetime) -> Event:
    """An audit event plus the card refresh and thread line it calls for (as storage.cases does)."""
    event = Event(case_id=case.id, actor=actor, action=action, note=note, at=now)
    session.add(event)
    session.flush()
    enqueue(session=session, kind="update_card", dedupe_key=f"card-update:{case.id}:{case.version}",
            payload={"case_id": case.id}, channel=None, now=now)
    enqueue(session=session, kind="thread_note", dedupe_key=f"thread:{event.id}",
            payload={"case_id": case.id, "event_id": event.id}, channel=None, now=now)
    return event


@dataclass(frozen=True)
class WatchedThread:
    """An unanswered case whose thread can be re-read, with what reading it needs."""

    case_id: int
    brand_id: int
    kind: str
    base_url: str
    params: dict[str, Any]
    external_id: str
    thread_id: str | None
    published_at: datetime | None
    handles: dict[str, list[str]]
    url: str | None  # the complaint's link


def unanswered_threads(*, session: Session, kinds: list[str], limit: int = 500) -> list[WatchedThread]:
    """Open, claimed or snoozed cases with no answer yet, from sources of `kinds`, oldest first."""
    rows = session.exec(
        select(Case.id, Case.brand_id, Source.kind, Source.url, Source.params, Mention.external_id,
               Mention.thread_id, Mention.published_at, Brand.handles, Mention.url)
        .join(Mention, Mention.id == Case.mention_id)
        .join(Source, Source.id == Mention.source_id)
        .join(Brand, Brand.id == Case.brand_id)
        .where(col(Case.status).in_(WATCHED_STATES), col(Case.first_response_at).is_(None),
               col(Source.kind).in_(kinds))
        .order_by(col(Case.id)).limit(limit)
    ).all()
    return [WatchedThread(*row) for row in rows]


@dataclass(frozen=True)
class ClockRow:
    """An unanswered open or claimed case with a deadline, as the escalation sweep sees it."""

    case_id: int
    brand: str
    status: str
    priority: float
    claimed_by: str | None
    started: datetime
    due: datetime
    escalated_at: datetime | None
    opened_at: datetime
    escalations: int


def _not_backlog() -> Any:
    # backlog (the deadline had passed when the case opened) is listed once per brand, never escalated alone
    return col(Case.sla_due_at) > col(Case.opened_at)


def running_clocks(*, session: Session, now: datetime, repeat: timedelta, page: int = 1000) -> Iterator[ClockRow]:
    """Every unanswered open or claimed case that may have something due at `now`, earliest deadline first, a
    page at a time (however many there are: none waits behind the first thousand). Backlog is left out.

    Left out: cases escalated within the last `repeat`, which wait for their follow-up, unless they are claimed
    and still before their deadline (the claimer's reminder may be due)."""
    waiting = sa.and_(col(Case.escalated_at).is_not(None), col(Case.escalated_at) > now - repeat,
                      sa.not_(sa.and_(col(Case.claimed_by).is_not(None), col(Case.sla_due_at) > now)))
    after: tuple[datetime, int] | None = None
    while True:
        query = (
            select(Case.id, Brand.name, Case.status, Case.priority, Case.claimed_by,
                   sa.func.coalesce(Mention.published_at, Case.opened_at), Case.sla_due_at, Case.escalated_at,
                   Case.opened_at, Case.escalations)
            .join(Mention, Mention.id == Case.mention_id)
            .join(Brand, Brand.id == Case.brand_id)
            .where(col(Case.status).in_(("open", "claimed")), col(Case.first_response_at).is_(None),
                   col(Case.sla_due_at).is_not(None), _not_backlog(), sa.not_(waiting))
        )
        if after is not None:
            query = query.where(sa.or_(col(Case.sla_due_at) > after[0],
                                       sa.and_(col(Case.sla_due_at) == after[0], col(Case.id) > after[1])))
        rows = session.exec(query.order_by(col(Case.sla_due_at), col(Case.id)).limit(page)).all()
        for case_id, brand, status, priority, claimed_by, started, due, escalated, opened, count in rows:
            yield ClockRow(case_id, brand, status, priority, claimed_by, _aware(started), due, escalated, opened,
                           count)
        if len(rows) < page:
            return
        after = (rows[-1][6], rows[-1][0])


def _aware(moment: datetime) -> datetime:
    # coalesce() loses the column type, so the UTC marker has to be put back here
    from datetime import timezone

    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def remind(*, session: Session, case_id: int, user: str, now: datetime) -> bool:
    """Queue the one reminder of a case to its claimer; False when it was queued before (by anyone)."""
    added = enqueue(session=session, kind="remind", dedupe_key=f"remind:{case_id}",
                    payload={"case_id": case_id, "user": user}, channel=user, now=now)
    if added:
        session.add(Event(case_id=case_id, actor="earful", action="reminded", note=user, at=now))
    return added


def claim_escalation(
    *, session: Session, case_id: int, round_no: int, not_since: datetime, now: datetime, note: str | None = None,
) -> bool:
    """Take escalation number `round_no` of a case (its `round_no`-th after the first), unless it was taken
    already, one went out after `not_since`, or the case was answered or closed meanwhile. The guarded UPDATE
    lets exactly one worker through; the caller queues the message (alone or folded with others)."""
    result = session.execute(
        sa.update(Case)
        .where(Case.id == case_id, col(Case.first_response_at).is_(None), col(Case.status).in_(("open", "claimed")),
               Case.escalations == round_no,
               sa.or_(col(Case.escalated_at).is_(None), col(Case.escalated_at) <= not_since))
        .values(escalated_at=now, escalations=Case.escalations + 1)
    )
    if result.rowcount != 1:
        return False
    session.add(Event(case_id=case_id, actor="earful", action="escalated", note=note, at=now))
    return True


def escalation_key(case_id: int, due: datetime, round_no: int) -> str:
    # the deadline is in the key because a reopened case starts its rounds again with a fresh one
    return f"escalate:{case_id}:{due:%Y%m%dT%H%M%S}:{round_no}"


def enqueue_escalation(*, session: Session, case_id: int, due: datetime, round_no: int, channel: str,
                       now: datetime) -> bool:
    return enqueue(session=session, kind="escalate", dedupe_key=escalation_key(case_id, due, round_no),
                   payload={"case_id": case_id, "round": round_no}, channel=channel, now=now)


def enqueue_folded_escalations(*, session: Session, escalations: list[tuple[int, datetime, int]], channel: str,
                               now: datetime) -> bool:
    """One message for many escalations due together: [(case id, deadline, round), ...]."""
    case_id, due, round_no = escalations[0]
    return enqueue(session=session, kind="escalate_many",
                   dedupe_key="folded-" + escalation_key(case_id, due, round_no),
                   payload={"cases": [[c, r] for c, _, r in escalations]}, channel=channel, now=now)


def unlisted_backlog(*, session: Session, limit: int = 10_000) -> list[tuple[int, int]]:
    """(brand id, case id) of backlog cases not listed in a backlog summary yet, oldest deadline first."""
    rows = session.exec(
        select(Case.brand_id, Case.id)
        .where(col(Case.status).in_(("open", "claimed")), col(Case.first_response_at).is_(None),
               col(Case.sla_due_at).is_not(None), sa.not_(_not_backlog()), col(Case.escalated_at).is_(None))
        .order_by(col(Case.sla_due_at), col(Case.id)).limit(limit)
    ).all()
    return [(brand_id, case_id) for brand_id, case_id in rows]


def list_backlog(*, session: Session, brand_id: int, case_ids: list[int], channel: str, now: datetime) -> list[int]:
    """Queue one backlog summary of a brand for those of `case_ids` no other worker listed first; returns them.
    Marking them escalated (once, guarded) is what keeps them out of every later summary."""
    taken = []
    for case_id in case_ids:
        result = session.execute(
            sa.update(Case).where(Case.id == case_id, col(Case.escalated_at).is_(None)).values(escalated_at=now))
        if result.rowcount == 1:
            taken.append(case_id)
    if not taken:
        return []
    session.add_all([Event(case_id=case_id, actor="earful", action="backlog",
                           note="already past its SLA when first seen: listed in the brand's backlog summary",
                           at=now) for case_id in taken])
    enqueue(session=session, kind="backlog", dedupe_key=f"backlog:{brand_id}:{taken[0]}",
            payload={"brand_id": brand_id, "case_ids": taken}, channel=channel, now=now)
    return taken


def still_unanswered(*, session: Session, case_ids: list[int]) -> list[int]:
    """Those of `case_ids` (in their order) still open or claimed with no answer: what a summary lists."""
    waiting: set[int] = set()
    for start in range(0, len(case_ids), 500):
        chunk = case_ids[start:start + 500]
        waiting.update(session.exec(
            select(Case.id).where(col(Case.id).in_(chunk), col(Case.status).in_(("open", "claimed")),
                                  col(Case.first_response_at).is_(None))).all())
    return [case_id for case_id in case_ids if case_id in waiting]
