"""Digest periods and schedules (pure): local calendar days in a time zone, and which digest is due at `now`.

A period is whole local days, so on a daylight-saving change a daily period is 23 or 25 hours long. Bounds are
local midnights converted to UTC, which is what the database stores.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
LATE_AFTER = timedelta(minutes=15)  # a digest sent this long after its time says it is late
CHART_DAYS = 14


def local_midnight(day: date, zone: str) -> datetime:
    """The UTC instant a local day begins. Where midnight does not exist (a zone that springs forward at 00:00)
    zoneinfo reads the wall time with the offset from before the change, an hour off at worst."""
    return datetime.combine(day, time(0), tzinfo=ZoneInfo(zone)).astimezone(timezone.utc)


def day_bounds(first_day: date, days: int, zone: str) -> list[datetime]:
    """`days + 1` UTC instants: the start of each local day and the end of the last."""
    return [local_midnight(first_day + timedelta(days=n), zone) for n in range(days + 1)]


def local_date(instant: datetime, zone: str) -> date:
    return instant.astimezone(ZoneInfo(zone)).date()


@dataclass(frozen=True)
class Period:
    """`days` local days from `first_day` in `zone`: 1 for the daily digest, 7 for the weekly one."""

    first_day: date
    days: int
    zone: str

    @property
    def last_day(self) -> date:
        return self.first_day + timedelta(days=self.days - 1)

    @cached_property
    def start(self) -> datetime:
        return local_midnight(self.first_day, self.zone)

    @cached_property
    def end(self) -> datetime:
        return local_midnight(self.first_day + timedelta(days=self.days), self.zone)

    @property
    def kind(self) -> str:
        return "daily" if self.days == 1 else "weekly" if self.days == 7 else f"{self.days}-day"

    @property
    def key(self) -> str:
        """Names the period in job_run and outbox keys."""
        return self.first_day.isoformat() if self.days == 1 else f"{self.first_day.isoformat()}/{self.days}d"

    def shifted(self, periods: int) -> "Period":
        return Period(self.first_day + timedelta(days=self.days * periods), self.days, self.zone)

    @property
    def baseline_periods(self) -> int:
        """How many earlier periods the average compares with: 7 days for a daily digest, 4 weeks for a weekly."""
        return 7 if self.days == 1 else 4

    @property
    def baseline_label(self) -> str:
        return "7-day avg" if self.days == 1 else "4-week avg"

    def label(self) -> str:
        if self.days == 1:
            return f"{self.first_day:%a} {self.first_day.day} {self.first_day:%b %Y}"
        first, last = self.first_day, self.last_day
        return f"{first:%a} {first.day} {first:%b} – {last:%a} {last.day} {last:%b %Y}"

    def window_days(self) -> tuple[date, int]:
        """The local days whose counts the digest needs: its baseline, the previous period, itself, and the
        chart's last CHART_DAYS days; returns (first day, number of days)."""
        first = min(self.shifted(-max(self.baseline_periods, 1)).first_day,
                    self.last_day - timedelta(days=CHART_DAYS - 1))
        return first, (self.last_day - first).days + 1


def daily(day: date, zone: str) -> Period:
    return Period(day, 1, zone)


def weekly_ending(last_day: date, zone: str) -> Period:
    return Period(last_day - timedelta(days=6), 7, zone)


@dataclass(frozen=True)
class Plan:
    """When a digest goes out: at `at` local time every day, or on `weekday` (0 = Monday) only."""

    at: time
    zone: str
    weekday: int | None = None

    @property
    def kind(self) -> str:
        return "daily" if self.weekday is None else "weekly"


@dataclass(frozen=True)
class Due:
    period: Period
    scheduled_at: datetime  # UTC

    def late(self, now: datetime) -> bool:
        return now - self.scheduled_at > LATE_AFTER


def scheduled_on(day: date, plan: Plan) -> datetime:
    """The UTC instant of `plan.at` on a local day. A wall time skipped by a spring-forward change is read with
    the offset from before it (02:30 becomes 03:30); a repeated one means its first occurrence."""
    return datetime.combine(day, plan.at, tzinfo=ZoneInfo(plan.zone)).astimezone(timezone.utc)


def latest_due(plan: Plan, now: datetime) -> Due:
    """The most recent scheduled digest at or before `now` and the period it reports on: the day before (daily),
    or the seven days before (weekly)."""
    today = local_date(now, plan.zone)
    for back in range(8):
        day = today - timedelta(days=back)
        if plan.weekday is not None and day.weekday() != plan.weekday:
            continue
        at = scheduled_on(day, plan)
        if at <= now:
            before = day - timedelta(days=1)
            period = daily(before, plan.zone) if plan.weekday is None else weekly_ending(before, plan.zone)
            return Due(period=period, scheduled_at=at)
    raise AssertionError("a weekly plan is due within eight days")  # pragma: no cover


def weekday_number(name: str) -> int:
    return WEEKDAYS.index(name.strip().lower())
