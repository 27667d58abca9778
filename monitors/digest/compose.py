"""The managers' digest, composed (pure): what the queries found for a period, plus `now`, becomes a Digest.

Definitions the numbers follow:
- net sentiment: (positive − negative) / all mentions × 100, from −100 to +100; none without mentions.
- share of voice: a brand's share of all brand mentions (own and competitors'); a post naming two brands counts
  for both. Positive share: its share of all positive brand mentions.
- answered: a first public reply was recorded (the response clock); a case closed without one is counted apart.
- time to first response and to resolution: from when the complaint was published (what the customer waited),
  dismissed cases left out; median and p90 (nearest rank), as `earful stats` measures them.
- SLA breach: the case's deadline fell in the period and passed with neither an answer nor a close.
- unanswered: cases that at the period's end had neither an answer nor a close.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from monitors.digest.period import CHART_DAYS, Period
from monitors.digest.terms import brand_terms, top_terms
from storage.digest_queries import (AgentAction, BrandRow, CaseRow, DayCount, NegativePost, SourceRow, SpikeRow,
                                    WaitingCase)

STALE_INTERVALS = 3  # no success for this many poll intervals makes a source stale
REMOVED = "removed from the configuration"


@dataclass(frozen=True)
class Inputs:
    """Everything the digest is made of, as read from storage (see monitors.digest.run.gather)."""

    period: Period
    brands: list[BrandRow]
    scope: list[int]  # brand ids the complaint and negative-mention sections cover
    first_day: date  # the local day that DayCount.day 0 stands for
    counts: list[DayCount]
    cases: list[CaseRow]  # those touching the previous period or this one
    waiting_total: int
    waiting: list[WaitingCase]
    agents: list[AgentAction]
    negative_posts: list[NegativePost]
    negative_sources: list[tuple[str, int]]
    negative_texts: list[str]
    spikes: list[SpikeRow]
    sources: list[SourceRow]
    given_up: int = 0  # Slack messages of the period given up on
    given_up_error: str = ""  # the latest one's error


@dataclass(frozen=True)
class Volume:
    positive: int = 0
    neutral: int = 0
    negative: int = 0

    @property
    def total(self) -> int:
        return self.positive + self.neutral + self.negative

    @property
    def net(self) -> float | None:
        return None if not self.total else 100.0 * (self.positive - self.negative) / self.total

    def __add__(self, other: "Volume") -> "Volume":
        return Volume(self.positive + other.positive, self.neutral + other.neutral, self.negative + other.negative)


@dataclass(frozen=True)
class BrandLine:
    name: str
    competitor: bool
    now: Volume
    previous: Volume
    baseline: Volume  # summed over the baseline periods
    baseline_periods: int

    @property
    def mentions(self) -> int:
        return self.now.total

    @property
    def baseline_average(self) -> float:
        return self.baseline.total / self.baseline_periods


@dataclass(frozen=True)
class VoiceShare:
    name: str
    competitor: bool
    share: float | None  # of all brand mentions in the period, 0..1
    previous_share: float | None
    positive_share: float | None  # of all positive brand mentions


@dataclass(frozen=True)
class AgentLine:
    user: str
    claimed: int = 0
    answered: int = 0
    resolved: int = 0
    dismissed: int = 0

    @property
    def total(self) -> int:
        return self.claimed + self.answered + self.resolved + self.dismissed


@dataclass(frozen=True)
class CaseStats:
    opened: int
    opened_previous: int
    answered: int
    resolved: int
    resolved_without_reply: int
    dismissed: int
    unanswered: int
    breaches: int
    response_median: timedelta | None
    response_p90: timedelta | None
    resolution_median: timedelta | None
    resolution_p90: timedelta | None
    oldest_unanswered: list[WaitingCase]
    agents: list[AgentLine]


@dataclass(frozen=True)
class SourceIssue:
    name: str
    problem: str  # failing, rate-limited, stale, returned nothing, disabled
    detail: str


@dataclass(frozen=True)
class ChartSeries:
    name: str
    competitor: bool
    positive: list[int]
    neutral: list[int]
    negative: list[int]

    @property
    def total(self) -> int:
        return sum(self.positive) + sum(self.neutral) + sum(self.negative)


@dataclass(frozen=True)
class ChartData:
    days: list[date]
    series: list[ChartSeries]
    voice: list[tuple[str, int]]  # (brand, mentions in the period), for the share-of-voice split
    title: str = ""


@dataclass(frozen=True)
class Digest:
    period: Period
    now: datetime
    brands: list[BrandLine]
    voice: list[VoiceShare]
    cases: CaseStats
    negative_posts: list[NegativePost]
    negative_sources: list[tuple[str, int]]
    negative_terms: list[tuple[str, int]]
    spikes: list[SpikeRow]
    source_issues: list[SourceIssue]
    chart: ChartData
    given_up: tuple[int, str] = (0, "")  # Slack messages of the period that never got there, the latest error
    focus: str | None = None
    late: bool = False
    scheduled_at: datetime | None = None
    has_competitors: bool = False


def compose(inputs: Inputs, *, now: datetime, late: bool = False, scheduled_at: datetime | None = None,
            focus: str | None = None) -> Digest:
    period = inputs.period
    per_day = _per_day(inputs)
    brands = [_brand_line(brand, per_day.get(brand.id, {}), inputs) for brand in inputs.brands]
    if focus is not None:
        brands = [line for line in brands if line.name.lower() == focus.lower()] + \
                 [line for line in brands if line.competitor and line.name.lower() != focus.lower()]
    brands.sort(key=lambda line: (line.competitor, -line.mentions, line.name.lower()))
    excluded = brand_terms((b.name, b.query) for b in inputs.brands)
    return Digest(
        period=period, now=now, late=late, scheduled_at=scheduled_at, focus=focus,
        brands=brands,
        voice=_voice(brands),
        cases=_case_stats(inputs, now),
        negative_posts=list(inputs.negative_posts),
        negative_sources=list(inputs.negative_sources),
        negative_terms=top_terms(inputs.negative_texts, exclude=excluded),
        spikes=list(inputs.spikes),
        source_issues=source_issues(inputs.sources, now),
        given_up=(inputs.given_up, inputs.given_up_error),
        chart=_chart(inputs, per_day, brands),
        has_competitors=any(line.competitor for line in brands),
    )


# -- mentions and share of voice --------------------------------------------------------------------------------

def _per_day(inputs: Inputs) -> dict[int, dict[date, Volume]]:
    out: dict[int, dict[date, Volume]] = {}
    for row in inputs.counts:
        day = inputs.first_day + timedelta(days=row.day)
        days = out.setdefault(row.brand_id, {})
        days[day] = days.get(day, Volume()) + Volume(row.positive, row.neutral, row.negative)
    return out


def _sum_days(days: dict[date, Volume], period: Period) -> Volume:
    total = Volume()
    for n in range(period.days):
        total = total + days.get(period.first_day + timedelta(days=n), Volume())
    return total


def _brand_line(brand: BrandRow, days: dict[date, Volume], inputs: Inputs) -> BrandLine:
    period = inputs.period
    baseline = Volume()
    for back in range(1, period.baseline_periods + 1):
        baseline = baseline + _sum_days(days, period.shifted(-back))
    return BrandLine(name=brand.name, competitor=brand.competitor, now=_sum_days(days, period),
                     previous=_sum_days(days, period.shifted(-1)), baseline=baseline,
                     baseline_periods=period.baseline_periods)


def _voice(brands: list[BrandLine]) -> list[VoiceShare]:
    total = sum(line.now.total for line in brands)
    total_previous = sum(line.previous.total for line in brands)
    positive = sum(line.now.positive for line in brands)
    return [
        VoiceShare(name=line.name, competitor=line.competitor,
                   share=line.now.total / total if total else None,
                   previous_share=line.previous.total / total_previous if total_previous else None,
                   positive_share=line.now.positive / positive if positive else None)
        for line in sorted(brands, key=lambda line: (-line.now.total, line.name.lower()))
    ]


# -- complaints -------------------------------------------------------------------------------------------------

def started(case: CaseRow) -> datetime:
    """When the customer started waiting: the complaint's publication (its case's opening when unknown)."""
    return case.published_at or case.opened_at


def _within(instant: datetime | None, period: Period) -> bool:
    return instant is not None and period.start <= instant < period.end


def _breached(case: CaseRow, period: Period, now: datetime) -> bool:
    due = case.sla_due_at
    if due is None or not _within(due, period) or due > now:
        return False
    answered_in_time = case.first_response_at is not None and case.first_response_at <= due
    closed_in_time = case.resolved_at is not None and case.resolved_at <= due
    return not (answered_in_time or closed_in_time)


def percentile(values: list[timedelta], fraction: float) -> timedelta | None:
    """Nearest-rank percentile: the smallest value with at least `fraction` of the values at or below it."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(math.ceil(fraction * len(ordered)), 1) - 1]


