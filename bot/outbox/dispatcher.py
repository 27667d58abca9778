"""The outbox dispatcher: sends due outbox rows through a Deliverer (Slack or the console).

The policy lives here; what each kind of row says and where it goes lives in its send handler
(`bot.outbox.kinds` lists them), which sends through the Outlet it is given.

What it guarantees:
- Nothing lost: a row stays pending until the send is recorded; a worker that dies mid-send leaves a lease that
  runs out, and another run picks the row up: within 30 s for rows it had leased but not begun to send, after
  the two-minute send lease for the one it was sending (storage.outbox.begin_attempt).
- Nothing twice: a card whose case already has a ts is not posted again, and a post retried after an uncertain
  failure first asks the deliverer whether the first try reached Slack (the dedupe key rides along as metadata).
- Polite: about `messages_per_second` per channel, `Retry-After` honoured (the whole dispatcher pauses), and on
  5xx or network errors it backs off as a whole, so an outage costs a handful of calls, not one per row.
- Calm: when more than `flood_threshold` new cards for a brand are due within a minute, one summary message lists
  them instead; the cases stay in the queue and their thread lines go under the summary.
- Current: cards are rendered at send time, so several pending updates for one card become one chat.update with
  the newest state, and an update due before its card was even posted has nothing left to do.
- Ordered: a thread line waits for the card and for the lines before it.
- Inhibited: while a brand's spike alert stands, its new complaint cards go into the alert's thread (the support
  channel gets one pointer message per alert), so an outage does not bury the support channel.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from typing import Any, Callable

import sqlalchemy as sa
from sqlmodel import Session

from bot.messages.cards import Message
from bot.metrics import RATE_LIMIT_PAUSES, SEND_ERRORS, send_error_kind
from bot.outbox.cards import send_flood_summary, send_post_card
from bot.outbox.delivery import Deliverer, DeliveryError, Handler, NotYet
from bot.outbox.kinds import HANDLERS
from monitors.config import SlackConfig
from storage.cases import CaseNotFound, cases_by_id
from storage.db import session_scope
from storage.models import Outbox
from storage.pacing import carry_over, give_back_slot, reserve_slot
from storage.outbox import begin_attempt, lease_due, mark_failed, mark_retry, mark_sent, release, sent_since

log = logging.getLogger(__name__)

GIVE_UP_AFTER = timedelta(days=1)  # transient trouble for longer than this is not transient
BLOCKED_RETRY = timedelta(minutes=5)  # a missing channel or a revoked token waits for a person to fix it
FLOOD_WINDOW = timedelta(minutes=1)
MAX_PAUSE = 300.0
# how far Slack's clock may be ahead of ours: a lookup for an earlier try starts this long before the first one
CLOCK_SLACK = timedelta(minutes=5)


class _OutOfTime(Exception):
    """This run's time budget cannot cover the wait the channel's rate asks for."""


def retry_delay(attempts: int) -> float:
    return min(5 * 2 ** max(attempts - 1, 0), 900)


class Pacer:
    """About `rate` sends per second per channel, shared by every worker through the database (`slack_pace`).

    `reserve` books the channel's next slot and says how long to wait for it; the slot counts against the rate
    whether the send then works or fails. A name and the id Slack answers with are one channel: once the id is
    known, slots are booked under it."""

    def __init__(self, engine: sa.Engine, rate: float, clock: Callable[[], datetime]):
        self.engine = engine
        self.interval = 1.0 / rate
        self.clock = clock
        self._aliases: dict[str, str] = {}

    def alias(self, name: str, channel_id: str, session: Session | None = None) -> None:
        """A card posted to '#support' answers with the channel's id; both name one channel."""
        if name != channel_id and self._aliases.get(name) != channel_id:
            self._aliases[name] = channel_id
            carry_over(self._bind(session), name, channel_id)

    def reserve(self, channel: str, session: Session | None = None) -> tuple[float, Callable[[], None]]:
        """Seconds to wait before sending to `channel`, and a callable that gives the slot back unused.
        `session`: the send's own, if it has one (see `_bind`)."""
        key, now, bind = self._aliases.get(channel, channel), self.clock(), self._bind(session)
        wait = reserve_slot(bind, key, interval=self.interval, now=now)
        return wait, lambda: give_back_slot(bind, key, interval=self.interval, wait=wait, now=now)

    def _bind(self, session: Session | None) -> sa.Engine | sa.Connection:
        """Where a booking is written. SQLite has one write lock for the whole file: a send whose session has
        already written holds it, and a booking on another connection would wait for it until it timed out.
        There the booking joins the send's transaction; PostgreSQL locks only the channel's row, briefly, in a
        transaction of its own, so a slow Slack call does not hold other workers' bookings."""
        if session is not None and self.engine.dialect.name == "sqlite":
            return session.connection()
        return self.engine


