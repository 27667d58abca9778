"""Spike detector quality on series it was not tuned on: three validations in one run.

    .venv/bin/python bench/bench_spike_validation.py           # writes bench/results/spike_validation.json + README
    .venv/bin/python bench/bench_spike_validation.py --detail  # also one line per series: windows found, false alerts

1. NAB (standard and low-false-positive profiles) on the four tweet series in ../shared/data/spikes/series,
   leave-one-series-out: for each series, the peak half-life and the alerting multiple are chosen from a small
   grid (3 x 4) on the other three and the
   series is scored at that choice; the held-out scores are pooled into one NAB score. The shipped defaults on
   all four, unselected, are reported next to it.
2. The same on the 39 series in ../shared/data/spikes/more/series (one series held out at a time, 38 to choose on).
3. Spike injection: bursts of known size and onset added to quiet stretches of the four tweet series (far from
   every labelled window and from the detector's own alerts on the untouched series, at least a week in), with the
   shipped defaults.
   Reported: the share detected (an alert during the burst or within an hour after it), the median delay in check
   intervals from the first burst interval (0 = alerted on it), and false alerts per week on the untouched series
   (alerts outside every labelled window, after the first day), and on generated seasonal noise with no spike.

The detector runs online exactly as `earful backtest --series` runs it (each row sees only the rows before it), and
NAB scores come from the scorer in ../shared/tools/nab_score.py, on the detector's own alert flag.
"""

from __future__ import annotations

import argparse
import copy
import importlib.util
import json
import math
import random
import statistics
import sys
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import partial
from types import SimpleNamespace
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from monitors.spikes.backtest import SeriesRow, parse_series  # noqa: E402
from monitors.spikes.detector import SpikeDetector, SpikeSettings  # noqa: E402

DATA = ROOT.parent / "shared" / "data" / "spikes"
SCORER = ROOT.parent / "shared" / "tools" / "nab_score.py"
PROFILES = ("standard", "reward_low_FP_rate")
# what a fold may choose from: how fast a past peak stops raising the burst line (days), and the multiple of the
# expected volume that alerts under a raised line (None: never). The 3 σ floor is not chosen here: below it, the
# seasonal-noise tests alert on noise alone.
HALF_LIFE_GRID = (14, 30, 60)
MULTIPLE_GRID = (4.0, 6.0, 10.0, None)
NOISE_WEEKS = 13
README_START, README_END = "<!-- spike-validation:start -->", "<!-- spike-validation:end -->"

# published NAB results on the same files (standard profile), from ../shared/data/spikes READMEs
PUBLISHED = {
    "tweets": "ARTime 85.2, htmjava 80.2, contextOSE 78.0, numenta HTM 75.3, knncad 70.4, "
              "windowedGaussian 56.2",
    "more": "ARTime 70.6, numenta HTM 68.1, contextOSE 66.2, knncad 54.6, earthgeckoSkyline 53.6, "
            "windowedGaussian 38.7",
}

BURSTS = (  # (name, extra volume as a multiple of the last day's mean count per interval, length in intervals)
    ("3× for 1 h", 2.0, 12),
    ("5× for 1 h", 4.0, 12),
    ("10× for 30 min", 9.0, 6),
    ("2× for 6 h", 1.0, 72),
)
ONSETS_PER_SERIES = 12
AFTER_BURST = 12  # intervals after a burst in which an alert still counts as detecting it


def _scorer():
    spec = importlib.util.spec_from_file_location("nab_score", SCORER)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@dataclass
class Series:
    name: str
    rows: list[SeriesRow]
    windows: list[tuple[str, str]]

    @property
    def stamps(self) -> list[str]:
        return [row.text.split(".")[0] for row in self.rows]


def load_set(folder: Path) -> list[Series]:
    windows = json.loads((folder / "windows.json").read_text())
    out = []
    for name in sorted(windows):
        with (folder / "series" / name).open(newline="") as handle:
            rows = [row for row in parse_series(handle).rows if row.value is not None]
        spans = [(a.split(".")[0], b.split(".")[0]) for a, b in windows[name]]
        out.append(Series(name, rows, spans))
    return out


