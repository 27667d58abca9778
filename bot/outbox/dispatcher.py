"""The outbox dispatcher: sends due outbox rows through a Deliverer (Slack or the console).

What it guarantees:
- Nothing lost: a row stays pending until the send is recorded; a worker that dies mid-send leaves a lease that
  runs out, and another run picks the row up.
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
from datetime import datetime, timedelta
from typing import Callable, Protocol

import sqlalchemy as sa
from sqlmodel import Session

from bot.messages.alerts import render_alert, render_pointer
from bot.messages.cards import Message, render_card, render_event, render_flood_summary
from bot.outbox.clock import ClockSends
from bot.messages.digest import digest_message, digest_text
from monitors.digest.chart import render_chart
from monitors.config import SlackConfig
from monitors.digest.period import Period
from monitors.digest.run import gather, period_of
from monitors.spikes.chart import render_spike_chart
from monitors.spikes.report import AlertGone, alert_report, chart_points
from storage import spikes
from storage.cases import CaseNotFound, case_view, cases_by_id, earlier_events, get_event, record_card
from storage.db import session_scope
from storage.models import Outbox, Source
from storage.outbox import (enqueue, lease_due, mark_failed, mark_retry, mark_sent, release, rows_by_keys,
                            sent_result, sent_since)

log = logging.getLogger(__name__)

GIVE_UP_AFTER = timedelta(days=1)  # transient trouble for longer than this is not transient
BLOCKED_RETRY = timedelta(minutes=5)  # a missing channel or a revoked token waits for a person to fix it
FLOOD_WINDOW = timedelta(minutes=1)
MAX_PAUSE = 300.0


class DeliveryError(Exception):
    """A send that failed.

    `retry_after`: the other side said when to come back (429). `permanent`: retrying cannot help (the message
    is malformed, the card was deleted). `blocked`: a person must fix something (invite the bot, new token)."""

    def __init__(self, message: str, *, retry_after: float | None = None, permanent: bool = False,
                 blocked: bool = False, everything: bool = False):
        super().__init__(message)
        self.retry_after = retry_after
        self.permanent = permanent
        self.blocked = blocked
        self.everything = everything  # the failure is not about this channel: stop sending anything for now


class Deliverer(Protocol):
    def post(self, *, channel: str, message: Message, thread_ts: str | None = None) -> tuple[str, str]:
        """Post and return (channel id, ts)."""

    def update(self, *, channel: str, ts: str, message: Message) -> None: ...

    # Optional: `find_posted(channel=, key=, thread_ts=None) -> (channel id, ts) | None`, asked before a retried
    # post, tells whether an earlier try already reached the other side.
    # Optional, for the digest: `upload_file(channel=, thread_ts=, filename=, content=, title=) -> str` puts the
    # chart in the digest's thread (without it the chart is skipped); `find_file(channel=, thread_ts=, filename=)`
    # finds an earlier try's upload; `workspace_url` (str | None) makes links to cards; `plain_text = True` asks
    # for the digest as plain text instead of Block Kit.


class NotYet(Exception):
    """The row depends on something not sent yet (a thread line before its card or an earlier line)."""

    def __init__(self, message: str, *, until: datetime | None = None):
        super().__init__(message)
        self.until = until


class _OutOfTime(Exception):
    """This run's time budget cannot cover the wait the channel's rate asks for."""


def retry_delay(attempts: int) -> float:
    return min(5 * 2 ** max(attempts - 1, 0), 900)


class Pacer:
    """About `rate` sends per second per channel, measured on a monotonic clock."""

    def __init__(self, rate: float, monotonic: Callable[[], float]):
        self.interval = 1.0 / rate
        self.monotonic = monotonic
        self._last: dict[str, float] = {}
        self._aliases: dict[str, str] = {}

    def alias(self, name: str, channel_id: str) -> None:
        """A card posted to '#support' answers with the channel's id; both name one channel."""
        if name != channel_id:
            self._aliases[name] = channel_id

    def wait(self, channel: str) -> float:
        last = self._last.get(self._aliases.get(channel, channel))
        return 0.0 if last is None else max(0.0, last + self.interval - self.monotonic())

    def sent(self, channel: str) -> None:
        self._last[self._aliases.get(channel, channel)] = self.monotonic()


