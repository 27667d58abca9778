"""The response clock (pure): how long a complaint may wait for an answer, and what is due about it at `now`.

The clock starts when the complaint was published (or first seen, when the source gives no time) and stops at
the first public answer. Claiming does not stop it. Timeline for an unanswered case:

- `remind_at` of the SLA (75%): one reminder to the claimer, if someone has claimed it;
- breach (100%): the first escalation to the on-call group; an unclaimed high-priority case escalates already
  at `early_escalation` of the SLA (50%), since nobody is even looking at it;
- then a follow-up every `repeat` while it stays unanswered, numbered 1, 2, ... by the escalations actually sent
  before it (a worker that was down for a day sends follow-up 1 next, not follow-up 6). That at most one goes
  out per `repeat` is enforced where the send is claimed, in one guarded UPDATE (`storage.response_clock`), so
  workers racing for it agree.

A case whose deadline had already passed when Earful first saw it (a first poll, a new source reading old
posts) is backlog, not an emergency: it is never escalated one by one, only listed once in its brand's backlog
summary (`monitors.cases.escalation`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone


@dataclass(frozen=True)
class SlaPolicy:
    sla: timedelta
    sla_high: timedelta | None = None  # for cases with priority >= high_priority
    high_priority: float = 2.0
    remind_at: float = 0.75
    early_escalation: float = 0.5
    repeat: timedelta = timedelta(hours=4)


def sla_length(policy: SlaPolicy, *, priority: float, brand_sla: timedelta | None = None) -> timedelta:
    """The brand's SLA (or the default); a high-priority case gets the shorter of that and `sla_high`."""
    base = brand_sla or policy.sla
    if policy.sla_high is not None and priority >= policy.high_priority:
        return min(base, policy.sla_high)
    return base


def utc(moment: datetime) -> datetime:
    """Python adds and subtracts times of one zone on the wall clock (4 h after 00:30 on a spring-forward night
    is 04:30, three real hours); in UTC wall time and real time agree."""
    return moment.astimezone(timezone.utc)


@dataclass(frozen=True)
class ClockFacts:
    """What the clock needs to know about one case."""

    started: datetime
    due: datetime
    priority: float
    claimed: bool
    answered: bool
    seen: datetime | None = None  # when Earful first saw the complaint (its case opened)
    escalations: int = 0  # escalations sent so far
    last_escalated: datetime | None = None


def is_backlog(facts: ClockFacts) -> bool:
    """The deadline had passed already when Earful first saw the complaint."""
    return facts.seen is not None and utc(facts.due) <= utc(facts.seen)


@dataclass(frozen=True)
class Due:
    """What is due now. `escalation_round` is None when no escalation is (before the first escalation time,
    within `repeat` of the last one, or for backlog), else the number of escalations already sent."""

    remind: bool
    escalation_round: int | None
    escalate_from: datetime  # when the first escalation is (or was) due


def remind_time(facts: ClockFacts, policy: SlaPolicy) -> datetime:
    started = utc(facts.started)
    return started + (utc(facts.due) - started) * policy.remind_at


def escalation_start(facts: ClockFacts, policy: SlaPolicy) -> datetime:
    if not facts.claimed and facts.priority >= policy.high_priority:
        started = utc(facts.started)
        return started + (utc(facts.due) - started) * policy.early_escalation
    return utc(facts.due)


def due_now(facts: ClockFacts, policy: SlaPolicy, now: datetime) -> Due:
    now = utc(now)
    start = escalation_start(facts, policy)
    if facts.answered or is_backlog(facts):
        return Due(remind=False, escalation_round=None, escalate_from=start)
    remind = facts.claimed and remind_time(facts, policy) <= now < utc(facts.due)
    rounds = None
    waited = facts.last_escalated is None or now - utc(facts.last_escalated) >= policy.repeat
    if now >= start and waited:
        rounds = facts.escalations
    return Due(remind=remind, escalation_round=rounds, escalate_from=start)