class TrailingGaussian:
    """The baseline, run in the same bench: a point alerts when it is 4 standard deviations above the mean of the
    week before it (NAB's "windowedGaussian" idea, as an alert rule), at most once a day, after a day."""

    def __init__(self, window: timedelta = timedelta(days=7), k: float = 4.0) -> None:
        self.window, self.k = window, k
        self.items: deque[tuple[datetime, float]] = deque()
        self.total = self.squares = 0.0
        self.first: datetime | None = None
        self.last_alert: datetime | None = None

    def update(self, at: datetime, value: float) -> SimpleNamespace:
        self.first = self.first or at
        alert = False
        n = len(self.items)
        if n >= 12 and at - self.first >= timedelta(days=1):
            mean = self.total / n
            std = math.sqrt(max(self.squares / n - mean * mean, 0.0))
            calm = self.last_alert is None or at - self.last_alert >= timedelta(hours=24)
            alert = calm and value > mean + self.k * max(std, 1e-9)
            if alert:
                self.last_alert = at
        self.items.append((at, value))
        self.total += value
        self.squares += value * value
        while at - self.items[0][0] > self.window:
            _, old = self.items.popleft()
            self.total -= old
            self.squares -= old * old
        return SimpleNamespace(alert=alert)


def alerts(rows: list[SeriesRow], make: Callable) -> list[bool]:
    detector = make()
    return [detector.update(row.at, row.value).alert for row in rows]


def nab(scorer, raws: list[float], n_windows: int) -> float:
    null, perfect = -1.0 * n_windows, 1.0 * n_windows
    return round(100 * (sum(raws) - null) / (perfect - null), 1)


def validate(scorer, series: list[Series], grid: list[SpikeSettings], default: int) -> dict:
    """Per profile: the shipped defaults' score and the leave-one-series-out score (choice made on the rest)."""
    flags = [[alerts(s.rows, partial(SpikeDetector, settings)) for s in series] for settings in grid]
    n_windows = sum(len(s.windows) for s in series)
    result: dict = {"series": len(series), "windows": n_windows, "rows": sum(len(s.rows) for s in series)}
    for profile in PROFILES:
        raw = [[scorer.raw_score({s.name: scorer.file_parts(s.stamps, [float(a) for a in flags[g][i]],
                                                            s.windows, profile)}, 0.5, profile)
                for i, s in enumerate(series)] for g in range(len(grid))]
        held_out, chosen = [], []
        for i in range(len(series)):
            best = max(range(len(grid)), key=lambda g: (sum(raw[g]) - raw[g][i], g == default))
            held_out.append(raw[best][i])
            g = grid[best]
            multiple = "no multiple" if g.alert_multiple >= 1e9 else f"{g.alert_multiple:g}×"
            chosen.append(f"{g.record_half_life.days} days, {multiple}")
        result[profile] = {
            "defaults_all_series": nab(scorer, raw[default], n_windows),
            "leave_one_series_out": nab(scorer, held_out, n_windows),
            "chosen": dict(zip((s.name for s in series), chosen)),
        }
    result["detail"] = [_detail(s, flags[default][i]) for i, s in enumerate(series)]
    return result


def baseline_nab(scorer, series: list[Series]) -> dict:
    flags = [alerts(s.rows, TrailingGaussian) for s in series]
    n_windows = sum(len(s.windows) for s in series)
    return {profile: nab(scorer, [scorer.raw_score({s.name: scorer.file_parts(
        s.stamps, [float(a) for a in flags[i]], s.windows, profile)}, 0.5, profile) for i, s in enumerate(series)],
        n_windows) for profile in PROFILES}


def _inside(stamp: str, windows: list[tuple[str, str]]) -> bool:
    return any(a <= stamp <= b for a, b in windows)


def _detail(s: Series, flags: list[bool]) -> dict:
    stamps = s.stamps
    found = sum(any(f for t, f in zip(stamps, flags) if a <= t <= b) for a, b in s.windows)
    false = sum(1 for t, f in zip(stamps, flags) if f and not _inside(t, s.windows))
    return {"series": s.name, "windows": len(s.windows), "found": found, "false_alerts": false}


def choose_onsets(series: list[Series], settings: SpikeSettings, seed: int = 15) -> dict[str, list[int]]:
    """Where bursts go, chosen once (with the shipped detector's own alerts) and used for every detector."""
    rng = random.Random(seed)
    out = {}
    for s in series:
        flags = alerts(s.rows, partial(SpikeDetector, settings))
        out[s.name] = _quiet_onsets(s, flags, settings.cooldown, s.rows[1].at - s.rows[0].at, rng)
    return out


