"""The spike detector on synthetic series with a known truth: fixed datetimes, seeded noise, plain asserts."""

from __future__ import annotations

import math
import random
from datetime import datetime, timedelta

import pytest

from monitors.spikes.detector import SpikeDetector, SpikeSettings, Verdict, human_span

START = datetime(2024, 1, 1)  # a Monday
FIVE_MIN = timedelta(minutes=5)


def poisson(rng: random.Random, mean: float) -> int:
    if mean > 60:  # normal approximation; exact enough for counts this large
        return max(0, round(rng.gauss(mean, math.sqrt(mean))))
    limit, k, p = math.exp(-mean), 0, rng.random()
    while p > limit:
        k += 1
        p *= rng.random()
    return k


def daily_rate(at: datetime, base: float) -> float:
    """Busy afternoons, quiet nights, calmer weekends: about 5x between the peak and the trough."""
    hour = at.hour + at.minute / 60
    day = 1 + 0.65 * math.sin(2 * math.pi * (hour - 9) / 24)
    return base * day * (0.7 if at.weekday() >= 5 else 1.0)


def series(days: float, base: float = 40.0, seed: int = 1, step: timedelta = FIVE_MIN, shape=None,
           noise: float = 0.0, drift: float = 0.0) -> list[tuple[datetime, float]]:
    """Counts per interval: seasonal Poisson, times `shape(at)`, optionally times lognormal noise per point
    (`noise`) and a slow lognormal wander that keeps its course for about three hours (`drift`)."""
    rng = random.Random(seed)
    keep = math.exp(-step / timedelta(hours=3))
    points, at, wander = [], START, 0.0
    while at < START + timedelta(days=days):
        mean = daily_rate(at, base) * (shape(at) if shape else 1.0)
        if noise:
            mean *= math.exp(rng.gauss(0, noise))
        if drift:
            wander = keep * wander + math.sqrt(1 - keep * keep) * rng.gauss(0, drift)
            mean *= math.exp(wander)
        points.append((at, float(poisson(rng, mean))))
        at += step
    return points


def run(points, settings: SpikeSettings | None = None) -> list[Verdict]:
    detector = SpikeDetector(settings)
    return [detector.update(at, value) for at, value in points]


def alerts(verdicts: list[Verdict]) -> list[Verdict]:
    return [v for v in verdicts if v.alert]


def test_daily_and_weekly_seasonality_alone_never_alerts():
    verdicts = run(series(days=21, seed=2))
    assert alerts(verdicts) == []
    learnt = [v for v in verdicts if v.at >= START + timedelta(days=1)]  # the first day is warm-up
    assert max(v.score for v in learnt) < 0.5


def test_overdispersed_noise_alone_never_alerts():
    verdicts = run(series(days=21, seed=3, noise=0.25))
    assert alerts(verdicts) == []


def test_a_step_up_alerts_soon_after_it_starts():
    step_at = START + timedelta(days=10, hours=13)
    verdicts = run(series(days=12, seed=4, shape=lambda at: 3.0 if at >= step_at else 1.0))
    fired = alerts(verdicts)
    assert fired, "a tripling of volume must alert"
    assert step_at <= fired[0].at <= step_at + timedelta(hours=1)
    first = fired[0].explanation
    assert first.expected < first.observed < 3 * first.expected  # caught while the step fills only part of the window
    assert first.sigma_above >= SpikeSettings().burst_sigma


def test_a_slow_ramp_alerts_during_the_ramp_and_not_before():
    ramp_from, ramp_to = START + timedelta(days=10, hours=6), START + timedelta(days=10, hours=18)

    def ramp(at: datetime) -> float:
        if at < ramp_from:
            return 1.0
        return 1.0 + 3.0 * min(1.0, (at - ramp_from) / (ramp_to - ramp_from))

    verdicts = run(series(days=11, seed=5, noise=0.25, shape=ramp))
    fired = alerts(verdicts)
    assert fired and all(v.at > ramp_from for v in fired)
    assert fired[0].at <= ramp_to


def test_a_single_outlier_alerts_at_that_point_only():
    points = series(days=10, seed=6)
    spike_index = len(points) - 200
    spike_at, spike_value = points[spike_index][0], points[spike_index][1] * 20 + 200
    points[spike_index] = (spike_at, spike_value)
    fired = alerts(run(points))
    assert [v.at for v in fired] == [spike_at]
    assert fired[0].explanation.signal == "burst"


def test_a_spike_does_not_inflate_its_own_baseline():
    points = series(days=10, seed=7)
    clean = SpikeDetector.rebuilt(points[:-300])
    spiked = SpikeDetector.rebuilt(points[:-301] + [(points[-301][0], 5000.0)])
    probe_at = points[-300][0]
    assert clean.update(probe_at, 60).explanation.expected == pytest.approx(
        spiked.update(probe_at, 60).explanation.expected, rel=0.1)


