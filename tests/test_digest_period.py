"""Digest periods and schedules (pure): local days across daylight-saving changes, and which digest is due."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

import pytest

from monitors.digest.period import (CHART_DAYS, Plan, daily, day_bounds, latest_due, local_date, scheduled_on,
                                    weekday_number, weekly_ending)

LONDON = "Europe/London"


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)


@pytest.mark.parametrize("day, start, hours", [
    (date(2026, 3, 28), utc(2026, 3, 28, 0), 24),  # GMT
    (date(2026, 3, 29), utc(2026, 3, 29, 0), 23),  # clocks go forward at 01:00 GMT
    (date(2026, 3, 30), utc(2026, 3, 29, 23), 24),  # BST: midnight is 23:00 UTC
    (date(2026, 10, 25), utc(2026, 10, 24, 23), 25),  # clocks go back at 02:00 BST
    (date(2026, 10, 26), utc(2026, 10, 26, 0), 24),
])
def test_a_day_is_the_local_calendar_day(day, start, hours):
    period = daily(day, LONDON)
    assert period.start == start
    assert period.end - period.start == timedelta(hours=hours)
    assert period.end == daily(day + timedelta(days=1), LONDON).start  # days tile without gaps


def test_other_zones_and_quarter_hour_offsets():
    assert daily(date(2026, 1, 15), "Asia/Kathmandu").start == utc(2026, 1, 14, 18, 15)  # UTC+5:45
    assert daily(date(2026, 1, 15), "America/New_York").start == utc(2026, 1, 15, 5)
    assert daily(date(2026, 1, 15), "UTC").start == utc(2026, 1, 15)


def test_bounds_local_dates_and_week():
    bounds = day_bounds(date(2026, 3, 28), 3, LONDON)
    assert bounds == [utc(2026, 3, 28, 0), utc(2026, 3, 29, 0), utc(2026, 3, 29, 23), utc(2026, 3, 30, 23)]
    assert local_date(utc(2026, 3, 29, 22, 59), LONDON) == date(2026, 3, 29)
    assert local_date(utc(2026, 3, 29, 23, 0), LONDON) == date(2026, 3, 30)
    week = weekly_ending(date(2026, 11, 1), LONDON)  # Monday 26 Oct to Sunday 1 Nov
    assert (week.first_day, week.last_day, week.days, week.kind) == (date(2026, 10, 26), date(2026, 11, 1), 7,
                                                                    "weekly")
    assert week.end - week.start == timedelta(days=7)
    assert week.shifted(-1).first_day == date(2026, 10, 19)
    assert week.key == "2026-10-26/7d" and daily(date(2026, 11, 1), LONDON).key == "2026-11-01"


def test_the_window_covers_baseline_previous_period_and_chart():
    first, days = daily(date(2026, 3, 29), LONDON).window_days()
    assert first == date(2026, 3, 16) and days == CHART_DAYS  # 7-day baseline fits inside the 14 chart days
    first, days = weekly_ending(date(2026, 11, 1), LONDON).window_days()
    assert first == date(2026, 9, 28) and days == 35  # four weeks before the week, and the week


def test_daily_due_is_yesterday_once_the_time_has_passed():
    plan = Plan(at=time(9, 0), zone=LONDON)
    before = latest_due(plan, utc(2026, 3, 31, 7, 59))  # 08:59 BST: today's is not due yet
    assert before.period == daily(date(2026, 3, 29), LONDON) and before.scheduled_at == utc(2026, 3, 30, 8)
    at = latest_due(plan, utc(2026, 3, 31, 8, 0))
    assert at.period == daily(date(2026, 3, 30), LONDON) and at.scheduled_at == utc(2026, 3, 31, 8)
    assert not at.late(utc(2026, 3, 31, 8, 15)) and at.late(utc(2026, 3, 31, 8, 16))


def test_the_digest_time_follows_the_clock_change():
    plan = Plan(at=time(9, 0), zone=LONDON)
    assert scheduled_on(date(2026, 3, 28), plan) == utc(2026, 3, 28, 9)  # GMT
    assert scheduled_on(date(2026, 3, 29), plan) == utc(2026, 3, 29, 8)  # BST
    assert scheduled_on(date(2026, 10, 25), plan) == utc(2026, 10, 25, 9)  # GMT again
    # a wall time the spring-forward change skips is read an hour later; a repeated one means the first
    assert scheduled_on(date(2026, 3, 29), Plan(at=time(1, 30), zone=LONDON)) == utc(2026, 3, 29, 1, 30)
    assert scheduled_on(date(2026, 10, 25), Plan(at=time(1, 30), zone=LONDON)) == utc(2026, 10, 25, 0, 30)


def test_weekly_due_on_its_weekday():
    plan = Plan(at=time(9, 0), zone=LONDON, weekday=weekday_number("Monday"))
    due = latest_due(plan, utc(2026, 11, 4, 12))  # a Wednesday: Monday's digest is the latest
    assert due.scheduled_at == utc(2026, 11, 2, 9)
    assert due.period == weekly_ending(date(2026, 11, 1), LONDON)
    sunday = latest_due(plan, utc(2026, 11, 2, 8, 59))  # Monday before nine: the week before's
    assert sunday.scheduled_at == utc(2026, 10, 26, 9)  # GMT since the 25th
    with pytest.raises(ValueError):
        weekday_number("someday")
