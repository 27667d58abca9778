"""GET /metrics over real HTTP, in Prometheus' text format: the database's gauges read at scrape time, and
the process's own counters."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

import httpx
from prometheus_client.parser import text_string_to_metric_families
from sqlmodel import select

from bot.http.face import open_http
from monitors.configure import parse_config
from storage.db import session_scope
from storage.models import Source
from tests.fixtures.slack_world import Triage
from tests.test_health import SOCKET_MODE


def scrape(url: str) -> dict[tuple[str, tuple], float]:
    answer = httpx.get(url + "/metrics", timeout=5)
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/plain")
    return {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(answer.text) for sample in family.samples}


def test_metrics_report_cases_outbox_sources_and_the_process_counters(sqlite_engine, slack):
    triage = Triage(sqlite_engine, slack)
    [first, second] = triage.complaints("refund now", "still broken")
    triage.clock.now += timedelta(minutes=5)
    with session_scope(sqlite_engine) as session:
        source = session.exec(select(Source)).first()
        source.consecutive_failures, source.next_poll_at = 2, triage.clock.now + timedelta(minutes=10)
        session.add(Source(name="old", kind="feed", url="https://old.example/", enabled=False))
    runtime = SimpleNamespace(config=parse_config({"http": {"port": 0}}), secrets=SOCKET_MODE,
                              engine=sqlite_engine, scheduler=None, clock=triage.clock, poller=None)
    http = open_http(runtime, env={})
    try:
        metrics = scrape(http.url)
        assert metrics[("earful_database_up", ())] == 1
        assert metrics[("earful_cases", (("state", "open"),))] == 2
        assert metrics[("earful_complaints_stored_total", ())] == 2
        assert metrics[("earful_mentions_stored_total", ())] >= 2
        assert metrics[("earful_outbox_pending", ())] == 2  # the two cards, not sent yet
        assert metrics[("earful_outbox_oldest_pending_seconds", ())] == 300
        assert metrics[("earful_sources", (("state", "backing_off"),))] == 1
        assert metrics[("earful_sources", (("state", "disabled"),))] == 1
        assert metrics[("earful_spike_alerts_open", ())] == 0
        assert ("earful_slack_send_errors_total", (("kind", "rate_limited"),)) in metrics
        assert ("earful_poll_cycle_seconds_count", ()) in metrics

        triage.deliver()
        triage.clock.now += timedelta(days=3)  # past every SLA, and nobody answered
        metrics = scrape(http.url)
        assert metrics[("earful_outbox_pending", ())] == 0
        assert metrics[("earful_outbox_oldest_pending_seconds", ())] == 0
        assert metrics[("earful_cases_past_sla", ())] == 2
    finally:
        http.close()


def test_a_poll_cycle_is_timed_and_its_items_counted(tmp_path):
    from pathlib import Path

    from bot.metrics import PROCESS
    from bot.runtime import Runtime
    from monitors.config import Secrets

    feed = (Path(__file__).resolve().parents[1] / "examples" / "feeds" / "reviews.xml").as_uri()
    config = parse_config({"brands": [{"name": "Acme", "query": "acme"}],
                           "sources": [{"name": "reviews", "kind": "feed", "url": feed}]})
    runtime = Runtime.build(config, Secrets.from_env({"DATABASE_URL": f"sqlite:///{tmp_path / 'e.db'}"}))
    cycles = PROCESS.get_sample_value("earful_poll_cycle_seconds_count")
    items = PROCESS.get_sample_value("earful_items_ingested_total")
    try:
        runtime.poll_job()
        runtime.poll_job()  # nothing is due now: not a cycle
    finally:
        runtime.close()
    assert PROCESS.get_sample_value("earful_poll_cycle_seconds_count") == cycles + 1
    assert PROCESS.get_sample_value("earful_items_ingested_total") > items
