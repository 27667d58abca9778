"""An alert's life, decided from one verdict at a time (pure): open it, let it grow, notice it calm down.

The detector fires once per spike (then its cooldown holds); while the alert stands, every later verdict still
carries a score, and 0.5 is the alert line. The alert grows while windows stay over the line with more
mentions, and is back to normal after `calm_buckets` buckets in a row under it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from monitors.spikes.detector import Verdict

ALERT_LINE = 0.5  # a verdict's score exactly at the detector's alert line


@dataclass(frozen=True)
class AlertState:
    status: str  # open, acknowledged, muted, ended (resolved alerts are no longer watched)
    window_start: datetime  # since when: the start of the window that fired
    window_end: datetime  # the end of the newest bucket over the line
    observed: float  # the largest window count seen while it stands
    expected: float
    score: float
    explanation: str
    calm_buckets: int = 0
    ended_at: datetime | None = None
    muted_until: datetime | None = None


@dataclass(frozen=True)
class Change:
    kind: str  # "open", "grow", "calm", "end" or "none"
    state: AlertState | None  # the alert after the verdict (None: there is none)
    notify: bool  # post or update the Slack card


def noun(count: float) -> str:
    return "negative mention" if count == 1 else "negative mentions"


def next_change(live: AlertState | None, verdict: Verdict, *, step: timedelta, calm_buckets: int,
                now: datetime) -> Change:
    """What one judged bucket (starting at `verdict.at`, `step` long) does to the brand's alert."""
    why = verdict.explanation
    bucket_end = verdict.at + step
    if live is None:
        if not verdict.alert:
            return Change("none", None, False)
        opened = AlertState(status="open", window_start=bucket_end - why.window, window_end=bucket_end,
                            observed=why.observed, expected=why.expected, score=verdict.score,
                            explanation=why.text("negative mentions"))
        return Change("open", opened, True)
    muted = live.status == "muted" and live.muted_until is not None and now < live.muted_until
    if verdict.score >= ALERT_LINE:
        grown = why.observed > live.observed
        state = replace(live, window_end=bucket_end, calm_buckets=0)
        if grown:
            state = replace(state, observed=why.observed, expected=why.expected, score=max(live.score, verdict.score),
                            explanation=why.text("negative mentions"))
        return Change("grow" if grown else "none", state, grown and not muted)
    calm = live.calm_buckets + 1
    if calm >= calm_buckets:
        return Change("end", replace(live, status="ended", calm_buckets=calm, ended_at=bucket_end), True)
    return Change("calm", replace(live, calm_buckets=calm), False)
