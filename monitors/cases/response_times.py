"""Response-time statistics (pure): time to claim, to first response and to resolve, as median and p90 per
brand and per agent, over plain per-case values.

Times are measured from when the clock starts for each: claiming from when the case was opened (nobody could
claim it earlier), answering and resolving from when the complaint was published (what the customer waited).
A case counts in a measure only once that step happened; dismissed cases count in none.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

MEASURES = ("claim", "response", "resolve")


@dataclass(frozen=True)
class CaseTimes:
    brand: str
    agent: str | None  # who claimed it (None: nobody)
    status: str
    started: datetime  # published (or first seen)
    opened_at: datetime
    claimed_at: datetime | None
    first_response_at: datetime | None
    resolved_at: datetime | None


@dataclass(frozen=True)
class Spread:
    count: int
    median: timedelta | None
    p90: timedelta | None


@dataclass(frozen=True)
class GroupStats:
    name: str
    cases: int
    claim: Spread
    response: Spread
    resolve: Spread


def percentile(values: list[timedelta], share: float) -> timedelta | None:
    """Nearest rank: the smallest value with at least `share` of all values at or below it."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def median(values: list[timedelta]) -> timedelta | None:
    if not values:
        return None
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2


def durations(case: CaseTimes, measure: str) -> timedelta | None:
    if case.status == "dismissed":
        return None
    if measure == "claim":
        return _since(case.opened_at, case.claimed_at)
    if measure == "response":
        return _since(case.started, case.first_response_at)
    if case.status != "resolved":
        return None
    return _since(case.started, case.resolved_at)


def _since(start: datetime, end: datetime | None) -> timedelta | None:
    return None if end is None else max(end - start, timedelta(0))


def spread(cases: list[CaseTimes], measure: str) -> Spread:
    values = [d for case in cases if (d := durations(case, measure)) is not None]
    return Spread(count=len(values), median=median(values), p90=percentile(values, 0.9))


def group_stats(cases: list[CaseTimes], *, by: str) -> list[GroupStats]:
    """`by` is "brand" or "agent"; unclaimed cases have no agent and are left out of the per-agent table."""
    groups: dict[str, list[CaseTimes]] = {}
    for case in cases:
        key = case.brand if by == "brand" else case.agent
        if key is not None:
            groups.setdefault(key, []).append(case)
    return [GroupStats(name=name, cases=len(members), claim=spread(members, "claim"),
                       response=spread(members, "response"), resolve=spread(members, "resolve"))
            for name, members in sorted(groups.items())]


def short(value: timedelta | None) -> str:
    """`3h05m`, `42m`, `2d04h`; a dash for no data."""
    if value is None:
        return "–"
    minutes = int(value.total_seconds() // 60)
    days, rest = divmod(minutes, 1440)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days}d{hours:02d}h"
    return f"{hours}h{mins:02d}m" if hours else f"{mins}m"


def stats_table(cases: list[CaseTimes], *, since: datetime, now: datetime) -> str:
    """Plain text: one table per brand and one per agent."""
    days = max(1, round((now - since).total_seconds() / 86400))
    span = "day" if days == 1 else f"{days} days"
    opened = "1 case" if len(cases) == 1 else f"{len(cases)} cases"
    out = [f"Response times, last {span} ({opened} opened): median / p90"]
    for by, title in (("brand", "brand"), ("agent", "agent")):
        rows = group_stats(cases, by=by)
        out.append("")
        out.append(f"{title:<24} {'cases':>5}  {'to claim':>15}  {'to first reply':>15}  {'to resolve':>15}")
        if not rows:
            out.append("  (none)")
        for row in rows:
            cells = [f"{short(s.median)} / {short(s.p90)}" for s in (row.claim, row.response, row.resolve)]
            out.append(f"{row.name[:24]:<24} {row.cases:>5}  " + "  ".join(f"{c:>15}" for c in cells))
    return "\n".join(out)
