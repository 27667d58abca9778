"""What every listener is given: the database, the config, the clock, who the managers are, and a way to
send card updates right away."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Callable

import sqlalchemy as sa

from bot.clock import utcnow
from bot.slack.directory import Directory
from monitors.config import Config
from monitors.cases.triage import Actor


class SeenEvents:
    """Event ids handled lately. Slack redelivers an event it thinks we missed (X-Slack-Retry-Num); a redelivery
    of one we already handled is acknowledged and skipped."""

    def __init__(self, size: int = 5000, ttl: float = 3600.0, monotonic: Callable[[], float] = time.monotonic):
        self.size, self.ttl, self.monotonic = size, ttl, monotonic
        self._seen: OrderedDict[str, float] = OrderedDict()
        self._lock = threading.Lock()

    def first_time(self, event_id: str) -> bool:
        with self._lock:
            now = self.monotonic()
            while self._seen and (len(self._seen) >= self.size or next(iter(self._seen.values())) < now - self.ttl):
                self._seen.popitem(last=False)
            if event_id in self._seen:
                return False
            self._seen[event_id] = now
            return True


@dataclass
class Services:
    engine: sa.Engine
    config: Config
    directory: Directory
    clock: Callable[[], datetime] = utcnow
    on_change: Callable[[], None] = lambda: None  # a case changed: send its card update now, not at the next tick
    seen: SeenEvents = field(default_factory=SeenEvents)

    def actor(self, user: str) -> Actor:
        return Actor(user=user, is_manager=self.directory.is_manager(user))