def test_an_hour_long_burst_barely_raises_the_expectation_that_follows():
    # Without the clipping of surprises the baseline learns the burst as the new normal (about 9x here) and a
    # second wave of complaints an hour later looks ordinary; with it the expectation moves by a few percent.
    points = series(days=10, seed=7)
    cut = len(points) - 300
    clean = SpikeDetector.rebuilt(points[:cut])
    burst = [(at, value * 20 + 200) for at, value in points[cut - 12:cut]]
    spiked = SpikeDetector.rebuilt(points[:cut - 12] + burst)
    probe_at = points[cut][0]
    after_burst = spiked.update(probe_at, 60).explanation.expected
    assert after_burst < 1.15 * clean.update(probe_at, 60).explanation.expected


def test_a_quiet_brand_never_alerts_on_tiny_counts():
    points = series(days=14, base=0.3, seed=8)
    for index in range(400, len(points), 500):  # now and then 0 -> 3
        points[index] = (points[index][0], 3.0)
    verdicts = run(points)
    assert alerts(verdicts) == []
    assert all(v.score == 0 for v in verdicts if v.explanation.observed < 10)


def test_a_quiet_brand_that_really_takes_off_alerts():
    blow_up = START + timedelta(days=9, hours=14)
    points = series(days=10, base=0.3, seed=9, shape=lambda at: 60.0 if at >= blow_up else 1.0)
    fired = alerts(run(points))
    assert fired and blow_up <= fired[0].at <= blow_up + timedelta(hours=1)


def test_no_look_ahead_a_verdict_never_changes_when_later_rows_are_removed():
    points = series(days=4, seed=10, noise=0.2)
    points[900] = (points[900][0], 900.0)
    full = run(points)
    for cut in (1, 2, 17, 300, 901, 1100):
        assert run(points[:cut]) == full[:cut]


def test_a_detector_rebuilt_from_history_continues_exactly_as_the_live_one():
    points = series(days=5, seed=11)
    live = SpikeDetector()
    for at, value in points[:-50]:
        live.update(at, value)
    rebuilt = SpikeDetector.rebuilt(points[:-50])
    assert [live.update(*p) for p in points[-50:]] == [rebuilt.update(*p) for p in points[-50:]]


def test_cooldown_holds_back_a_second_alert_then_lets_a_later_one_through():
    points = series(days=10, seed=12)
    first = len(points) - 500
    # each spike bigger than the one before, so that only the cooldown can hold one back
    for index, size in ((first, 3000.0), (first + 24, 6000.0), (first + 24 * 12 + 12, 12000.0)):  # +2 h, +25 h
        points[index] = (points[index][0], size)
    verdicts = run(points, SpikeSettings(cooldown=timedelta(hours=24)))
    assert [v.at for v in alerts(verdicts)] == [points[first][0], points[first + 300][0]]
    held = verdicts[first + 24]
    assert held.explanation.verdict == "cooldown" and held.score >= 0.5 and not held.alert


def test_scores_stay_between_zero_and_one():
    points = series(days=8, seed=13, noise=0.4)
    for index in range(500, len(points), 333):
        points[index] = (points[index][0], 0.0 if index % 2 else 10_000.0)
    verdicts = run(points)
    assert all(0.0 <= v.score <= 1.0 for v in verdicts)
    assert any(v.score > 0.8 for v in verdicts) and any(v.score == 0 for v in verdicts)
    assert all(v.alert == (v.explanation.verdict == "spike") for v in verdicts)
    assert all(v.score >= 0.5 for v in verdicts if v.alert)


def test_the_explanation_says_what_was_seen_against_what_was_expected_and_when():
    points = series(days=9, seed=14)
    tuesday_1405 = START + timedelta(days=8, hours=14, minutes=5)
    index = next(i for i, (at, _) in enumerate(points) if at == tuesday_1405)
    points[index] = (tuesday_1405, 1500.0)
    verdict = run(points[: index + 1])[-1]
    why = verdict.explanation
    assert verdict.alert and why.verdict == "spike" and why.slot == "Tuesday 14:00"
    assert why.window == timedelta(minutes=30) and why.window_end == tuesday_1405
    assert why.observed == sum(v for _, v in points[index - 5: index + 1])
    text = why.text("negative mentions")
    assert text.startswith(f"{why.observed:g} negative mentions in the last 30 min vs {why.expected:.0f} expected "
                           "for a Tuesday 14:00")
    assert f"({why.sigma_above:.1f} robust σ above)" in text and "alert line 3 robust σ" in text


def with_spike(points, at: datetime, value: float):
    index = next(i for i, (t, _) in enumerate(points) if t == at)
    points[index] = (at, value)
    return points


