"""A database outage, on the real PostgreSQL behind a TCP proxy that is switched off and on."""

from __future__ import annotations

import logging

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from bot.dbguard import DatabaseGuard
from storage.cases import wake_snoozed
from storage.db import make_engine, session_scope
from tests.fixtures.slack_world import NOW
from tests.fixtures.tcp_proxy import TcpProxy


class FakeMonotonic:
    def __init__(self):
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


@pytest.fixture
def proxied(postgres_url):
    url = make_url(postgres_url)
    proxy = TcpProxy((url.host or "127.0.0.1", url.port or 5432)).on()
    engine = make_engine(url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False))
    yield proxy, engine
    proxy.off()
    engine.dispose()


def outage_lines(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.getMessage().startswith("database unavailable")]


def test_an_outage_logs_one_line_per_failure_and_backs_off_until_it_is_over(proxied, caplog):
    proxy, engine = proxied
    clock = FakeMonotonic()
    guard = DatabaseGuard(monotonic=clock, first_pause=5, max_pause=20)

    def job():  # a real job's first step: one unit of work on the database
        with session_scope(engine) as session:
            wake_snoozed(session=session, now=NOW)

    caplog.set_level(logging.INFO)
    assert guard.run(job)
    proxy.off()
    for _ in range(5):  # four failures, each followed by a skipped tick inside the pause
        assert not guard.run(job)
        clock.t += 1
        assert not guard.run(job)  # within the pause: not even tried
        clock.t += guard.pause()
    lines = outage_lines(caplog)
    assert [line.rsplit("retrying in ", 1)[1] for line in lines] == ["5 s", "10 s", "20 s", "20 s", "20 s"], lines
    assert "Traceback" not in caplog.text and not any(r.exc_info for r in caplog.records)
    proxy.on()
    assert guard.run(job)  # back: runs, and the pause starts again from the beginning
    assert guard.failures == 0 and "reachable again" in caplog.text
    proxy.off()
    assert not guard.run(job)
    assert outage_lines(caplog)[-1].endswith("retrying in 5 s")


def test_other_errors_are_not_taken_for_an_outage(proxied):
    _, engine = proxied
    guard = DatabaseGuard()

    def bad_query():
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT * FROM no_such_table"))

    with pytest.raises(sa.exc.ProgrammingError):
        guard.run(bad_query)
    assert guard.failures == 0


def test_the_scheduled_jobs_of_a_worker_log_an_outage_in_one_line_each(proxied, caplog, monkeypatch):
    from pathlib import Path

    from bot.runtime import Runtime
    from monitors.config import Secrets
    from monitors.configure import parse_config
    from tests.test_first_run import wait_for

    proxy, engine = proxied
    feed = (Path(__file__).resolve().parents[1] / "examples" / "feeds" / "reviews.xml").as_uri()
    config = parse_config({"brands": [{"name": "Acme", "query": "acme"}],
                           "sources": [{"name": "reviews", "kind": "feed", "url": feed}]})
    url = engine.url.render_as_string(hide_password=False)
    runtime = Runtime.build(config, Secrets.from_env({"DATABASE_URL": url}))
    caplog.set_level(logging.INFO)
    proxy.off()
    try:
        runtime.start_scheduler()  # poll, spikes and digest run at once
        wait_for(lambda: outage_lines(caplog), timeout=60, what="the outage line")
        wait_for(lambda: runtime.db_guard.failures >= 1, timeout=10, what="the failure count")
    finally:
        runtime.close()
    assert "Traceback" not in caplog.text and not any(r.exc_info for r in caplog.records), caplog.text
    assert len(outage_lines(caplog)) == runtime.db_guard.failures  # one line per failure, nothing else
