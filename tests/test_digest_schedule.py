"""Scheduled digests on SQLite and PostgreSQL: exactly once across workers and restarts, late when missed."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone

import sqlalchemy as sa
from sqlmodel import select

from monitors.config import Config, ScheduleConfig, SlackConfig
from monitors.digest.run import enqueue_due, schedules
from storage.db import make_engine, session_scope
from storage.models import JobRun, Outbox

LONDON = "Europe/London"


def utc(month: int, day: int, hour: int, minute: int = 0, second: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, second, tzinfo=timezone.utc)


def config(**schedule) -> Config:
    return Config(schedule=ScheduleConfig(timezone=LONDON, **schedule),
                  slack=SlackConfig(digest_channel="#earful-digest"))


def tick(engine, now: datetime, cfg: Config | None = None, owner: str = "w1") -> list[str]:
    with session_scope(engine) as session:
        return enqueue_due(session=session, schedules=schedules(cfg or config()), now=now, owner=owner)


def digests(engine) -> list[Outbox]:
    with session_scope(engine) as session:
        return list(session.exec(select(Outbox).where(Outbox.kind == "digest").order_by(Outbox.id)).all())


def test_one_digest_a_day_at_local_time_across_the_clock_change(engine):
    tick(engine, utc(3, 27, 8))  # first start, 08:00 GMT on Friday the 27th
    sent = []
    for day, hour in ((27, 9), (28, 9), (29, 8), (30, 8)):  # 09:00 local: GMT, GMT, then BST
        assert tick(engine, utc(3, day, hour - 1, 59)) == []
        sent += tick(engine, utc(3, day, hour, 0, 30))
        assert tick(engine, utc(3, day, hour, 5)) == []
    assert sent == [f"digest:digest-daily:#earful-digest:2026-03-{d}" for d in (26, 27, 28, 29)]
    rows = digests(engine)
    assert [r.payload["first_day"] for r in rows] == ["2026-03-26", "2026-03-27", "2026-03-28", "2026-03-29"]
    assert not any(r.payload["late"] for r in rows) and {r.channel for r in rows} == {"#earful-digest"}
    with session_scope(engine) as session:
        kinds = session.exec(select(Outbox.kind, sa.func.count()).group_by(Outbox.kind)).all()
    assert dict(kinds) == {"digest": 4, "digest_chart": 4}


def test_two_workers_enqueue_each_digest_once(database_url):
    """Two workers with engines of their own race for the same digests, tick after tick."""
    engines = [make_engine(database_url), make_engine(database_url)]
    try:
        tick(engines[0], utc(11, 1, 8))
        won: list[list[str]] = [[], []]
        for day in range(2, 12):
            barrier = threading.Barrier(2)
            errors: list[BaseException] = []

            def worker(n: int, now: datetime = utc(11, day, 9, 0, 10)) -> None:
                try:
                    barrier.wait(timeout=10)
                    won[n].extend(tick(engines[n], now, owner=f"w{n}"))
                except BaseException as exc:  # noqa: BLE001 - reported below
                    errors.append(exc)

            threads = [threading.Thread(target=worker, args=(n,)) for n in range(2)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=30)
            assert not errors, errors
        assert len(won[0]) + len(won[1]) == 10 and not set(won[0]) & set(won[1])
        rows = digests(engines[0])
        assert len(rows) == 10 and len({r.dedupe_key for r in rows}) == 10
        with session_scope(engines[0]) as session:
            runs = session.exec(select(JobRun.job, JobRun.period)).all()
        assert len(runs) == len(set(runs)) == 11  # ten digests and the first-seen mark
    finally:
        for engine in engines:
            engine.dispose()


def test_a_restart_sends_nothing_twice(database_url):
    first = make_engine(database_url)
    tick(first, utc(11, 1, 8))
    assert len(tick(first, utc(11, 2, 9, 1))) == 1
    first.dispose()
    again = make_engine(database_url)  # the process restarted: no memory but the database
    try:
        assert tick(again, utc(11, 2, 9, 3)) == []
        assert tick(again, utc(11, 2, 17)) == []
        assert len(digests(again)) == 1
    finally:
        again.dispose()


def test_a_missed_digest_goes_out_late_when_earful_is_back(engine):
    tick(engine, utc(11, 1, 8))
    assert len(tick(engine, utc(11, 1, 9, 0, 5))) == 1
    # down from 17:00 on the 1st to 11:40 on the 2nd: the 2nd's digest (about the 1st) was missed
    assert tick(engine, utc(11, 2, 11, 40)) == ["digest:digest-daily:#earful-digest:2026-11-01"]
    late = digests(engine)[-1]
    assert late.payload["late"] is True and late.payload["scheduled_at"] == "2026-11-02T09:00:00+00:00"
    assert tick(engine, utc(11, 3, 9, 0, 20)) and digests(engine)[-1].payload["late"] is False


def test_after_days_down_only_the_latest_digest_is_owed(engine):
    tick(engine, utc(11, 1, 8))
    assert tick(engine, utc(11, 5, 15)) == ["digest:digest-daily:#earful-digest:2026-11-04"]
    assert len(digests(engine)) == 1


def test_a_new_install_owes_nothing_from_before_it_started(engine):
    assert tick(engine, utc(11, 1, 14)) == []  # first start in the afternoon: this morning's was never due
    assert tick(engine, utc(11, 1, 9, 5) + timedelta(days=1)) != []
    started_just_after = make_engine(str(engine.url))  # the same database, another schedule: started 09:10
    try:
        cfg = config(weekly_digest_day="sunday")
        keys = tick(started_just_after, utc(11, 1, 9, 10), cfg)
        assert keys == ["digest:digest-weekly:#earful-digest:2026-10-25/7d"]  # within 15 minutes: still owed
    finally:
        started_just_after.dispose()


def test_audiences_and_weekly_plans():
    cfg = Config(schedule=ScheduleConfig(timezone=LONDON, weekly_digest_day="Monday", daily_digest=False),
                 slack=SlackConfig(digest_channel="#mgmt", digest_dms=["managers", "U9", "U1"], managers=["U1", "U2"]))
    found = schedules(cfg)
    assert [s.job for s in found] == ["digest-weekly:#mgmt", "digest-weekly:U1", "digest-weekly:U2",
                                      "digest-weekly:U9"]
    assert found[0].plan.weekday == 0
    assert schedules(Config(slack=SlackConfig(digest_channel=""))) == []
