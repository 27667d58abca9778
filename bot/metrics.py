"""Prometheus metrics. What only this process sees (poll cycles, Slack send errors) is counted here as it
happens; what is in the database (sources, cases, the outbox, alerts) is read at scrape time by
`DatabaseCollector`, so several workers on one PostgreSQL agree on it. Served at GET /metrics (bot/http/)."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Callable

import sqlalchemy as sa
from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

from storage.db import session_scope
from storage.ops import ops_counts

log = logging.getLogger(__name__)

# one registry for the process's own instruments (not prometheus_client's global one, which a library
# could also write to)
PROCESS = CollectorRegistry(auto_describe=True)

POLL_CYCLE = Histogram("earful_poll_cycle_seconds", "How long a poll cycle over the due sources took.",
                       buckets=(0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600), registry=PROCESS)
ITEMS_INGESTED = Counter("earful_items_ingested", "Items fetched from sources by polls.", registry=PROCESS)
SEND_ERRORS = Counter("earful_slack_send_errors", "Failed Slack sends, by kind: rate_limited (429), blocked (a "
                      "person must fix something), permanent, transient (5xx, network).", ["kind"],
                      registry=PROCESS)
RATE_LIMIT_PAUSES = Counter("earful_slack_rate_limit_pauses", "Times a 429 paused all sending for its Retry-After.",
                            registry=PROCESS)
for _kind in ("rate_limited", "blocked", "permanent", "transient"):
    SEND_ERRORS.labels(_kind)  # present at 0 from the start, so rate() and alerts see every kind


def send_error_kind(*, retry_after: float | None, permanent: bool, blocked: bool) -> str:
    if permanent:
        return "permanent"
    if retry_after is not None:
        return "rate_limited"
    return "blocked" if blocked else "transient"


class DatabaseCollector:
    """Gauges read from the database when Prometheus scrapes."""

    def __init__(self, engine: sa.Engine, clock: Callable[[], datetime]):
        self.engine = engine
        self.clock = clock

    def describe(self):
        return []  # collected only at scrape time: registering must not query the database

    def collect(self):
        up = GaugeMetricFamily("earful_database_up", "1 when the database answered this scrape's queries.")
        try:
            with session_scope(self.engine) as session:
                counts = ops_counts(session=session, now=self.clock())
        except Exception:  # noqa: BLE001 - a scrape must answer, saying the database is down
            log.warning("metrics: the database did not answer", exc_info=True)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        sources = GaugeMetricFamily("earful_sources", "Configured sources by state.", labels=["state"])
        for state, number in counts.sources.items():
            sources.add_metric([state], number)
        yield sources
        yield CounterMetricFamily("earful_mentions_stored", "Mentions stored since the database was created.",
                                  value=counts.mentions_stored)
        yield CounterMetricFamily("earful_complaints_stored", "Complaints stored (each opens a case) since the "
                                  "database was created.", value=counts.complaints_stored)
        cases = GaugeMetricFamily("earful_cases", "Cases by state.", labels=["state"])
        for state, number in counts.cases.items():
            cases.add_metric([state], number)
        yield cases
        yield GaugeMetricFamily("earful_cases_past_sla", "Unanswered cases (open, claimed or snoozed, no public "
                                "reply) past their SLA deadline.", value=counts.past_sla)
        yield GaugeMetricFamily("earful_outbox_pending", "Slack messages waiting in the outbox.",
                                value=counts.outbox_pending)
        yield GaugeMetricFamily("earful_outbox_oldest_pending_seconds", "Age of the oldest pending outbox row "
                                "(0 when none is pending).", value=counts.outbox_oldest_pending_age)
        yield GaugeMetricFamily("earful_outbox_given_up", "Slack messages given up on (failed for good; "
                                "`earful doctor` lists the latest with their errors).", value=counts.outbox_given_up)
        yield GaugeMetricFamily("earful_spike_alerts_open", "Spike alerts still live (open, acknowledged or "
                                "muted).", value=counts.spike_alerts_open)
