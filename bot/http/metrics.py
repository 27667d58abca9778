"""`GET /metrics`: Prometheus' text format, the process's own instruments then the database's gauges
(bot/metrics.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Callable, Iterable

import sqlalchemy as sa
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

from bot.http.app import answer
from bot.metrics import PROCESS, DatabaseCollector

METRICS_PATH = "/metrics"


class MetricsApp:
    def __init__(self, engine: sa.Engine, clock: Callable[[], datetime]):
        self.database = CollectorRegistry(auto_describe=False)
        self.database.register(DatabaseCollector(engine, clock))

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        body = generate_latest(PROCESS) + generate_latest(self.database)
        return answer(start_response, 200, body, {"Cache-Control": "no-store"}, content_type=CONTENT_TYPE_LATEST)