def median(values: list[timedelta]) -> timedelta | None:
    if not values:
        return None
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def _case_stats(inputs: Inputs, now: datetime) -> CaseStats:
    period = inputs.period
    previous = period.shifted(-1)
    cases = inputs.cases
    answered = [c for c in cases if _within(c.first_response_at, period)]
    resolved = [c for c in cases if c.status == "resolved" and _within(c.resolved_at, period)]
    response = [max(c.first_response_at - started(c), timedelta(0)) for c in answered if c.status != "dismissed"]
    resolution = [max(c.resolved_at - started(c), timedelta(0)) for c in resolved]
    return CaseStats(
        opened=sum(_within(c.opened_at, period) for c in cases),
        opened_previous=sum(_within(c.opened_at, previous) for c in cases),
        answered=len(answered),
        resolved=len(resolved),
        resolved_without_reply=sum(c.first_response_at is None for c in resolved),
        dismissed=sum(c.status == "dismissed" and _within(c.resolved_at, period) for c in cases),
        unanswered=inputs.waiting_total,
        breaches=sum(_breached(c, period, now) for c in cases),
        response_median=median(response), response_p90=percentile(response, 0.9),
        resolution_median=median(resolution), resolution_p90=percentile(resolution, 0.9),
        oldest_unanswered=list(inputs.waiting),
        agents=_agents(inputs.agents),
    )