def inject(series: list[Series], make: Callable, onsets_of: dict[str, list[int]]) -> dict:
    """Bursts added to quiet stretches; detection share, median delay, false alerts per week untouched."""
    false_alerts, weeks = 0, 0.0
    outcomes: dict[str, list[int | None]] = {name: [] for name, _, _ in BURSTS}
    for s in series:
        rows, stamps = s.rows, s.stamps
        flags = alerts(rows, make)
        start = rows[0].at + timedelta(days=1)
        false_alerts += sum(1 for row, t, fired in zip(rows, stamps, flags)
                            if fired and row.at >= start and not _inside(t, s.windows))
        weeks += (rows[-1].at - start) / timedelta(days=7)
        for onset in onsets_of[s.name]:
            snapshot = _replayed(rows[:onset], make)
            usual = statistics.fmean(row.value for row in rows[max(0, onset - 288):onset])  # the last day's mean
            for name, extra, length in BURSTS:
                detector = copy.deepcopy(snapshot)
                delay = None
                for k in range(length + AFTER_BURST):
                    row = rows[onset + k]
                    added = round(extra * usual) if k < length else 0
                    if detector.update(row.at, row.value + added).alert:
                        delay = k
                        break
                outcomes[name].append(delay)
    bursts = {}
    for name, delays in outcomes.items():
        hits = [d for d in delays if d is not None]
        bursts[name] = {
            "injected": len(delays),
            "detected_share": round(len(hits) / len(delays), 3) if delays else None,
            "median_delay_intervals": statistics.median(hits) if hits else None,
        }
    return {"bursts": bursts, "false_alerts_per_week": round(false_alerts / weeks, 2), "weeks": round(weeks, 1)}


def noise_false_alerts(make: Callable, seed: int = 15) -> float:
    """Alerts per week on generated counts with no spike at all: a daily cycle, calmer weekends, Poisson noise."""
    rng = random.Random(seed)
    detector = make()
    at, end, fired = datetime(2024, 1, 1), datetime(2024, 1, 1) + timedelta(weeks=NOISE_WEEKS), 0
    while at < end:
        hour = at.hour + at.minute / 60
        mean = 30 * (1 + 0.65 * math.sin(2 * math.pi * (hour - 9) / 24)) * (0.7 if at.weekday() >= 5 else 1)
        count = max(0, round(rng.gauss(mean, math.sqrt(mean))))
        fired += detector.update(at, float(count)).alert and at >= datetime(2024, 1, 2)
        at += timedelta(minutes=5)
    return round(fired / (NOISE_WEEKS - 1 / 7), 2)


def _replayed(rows: list[SeriesRow], make: Callable):
    detector = make()
    for row in rows:
        detector.update(row.at, row.value)
    return detector


def _quiet_onsets(s: Series, flags: list[bool], cooldown: timedelta, interval: timedelta,
                  rng: random.Random) -> list[int]:
    """Onsets at least 7 days in, a day clear of labelled windows, with no untouched alert a cooldown around."""
    rows = s.rows
    margin = timedelta(days=1)
    spans = [(datetime.fromisoformat(a) - margin, datetime.fromisoformat(b) + margin) for a, b in s.windows]
    fired = [row.at for row, f in zip(rows, flags) if f]
    quiet_gap = max(cooldown, timedelta(hours=12))
    horizon = max(length for _, _, length in BURSTS) + AFTER_BURST
    candidates = []
    for i in range(0, len(rows) - horizon, 6):
        at = rows[i].at
        if at - rows[0].at < timedelta(days=7):  # a brand with a week of history, as after `spikes.history`
            continue
        if any(a <= at <= b for a, b in spans):
            continue
        if any(abs(at - f) < quiet_gap for f in fired):
            continue
        if rows[i + horizon].at - at != interval * horizon:  # a gap in the data would blur the delay
            continue
        candidates.append(i)
    picked = sorted(rng.sample(candidates, min(ONSETS_PER_SERIES, len(candidates))))
    return picked


def render(result: dict) -> str:
    t, m, inj, base = result["tweets"], result["more"], result["injection"], result["baseline"]
    bt, bm = base["tweets"], base["more"]
    lines = [
        README_START,
        "| validation (NAB score) | standard | low false positives | baseline in the same run: mean + 4·std of the "
        "week before (standard, low FP) | published on the same files (standard) |",
        "|---|---|---|---|---|",
        f"| 4 tweet series, leave-one-series-out | **{t['standard']['leave_one_series_out']}** "
        f"| {t['reward_low_FP_rate']['leave_one_series_out']} | {bt['standard']}, {bt['reward_low_FP_rate']} "
        f"| {PUBLISHED['tweets']} |",
        f"| 4 tweet series, shipped defaults | {t['standard']['defaults_all_series']} "
        f"| {t['reward_low_FP_rate']['defaults_all_series']} | | |",
        f"| 39 further NAB series, leave-one-series-out | **{m['standard']['leave_one_series_out']}** "
        f"| {m['reward_low_FP_rate']['leave_one_series_out']} | {bm['standard']}, {bm['reward_low_FP_rate']} "
        f"| {PUBLISHED['more']} |",
        f"| 39 further NAB series, shipped defaults | {m['standard']['defaults_all_series']} "
        f"| {m['reward_low_FP_rate']['defaults_all_series']} | | |",
        "",
        "| burst injected into a quiet stretch (4 tweet series, shipped defaults) | detected | median delay "
        "(check intervals) | baseline: detected, delay |",
        "|---|---|---|---|",
    ]
    for name, b in inj["bursts"].items():
        other = base["injection"]["bursts"][name]
        lines.append(f"| {name} ({b['injected']} bursts) | {b['detected_share']:.0%} | {_delay(b)} "
                     f"| {other['detected_share']:.0%}, {_delay(other)} |")
    lines += ["", f"False alerts on the untouched tweet series: {inj['false_alerts_per_week']} per week "
              f"(outside every labelled window, over {inj['weeks']} weeks; baseline "
              f"{base['injection']['false_alerts_per_week']}); on {NOISE_WEEKS} weeks of generated seasonal Poisson "
              f"counts with no spike: {result['noise_false_alerts_per_week']} per week (baseline "
              f"{base['noise_false_alerts_per_week']}).", README_END]
    return "\n".join(lines)


