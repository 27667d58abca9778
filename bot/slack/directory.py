"""Who is a manager: the configured user ids, plus the members of the configured user group (asked of Slack and
remembered for a few minutes, so a button press costs no extra call)."""

from __future__ import annotations

import logging
import re
import threading
import time
from typing import Callable

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from monitors.config import SlackConfig

log = logging.getLogger(__name__)

GROUP_ID = re.compile(r"^S[A-Z0-9]{4,}$")


class Directory:
    def __init__(self, client: WebClient, slack: SlackConfig, *, ttl: float = 300.0,
                 monotonic: Callable[[], float] = time.monotonic):
        self.client = client
        self.managers = set(slack.managers)
        self.group = slack.manager_group.strip()
        self.ttl = ttl
        self.monotonic = monotonic
        self._members: frozenset[str] = frozenset()
        self._fetched_at: float | None = None
        self._lock = threading.Lock()

    def is_manager(self, user: str) -> bool:
        return user in self.managers or (bool(self.group) and user in self.group_members())

    def group_members(self) -> frozenset[str]:
        with self._lock:
            fresh = self._fetched_at is not None and self.monotonic() - self._fetched_at < self.ttl
            if not fresh:
                try:
                    self._members = frozenset(self._fetch())
                    self._fetched_at = self.monotonic()
                except (SlackApiError, OSError) as exc:  # keep what we knew; a failed lookup grants nothing new
                    log.warning("cannot read the manager group %s: %s", self.group, exc)
            return self._members

    def _fetch(self) -> list[str]:
        group_id = self.group if GROUP_ID.match(self.group) else self._group_id_by_handle(self.group.lstrip("@"))
        if group_id is None:
            log.warning("no user group %r in this workspace; only the listed managers count", self.group)
            return []
        return list(self.client.usergroups_users_list(usergroup=group_id).get("users", []))

    def _group_id_by_handle(self, handle: str) -> str | None:
        for group in self.client.usergroups_list().get("usergroups", []):
            if group.get("handle") == handle:
                return group.get("id")
        return None