@dataclass
class _Run:
    now: datetime
    deadline: float  # monotonic
    halted: bool = False
    settled: int = 0
    session: Session | None = None  # the send in progress's, for the channel bookings (see Pacer._bind)


class Dispatcher:
    def __init__(self, engine: sa.Engine, deliverer: Deliverer, slack: SlackConfig, *,
                 sleep: Callable[[float], object] | None = None, monotonic: Callable[[], float] = time.monotonic,
                 budget: float = 10.0, wall_clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc)):
        self.engine = engine
        self.deliverer = deliverer
        self.slack = slack
        self._stopping = threading.Event()
        self.sleep = sleep or self._stopping.wait  # a wait for a channel's rate ends when Earful stops
        self.monotonic = monotonic
        self.budget = budget  # seconds one run may spend waiting on channel rates
        self.pacer = Pacer(engine, slack.messages_per_second, wall_clock)
        self.paused_until: datetime | None = None
        self.failures = 0  # consecutive transient failures: the pause grows with them
        self._lock = threading.Lock()

    # -- the run --------------------------------------------------------------------------------------------

    def stop(self) -> None:
        """Send nothing more (Earful is stopping): a run in progress finishes the send it is in and hands the
        rest of its rows back, due at once, for the next start."""
        self._stopping.set()

    @property
    def stopped(self) -> bool:
        return self._stopping.is_set()

    def wait_idle(self, timeout: float) -> bool:
        """Wait for a run in progress (on another thread) to end; False if it did not within `timeout`."""
        if not self._lock.acquire(timeout=timeout):
            return False
        self._lock.release()
        return True

    def run_once(self, now: datetime, *, limit: int = 50) -> int:
        """Send what is due; returns how many rows were settled (sent or given up)."""
        if self.stopped or (self.paused_until is not None and now < self.paused_until):
            return 0
        # one run at a time per dispatcher (the pacer's memory is shared); a second caller, e.g. a click that
        # wants its card updated now, waits for the running one and then sends what is due
        if not self._lock.acquire(timeout=self.budget + 30):
            return 0
        try:
            return 0 if self.stopped else self._run(now, limit)
        finally:
            self._lock.release()

    def _run(self, now: datetime, limit: int) -> int:
        with session_scope(self.engine) as session:
            rows = lease_due(session=session, now=now, limit=limit)
            if any(row.kind == "post_card" for row in rows):  # see the whole burst of cards
                rows += lease_due(session=session, now=now, limit=500, kind="post_card")
            steps = self._plan(session, rows, now)
        run = _Run(now=now, deadline=self.monotonic() + self.budget)
        for i, (handler, group) in enumerate(steps):
            if run.halted or self.stopped:
                self._release([row for _, rest in steps[i:] for row in rest], now, counted=False)
                break
            self._step(run, handler, group)
        return run.settled

    def _plan(self, session: Session, rows: list[Outbox], now: datetime) -> list[tuple[Handler, list[Outbox]]]:
        """Cards first (a flood folded per brand), then one update per card, then thread lines in order."""
        cards = [r for r in rows if r.kind == "post_card"]
        updates = [r for r in rows if r.kind == "update_card"]
        alert_updates = [r for r in rows if r.kind == "spike_update"]
        others = sorted((r for r in rows if r.kind not in ("post_card", "update_card", "spike_update")),
                        key=lambda r: r.id)
        steps: list[tuple[Handler, list[Outbox]]] = []
        by_case = cases_by_id(session=session, case_ids=[r.payload["case_id"] for r in cards])
        by_brand: dict[int | None, list[Outbox]] = {}
        for row in sorted(cards, key=lambda r: r.id):
            case = by_case.get(row.payload["case_id"])
            by_brand.setdefault(case.brand_id if case else None, []).append(row)
        for brand_id, group in by_brand.items():
            verdict = self._flood_verdict(session, brand_id, group, now) if brand_id is not None else "cards"
            if verdict == "summary":
                steps.append((send_flood_summary, group))
            elif verdict == "hold":
                steps.append((_hold, group))
            else:
                steps.extend((send_post_card, [row]) for row in group)
        per_case: dict[int, list[Outbox]] = {}
        for row in updates:
            per_case.setdefault(row.payload["case_id"], []).append(row)
        steps.extend((HANDLERS["update_card"], group) for group in per_case.values())
        per_alert: dict[int, list[Outbox]] = {}
        for row in alert_updates:
            per_alert.setdefault(row.payload["alert_id"], []).append(row)
        steps.extend((HANDLERS["spike_update"], group) for group in per_alert.values())
        for row in others:
            handler = HANDLERS.get(row.kind, _unknown_kind)
            steps.append((handler, [row]))
        return steps

    def _step(self, run: _Run, handler: Handler, rows: list[Outbox]) -> None:
        """One send for `rows`, settled together: all sent, all retried, or all given up."""
        with session_scope(self.engine) as session:  # committed before the send: see begin_attempt
            rows = [row for row in rows if begin_attempt(session=session, row=row, now=run.now)]
        if not rows:
            return
        try:
            with session_scope(self.engine) as session:
                run.session = session
                channel, ts = handler(_RunOutlet(self, run), session, rows)
                for row in rows:
                    mark_sent(session=session, outbox_id=row.id, now=run.now, channel=channel, ts=ts)
            self.failures = 0
            run.settled += len(rows)
        except _OutOfTime:
            self._release(rows, run.now)
            run.halted = True
        except NotYet as exc:
            self._retry(rows, str(exc), exc.until or run.now + timedelta(seconds=5), counted=False)
        except CaseNotFound as exc:
            self._give_up(rows, str(exc))
            run.settled += len(rows)
        except DeliveryError as exc:
            run.settled += self._failed(run, rows, exc)

    def _failed(self, run: _Run, rows: list[Outbox], exc: DeliveryError) -> int:
        now = run.now
        SEND_ERRORS.labels(send_error_kind(retry_after=exc.retry_after, permanent=exc.permanent,
                                           blocked=exc.blocked)).inc()
        if exc.retry_after is not None and not exc.permanent:
            RATE_LIMIT_PAUSES.inc()
        if exc.permanent:
            self._give_up(rows, str(exc))
            return len(rows)
        stale = [row for row in rows if now - row.created_at > GIVE_UP_AFTER]
        if stale:
            self._give_up(stale, f"still failing after {GIVE_UP_AFTER}: {exc}")
            rows = [row for row in rows if row not in stale]
        if exc.retry_after is not None:  # 429: nobody sends until Slack says so
            self.paused_until = now + timedelta(seconds=exc.retry_after)
            run.halted = True
            self._retry(rows, str(exc), self.paused_until, counted=False)  # refused before it was tried
        elif exc.blocked:
            log.error("Slack refused a send until someone fixes it: %s (`earful doctor` says how)", exc)
            if exc.everything:
                self.paused_until = now + BLOCKED_RETRY
                run.halted = True
            self._retry(rows, str(exc), now + BLOCKED_RETRY)
        else:  # 5xx, timeouts, refused connections: Slack or the network is in trouble, back off as a whole
            self.failures += 1
            pause = min(5.0 * 2 ** (self.failures - 1), MAX_PAUSE)
            self.paused_until = now + timedelta(seconds=pause)
            run.halted = True
            for row in rows:
                self._retry([row], str(exc), now + timedelta(seconds=max(pause, retry_delay(row.attempts))))
        return len(stale)

    # -- bookkeeping ------------------------------------------------------------------------------------------

    def _retry(self, rows: list[Outbox], error: str, when: datetime, *, counted: bool = True) -> None:
        with session_scope(self.engine) as session:
            for row in rows:
                mark_retry(session=session, outbox_id=row.id, error=error, next_attempt_at=when, counted=counted)

    def _release(self, rows: list[Outbox], at: datetime, *, counted: bool = True) -> None:
        if rows:
            with session_scope(self.engine) as session:
                for row in rows:
                    release(session=session, outbox_id=row.id, at=at, counted=counted)

    def _give_up(self, rows: list[Outbox], error: str) -> None:
        with session_scope(self.engine) as session:
            for row in rows:
                log.error("giving up on outbox row %s (%s): %s", row.id, row.dedupe_key, error)
                mark_failed(session=session, outbox_id=row.id, error=error)

    # -- sending ----------------------------------------------------------------------------------------------

    def _pace(self, run: _Run, channel: str) -> None:
        wait, give_back = self.pacer.reserve(channel, run.session)
        if wait > 0:
            if self.monotonic() + wait > run.deadline:
                give_back()
                raise _OutOfTime()
            self.sleep(wait)
        if self.stopped:  # nothing more goes out; the row is handed back like one out of time
            give_back()
            raise _OutOfTime()

    def _post(self, run: _Run, rows: list[Outbox], *, channel: str, message: Message,
              thread_ts: str | None = None) -> tuple[str, str]:
        """Post once: a row tried before (its lease ran out, or the answer was lost) first looks for its message."""
        key = rows[0].dedupe_key
        finder = getattr(self.deliverer, "find_posted", None)
        if finder is not None and any(row.attempts > 1 for row in rows):
            try:
                found = finder(channel=channel, key=key, thread_ts=thread_ts, since=_first_try(rows, run.now))
            except DeliveryError as exc:
                if exc.retry_after is not None or exc.outage:
                    raise  # a 429 or an outage pauses every send, as the post itself would
                # an error of its own (unknown to us): this row waits and looks again, and posts only once it
                # knows its earlier try did not arrive; the other rows go on
                raise NotYet(f"could not look for an earlier try: {exc}",
                             until=run.now + timedelta(seconds=retry_delay(max(row.attempts for row in rows))))
            if found is not None:
                log.info("outbox row %s had already reached Slack; not posting it again", key)
                return found
        self._pace(run, channel)  # the slot counts against the channel's rate even if the post fails
        channel_id, ts = self.deliverer.post(channel=channel, message=replace(message, key=key),
                                             thread_ts=thread_ts)
        self.pacer.alias(channel, channel_id, run.session)
        return channel_id, ts

    def _update(self, run: _Run, *, channel: str, ts: str, message: Message) -> None:
        self._pace(run, channel)
        self.deliverer.update(channel=channel, ts=ts, message=message)

    def _upload(self, run: _Run, row: Outbox, *, channel: str, ts: str, filename: str,
                chart: Callable[[], tuple[bytes, str]]) -> tuple[str, str]:
        """Upload a PNG into a thread, once: a retry first looks for its earlier try. `chart` renders only when
        the upload is really needed. A missing scope gives up on the chart alone; the message went out."""
        finder = getattr(self.deliverer, "find_file", None)
        if finder is not None and row.attempts > 1:
            found = finder(channel=channel, thread_ts=ts, filename=filename, since=_first_try([row], run.now))
            if found is not None:
                return channel, found
        content, title = chart()
        self._pace(run, channel)
        try:
            file_id = self.deliverer.upload_file(channel=channel, thread_ts=ts, filename=filename,
                                                 content=content, title=title)
        except DeliveryError as exc:
            if exc.blocked:  # e.g. no files:write scope
                raise DeliveryError(f"the chart was not uploaded: {exc}", permanent=True) from exc
            raise
        return channel, file_id


    # -- flood control ----------------------------------------------------------------------------------------

    def _flood_verdict(self, session: Session, brand_id: int, waiting: list[Outbox], now: datetime) -> str:
        """'cards' (post each), 'summary' (one message lists them) or 'hold' (this minute's share is used up).

        Counts what the brand already got within the minute: each card and each summary is one message."""
        threshold = self.slack.flood_threshold
        if len(waiting) > threshold:
            return "summary"
        recent = sent_since(session=session, kind="post_card", since=now - FLOOD_WINDOW)
        cases = cases_by_id(session=session, case_ids=[r.payload["case_id"] for r in recent])
        messages = {r.result_ts for r in recent
                    if r.result_ts and (case := cases.get(r.payload["case_id"])) is not None
                    and case.brand_id == brand_id}
        if len(messages) >= threshold:
            return "hold"
        return "summary" if len(messages) + len(waiting) > threshold else "cards"