def _delay(b: dict) -> str:
    return "–" if b["median_delay_intervals"] is None else f"{b['median_delay_intervals']:g}"


def write_readme(block: str) -> bool:
    readme = ROOT / "README.md"
    text = readme.read_text()
    if README_START not in text or README_END not in text:
        return False
    head, rest = text.split(README_START, 1)
    _, tail = rest.split(README_END, 1)
    readme.write_text(head + block + tail)
    return True


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--detail", action="store_true", help="also one line per series")
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args()
    if not SCORER.exists() or not DATA.exists():
        print(f"needs {DATA} and {SCORER} (the shared evaluation data)", file=sys.stderr)
        return 2
    scorer = _scorer()
    defaults = SpikeSettings()
    grid = [replace(defaults, record_half_life=timedelta(days=days), alert_multiple=multiple or 1e9)
            for days in HALF_LIFE_GRID for multiple in MULTIPLE_GRID]
    default = next(i for i, g in enumerate(grid) if g == defaults)
    started = time.perf_counter()
    tweets, more = load_set(DATA), load_set(DATA / "more")
    onsets = choose_onsets(tweets, defaults)
    result = {
        "tweets": validate(scorer, tweets, grid, default),
        "more": validate(scorer, more, grid, default),
        "injection": inject(tweets, partial(SpikeDetector, defaults), onsets),
        "baseline": {"tweets": baseline_nab(scorer, tweets), "more": baseline_nab(scorer, more),
                     "injection": inject(tweets, TrailingGaussian, onsets),
                     "noise_false_alerts_per_week": noise_false_alerts(TrailingGaussian)},
        "noise_false_alerts_per_week": noise_false_alerts(partial(SpikeDetector, defaults)),
        "grid": {"record_half_life_days": HALF_LIFE_GRID, "alert_multiple": MULTIPLE_GRID},
        "seconds": 0.0,
    }
    result["seconds"] = round(time.perf_counter() - started, 1)
    for key in ("tweets", "more"):
        r = result[key]
        print(f"{key}: {r['series']} series, {r['windows']} windows")
        for profile in PROFILES:
            p = r[profile]
            print(f"  {profile}: leave-one-series-out {p['leave_one_series_out']}, "
                  f"shipped defaults {p['defaults_all_series']}")
        if args.detail:
            for d in r["detail"]:
                print(f"    {d['series']}: found {d['found']}/{d['windows']}, false alerts {d['false_alerts']}")
    inj = result["injection"]
    for name, b in inj["bursts"].items():
        print(f"injection {name}: detected {b['detected_share']:.0%} of {b['injected']}, "
              f"median delay {b['median_delay_intervals']} intervals")
    print(f"false alerts per week on the untouched tweet series: {inj['false_alerts_per_week']}")
    print(f"false alerts per week on generated seasonal noise: {result['noise_false_alerts_per_week']}")
    base = result["baseline"]
    print(f"baseline (mean + 4·std of the week before): tweets NAB {base['tweets']['standard']}, "
          f"39 series NAB {base['more']['standard']}, false alerts per week on tweets "
          f"{base['injection']['false_alerts_per_week']}, on generated noise {base['noise_false_alerts_per_week']}")
    for name, b in base["injection"]["bursts"].items():
        print(f"  baseline injection {name}: detected {b['detected_share']:.0%}, "
              f"median delay {b['median_delay_intervals']} intervals")
    print(f"({result['seconds']} s)")
    if not args.no_write:
        out = ROOT / "bench" / "results" / "spike_validation.json"
        out.write_text(json.dumps(result, indent=2) + "\n")
        wrote = write_readme(render(result))
        print(f"wrote {out.relative_to(ROOT)}" + (" and README.md" if wrote else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