def _agents(actions: list[AgentAction]) -> list[AgentLine]:
    tally: dict[str, dict[str, int]] = {}
    for action in actions:
        if action.action in ("claimed", "answered", "resolved", "dismissed"):
            counts = tally.setdefault(action.actor, {})
            counts[action.action] = counts.get(action.action, 0) + action.count
    lines = [AgentLine(user, **counts) for user, counts in tally.items()]
    return sorted(lines, key=lambda line: (-line.total, line.user))


# -- source health ----------------------------------------------------------------------------------------------

def source_issues(sources: list[SourceRow], now: datetime) -> list[SourceIssue]:
    """What is wrong with each source that has a problem, worst first: disabled, rate-limited, failing, stale,
    returned nothing. A source the config no longer names is not a problem."""
    found = []
    for source in sources:
        issue = _issue(source, now)
        if issue is not None:
            found.append(issue)
    order = ("disabled", "rate-limited", "failing", "stale", "returned nothing")
    return sorted(found, key=lambda issue: (order.index(issue.problem), issue.name.lower()))


def _issue(source: SourceRow, now: datetime) -> SourceIssue | None:
    if source.disabled_reason == REMOVED or (not source.enabled and not source.disabled_reason):
        return None
    if source.disabled_reason:
        return SourceIssue(source.name, "disabled", source.disabled_reason)
    error = (source.last_error or "").strip().splitlines()[0][:200] if source.last_error else ""
    if source.last_status == 429 and source.consecutive_failures:
        return SourceIssue(source.name, "rate-limited", error or "HTTP 429")
    if source.consecutive_failures:
        times = "once" if source.consecutive_failures == 1 else f"{source.consecutive_failures} times in a row"
        return SourceIssue(source.name, "failing", f"{times}: {error}" if error else times)
    interval = timedelta(seconds=source.interval_seconds)
    if source.last_success_at is None:
        return SourceIssue(source.name, "stale", "never fetched successfully")
    if now - source.last_success_at > STALE_INTERVALS * interval:
        return SourceIssue(source.name, "stale", f"last success {_ago(now - source.last_success_at)} ago")
    if source.last_item_count == 0 and source.last_status != 304:  # 304 Not Modified: nothing new, as it should
        return SourceIssue(source.name, "returned nothing", "its last fetch had no items")
    return None


def _ago(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    if minutes < 120:
        return f"{minutes} min"
    hours = minutes // 60
    return f"{hours} h" if hours < 48 else f"{hours // 24} days"


# -- the chart --------------------------------------------------------------------------------------------------

def _chart(inputs: Inputs, per_day: dict[int, dict[date, Volume]], lines: list[BrandLine]) -> ChartData:
    period = inputs.period
    days = [period.last_day - timedelta(days=n) for n in range(CHART_DAYS - 1, -1, -1)]
    shown = {line.name for line in lines}
    series = []
    for brand in inputs.brands:
        if brand.name not in shown:
            continue
        volumes = [per_day.get(brand.id, {}).get(day, Volume()) for day in days]
        series.append(ChartSeries(brand.name, brand.competitor, [v.positive for v in volumes],
                                  [v.neutral for v in volumes], [v.negative for v in volumes]))
    series.sort(key=lambda s: (s.competitor, -s.total, s.name.lower()))
    voice = [(line.name, line.now.total) for line in sorted(lines, key=lambda l: (-l.now.total, l.name.lower()))]
    title = f"Mentions by sentiment, {days[0]:%d %b} – {days[-1]:%d %b %Y} ({period.zone})"
    return ChartData(days=days, series=series, voice=voice, title=title)
