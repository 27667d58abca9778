"""The response clock's maths, with fixed clocks."""

from dataclasses import replace
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from monitors.cases.sla import (ClockFacts, SlaPolicy, due_now, escalation_start, is_backlog, remind_time, sla_length,
                                utc)

UTC = timezone.utc
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
POLICY = SlaPolicy(sla=timedelta(hours=4), sla_high=timedelta(hours=1), high_priority=2.0,
                   repeat=timedelta(hours=4))


def facts(*, priority=1.0, claimed=True, answered=False, started=T0, hours=4):
    return ClockFacts(started=started, due=started + timedelta(hours=hours), priority=priority, claimed=claimed,
                      answered=answered)


def test_sla_length_per_brand_and_priority():
    assert sla_length(POLICY, priority=1.0) == timedelta(hours=4)
    assert sla_length(POLICY, priority=2.0) == timedelta(hours=1)
    assert sla_length(POLICY, priority=1.0, brand_sla=timedelta(hours=8)) == timedelta(hours=8)
    # high priority takes the shorter of the two
    assert sla_length(POLICY, priority=3.0, brand_sla=timedelta(minutes=30)) == timedelta(minutes=30)
    assert sla_length(SlaPolicy(sla=timedelta(hours=4)), priority=9.0) == timedelta(hours=4)


def test_reminder_at_three_quarters_for_a_claimed_case_only():
    assert remind_time(facts(), POLICY) == T0 + timedelta(hours=3)
    assert not due_now(facts(), POLICY, T0 + timedelta(hours=2, minutes=59)).remind
    assert due_now(facts(), POLICY, T0 + timedelta(hours=3)).remind
    assert not due_now(facts(claimed=False), POLICY, T0 + timedelta(hours=3)).remind
    assert not due_now(facts(answered=True), POLICY, T0 + timedelta(hours=3)).remind
    assert not due_now(facts(), POLICY, T0 + timedelta(hours=4)).remind  # past the breach: escalation instead


def test_escalation_rounds_count_the_escalations_sent():
    assert due_now(facts(), POLICY, T0 + timedelta(hours=3, minutes=59)).escalation_round is None
    assert due_now(facts(), POLICY, T0 + timedelta(hours=4)).escalation_round == 0
    # Earful was down for the first 16 hours past the deadline: the first escalation is still number 0
    assert due_now(facts(), POLICY, T0 + timedelta(hours=20)).escalation_round == 0
    sent = T0 + timedelta(hours=4)
    once = replace(facts(), escalations=1, last_escalated=sent)
    assert due_now(once, POLICY, sent + timedelta(hours=3, minutes=59)).escalation_round is None
    assert due_now(once, POLICY, sent + timedelta(hours=4)).escalation_round == 1
    # a day later, one follow-up went out before: this is follow-up 2, not the 5th round of four hours
    twice = replace(facts(), escalations=2, last_escalated=sent + timedelta(hours=4))
    assert due_now(twice, POLICY, T0 + timedelta(hours=28)).escalation_round == 2
    assert due_now(facts(answered=True), POLICY, T0 + timedelta(hours=20)).escalation_round is None


def test_a_case_first_seen_past_its_deadline_is_backlog_and_never_escalated_alone():
    seen_late = replace(facts(), seen=T0 + timedelta(hours=5))
    assert is_backlog(seen_late)
    for hours in (5, 9, 50):
        due = due_now(seen_late, POLICY, T0 + timedelta(hours=hours))
        assert due.escalation_round is None and not due.remind
    seen_in_time = replace(facts(), seen=T0 + timedelta(hours=3, minutes=59))
    assert not is_backlog(seen_in_time)
    assert due_now(seen_in_time, POLICY, T0 + timedelta(hours=4)).escalation_round == 0
    # the deadline itself counts as passed (a complaint seen at the very moment it is due is backlog)
    assert is_backlog(replace(facts(), seen=T0 + timedelta(hours=4)))


def test_unclaimed_high_priority_escalates_at_half_time():
    high = facts(priority=2.5, claimed=False)
    assert escalation_start(high, POLICY) == T0 + timedelta(hours=2)
    assert due_now(high, POLICY, T0 + timedelta(hours=2)).escalation_round == 0
    # claimed, or not high: at the breach
    assert escalation_start(facts(priority=2.5, claimed=True), POLICY) == T0 + timedelta(hours=4)
    assert escalation_start(facts(priority=1.0, claimed=False), POLICY) == T0 + timedelta(hours=4)


def test_clock_is_exact_across_a_dst_change():
    # published 00:30 local in London on the night clocks go forward (2026-03-29 01:00 UTC)
    london = ZoneInfo("Europe/London")
    started = datetime(2026, 3, 29, 0, 30, tzinfo=london)
    due = utc(started) + sla_length(POLICY, priority=1.0)  # as the pipeline stores it, in UTC
    breach_local = datetime(2026, 3, 29, 5, 30, tzinfo=london)  # 4 real hours later reads 05:30 BST
    assert due == breach_local
    assert started + timedelta(hours=4) != breach_local  # the wall-clock sum Python gives would be an hour early
    clock = ClockFacts(started=started, due=due, priority=1.0, claimed=True, answered=False)
    assert remind_time(clock, POLICY) == datetime(2026, 3, 29, 4, 30, tzinfo=london)  # 3 real hours in
    assert due_now(clock, POLICY, datetime(2026, 3, 29, 5, 29, tzinfo=london)).escalation_round is None
    assert due_now(clock, POLICY, datetime(2026, 3, 29, 4, 29, tzinfo=london)).escalation_round is None
    assert due_now(clock, POLICY, breach_local.astimezone(UTC)).escalation_round == 0
