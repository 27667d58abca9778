"""Each Slack request is handled once. Slack retries a request it thinks went unanswered (X-Slack-Retry-Num), and
a captured signed request can be sent again as is while its timestamp is fresh; neither may change a case twice.

Every request that can carry out something has a stable key: the event's `event_id`, the interaction's
`trigger_id` (commands, button clicks, modal submissions), else a hash of the parsed body. The first request with a
key records it in the database (storage.replay's table, shared with the push endpoint's signatures) before its
listener runs; a later one with the same key is acknowledged with an empty 200 and not run again. The record is
an INSERT on the key, so of two workers receiving the same request at once exactly one runs it, and it holds
across restarts.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Callable

import sqlalchemy as sa
from slack_bolt import BoltResponse

from storage.db import session_scope
from storage.replay import record_signature

log = logging.getLogger(__name__)

# Slack retries within about 5 minutes, and a signature older than 5 minutes is refused by its timestamp, so a
# key is needed for 10 minutes at most (a timestamp may also be up to 5 minutes ahead); the same window as push
KEEP = timedelta(minutes=10)

_NOT_REPEATABLE = ("url_verification",)  # Slack's handshake: answered by Bolt, changes nothing


def request_key(body: Any) -> str | None:
    """The key that is the same for a request and every retry or replay of it, and differs between requests."""
    if not isinstance(body, dict) or body.get("type") in _NOT_REPEATABLE or body.get("ssl_check"):
        return None
    if body.get("event_id"):
        return f"slack:event:{body['event_id']}"
    if body.get("trigger_id"):
        return f"slack:trigger:{body['trigger_id']}"
    # the parsed body, not the raw one: Socket Mode requests have no raw body
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str)
    return "slack:body:" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()


@dataclass
class HandledRequests:
    """The database's record of Slack requests already handled."""

    engine: sa.Engine
    clock: Callable[[], datetime]

    def first_time(self, key: str) -> bool:
        with session_scope(self.engine) as session:
            return record_signature(session=session, signature=key, now=self.clock(), keep=KEEP)


def skip_repeated_requests(body, request, context, next, logger):
    """Bolt middleware, after the signature check: a request already handled is acknowledged, not run again."""
    handled: HandledRequests | None = getattr(context.get("earful"), "handled", None)
    key = request_key(body)
    if handled is None or key is None:
        return next()
    try:
        first = handled.first_time(key)
    except Exception:  # noqa: BLE001 - the database is away: the listener says so; case changes stay guarded
        logger.exception("cannot record Slack request %s; handling it anyway", key)
        return next()
    if not first:
        retry = request.headers.get("x-slack-retry-num", ["-"])[0]
        logger.info("Slack request %s already handled (retry %s): acknowledged, not run again", key, retry)
        return BoltResponse(status=200, body="")
    return next()
