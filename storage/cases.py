"""Case state changes. Each is atomic (a guarded UPDATE), writes an audit event, and enqueues the Slack work
(card update + one thread line) in the same transaction, so a crash can lose or duplicate nothing.

Who may do what is decided by the caller (monitors.cases.triage); these functions only guard the state machine.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Callable

import sqlalchemy as sa
from sqlmodel import Session, col, select

from storage.bulk import insert_many
from storage.models import Brand, Case, Event, Mention
from storage.outbox import enqueue, enqueue_many

OPEN_STATES = ("open", "claimed", "snoozed")


class CaseError(Exception):
    """A state change that cannot happen; the message is meant for the person who asked."""


class CaseNotFound(CaseError):
    def __init__(self, case_id: int):
        super().__init__(f"there is no case #{case_id}")
        self.case_id = case_id


class WrongState(CaseError):
    def __init__(self, case: Case, wanted: str):
        holder = f" by <@{case.claimed_by}>" if case.status == "claimed" and case.claimed_by else ""
        super().__init__(f"case #{case.id} is {case.status}{holder}; cannot {wanted} it")
        self.case = case


class AlreadyDone(WrongState):
    """The case is already as asked (the same person claiming twice, a resolved case resolved again): nothing
    changes, no event and no Slack message, and the person is told so."""

    def __init__(self, case: Case, message: str):
        CaseError.__init__(self, message)
        self.case = case


@dataclass(frozen=True)
class Change:
    case: Case
    event: Event


def get_case(*, session: Session, case_id: int) -> Case:
    case = session.get(Case, case_id)
    if case is None:
        raise CaseNotFound(case_id)
    return case


@dataclass(frozen=True)
class CaseRequest:
    """A complaint that should become a case."""

    mention_id: int
    brand_id: int
    sla_due_at: datetime | None
    priority: float = 0.0


def open_cases(*, session: Session, requests: list[CaseRequest], now: datetime) -> list[int]:
    """Open one case per complaint (a mention that has one already is skipped), each with its audit event and
    the outbox row that posts its card. Set-based: three statements for a whole batch, not three per case."""
    if not requests:
        return []
    columns = ("mention_id", "brand_id", "status", "priority", "opened_at", "sla_due_at", "version")
    rows = [(r.mention_id, r.brand_id, "open", r.priority, now, r.sla_due_at, 1) for r in requests]
    inserted = insert_many(session, Case.__table__, columns, rows, skip_conflicts_on=["mention_id"],
                           returning=["id"])
    case_ids = sorted(case_id for (case_id,) in inserted)
    if case_ids:
        insert_many(session, Event.__table__, ("case_id", "actor", "action", "at"),
                    [(case_id, "earful", "opened", now) for case_id in case_ids])
        enqueue_many(session=session, now=now, rows=[
            {"kind": "post_card", "dedupe_key": f"card:{case_id}", "payload": {"case_id": case_id}, "channel": None}
            for case_id in case_ids])
    return case_ids


def _transition(
    *, session: Session, case_id: int, from_states: tuple[str, ...], values: dict, actor: str, verb: str,
    action: str, now: datetime, note: str | None = None, guard=None,
    already: Callable[[Case], str | None] = lambda case: None,
) -> Change:
    """Compare-and-set: the UPDATE only applies when the case is still in one of `from_states` (and `guard`, an
    extra WHERE clause, holds). When it does not apply, `already(case)` says whether the case is already as
    asked (AlreadyDone, with its sentence) rather than in a state the change cannot start from (WrongState)."""
    where = [Case.id == case_id, col(Case.status).in_(from_states)]
    if guard is not None:
        where.append(guard)
    result = session.execute(sa.update(Case).where(*where).values(**values, version=Case.version + 1))
    case = session.get(Case, case_id, populate_existing=True)
    if case is None:
        raise CaseNotFound(case_id)
    if result.rowcount != 1:
        done = already(case)
        raise AlreadyDone(case, done) if done else WrongState(case, verb)
    event = Event(case_id=case_id, actor=actor, action=action, note=note, at=now)
    session.add(event)
    session.flush()
    _enqueue_card_refresh(session=session, case=case, event=event, now=now)
    return Change(case=case, event=event)


def _enqueue_card_refresh(*, session: Session, case: Case, event: Event, now: datetime) -> None:
    enqueue(session=session, kind="update_card", dedupe_key=f"card-update:{case.id}:{case.version}",
            payload={"case_id": case.id}, channel=None, now=now)
    enqueue(session=session, kind="thread_note", dedupe_key=f"thread:{event.id}",
            payload={"case_id": case.id, "event_id": event.id}, channel=None, now=now)


def claim(*, session: Session, case_id: int, user: str, now: datetime) -> Change:
    """An open case, or a snoozed one nobody else holds: a snoozed case keeps its claimer."""
    return _transition(session=session, case_id=case_id, from_states=("open", "snoozed"),
                       guard=sa.or_(Case.status == "open", col(Case.claimed_by).is_(None), Case.claimed_by == user),
                       values={"status": "claimed", "claimed_by": user, "claimed_at": now, "snoozed_until": None},
                       actor=user, verb="claim", action="claimed", now=now,
                       already=lambda case: f"you have case #{case.id} already"
                       if case.status == "claimed" and case.claimed_by == user else None)


def unclaim(*, session: Session, case_id: int, user: str, now: datetime) -> Change:
    return _transition(session=session, case_id=case_id, from_states=("claimed",),
                       values={"status": "open", "claimed_by": None, "claimed_at": None},
                       actor=user, verb="unclaim", action="unclaimed", now=now)


def resolve(*, session: Session, case_id: int, user: str, now: datetime, note: str | None = None) -> Change:
    return _transition(session=session, case_id=case_id, from_states=OPEN_STATES,
                       values={"status": "resolved", "resolved_at": now, "note": note, "snoozed_until": None},
                       actor=user, verb="resolve", action="resolved", now=now, note=note,
                       already=lambda case: _closed_already(case, "resolved"))


def dismiss(*, session: Session, case_id: int, user: str, now: datetime, note: str | None = None) -> Change:
    """Not a complaint: closes the case and keeps the verdict as feedback for the detector."""
    return _transition(session=session, case_id=case_id, from_states=OPEN_STATES,
                       values={"status": "dismissed", "resolved_at": now, "note": note, "snoozed_until": None},
                       actor=user, verb="dismiss", action="dismissed", now=now, note=note,
                       already=lambda case: _closed_already(case, "dismissed"))


def _closed_already(case: Case, status: str) -> str | None:
    return f"case #{case.id} is {status} already" if case.status == status else None


def snooze(*, session: Session, case_id: int, user: str, now: datetime, until: datetime) -> Change:
    return _transition(session=session, case_id=case_id, from_states=OPEN_STATES,
                       guard=sa.or_(Case.status != "snoozed", Case.snoozed_until != until),
                       values={"status": "snoozed", "snoozed_until": until},
                       actor=user, verb="snooze", action="snoozed", now=now, note=f"until {until.isoformat(timespec='minutes')}",
                       already=lambda case: f"case #{case.id} is snoozed until then already"
                       if case.status == "snoozed" and case.snoozed_until == until else None)


def reopen(*, session: Session, case_id: int, now: datetime, sla_due_at: datetime | None,
           note: str | None = None) -> Change:
    """The customer complained again in the same thread after the case was closed: it is open again, unclaimed,
    with a fresh response clock (the earlier answer and resolution stay in the events)."""
    return _transition(session=session, case_id=case_id, from_states=("resolved", "dismissed"),
                       values={"status": "open", "claimed_by": None, "claimed_at": None, "resolved_at": None,
                               "first_response_at": None, "escalated_at": None, "escalations": 0,
                               "sla_due_at": sla_due_at, "snoozed_until": None},
                       actor="earful", verb="reopen", action="reopened", now=now, note=note)


def wake_snoozed(*, session: Session, now: datetime) -> list[Change]:
    """Reopen every case whose snooze has run out (claimed ones go back to their claimer)."""
    due = session.exec(
        select(Case.id).where(Case.status == "snoozed", col(Case.snoozed_until) <= now)
    ).all()
    woken = []
    for case_id in due:
        case = session.get(Case, case_id)
        back_to = "claimed" if case is not None and case.claimed_by else "open"
        try:
            woken.append(_transition(session=session, case_id=case_id, from_states=("snoozed",),
                                     values={"status": back_to, "snoozed_until": None},
                                     actor="earful", verb="wake", action="woke", now=now))
        except WrongState:
            continue  # someone acted on it in the meantime
    return woken


def record_card(*, session: Session, case_id: int, channel: str, ts: str) -> None:
    """Remember where the card is, so every later change edits the same message (also after a restart)."""
    session.execute(sa.update(Case).where(Case.id == case_id).values(slack_channel=channel, slack_ts=ts))


@dataclass(frozen=True)
class CaseView:
    """A case with what a card or a queue line needs, read in one query."""

    case: Case
    mention: Mention
    brand: str


def case_view(*, session: Session, case_id: int) -> CaseView:
    row = session.exec(
        select(Case, Mention, Brand.name)
        .join(Mention, Mention.id == Case.mention_id)
        .join(Brand, Brand.id == Case.brand_id)
        .where(Case.id == case_id)
    ).first()
    if row is None:
        raise CaseNotFound(case_id)
    return CaseView(*row)


def open_queue(
    *, session: Session, brand: str | None = None, claimed_by: str | None = None, limit: int = 50
) -> list[CaseView]:
    """Open, claimed and snoozed cases, most urgent first: highest priority, then oldest SLA deadline."""
    query = (
        select(Case, Mention, Brand.name)
        .join(Mention, Mention.id == Case.mention_id)
        .join(Brand, Brand.id == Case.brand_id)
        .where(col(Case.status).in_(OPEN_STATES))
    )
    if brand is not None:
        query = query.where(sa.func.lower(Brand.name) == brand.lower())
    if claimed_by is not None:
        query = query.where(Case.claimed_by == claimed_by)
    query = query.order_by(
        col(Case.priority).desc(), sa.case((col(Case.sla_due_at).is_(None), 1), else_=0), col(Case.sla_due_at),
        col(Case.id),
    ).limit(limit)
    return [CaseView(*row) for row in session.exec(query).all()]


def case_events(*, session: Session, case_id: int) -> list[Event]:
    return list(session.exec(select(Event).where(Event.case_id == case_id).order_by(col(Event.id))).all())


def get_event(*, session: Session, event_id: int) -> Event | None:
    return session.get(Event, event_id)


def cases_by_id(*, session: Session, case_ids: list[int]) -> dict[int, Case]:
    if not case_ids:
        return {}
    return {case.id: case for case in session.exec(select(Case).where(col(Case.id).in_(case_ids))).all()}


def overdue_cases(*, session: Session, now: datetime, limit: int = 50) -> list[CaseView]:
    """Open or claimed cases past their SLA, longest overdue first."""
    rows = session.exec(
        select(Case, Mention, Brand.name)
        .join(Mention, Mention.id == Case.mention_id)
        .join(Brand, Brand.id == Case.brand_id)
        .where(col(Case.status).in_(("open", "claimed")), col(Case.sla_due_at) < now)
        .order_by(col(Case.sla_due_at), col(Case.id))
        .limit(limit)
    ).all()
    return [CaseView(*row) for row in rows]


def earlier_events(*, session: Session, case_id: int, before_event_id: int) -> list[int]:
    """Ids of a case's events older than one event: its thread lines must go out first."""
    return list(session.exec(
        select(Event.id).where(Event.case_id == case_id, Event.id < before_event_id).order_by(col(Event.id))
    ).all())
