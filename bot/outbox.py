"""The outbox dispatcher: sends due outbox rows through a Deliverer (Slack or the console).

Cards are rendered at send time from the current state, so a card never shows something stale, and an update
that is due before its card was even posted has nothing left to do.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Protocol

import sqlalchemy as sa

from bot.cards import Message, render_card, render_event
from monitors.config import SlackConfig
from storage.cases import CaseNotFound, case_view, get_event, record_card
from storage.db import session_scope
from storage.models import Outbox
from storage.outbox import mark_failed, mark_retry, mark_sent, take_due

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 50


class DeliveryError(Exception):
    """A send that failed; `retry_after` (seconds) when the other side said when to come back."""

    def __init__(self, message: str, *, retry_after: float | None = None, permanent: bool = False):
        super().__init__(message)
        self.retry_after = retry_after
        self.permanent = permanent


class Deliverer(Protocol):
    def post(self, *, channel: str, message: Message, thread_ts: str | None = None) -> tuple[str, str]:
        """Post and return (channel id, ts)."""

    def update(self, *, channel: str, ts: str, message: Message) -> None: ...


class NotYet(Exception):
    """The row depends on something not sent yet (a thread note before its card)."""


def retry_delay(attempts: int) -> float:
    return min(5 * 2 ** (attempts - 1), 900)


class Dispatcher:
    def __init__(self, engine: sa.Engine, deliverer: Deliverer, slack: SlackConfig):
        self.engine = engine
        self.deliverer = deliverer
        self.slack = slack

    def run_once(self, now: datetime, *, limit: int = 50) -> int:
        """Send what is due; returns how many rows were settled (sent or given up)."""
        with session_scope(self.engine) as session:
            rows = take_due(session=session, now=now, limit=limit)
        settled = 0
        for row in rows:
            settled += self._send(row, now)
        return settled

    def _send(self, row: Outbox, now: datetime) -> int:
        handler = getattr(self, f"_send_{row.kind}", None)
        try:
            if handler is None:
                raise DeliveryError(f"unknown outbox kind {row.kind!r}", permanent=True)
            with session_scope(self.engine) as session:
                channel, ts = handler(session, row, now)
                mark_sent(session=session, outbox_id=row.id, now=now, channel=channel, ts=ts)
            return 1
        except NotYet as exc:
            self._retry(row, str(exc), now + timedelta(seconds=5))
        except CaseNotFound as exc:
            self._give_up(row, str(exc))
            return 1
        except DeliveryError as exc:
            if exc.permanent or row.attempts >= MAX_ATTEMPTS:
                self._give_up(row, str(exc))
                return 1
            delay = max(exc.retry_after or 0.0, retry_delay(row.attempts))
            self._retry(row, str(exc), now + timedelta(seconds=delay))
        return 0

    def _retry(self, row: Outbox, error: str, when: datetime) -> None:
        with session_scope(self.engine) as session:
            mark_retry(session=session, outbox_id=row.id, error=error, next_attempt_at=when)

    def _give_up(self, row: Outbox, error: str) -> None:
        log.error("giving up on outbox row %s (%s): %s", row.id, row.dedupe_key, error)
        with session_scope(self.engine) as session:
            mark_failed(session=session, outbox_id=row.id, error=error)

    # one method per outbox kind -------------------------------------------------------------------------

    def _send_post_card(self, session, row: Outbox, now: datetime) -> tuple[str | None, str | None]:
        view = case_view(session=session, case_id=row.payload["case_id"])
        if view.case.slack_ts:  # posted before a crash kept us from marking the row: never post twice
            return view.case.slack_channel, view.case.slack_ts
        channel, ts = self.deliverer.post(channel=self.slack.support_channel, message=render_card(view, now=now))
        record_card(session=session, case_id=view.case.id, channel=channel, ts=ts)
        return channel, ts

    def _send_update_card(self, session, row: Outbox, now: datetime) -> tuple[str | None, str | None]:
        view = case_view(session=session, case_id=row.payload["case_id"])
        if not view.case.slack_ts:
            return None, None  # the card is not posted yet; when it is, it shows the newest state
        self.deliverer.update(channel=view.case.slack_channel, ts=view.case.slack_ts,
                              message=render_card(view, now=now))
        return view.case.slack_channel, view.case.slack_ts

    def _send_thread_note(self, session, row: Outbox, now: datetime) -> tuple[str | None, str | None]:
        view = case_view(session=session, case_id=row.payload["case_id"])
        event = get_event(session=session, event_id=row.payload["event_id"])
        if event is None:
            raise DeliveryError("the event is gone", permanent=True)
        if not view.case.slack_ts:
            raise NotYet("waiting for the card to be posted")
        return self.deliverer.post(channel=view.case.slack_channel, thread_ts=view.case.slack_ts,
                                   message=render_event(event, case_id=view.case.id))
