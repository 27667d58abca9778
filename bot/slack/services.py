"""What every listener is given: the database, the config, the clock, who the managers are, and a way to
send card updates right away."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Callable

import sqlalchemy as sa

from bot.clock import utcnow
from bot.slack.directory import Directory
from bot.slack.repeats import HandledRequests
from monitors.config import Config
from monitors.cases.triage import Actor


@dataclass
class Services:
    engine: sa.Engine
    config: Config
    directory: Directory
    clock: Callable[[], datetime] = utcnow
    on_change: Callable[[], None] = lambda: None  # a case changed: send its card update now, not at the next tick
    handled: HandledRequests | None = None  # Slack requests already handled (None: not checked, e.g. in a test)

    def actor(self, user: str) -> Actor:
        return Actor(user=user, is_manager=self.directory.is_manager(user),
                     managers_configured=bool(self.config.slack.managers or self.config.slack.manager_group))