def test_a_sustained_rise_under_a_raised_burst_line_is_reported_as_sustained():
    # a big spike five days before lifts the burst line far up; a doubling that lasts still alerts, as sustained
    shift_at = START + timedelta(days=12, hours=8)
    points = series(days=13, seed=15, drift=0.1, shape=lambda at: 2.0 if at >= shift_at else 1.0)
    fired = alerts(run(with_spike(points, START + timedelta(days=7, hours=15), 4000.0)))
    assert [v.explanation.signal for v in fired] == ["burst", "sustained"]
    why = fired[1].explanation
    assert shift_at + timedelta(hours=4) <= fired[1].at <= shift_at + timedelta(hours=8)
    assert why.sigma_above < fired[0].explanation.sigma_above / 2 and why.window >= timedelta(hours=3)
    assert "sustained rise" in why.text() and why.observed > 1.5 * why.expected


def test_the_burst_line_rises_to_the_brands_most_unusual_moment_and_fades_back():
    spike_at = START + timedelta(days=3, hours=14)
    points = with_spike(series(days=75, seed=18), spike_at, 4000.0)
    smaller, later = START + timedelta(days=10, hours=14), START + timedelta(days=74, hours=14)
    verdicts = run(with_spike(with_spike(points, smaller, 800.0), later, 800.0))
    by_time = {v.at: v for v in verdicts}
    first, week_after, months_after = by_time[spike_at], by_time[smaller], by_time[later]
    assert first.alert and first.explanation.threshold == "3 robust σ and 1.5× normal"
    # a week on, a clear burst smaller than the brand's biggest is not alerted, and the card would say why
    assert not week_after.alert and week_after.explanation.sigma_above > 3
    assert "above this brand's most unusual so far" in week_after.explanation.threshold
    assert f"on {spike_at:%d %b %H:%M}" in week_after.explanation.threshold
    # two months on the old peak has faded below the same burst, which alerts again
    assert months_after.alert and months_after.explanation.sigma_above > week_after.explanation.sigma_above


def test_the_minimum_count_applies_to_mentions_not_to_amounts():
    amounts = [(at, value / 400) for at, value in series(days=8, seed=19)]  # e.g. a cost per click
    jump_at = amounts[-100][0]
    amounts[-100] = (jump_at, 4.0)
    fired = alerts(run(amounts))
    assert [v.at for v in fired] == [jump_at]
    assert fired[0].explanation.observed < 10 and fired[0].explanation.min_count == 0


def test_any_fixed_interval_works_and_is_inferred():
    hourly = series(days=30, seed=16, step=timedelta(hours=1), base=300)
    hourly[-40] = (hourly[-40][0], 20_000.0)
    detector = SpikeDetector()
    verdicts = [detector.update(at, value) for at, value in hourly]
    assert detector.interval == timedelta(hours=1)
    assert [v.at for v in alerts(verdicts)] == [hourly[-40][0]]


def test_the_interval_shrugs_off_a_missing_row_at_the_start():
    points = series(days=1, seed=17)
    del points[3]
    assert SpikeDetector.rebuilt(points).interval == FIVE_MIN


def test_nothing_alerts_during_warm_up():
    points = series(days=2, seed=18)
    points[100] = (points[100][0], 5000.0)
    verdicts = run(points)
    assert not verdicts[100].alert and verdicts[100].explanation.verdict == "warming up"


def test_bad_points_are_refused():
    detector = SpikeDetector()
    detector.update(START, 1)
    with pytest.raises(ValueError, match="time order"):
        detector.update(START, 2)
    for bad in (-1.0, float("nan"), float("inf")):
        with pytest.raises(ValueError, match="non-negative"):
            detector.update(START + FIVE_MIN, bad)


def test_settings_refuse_nonsense():
    for bad in ({"burst_sigma": 0}, {"season_slot": timedelta(minutes=7)}, {"cooldown": timedelta(hours=-1)},
                {"burst_windows": (timedelta(0),)}, {"record_half_life": timedelta(0)}):
        with pytest.raises(ValueError):
            SpikeSettings(**bad)


def test_human_spans():
    assert human_span(timedelta(minutes=30)) == "30 min"
    assert human_span(timedelta(hours=3)) == "3 h"
    assert human_span(timedelta(hours=5, minutes=20)) == "5 h 20 min"
    assert human_span(timedelta(days=3)) == "3 days"


def test_under_a_raised_line_a_window_at_many_times_normal_still_alerts_and_says_so():
    spike_at, again = START + timedelta(days=3, hours=14), START + timedelta(days=10, hours=14)
    points = with_spike(with_spike(series(days=11, seed=18, noise=0.25), spike_at, 20000.0), again, 2500.0)
    by_time = {v.at: v for v in run(points)}
    second = by_time[again]
    why = second.explanation
    assert second.alert and why.sigma_above < by_time[spike_at].explanation.sigma_above  # under the raised line
    assert why.observed > 6 * why.expected
    assert why.threshold.startswith("6× normal and 3 robust σ (the line of ")
    assert "is raised by this brand's past" in why.text()
