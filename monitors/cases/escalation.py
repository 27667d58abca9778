"""The escalation sweep: for every unanswered case, send what its clock says is due (monitors.cases.sla decides;
storage.response_clock makes each message happen once, whichever worker gets there first).

Two kinds of calm: backlog (cases already past their deadline when first seen) is listed once in one summary per
brand, and more than `slack.flood_threshold` escalations due in one sweep go out as one message listing them, so
the on-call group is pinged once, not once per case."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlmodel import Session

from monitors.config import ComplaintConfig, SlackConfig
from monitors.cases.sla import ClockFacts, SlaPolicy, due_now
from storage.response_clock import (claim_escalation, enqueue_escalation, enqueue_folded_escalations, list_backlog,
                                    remind, running_clocks, unlisted_backlog)


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
    backlog: list[int] = field(default_factory=list)  # listed in a brand's backlog summary
    folded: bool = False  # the escalations went out as one message


def sweep(*, session: Session, policy: SlaPolicy, slack: SlackConfig, now: datetime,
          page: int = 1000) -> SweepResult:
    result = SweepResult(reminded=[], escalated=[])
    taken: list[tuple[int, datetime, int]] = []
    for row in list(running_clocks(session=session, now=now, repeat=policy.repeat, page=page)):
        facts = ClockFacts(started=row.started, due=row.due, priority=row.priority,
                           claimed=row.status == "claimed", answered=False, seen=row.opened_at,
                           escalations=row.escalations, last_escalated=row.escalated_at)
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
        if claim_escalation(session=session, case_id=row.case_id, round_no=due.escalation_round,
                            not_since=now - policy.repeat, now=now, note=note):
            taken.append((row.case_id, row.due, due.escalation_round))
    channel = slack.escalation_channel
    if len(taken) > slack.flood_threshold:
        result.folded = enqueue_folded_escalations(session=session, escalations=taken, channel=channel, now=now)
    else:
        for case_id, deadline, round_no in taken:
            enqueue_escalation(session=session, case_id=case_id, due=deadline, round_no=round_no, channel=channel,
                               now=now)
    result.escalated = [case_id for case_id, _, _ in taken]
    result.backlog = _list_backlog(session=session, channel=channel, now=now)
    return result


def _list_backlog(*, session: Session, channel: str, now: datetime) -> list[int]:
    by_brand: dict[int, list[int]] = {}
    for brand_id, case_id in unlisted_backlog(session=session):
        by_brand.setdefault(brand_id, []).append(case_id)
    listed = []
    for brand_id, case_ids in by_brand.items():
        listed += list_backlog(session=session, brand_id=brand_id, case_ids=case_ids, channel=channel, now=now)
    return listed