def _first_try(rows: list[Outbox], now: datetime) -> datetime:
    """No earlier try of `rows` can have reached Slack before this (their first lease, less clock skew)."""
    firsts = [row.first_attempt_at for row in rows if row.first_attempt_at is not None]
    return min(firsts, default=min((row.created_at for row in rows), default=now)) - CLOCK_SLACK


def _hold(out: "_RunOutlet", session: Session, rows: list[Outbox]):
    raise NotYet("this brand had its share of messages this minute", until=out.now + FLOOD_WINDOW / 2)


def _unknown_kind(out: "_RunOutlet", session: Session, rows: list[Outbox]):
    raise DeliveryError(f"unknown outbox kind {rows[0].kind!r}", permanent=True)


class _RunOutlet:
    """The Outlet a send handler gets: the dispatcher's sends, bound to one run (its clock and time budget)."""

    def __init__(self, dispatcher: Dispatcher, run: _Run):
        self._dispatcher = dispatcher
        self._run = run
        self.now = run.now
        self.slack = dispatcher.slack
        self.deliverer: Any = dispatcher.deliverer

    def post(self, rows: list[Outbox], *, channel: str, message: Message,
             thread_ts: str | None = None) -> tuple[str, str]:
        return self._dispatcher._post(self._run, rows, channel=channel, message=message, thread_ts=thread_ts)

    def update(self, *, channel: str, ts: str, message: Message) -> None:
        self._dispatcher._update(self._run, channel=channel, ts=ts, message=message)

    def can_upload(self) -> bool:
        return callable(getattr(self.deliverer, "upload_file", None))

    def upload(self, row: Outbox, *, channel: str, ts: str, filename: str,
               chart: Callable[[], tuple[bytes, str]]) -> tuple[str, str]:
        return self._dispatcher._upload(self._run, row, channel=channel, ts=ts, filename=filename, chart=chart)
