"""Online spike detection on one brand's mention counts per interval, explainable to a support lead.

Every point is judged on the past only. For two look-back windows (the last 30 min and the last 3 h) the
detector keeps an expected count made of three learned parts, in log space so that they multiply:

    expected = recent level  x  time-of-day factor  x  day-of-week factor

Each part is an exponentially weighted average that learns from every point after judging it; the surprise
it learns from is first clipped to a few typical deviations (winsorised), so a spike barely moves its own
baseline. The typical deviation ("robust σ") is a weighted mean absolute surprise, kept per hour of day and
scaled to a standard deviation. Two signals can raise an alert:

* burst: the last 30 min or 3 h are more unusual than this brand has been before. The alert line is the
  brand's most unusual moment so far (its peaks fade by half every `record_half_life`, 30 days), never below
  `burst_sigma` (3) robust σ (the first day, the warm-up, leaves no peaks), and the window must hold `min_multiple` (1.5) times its expected volume. So a brand
  whose ordinary noise reaches 6 σ now and then is not paged at 6 σ, and a calm one is paged at 3 σ. Under a
  raised line, `alert_multiple` (6) times the expected volume still alerts. (NAB's best detectors, ARTime and
  HTM's anomaly likelihood, also judge a surprise against the series' own history of surprises.)
* sustained: the last 3 h stay raised. Each hour the 3 h window sits `run_floor_sigma` (3) robust σ or more
  above expected adds an hour of rise; at 2 σ the rise holds; below 2 σ it recedes (a one-sided CUSUM).
  `run_hours` (4) hours of rise make an alert, if the rise is also `min_multiple` times expected.

An alert also needs `min_count` mentions in the window (when the values are whole counts: it is a number of
mentions), a day of history, and no alert within `cooldown`.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from statistics import median

_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
# a normal distribution's mean absolute deviation is sqrt(2/pi) of its standard deviation
_MAD_TO_SIGMA = math.sqrt(math.pi / 2)
_GAPS_FOR_INTERVAL = 16  # the interval is settled from this many gaps between the first points
_MIN_SAMPLES = 12  # the baseline starts clipping surprises after this many points
_SLOT_DAYS = 3  # a slot's own spread is trusted once seen on this many days; the pooled spread before
_SPREAD_FLOOR = 0.5  # a slot's spread counts as at least this share of the pooled spread


@dataclass(frozen=True)
class SpikeSettings:
    """How eager the detector is. One set of defaults is meant to suit any brand and any interval."""

    burst_sigma: float = 3.0  # the least robust σ above expected that makes a burst (see record_half_life)
    burst_windows: tuple[timedelta, ...] = (timedelta(minutes=30), timedelta(hours=3))
    run_window: timedelta = timedelta(hours=3)  # the window whose level a sustained rise follows
    run_floor_sigma: float = 3.0  # each hour that window sits this far above expected adds an hour of rise
    run_hours: float = 4.0  # hours of rise that make a sustained alert
    min_count: float = 10  # a window with fewer mentions never alerts (a series of whole counts only)
    cooldown: timedelta = timedelta(hours=24)
    warmup: timedelta = timedelta(days=1)  # history needed before the first alert
    level_half_life: timedelta = timedelta(days=1)
    season_half_life: float = 7.0  # in visits: days for the time-of-day shape, weeks for the weekday shape
    season_slot: timedelta = timedelta(hours=1)
    clip_sigma: float = 2.5  # a surprise counts at most this many σ when the baseline learns from it
    sigma_floor: float = 0.05  # log units: even a perfectly flat history tolerates ~5 % wobble
    record_half_life: timedelta = timedelta(days=30)  # how fast a past peak stops raising the burst line
    min_multiple: float = 1.5  # and a burst is at least this many times its expected volume: 3σ of a calm brand can be +20 %
    alert_multiple: float = 6.0  # a burst this many times its expected volume alerts even under a raised line

    def __post_init__(self) -> None:
        if min(self.burst_sigma, self.run_floor_sigma, self.run_hours, self.clip_sigma, self.sigma_floor) <= 0:
            raise ValueError("sigmas, run_hours and sigma_floor must be positive")
        if self.season_half_life <= 0 or self.min_count < 0:
            raise ValueError("season_half_life must be positive and min_count not negative")
        if self.alert_multiple <= 1 or self.min_multiple < 1:
            raise ValueError("alert_multiple must be more than 1 and min_multiple at least 1")
        if min(self.level_half_life, self.season_slot, self.record_half_life, *self.burst_windows) <= timedelta(0):
            raise ValueError("half-lives, slots and windows must be positive")
        if self.season_slot > timedelta(days=1) or timedelta(days=1) % self.season_slot:
            raise ValueError("season_slot must divide a day")
        if self.cooldown < timedelta(0) or self.warmup < timedelta(0):
            raise ValueError("cooldown and warmup must not be negative")


@dataclass(frozen=True)
class Explanation:
    """Why a point scored what it did, in numbers a person can check."""

    signal: str  # "burst" (a short window) or "sustained" (a window that has stayed raised)
    verdict: str  # "spike", "normal", "too few mentions", "cooldown", "warming up"
    observed: float  # mentions in the window
    expected: float  # typical mentions for this window at this time of the week
    window: timedelta  # the look-back window; for a sustained rise, how long it has lasted
    window_end: datetime
    slot: str  # the time of week the expectation is for, e.g. "Tuesday 14:00"
    sigma_above: float  # robust σ between observed and expected (negative when below); sustained: the mean
    threshold: str  # the alert line in words, e.g. "5 robust σ"
    min_count: float

    def text(self, noun: str = "mentions") -> str:
        span = human_span(self.window)
        ratio = f", {self.observed / self.expected:.1f}× normal" if self.expected >= 1 else ""
        above = "above" if self.sigma_above >= 0 else "below"
        if self.signal == "sustained":
            head = (f"about {self.observed:g} {noun} over the last {span} vs {self.expected:.0f} expected{ratio} "
                    f"(a sustained rise, {abs(self.sigma_above):.1f} robust σ {above} on average)")
        else:
            head = (f"{self.observed:g} {noun} in the last {span} vs {self.expected:.0f} expected for a "
                    f"{self.slot}{ratio} ({abs(self.sigma_above):.1f} robust σ {above})")
        tail = {
            "spike": f"; alert line {self.threshold}",
            "normal": f"; under the alert line of {self.threshold}",
            "too few mentions": f"; ignored, fewer than {self.min_count:g} {noun}",
            "cooldown": "; unusual, but an alert fired recently",
            "warming up": "; still learning this brand's usual volume",
        }[self.verdict]
        return head + tail


@dataclass(frozen=True)
class Verdict:
    at: datetime
    value: float
    score: float  # 0..1; 0.5 is exactly an alert line
    alert: bool
    explanation: Explanation


class _Phase:
    """Where a moment sits in the day and the week, as a blend of the two nearest slot centres."""

    __slots__ = ("day_lo", "day_hi", "day_mix", "week_lo", "week_hi", "week_mix", "slot", "weekday")

    def __init__(self, at: datetime, slot_seconds: float, slots_per_day: int) -> None:
        seconds = at.hour * 3600 + at.minute * 60 + at.second + at.microsecond / 1e6
        # slot i is centred (i + 0.5) slots after midnight, a weekday on its noon: blending the two nearest
        # centres keeps the expectation smooth instead of stepping on the hour
        pos = seconds / slot_seconds - 0.5
        lo = math.floor(pos)
        self.day_lo, self.day_hi, self.day_mix = lo % slots_per_day, (lo + 1) % slots_per_day, pos - lo
        wpos = at.weekday() + seconds / 86400 - 0.5
        wlo = math.floor(wpos)
        self.week_lo, self.week_hi, self.week_mix = wlo % 7, (wlo + 1) % 7, wpos - wlo
        self.slot = int(seconds // slot_seconds) % slots_per_day
        self.weekday = at.weekday()


class _Baseline:
    """Expected log-count of one look-back window: level + time-of-day + weekday, learned robustly."""

    def __init__(self, settings: SpikeSettings, slots_per_day: int, points_per_slot: float) -> None:
        self.trust_slot_after = max(_MIN_SAMPLES, _SLOT_DAYS * points_per_slot)
        self.clip_sigma = settings.clip_sigma
        self.sigma_floor = settings.sigma_floor
        self.level = 0.0
        self.seen = 0
        self.daily = [0.0] * slots_per_day
        self.daily_seen = [0.0] * slots_per_day
        self.weekly = [0.0] * 7
        self.weekly_seen = [0.0] * 7
        self.spread = [0.0] * slots_per_day  # mean absolute surprise, per slot of day
        self.spread_seen = [0.0] * slots_per_day
        self.pooled_spread = 0.0

    def predict(self, ph: _Phase) -> float:
        day = (1 - ph.day_mix) * self.daily[ph.day_lo] + ph.day_mix * self.daily[ph.day_hi]
        week = (1 - ph.week_mix) * self.weekly[ph.week_lo] + ph.week_mix * self.weekly[ph.week_hi]
        return self.level + day + week

    def sigma(self, ph: _Phase) -> float:
        # a slot's own spread once it has a few days behind it, blended between the two nearest slots like the
        # expectation; never far below the pooled spread, so one calm slot cannot make every blip a spike
        pooled = self.pooled_spread
        trust = self.trust_slot_after
        lo = self.spread[ph.day_lo] if self.spread_seen[ph.day_lo] >= trust else pooled
        hi = self.spread[ph.day_hi] if self.spread_seen[ph.day_hi] >= trust else pooled
        mean_abs = (1 - ph.day_mix) * lo + ph.day_mix * hi
        return max(self.sigma_floor, _MAD_TO_SIGMA * max(mean_abs, _SPREAD_FLOOR * pooled))

    def observe(self, y: float, ph: _Phase, rates: tuple[float, float, float]) -> tuple[float, float] | None:
        """Judge `y` on the past (expected log-count, σ), then learn from it; None for the very first."""
        if self.seen == 0:
            self.level, self.seen = y, 1
            return None
        expected, sigma = self.predict(ph), self.sigma(ph)
        surprise = y - expected
        bound = self.clip_sigma * sigma if self.seen > _MIN_SAMPLES else math.inf
        clipped = -bound if surprise < -bound else bound if surprise > bound else surprise
        level_rate, day_rate, week_rate = rates
        # a rate of 1/n while young makes each part the plain average of what it has seen; later it forgets
        self.seen += 1
        young = 1 / self.seen
        self.level += (young if young > level_rate else level_rate) * clipped
        _share(self.daily, self.daily_seen, ph.day_lo, ph.day_hi, ph.day_mix, day_rate, clipped)
        _share(self.weekly, self.weekly_seen, ph.week_lo, ph.week_hi, ph.week_mix, week_rate, clipped)
        size = abs(clipped)
        for i, weight in ((ph.day_lo, 1 - ph.day_mix), (ph.day_hi, ph.day_mix)):
            if weight > 0:
                self.spread_seen[i] += weight
                young = 1 / self.spread_seen[i]
                self.spread[i] += weight * (young if young > day_rate else day_rate) * (size - self.spread[i])
        young = 1 / self.seen
        self.pooled_spread += (young if young > level_rate else level_rate) * (size - self.pooled_spread)
        return expected, sigma


def _share(parts: list[float], seen: list[float], lo: int, hi: int, mix: float, rate: float, err: float) -> None:
    """Give a surprise to the two slot centres a moment sits between, each by its closeness."""
    for i, weight in ((lo, 1 - mix), (hi, mix)):
        if weight > 0:
            seen[i] += weight
            young = 1 / (seen[i] + 1)
            parts[i] += weight * (young if young > rate else rate) * err


class _Window:
    """A running total over the last `steps` intervals, with its own baseline."""

    def __init__(self, steps: int, baseline: _Baseline, first: datetime) -> None:
        self.steps = steps
        self.baseline = baseline
        self.first = first
        self.items: deque[tuple[datetime, float]] = deque()
        self.total = 0.0

    def full(self, at: datetime, interval: timedelta) -> bool:
        """A partly filled window would teach the baseline a false low."""
        return at - self.first >= interval * (self.steps - 1)

    def add(self, at: datetime, value: float, interval: timedelta) -> float:
        self.items.append((at, value))
        self.total += value
        start = at - interval * self.steps
        while self.items[0][0] <= start:
            self.total -= self.items.popleft()[1]
        return max(0.0, self.total)


@dataclass
class _Run:
    """A sustained rise in progress: hours of rise so far, since when, and what it has counted."""

    hours: float = 0.0
    since: datetime | None = None
    observed: float = 0.0  # per-interval shares of the followed window, summed over the run
    expected: float = 0.0
    sigma_sum: float = 0.0
    points: int = 0

    def reset(self) -> None:
        self.hours, self.since = 0.0, None
        self.observed = self.expected = self.sigma_sum = 0.0
        self.points = 0


class SpikeDetector:
    """Feed it one brand's counts in time order; it returns a verdict per point using only the past.

    The state is a function of the points seen, so replaying stored history rebuilds it exactly.
    """

    def __init__(self, settings: SpikeSettings | None = None) -> None:
        self.settings = settings or SpikeSettings()
        self._slot_seconds = self.settings.season_slot.total_seconds()
        self._slots_per_day = round(86400 / self._slot_seconds)
        self._first: datetime | None = None
        self._last: datetime | None = None
        self._gaps: list[timedelta] = []
        self._interval: timedelta | None = None
        self._burst_steps: list[int] = []
        self._run_steps = 1
        self._steps: list[int] = []
        self._rates = (0.0, 0.0, 0.0)
        self._windows: dict[int, _Window] = {}  # keyed by length in intervals
        self._run = _Run()
        self._last_alert: datetime | None = None
        self._labels: dict[tuple[int, int], str] = {}
        self._whole_counts = True  # min_count is a number of mentions: it does not apply to amounts like 0.37
        self._peak = 0.0  # the most unusual burst so far (robust σ above expected) and when
        self._peak_at: datetime | None = None
        self._pending: deque[tuple[datetime, float]] = deque()  # recent peaks, not yet part of the line
        self._settle = max(self.settings.burst_windows)
        self._floor_text = f"{self.settings.burst_sigma:g} robust σ and {self.settings.min_multiple:g}× normal"

    @classmethod
    def rebuilt(cls, history: Iterable[tuple[datetime, float]], settings: SpikeSettings | None = None) -> SpikeDetector:
        """A detector that has seen `history` (time-ordered (datetime, count) pairs), ready for the next point."""
        detector = cls(settings)
        for at, value in history:
            detector.update(at, value)
        return detector

    @property
    def interval(self) -> timedelta | None:
        """The counting interval: the median gap between the first points."""
        return self._interval

    def update(self, at: datetime, value: float) -> Verdict:
        if not value >= 0 or math.isinf(value):
            raise ValueError(f"a count must be a finite, non-negative number, got {value}")
        self._advance_clock(at)
        if self._whole_counts and value != int(value):
            self._whole_counts = False
        interval = self._interval
        if interval is None:  # the very first point: nothing to compare with yet
            return self._quiet(at, value)
        ph = _Phase(at, self._slot_seconds, self._slots_per_day)
        judged: list[tuple[float, float, float, int]] = []  # (σ above, observed, expected, intervals)
        for steps in self._steps:
            window = self._windows.get(steps)
            if window is None:
                baseline = _Baseline(self.settings, self._slots_per_day, self._slot_seconds / interval.total_seconds())
                window = self._windows[steps] = _Window(steps, baseline, at)
            total = window.add(at, value, interval)
            if not window.full(at, interval):
                continue
            y = math.log1p(total)
            judgement = window.baseline.observe(y, ph, self._rates)
            if judgement is not None:
                expected_log, sigma = judgement
                judged.append(((y - expected_log) / sigma, total, math.expm1(expected_log), steps))
        return self._decide(at, value, interval, ph, judged)

    @property
    def _min_count(self) -> float:
        return self.settings.min_count if self._whole_counts else 0.0

    def _slot_label(self, ph: _Phase) -> str:
        """'Tuesday 14:00': the time of week an expectation is for."""
        key = (ph.weekday, ph.slot)
        label = self._labels.get(key)
        if label is None:
            label = self._labels[key] = f"{_WEEKDAYS[ph.weekday]} {_clock(ph.slot * self._slot_seconds)}"
        return label

    def _advance_clock(self, at: datetime) -> None:
        if self._last is None:
            self._first = at
        elif at <= self._last:
            raise ValueError(f"points must arrive in time order: {at} is not after {self._last}")
        elif len(self._gaps) < _GAPS_FOR_INTERVAL:
            # the median of the first gaps shrugs off a missing row or a late clock
            self._gaps.append(at - self._last)
            self._interval = median(self._gaps)
            self._settle_windows(self._interval)
        self._last = at

    def _settle_windows(self, interval: timedelta) -> None:
        """Each window as a whole number of intervals, at least one."""
        def steps(window: timedelta) -> int:
            return max(1, round(window / interval))

        self._burst_steps = sorted({steps(w) for w in self.settings.burst_windows})
        self._run_steps = steps(self.settings.run_window)
        self._steps = sorted({*self._burst_steps, self._run_steps})
        self._rates = self._learning_rates(interval)
        # while the interval is still settling, a window whose length in intervals changed starts afresh
        self._windows = {n: w for n, w in self._windows.items() if n in self._steps}

    def _learning_rates(self, interval: timedelta) -> tuple[float, float, float]:
        """Per-point learning rates for level, time-of-day and weekday, from their half-lives."""
        step = interval.total_seconds()
        s = self.settings
        level = 1 - 0.5 ** (step / s.level_half_life.total_seconds())
        day = 1 - 0.5 ** (step / (self._slot_seconds * s.season_half_life))
        week = 1 - 0.5 ** (step / (86400 * s.season_half_life))
        return level, day, week

    def _decide(self, at: datetime, value: float, interval: timedelta, ph: _Phase, judged: list) -> Verdict:
        s = self.settings
        slot = self._slot_label(ph)
        warm = at - self._first >= s.warmup
        followed = next((j for j in judged if j[3] == self._run_steps), None)
        run_score, run_line = self._track_run(at, interval, followed if warm else None)
        bursts = [j for j in judged if j[3] in self._burst_steps]
        burst = max((j for j in bursts if j[1] >= self._min_count and (j[1] + 1) >= s.min_multiple * (j[2] + 1)),
                    key=lambda j: j[0], default=None)
        line_sigma, line = self._burst_line(at)
        top = max((j[0] for j in bursts), default=None)
        if top is not None and warm:  # a young baseline's surprises say little about the brand
            self._record_peak(at, top)
        burst_score = _score(burst[0], line_sigma) if burst else 0.0
        by_multiple = False
        if burst is not None and burst[0] < line_sigma:
            # under a raised line, a window many times its usual volume still alerts: a support lead would want
            # to hear of ten times the usual complaints however wild the brand's past has been
            big = max((j for j in bursts if j[1] >= self._min_count and j[0] >= s.burst_sigma),
                      key=lambda j: (j[1] + 1) / (j[2] + 1), default=None)
            if big is not None:
                multiple = (big[1] + 1) / (big[2] + 1)
                multiple_score = _score(math.log(multiple), math.log(s.alert_multiple))
                if multiple_score > burst_score:
                    burst, burst_score, by_multiple = big, multiple_score, multiple >= s.alert_multiple
                    line = (f"{s.alert_multiple:g}× normal and {s.burst_sigma:g} robust σ (the line of "
                            f"{line_sigma:.1f} σ is raised by this brand's past)")

        run = self._run
        run_counts = run.points and run.observed >= self._min_count and run.observed >= s.min_multiple * run.expected
        run_crossed = run_counts and run.hours >= run_line
        burst_crossed = burst is not None and (burst[0] >= line_sigma or by_multiple)
        # a signal past its line wins over one that is not, whatever their scores; else the higher score shows
        if run_counts and (run_crossed, run_score) > (burst_crossed, burst_score):
            signal, score, crossed = "sustained", run_score, run_crossed
            shown = (run.sigma_sum / run.points, round(run.observed), run.expected, run.points)
            span = human_span(interval * self._run_steps)
            line = f"{run_line:g} h of rise ({span} total ≥{s.run_floor_sigma:g} robust σ above)"
        elif burst is not None:
            signal, score, crossed, shown = "burst", burst_score, burst_crossed, burst
        else:  # nothing big enough to count: show the most unusual window anyway
            shown = max(bursts, key=lambda j: j[0], default=(0.0, value, value, 1))
            verdict = "warming up" if not warm else "too few mentions" if shown[0] >= line_sigma else "normal"
            return self._verdict(at, value, 0.0, verdict, "burst", slot, shown, line)

        if not crossed:
            verdict = "normal"
        elif not warm:
            verdict = "warming up"
        elif self._last_alert is not None and at - self._last_alert < s.cooldown:
            verdict = "cooldown"
        else:
            verdict = "spike"
            self._last_alert = at
            self._run.reset()  # the rise is reported; a new one has to build up again
        return self._verdict(at, value, score, verdict, signal, slot, shown, line)

    def _burst_line(self, at: datetime) -> tuple[float, str]:
        """The burst alert line: the floor, or this brand's highest unusualness so far if that is higher.

        A series whose ordinary noise now and then reaches 6 σ should not alert at 6 σ; a calm one may alert at
        a few σ. Older peaks fade (half every `record_half_life`), so one wild day does not mute a brand forever.
        """
        s = self.settings
        faded = self._faded_peak(at)
        if faded <= s.burst_sigma:
            return s.burst_sigma, self._floor_text
        return faded, (f"{faded:.1f} robust σ and {s.min_multiple:g}× normal, above this brand's most unusual so far "
                       f"({self._peak:.1f} σ on {self._peak_at:%d %b %H:%M}, counted half every "
                       f"{human_span(s.record_half_life)})")

    def _faded_peak(self, at: datetime) -> float:
        if self._peak_at is None:
            return 0.0
        return self._peak * 0.5 ** ((at - self._peak_at) / self.settings.record_half_life)

    def _record_peak(self, at: datetime, sigma_above: float) -> None:
        """Remember the most unusual moment, once it is older than the longest window.

        A window is only held against peaks from before it began: a spike in progress must not raise its own line,
        or its alert would be "back to normal" while the burst still fills the window.
        """
        pending = self._pending
        settle = self._settle
        while pending and at - pending[0][0] >= settle:
            when, sigma = pending.popleft()
            if sigma > self._faded_peak(when):
                self._peak, self._peak_at = sigma, when
        # a candidate below the remembered peak now stays below it as both fade: no need to keep it
        if sigma_above > 0 and sigma_above > self._faded_peak(at):
            pending.append((at, sigma_above))

    def _track_run(self, at: datetime, interval: timedelta, followed: tuple | None) -> tuple[float, float]:
        """Grow or shrink the sustained rise with the followed window; return its score and alert line."""
        s = self.settings
        # coarse data (hours, days) still needs a few intervals in a row to count as sustained
        line = max(s.run_hours, 3 * interval.total_seconds() / 3600)
        run = self._run
        if followed is None:
            run.reset()
            return 0.0, line
        rise = min(followed[0], s.run_floor_sigma) - (s.run_floor_sigma - 1)
        run.hours += rise * interval.total_seconds() / 3600
        if run.hours <= 0:
            run.reset()
            return 0.0, line
        if run.since is None:
            run.since = at
        sigma_above, observed, expected, steps = followed
        run.observed += observed / steps
        run.expected += expected / steps
        run.sigma_sum += sigma_above
        run.points += 1
        return _score(run.hours, line), line

    def _verdict(self, at: datetime, value: float, score: float, verdict: str, signal: str, slot: str,
                 shown: tuple, line: str) -> Verdict:
        sigma_above, observed, expected, steps = shown
        interval = self._interval or timedelta(0)
        explanation = Explanation(signal, verdict, observed, expected, interval * steps, at, slot, sigma_above, line,
                                  self._min_count)
        return Verdict(at, value, round(score, 4), verdict == "spike", explanation)

    def _quiet(self, at: datetime, value: float) -> Verdict:
        ph = _Phase(at, self._slot_seconds, self._slots_per_day)
        slot = self._slot_label(ph)
        return self._verdict(at, value, 0.0, "warming up", "burst", slot, (0.0, value, value, 1), self._floor_text)


def _score(strength: float, line: float) -> float:
    """0 at or below expected, 0.5 exactly at the alert line, approaching 1 far beyond it."""
    if strength <= 0:
        return 0.0
    return 1 - 0.5 ** (strength / line)


def _clock(seconds: float) -> str:
    minutes = int(seconds // 60)
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def human_span(span: timedelta) -> str:
    """'30 min', '3 h', '5 h 20 min', '2 days'."""
    minutes = round(span.total_seconds() / 60)
    if minutes < 120:
        return f"{minutes} min"
    if minutes < 48 * 60:
        hours, rest = divmod(minutes, 60)
        return f"{hours} h" + (f" {rest} min" if rest else "")
    return f"{minutes / 1440:.1f}".rstrip("0").rstrip(".") + " days"
