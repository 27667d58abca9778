"""Count what the workers did against what they should have done: the suite's table.

Everything is read after the run from three witnesses that do not trust each other: the feed server (what was
served, when each source was polled), the Slack stand-in (every message and its dedupe key) and the database
(cases, their clocks, the outbox)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import sqlalchemy as sa

from bench.faults.slack import FaultySlack
from bench.faults.world import FeedWorld


@dataclass(frozen=True)
class Timing:
    started: float          # Unix time the workers started
    checked: float          # Unix time of the check (workers stopped)
    poll_interval: float
    sla: float
    remind_at: float
    escalation_repeat: float
    sweep: float

    @property
    def margin(self) -> float:
        """Time a due message may take: two sweeps, and a worker's restart after a kill."""
        return 2 * self.sweep + 30


def count(engine: sa.Engine, slack: FaultySlack, world: FeedWorld, timing: Timing) -> dict[str, int]:
    with engine.connect() as conn:
        mentions = conn.execute(sa.text("SELECT external_id FROM mention")).scalars().all()
        cases = conn.execute(sa.text(
            'SELECT c.id, c.status, c.claimed_at, c.first_response_at, c.sla_due_at, c.escalated_at, '
            'm.published_at FROM "case" c JOIN mention m ON m.id = c.mention_id')).all()
        uncased = conn.execute(sa.text(
            'SELECT count(DISTINCT m.id) FROM mention m JOIN mention_brand mb ON mb.mention_id = m.id '
            'WHERE m.is_complaint AND NOT EXISTS (SELECT 1 FROM "case" c WHERE c.mention_id = m.id)')).scalar()
        backlog = set(conn.execute(sa.text("SELECT case_id FROM event WHERE action = 'backlog'")).scalars())
        escalated_events = Counter(conn.execute(sa.text(
            "SELECT case_id FROM event WHERE action = 'escalated'")).scalars())
        outbox = conn.execute(sa.text("SELECT kind, dedupe_key, status, payload, created_at FROM outbox")).all()

    messages = slack.keyed_messages()
    per_key = Counter(m["metadata"]["event_payload"]["key"] for _, m in messages)
    rows_by_key = {row.dedupe_key: row for row in outbox}

    result: dict[str, int] = {}
    stored = Counter(mentions)
    result["brand items served"] = len(world.served)
    result["mentions stored"] = len(stored)
    result["served, never stored (lost)"] = len(world.served - set(stored))
    result["stored twice"] = sum(n - 1 for n in stored.values() if n > 1)
    result["complaints without a case"] = uncased

    result["cases"] = len(cases)
    cards = [per_key.get(f"card:{case.id}", 0) for case in cases]
    result["cases without a card"] = sum(1 for n in cards if n == 0)
    result["cases with more than one card"] = sum(1 for n in cards if n > 1)
    result["Slack messages"] = len(messages)
    result["messages posted more than once (extra copies)"] = sum(n - 1 for n in per_key.values() if n > 1)

    checked = _utc(timing.checked)
    margin = timedelta(seconds=timing.margin)
    # follow-ups never stop falling due while cases stay unanswered: rows queued in the last moments before the
    # stop were still on their way (Ctrl-C hands them back, to go out at the next start); older ones starved
    in_flight = [row for row in outbox if row.status == "pending" and _aware(row.created_at) > checked - margin]
    covered = _escalations_per_case(per_key, rows_by_key) + _escalations_per_case(
        Counter({row.dedupe_key: 1 for row in in_flight}), rows_by_key)
    unanswered = [c for c in cases if c.first_response_at is None and c.status in ("open", "claimed")]
    due = [c for c in unanswered if c.sla_due_at is not None and _aware(c.sla_due_at) <= checked - margin]
    result["escalations and backlog listings sent"] = sum(covered.values())
    result["due cases never escalated (starved)"] = sum(1 for c in due if c.escalated_at is None)
    repeat = timedelta(seconds=timing.escalation_repeat)
    result["follow-ups overdue (starved)"] = sum(
        1 for c in due if c.id not in backlog and c.escalated_at is not None
        and _aware(c.escalated_at) <= checked - repeat - margin)
    result["escalations recorded, never sent"] = sum(
        max(0, escalated_events[c.id] - covered.get(c.id, 0)) for c in cases if c.id not in backlog)

    remind_after = timedelta(seconds=timing.sla * timing.remind_at)
    owed = [c for c in unanswered if c.status == "claimed" and c.id not in backlog and c.claimed_at is not None
            and c.published_at is not None and _aware(c.published_at) + remind_after <= checked - margin
            and _aware(c.claimed_at) < _aware(c.published_at) + remind_after]
    result["reminders owed"] = len(owed)
    result["reminders missing"] = sum(1 for c in owed if per_key.get(f"remind:{c.id}", 0) == 0)
    result["digests posted"] = sum(n for key, n in per_key.items() if key.startswith("digest:"))

    result["outbox rows queued just before the stop"] = len(in_flight)
    result["outbox rows still pending"] = sum(1 for row in outbox if row.status == "pending") - len(in_flight)
    result["outbox rows given up (failed)"] = sum(1 for row in outbox if row.status == "failed")

    result["sources"] = len(world.feeds)
    gaps = _longest_gaps(world, timing)
    result["sources not polled within two intervals"] = sum(1 for gap in gaps.values() if gap > 2 * timing.poll_interval)
    result["longest gap between two polls of a source, s"] = round(max(gaps.values(), default=0))
    return result


def polls_per_10s(world: FeedWorld, timing: Timing) -> list[int]:
    """Feed requests in each 10 s from the start: where polling stalled, if it did."""
    buckets = [0] * (int((timing.checked - timing.started) // 10) + 1)
    for hits in world.hits.values():
        for hit in hits:
            index = int((hit.at - timing.started) // 10)
            if 0 <= index < len(buckets):
                buckets[index] += 1
    return buckets


def _escalations_per_case(per_key: Counter, rows_by_key: dict) -> Counter:
    """How many escalation messages (own, folded or backlog summaries) name each case."""
    covered: Counter = Counter()
    for key, copies in per_key.items():
        row = rows_by_key.get(key)
        if row is None or copies == 0:
            continue
        payload = row.payload if isinstance(row.payload, dict) else {}
        if row.kind == "escalate":
            covered[int(payload["case_id"])] += 1
        elif row.kind == "escalate_many":
            covered.update(int(case_id) for case_id, _ in payload["cases"])
        elif row.kind == "backlog":
            covered.update(int(case_id) for case_id in payload["case_ids"])
    return covered


def _longest_gaps(world: FeedWorld, timing: Timing) -> dict[str, float]:
    """Each source's longest time without a poll, from the start to the check."""
    gaps = {}
    for feed in world.feeds:
        moments = [timing.started] + sorted(h.at for h in world.hits.get(feed.path, [])) + [timing.checked]
        gaps[feed.path] = max(b - a for a, b in zip(moments, moments[1:]))
    return gaps


def _utc(moment: float) -> datetime:
    return datetime.fromtimestamp(moment, timezone.utc)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