@dataclass
class _Run:
    now: datetime
    deadline: float  # monotonic
    halted: bool = False
    settled: int = 0


class Dispatcher(ClockSends):  # ClockSends: the response clock's reminder and escalation rows
    def __init__(self, engine: sa.Engine, deliverer: Deliverer, slack: SlackConfig, *,
                 sleep: Callable[[float], None] = time.sleep, monotonic: Callable[[], float] = time.monotonic,
                 budget: float = 10.0):
        self.engine = engine
        self.deliverer = deliverer
        self.slack = slack
        self.sleep = sleep
        self.monotonic = monotonic
        self.budget = budget  # seconds one run may spend waiting on channel rates
        self.pacer = Pacer(slack.messages_per_second, monotonic)
        self.paused_until: datetime | None = None
        self.failures = 0  # consecutive transient failures: the pause grows with them
        self._lock = threading.Lock()

    # -- the run --------------------------------------------------------------------------------------------

    def run_once(self, now: datetime, *, limit: int = 50) -> int:
        """Send what is due; returns how many rows were settled (sent or given up)."""
        if self.paused_until is not None and now < self.paused_until:
            return 0
        # one run at a time per dispatcher (the pacer's memory is shared); a second caller, e.g. a click that
        # wants its card updated now, waits for the running one and then sends what is due
        if not self._lock.acquire(timeout=self.budget + 30):
            return 0
        try:
            return self._run(now, limit)
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
            if run.halted:
                self._release([row for _, rest in steps[i:] for row in rest], now)
                break
            self._step(run, handler, group)
        return run.settled

    def _plan(self, session: Session, rows: list[Outbox], now: datetime) -> list[tuple[Callable, list[Outbox]]]:
        """Cards first (a flood folded per brand), then one update per card, then thread lines in order."""
        cards = [r for r in rows if r.kind == "post_card"]
        updates = [r for r in rows if r.kind == "update_card"]
        alert_updates = [r for r in rows if r.kind == "spike_update"]
        others = sorted((r for r in rows if r.kind not in ("post_card", "update_card", "spike_update")),
                        key=lambda r: r.id)
        steps: list[tuple[Callable, list[Outbox]]] = []
        by_case = cases_by_id(session=session, case_ids=[r.payload["case_id"] for r in cards])
        by_brand: dict[int | None, list[Outbox]] = {}
        for row in sorted(cards, key=lambda r: r.id):
            case = by_case.get(row.payload["case_id"])
            by_brand.setdefault(case.brand_id if case else None, []).append(row)
        for brand_id, group in by_brand.items():
            verdict = self._flood_verdict(session, brand_id, group, now) if brand_id is not None else "cards"
            if verdict == "summary":
                steps.append((self._send_flood_summary, group))
            elif verdict == "hold":
                steps.append((self._hold, group))
            else:
                steps.extend((self._send_post_card, [row]) for row in group)
        per_case: dict[int, list[Outbox]] = {}
        for row in updates:
            per_case.setdefault(row.payload["case_id"], []).append(row)
        steps.extend((self._send_update_card, group) for group in per_case.values())
        per_alert: dict[int, list[Outbox]] = {}
        for row in alert_updates:
            per_alert.setdefault(row.payload["alert_id"], []).append(row)
        steps.extend((self._send_spike_update, group) for group in per_alert.values())
        for row in others:
            handler = getattr(self, f"_send_{row.kind}", None) or self._unknown_kind
            steps.append((handler, [row]))
        return steps

    def _step(self, run: _Run, handler: Callable, rows: list[Outbox]) -> None:
        """One send for `rows`, settled together: all sent, all retried, or all given up."""
        try:
            with session_scope(self.engine) as session:
                channel, ts = handler(session, rows, run)
                for row in rows:
                    mark_sent(session=session, outbox_id=row.id, now=run.now, channel=channel, ts=ts)
            self.failures = 0
            run.settled += len(rows)
        except _OutOfTime:
            self._release(rows, run.now)
            run.halted = True
        except NotYet as exc:
            self._retry(rows, str(exc), exc.until or run.now + timedelta(seconds=5))
        except CaseNotFound as exc:
            self._give_up(rows, str(exc))
            run.settled += len(rows)
        except DeliveryError as exc:
            run.settled += self._failed(run, rows, exc)

    def _failed(self, run: _Run, rows: list[Outbox], exc: DeliveryError) -> int:
        now = run.now
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
            self._retry(rows, str(exc), self.paused_until)
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

    def _retry(self, rows: list[Outbox], error: str, when: datetime) -> None:
        with session_scope(self.engine) as session:
            for row in rows:
                mark_retry(session=session, outbox_id=row.id, error=error, next_attempt_at=when)

    def _release(self, rows: list[Outbox], at: datetime) -> None:
        if rows:
            with session_scope(self.engine) as session:
                for row in rows:
                    release(session=session, outbox_id=row.id, at=at)

    def _give_up(self, rows: list[Outbox], error: str) -> None:
        with session_scope(self.engine) as session:
            for row in rows:
                log.error("giving up on outbox row %s (%s): %s", row.id, row.dedupe_key, error)
                mark_failed(session=session, outbox_id=row.id, error=error)

    # -- sending ----------------------------------------------------------------------------------------------

    def _pace(self, run: _Run, channel: str) -> None:
        wait = self.pacer.wait(channel)
        if wait > 0:
            if self.monotonic() + wait > run.deadline:
                raise _OutOfTime()
            self.sleep(wait)

    def post(self, run: _Run, rows: list[Outbox], *, channel: str, message: Message,
             thread_ts: str | None = None) -> tuple[str, str]:
        """Post once: a row tried before (its lease ran out, or the answer was lost) first looks for its message."""
        key = rows[0].dedupe_key
        finder = getattr(self.deliverer, "find_posted", None)
        if finder is not None and any(row.attempts > 1 for row in rows):
            found = finder(channel=channel, key=key, thread_ts=thread_ts)
            if found is not None:
                log.info("outbox row %s had already reached Slack; not posting it again", key)
                return found
        self._pace(run, channel)
        try:
            channel_id, ts = self.deliverer.post(channel=channel, message=replace(message, key=key),
                                                 thread_ts=thread_ts)
        except BaseException:
            self.pacer.sent(channel)  # a failed try still counts against the channel's rate
            raise
        self.pacer.alias(channel, channel_id)
        self.pacer.sent(channel)
        return channel_id, ts

    def update(self, run: _Run, *, channel: str, ts: str, message: Message) -> None:
        self._pace(run, channel)
        try:
            self.deliverer.update(channel=channel, ts=ts, message=message)
        finally:
            self.pacer.sent(channel)

    def _hold(self, session: Session, rows: list[Outbox], run: _Run):
        raise NotYet("this brand had its share of messages this minute", until=run.now + FLOOD_WINDOW / 2)

    # -- digests ----------------------------------------------------------------------------------------------

    def _digest(self, session: Session, row: Outbox, now: datetime):
        data = row.payload
        scheduled = data.get("scheduled_at")
        return gather(session=session, period=period_of(data), now=now, late=bool(data.get("late")),
                      scheduled_at=datetime.fromisoformat(scheduled) if scheduled else None)

    def _send_digest(self, session: Session, rows: list[Outbox], run: _Run) -> tuple[str, str]:
        row = rows[0]
        digest = self._digest(session, row, run.now)
        if getattr(self.deliverer, "plain_text", False):
            message = Message(text=digest_text(digest))
        else:
            message = digest_message(digest, workspace_url=getattr(self.deliverer, "workspace_url", None))
        return self.post(run, rows, channel=row.channel or self.slack.digest_channel, message=message)

    def _send_digest_chart(self, session: Session, rows: list[Outbox], run: _Run) -> tuple[str | None, str | None]:
        """The chart, uploaded into the digest's thread once the digest is posted."""
        row = rows[0]
        upload = getattr(self.deliverer, "upload_file", None)
        if upload is None:
            return None, None
        posted = rows_by_keys(session=session, dedupe_keys=[row.payload["digest_key"]])
        if not posted or posted[0].status == "failed":
            raise DeliveryError("the digest was never posted", permanent=True)
        if posted[0].status != "sent" or not posted[0].result_ts:
            raise NotYet("waiting for the digest to be posted")
        channel, ts = posted[0].result_channel or row.channel, posted[0].result_ts

        def chart() -> tuple[bytes, str]:
            digest = self._digest(session, row, run.now)
            return render_chart(digest.chart), digest.chart.title

        return self._upload_chart(run, row, upload, channel=channel, ts=ts,
                                  filename=chart_filename(period_of(row.payload)), chart=chart)

    def _upload_chart(self, run: _Run, row: Outbox, upload, *, channel: str, ts: str, filename: str,
                      chart: Callable[[], tuple[bytes, str]]) -> tuple[str, str]:
        """Upload a PNG into a thread, once: a retry first looks for its earlier try. `chart` renders only when
        the upload is really needed. A missing scope gives up on the chart alone; the message went out."""
        finder = getattr(self.deliverer, "find_file", None)
        if finder is not None and row.attempts > 1:
            found = finder(channel=channel, thread_ts=ts, filename=filename)
            if found is not None:
                return channel, found
        content, title = chart()
        self._pace(run, channel)
        try:
            file_id = upload(channel=channel, thread_ts=ts, filename=filename, content=content, title=title)
        except DeliveryError as exc:
            if exc.blocked:  # e.g. no files:write scope
                raise DeliveryError(f"the chart was not uploaded: {exc}", permanent=True) from exc
            raise
        finally:
            self.pacer.sent(channel)
        return channel, file_id

    def _unknown_kind(self, session: Session, rows: list[Outbox], run: _Run):
        raise DeliveryError(f"unknown outbox kind {rows[0].kind!r}", permanent=True)

    def _send_post_card(self, session: Session, rows: list[Outbox], run: _Run) -> tuple[str | None, str | None]:
        view = case_view(session=session, case_id=rows[0].payload["case_id"])
        if view.case.slack_ts:  # posted before a crash kept us from marking the row: never post twice
            return view.case.slack_channel, view.case.slack_ts
        source = session.get(Source, view.mention.source_id)
        message = render_card(view, now=run.now, source_name=source.name if source else "")
        place = self._complaint_place(session, view.case.brand_id, view.brand, run.now)
        channel, ts = self.post(run, rows, channel=place.channel, thread_ts=place.thread_ts, message=message)
        record_card(session=session, case_id=view.case.id, channel=channel, ts=ts)
        return channel, ts

    def _send_flood_summary(self, session: Session, rows: list[Outbox], run: _Run) -> tuple[str, str]:
        views = [case_view(session=session, case_id=row.payload["case_id"]) for row in rows]
        message = render_flood_summary(views[0].brand, views, now=run.now)
        log.warning("%d new cards for %s at once: posting one summary", len(rows), views[0].brand)
        place = self._complaint_place(session, views[0].case.brand_id, views[0].brand, run.now)
        return self.post(run, rows, channel=place.channel, thread_ts=place.thread_ts, message=message)

    def _send_update_card(self, session: Session, rows: list[Outbox], run: _Run) -> tuple[str | None, str | None]:
        view = case_view(session=session, case_id=rows[0].payload["case_id"])
        if not view.case.slack_ts:
            return None, None  # not posted yet (it will show the newest state) or folded into a summary
        source = session.get(Source, view.mention.source_id)
        self.update(run, channel=view.case.slack_channel, ts=view.case.slack_ts,
                    message=render_card(view, now=run.now, source_name=source.name if source else ""))
        return view.case.slack_channel, view.case.slack_ts

    def _send_thread_note(self, session: Session, rows: list[Outbox], run: _Run) -> tuple[str, str]:
        row = rows[0]
        case_id = row.payload["case_id"]
        event = get_event(session=session, event_id=row.payload["event_id"])
        if event is None:
            raise DeliveryError("the event is gone", permanent=True)
        channel, ts = self._card_place(session, case_id)
        earlier = [f"thread:{event_id}" for event_id in
                   earlier_events(session=session, case_id=case_id, before_event_id=event.id)]
        waiting = [r for r in rows_by_keys(session=session, dedupe_keys=earlier) if r.status == "pending"]
        if waiting:
            raise NotYet("an earlier thread line is still waiting",
                         until=max(min(r.next_attempt_at for r in waiting), run.now) + timedelta(seconds=1))
        return self.post(run, rows, channel=channel, thread_ts=ts, message=render_event(event, case_id=case_id))

    def _card_place(self, session: Session, case_id: int) -> tuple[str, str]:
        """Where a case's thread lines go: under its card, or under the flood summary that listed it."""
        view = case_view(session=session, case_id=case_id)
        if view.case.slack_ts and view.case.slack_channel:
            return view.case.slack_channel, view.case.slack_ts
        card = rows_by_keys(session=session, dedupe_keys=[f"card:{case_id}"])
        if card and card[0].status == "failed":
            raise DeliveryError("the card was never posted", permanent=True)
        summary = sent_result(session=session, dedupe_key=f"card:{case_id}")
        if summary is not None and summary.result_ts and summary.result_channel:
            return summary.result_channel, summary.result_ts
        raise NotYet("waiting for the card to be posted")

    # -- spike alerts -----------------------------------------------------------------------------------------

    def _complaint_place(self, session: Session, brand_id: int, brand: str, now: datetime) -> CardPlace:
        """Where a brand's complaint card goes now; the first card folded into an alert asks for the pointer."""
        alert = spikes.live_alert(session=session, brand_id=brand_id)
        post_failed = False
        if alert is not None and not alert.slack_ts:
            posted = rows_by_keys(session=session, dedupe_keys=[f"spike:{alert.id}"])
            post_failed = not posted or posted[0].status == "failed"
        place = complaint_card_place(
            support_channel=self.slack.support_channel, alert_id=alert.id if alert else None,
            alert_channel=alert.slack_channel if alert else None, alert_ts=alert.slack_ts if alert else None,
            alert_post_failed=post_failed)
        if place.wait:
            raise NotYet("waiting for the brand's spike alert to be posted")
        if place.alert_id is not None:
            enqueue(session=session, kind="spike_pointer", dedupe_key=f"spike-pointer:{place.alert_id}",
                    payload={"alert_id": place.alert_id, "brand": brand}, channel=self.slack.support_channel,
                    now=now)
        return place

    def _send_spike_alert(self, session: Session, rows: list[Outbox], run: _Run) -> tuple[str | None, str | None]:
        """The alert card, with the on-call group mentioned this once."""
        alert_id = rows[0].payload["alert_id"]
        report = self._alert_report(session, alert_id)
        if report.alert.slack_ts:  # posted before a crash kept us from marking the row
            return report.alert.slack_channel, report.alert.slack_ts
        message = render_alert(report, now=run.now, oncall_group=self.slack.oncall_group)
        channel, ts = self.post(run, rows, channel=rows[0].channel or self.slack.escalation_channel, message=message)
        spikes.record_alert_message(session=session, alert_id=alert_id, channel=channel, ts=ts)
        return channel, ts

    def _alert_report(self, session: Session, alert_id: int):
        try:
            return alert_report(session=session, alert_id=alert_id)
        except AlertGone as exc:
            raise DeliveryError(str(exc), permanent=True) from None

    def _alert_place(self, session: Session, alert_id: int) -> tuple[str, str]:
        alert = spikes.get_alert(session=session, alert_id=alert_id)
        if alert is None:
            raise DeliveryError(f"there is no spike alert #{alert_id}", permanent=True)
        if alert.slack_ts and alert.slack_channel:
            return alert.slack_channel, alert.slack_ts
        posted = rows_by_keys(session=session, dedupe_keys=[f"spike:{alert_id}"])
        if not posted or posted[0].status == "failed":
            raise DeliveryError("the alert was never posted", permanent=True)
        raise NotYet("waiting for the alert to be posted")

    def _send_spike_update(self, session: Session, rows: list[Outbox], run: _Run) -> tuple[str | None, str | None]:
        """Redraw the card with the alert's newest state; several pending updates are one chat.update."""
        report = self._alert_report(session, rows[0].payload["alert_id"])
        if not report.alert.slack_ts:
            return None, None  # the card is not posted yet and will show the newest state when it is
        self.update(run, channel=report.alert.slack_channel, ts=report.alert.slack_ts,
                    message=render_alert(report, now=run.now))
        return report.alert.slack_channel, report.alert.slack_ts

    def _send_spike_chart(self, session: Session, rows: list[Outbox], run: _Run) -> tuple[str | None, str | None]:
        """The last 48 hours as a PNG in the alert's thread (skipped by a deliverer that cannot upload)."""
        row = rows[0]
        upload = getattr(self.deliverer, "upload_file", None)
        if upload is None:
            return None, None
        channel, ts = self._alert_place(session, row.payload["alert_id"])
        report = self._alert_report(session, row.payload["alert_id"])
        step = timedelta(seconds=row.payload.get("step", 300))

        def chart() -> tuple[bytes, str]:
            points = chart_points(session=session, alert=report.alert, now=run.now, step=step)
            title = f"{report.brand}: negative mentions per {int(step.total_seconds() // 60)} min, last 48 hours"
            return render_spike_chart(points, title=title, window_start=report.alert.window_start,
                                      window_end=report.alert.window_end), title

        return self._upload_chart(run, row, upload, channel=channel, ts=ts,
                                  filename=f"earful-spike-{report.alert.id}.png", chart=chart)

    def _send_spike_pointer(self, session: Session, rows: list[Outbox], run: _Run) -> tuple[str, str]:
        row = rows[0]
        return self.post(run, rows, channel=row.channel or self.slack.support_channel,
                         message=render_pointer(row.payload.get("brand", "")))

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


def chart_filename(period: Period) -> str:
    return f"earful-digest-{period.key.replace('/', '-')}.png"


@dataclass(frozen=True)
class CardPlace:
    channel: str
    thread_ts: str | None = None
    alert_id: int | None = None  # the card is folded into this alert's thread
    wait: bool = False  # the alert is about to be posted: hold the card until it is


def complaint_card_place(*, support_channel: str, alert_id: int | None, alert_channel: str | None,
                         alert_ts: str | None, alert_post_failed: bool = False) -> CardPlace:
    """Where a complaint card goes: the support channel, or the thread of the brand's standing spike alert."""
    if alert_id is None:
        return CardPlace(support_channel)
    if alert_ts and alert_channel:
        return CardPlace(alert_channel, thread_ts=alert_ts, alert_id=alert_id)
    if alert_post_failed:
        return CardPlace(support_channel)
    return CardPlace(support_channel, wait=True)
