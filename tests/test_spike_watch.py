"""The live spike check over stored mentions: one alert per spike, across restarts and workers; quiet stays quiet."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlmodel import select

from monitors.config import Config, SlackConfig
from monitors.spikes.watch import SpikeWatch, floor_to, last_due_bucket
from storage.db import session_scope
from storage.models import Outbox, SpikeAlert
from storage.sources import BrandSpec, SourceSpec, sync_brands, sync_sources
from tests.fixtures.spike_history import SPIKE_AT, START, STEP, history, run_checks, store_counts


def config() -> Config:
    return Config(slack=SlackConfig(escalation_channel="#escalations"))


def world(engine) -> tuple[dict[str, int], int]:
    with session_scope(engine) as session:
        brands = sync_brands(session=session, specs=[BrandSpec("Acme", "acme", [], {}, False),
                                                     BrandSpec("Quiet", "quiet", [], {}, False),
                                                     BrandSpec("Rival", "rival", [], {}, True)])
        sources = sync_sources(session=session, now=START, specs=[
            SourceSpec("forum", "feed", "https://forum.example/feed", {}, ["Acme", "Quiet", "Rival"], 600, True)])
    return brands, sources["forum"]


def alerts(engine) -> list[SpikeAlert]:
    with session_scope(engine) as session:
        return list(session.exec(select(SpikeAlert).order_by(SpikeAlert.id)).all())


def outbox_kinds(engine) -> list[str]:
    with session_scope(engine) as session:
        return [row.kind for row in session.exec(select(Outbox).order_by(Outbox.id)).all()]


def test_buckets_are_judged_after_they_settle():
    now = datetime(2026, 11, 2, 12, 7, tzinfo=timezone.utc)
    assert floor_to(now, STEP) == datetime(2026, 11, 2, 12, 5, tzinfo=timezone.utc)
    # 12:07 - 10 min settle = 11:57 -> the 11:50-11:55 bucket is the newest that ended before it
    assert last_due_bucket(now, STEP, timedelta(minutes=10)) == datetime(2026, 11, 2, 11, 50, tzinfo=timezone.utc)


def test_one_alert_per_spike_across_a_restart_and_a_second_worker_and_quiet_brands_stay_quiet(engine):
    brands, source = world(engine)
    store_counts(engine, source, brands["Acme"], history(SPIKE_AT + timedelta(hours=5), spike=True), "a")
    store_counts(engine, source, brands["Quiet"], [(at, 1) for at, _ in history(SPIKE_AT, False)[::37]], "q")
    store_counts(engine, source, brands["Rival"], history(SPIKE_AT + timedelta(hours=3), spike=True), "r")

    first = SpikeWatch(engine, config(), owner="w1")
    assert first.check(SPIKE_AT - timedelta(hours=1)) == []  # the first check learns history, judges nothing
    at = run_checks(first, SPIKE_AT - timedelta(minutes=55), SPIKE_AT + timedelta(minutes=20))
    [alert] = alerts(engine)
    assert alert.brand_id == brands["Acme"] and alert.status == "open"
    assert alert.observed >= 25 and alert.expected < alert.observed / 3
    assert "negative mentions" in alert.explanation and "expected" in alert.explanation
    kinds = outbox_kinds(engine)
    assert kinds[:2] == ["spike_alert", "spike_chart"]
    assert set(kinds[2:]) <= {"spike_update"}  # the spike grew after it fired: the card is redrawn

    # a restart (fresh memory) and a second worker sharing the database neither re-judge nor re-alert
    restarted, second = SpikeWatch(engine, config(), owner="w1"), SpikeWatch(engine, config(), owner="w2")
    for now in (at, at + STEP, at + 2 * STEP):
        restarted.check(now)
        second.check(now)
    # the 3-hour window holds the burst for three hours after it: only then is it back to normal
    run_checks(restarted, at + 3 * STEP, SPIKE_AT + timedelta(hours=4, minutes=30))
    [alert] = alerts(engine)
    assert alert.status == "ended" and alert.ended_at is not None
    assert SPIKE_AT + timedelta(hours=3) < alert.ended_at < SPIKE_AT + timedelta(hours=4, minutes=20)
    kinds = outbox_kinds(engine)
    assert kinds.count("spike_alert") == 1
    assert kinds[-1] == "spike_update"


def test_a_restart_neither_skips_nor_rejudges_buckets(sqlite_engine):
    from storage.spikes import last_judged

    brands, source = world(sqlite_engine)
    store_counts(sqlite_engine, source, brands["Acme"], history(SPIKE_AT - timedelta(hours=2), False), "a")
    watch = SpikeWatch(sqlite_engine, config(), owner="w1")
    now = SPIKE_AT - timedelta(hours=3)
    watch.check(now)
    with session_scope(sqlite_engine) as session:
        before = last_judged(session=session, brand_id=brands["Acme"])
    # down for 40 minutes: the next worker judges exactly the buckets in between
    later = now + timedelta(minutes=40)
    assert SpikeWatch(sqlite_engine, config(), owner="w2").check(later) == []
    with session_scope(sqlite_engine) as session:
        from storage.models import JobRun

        periods = sorted(session.exec(select(JobRun.period).where(JobRun.job == f"spike-check:{brands['Acme']}")))
        after = last_judged(session=session, brand_id=brands["Acme"])
    assert after == before + timedelta(minutes=40)
    assert len(periods) == 1 + 8  # the first claim, then the eight buckets in between, each once
