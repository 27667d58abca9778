"""The escalation sweep: for every unanswered case, send what its clock says is due (monitors.cases.sla decides;
storage.response_clock makes each message happen once, whichever worker gets there first)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session

from monitors.config import ComplaintConfig, SlackConfig
from monitors.cases.sla import ClockFacts, SlaPolicy, due_now
from storage.response_clock import escalate, remind, running_clocks


def policy_of(complaints: ComplaintConfig) -> SlaPolicy:
    return SlaPolicy(
        sla=timedelta(seconds=complaints.sla),
        sla_high=timedelta(seconds=complaints.sla_high) if complaints.sla_high else None,
        high_priority=complaints.high_priority,
        remind_at=complaints.remind_at,
        early_escalation=complaints.early_escalation,
        repeat=timedelta(seconds=complaints.escalation_repeat),
    )


@dataclass
class SweepResult:
    reminded: list[int]
    escalated: list[int]


def sweep(*, session: Session, policy: SlaPolicy, slack: SlackConfig, now: datetime,
          page: int = 1000) -> SweepResult:
    result = SweepResult(reminded=[], escalated=[])
    for row in list(running_clocks(session=session, now=now, repeat=policy.repeat, page=page)):
        facts = ClockFacts(started=row.started, due=row.due, priority=row.priority,
                           claimed=row.status == "claimed", answered=False)
        due = due_now(facts, policy, now)
        if due.remind and row.claimed_by and remind(session=session, case_id=row.case_id, user=row.claimed_by,
                                                    now=now):
            result.reminded.append(row.case_id)
        if due.escalation_round is None:
            continue
        if due.escalation_round == 0:
            note = "past its SLA" if now >= row.due else "unclaimed and high priority, half its SLA gone"
        else:
            note = f"follow-up {due.escalation_round}: still unanswered"
        if escalate(session=session, case_id=row.case_id, round_no=due.escalation_round,
                    not_since=now - policy.repeat, channel=slack.escalation_channel, now=now, note=note):
            result.escalated.append(row.case_id)
    return result
