"""The live spike check: per own brand, count negative mentions per bucket, judge each new bucket once with the
detector, and open, grow or end the brand's alert through the outbox.

The detector's state is a function of the counts it has seen, so it is rebuilt from stored history (the last
`spikes.history`, one GROUP BY) whenever this process has not just judged the brand's previous bucket itself:
after a start, or when another worker judged in between. Otherwise it carries on from memory.
"""

from __future__ import annotations

import logging
import os
import socket
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import sqlalchemy as sa
from sqlmodel import Session

from monitors.config import Config, SpikesConfig
from monitors.spikes.alerts import AlertState, Change, next_change
from monitors.spikes.detector import SpikeDetector, SpikeSettings, Verdict
from storage import spikes as store
from storage.db import session_scope
from storage.models import SpikeAlert
from storage.outbox import enqueue

log = logging.getLogger(__name__)

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def worker_name() -> str:
    """Who claimed a bucket, for the job_run row: host and process."""
    return f"{socket.gethostname()}:{os.getpid()}"


def detector_settings(spikes: SpikesConfig) -> SpikeSettings:
    return SpikeSettings(burst_sigma=spikes.sensitivity, min_count=spikes.min_count,
                         cooldown=timedelta(seconds=spikes.cooldown))


def floor_to(at: datetime, step: timedelta) -> datetime:
    """The start of the bucket `at` falls in (buckets are aligned to 1970-01-01 UTC)."""
    return at - ((at - _EPOCH) % step)


def last_due_bucket(now: datetime, step: timedelta, settle: timedelta) -> datetime:
    """The newest bucket that ended at least `settle` ago."""
    return floor_to(now - settle, step) - step


def series(counts: dict[datetime, int], start: datetime, end: datetime, step: timedelta) -> list[tuple[datetime, int]]:
    """Every bucket start in [start, end] with its count, zeros included: the detector needs the quiet too."""
    out = []
    at = start
    while at <= end:
        out.append((at, counts.get(at, 0)))
        at += step
    return out


def history_start(first_mention: datetime | None, oldest: datetime, step: timedelta) -> datetime:
    return max(oldest, floor_to(first_mention, step)) if first_mention else oldest


def stored_series(*, session: Session, brand_id: int, start: datetime, end: datetime, step: timedelta
                  ) -> list[tuple[datetime, int]]:
    """Negative mentions per bucket from `start` (or the brand's first mention after it) to the bucket before
    `end`, zeros included: what the live check would have fed the detector."""
    oldest = floor_to(start, step)
    first = store.first_mention_at(session=session, brand_id=brand_id, since=oldest)
    begin = history_start(first, oldest, step)
    last = floor_to(end, step) - step
    if last < begin:
        return []
    counts = store.negative_counts(session=session, brand_id=brand_id, start=begin, end=last + step, step=step)
    return series(counts, begin, last, step)


@dataclass
class _Memory:
    last: datetime  # the newest bucket this detector has seen
    detector: SpikeDetector


class SpikeWatch:
    def __init__(self, engine: sa.Engine, config: Config, *, owner: str, step: timedelta | None = None):
        self.engine = engine
        self.spikes = config.spikes
        self.escalation_channel = config.slack.escalation_channel
        self.step = step or timedelta(seconds=config.schedule.spike_check_interval)
        self.settle = timedelta(seconds=self.spikes.settle)
        self.history = timedelta(seconds=self.spikes.history)
        self.settings = detector_settings(self.spikes)
        self.owner = owner
        self._memory: dict[int, _Memory] = {}

    def check(self, now: datetime) -> list[int]:
        """Judge every brand's due buckets; returns the ids of alerts opened."""
        if not self.spikes.enabled:
            return []
        with session_scope(self.engine) as session:
            brands = store.own_brands(session=session)
        opened = []
        for brand_id, name in brands:
            try:
                opened.extend(self.check_brand(brand_id, now))
            except Exception:  # noqa: BLE001 - one brand's trouble must not silence the others
                log.exception("spike check for %s failed", name)
                self._memory.pop(brand_id, None)
        return opened

    def check_brand(self, brand_id: int, now: datetime) -> list[int]:
        due = last_due_bucket(now, self.step, self.settle)
        with session_scope(self.engine) as session:
            last = store.last_judged(session=session, brand_id=brand_id)
            if last is not None and last >= due:
                return []
            memory = self._memory.get(brand_id)
            if memory is None or last is None or memory.last != last:
                memory = self._rebuild(session, brand_id, last if last is not None else due, now)
            first_new = last + self.step if last is not None else None
            verdicts: list[Verdict] = []
            if first_new is not None:
                counts = store.negative_counts(session=session, brand_id=brand_id, start=first_new,
                                               end=due + self.step, step=self.step)
                verdicts = [memory.detector.update(at, n) for at, n in series(counts, first_new, due, self.step)]
            buckets = [v.at for v in verdicts] or [due]
            if not store.claim_buckets(session=session, brand_id=brand_id, buckets=buckets, owner=self.owner,
                                       now=now):
                session.rollback()  # another worker judged these; its detector is ahead of ours
                self._memory.pop(brand_id, None)
                return []
            opened = self._apply(session, brand_id, verdicts, now)
            store.prune_claims(session=session, brand_id=brand_id, before=due - timedelta(days=2))
        memory.last = due
        self._memory[brand_id] = memory
        return opened

    def _rebuild(self, session: Session, brand_id: int, upto: datetime, now: datetime) -> _Memory:
        """A detector that has seen the stored history up to and including bucket `upto`."""
        points = stored_series(session=session, brand_id=brand_id, start=upto - self.history, end=upto + self.step,
                               step=self.step)
        return _Memory(last=upto, detector=SpikeDetector.rebuilt(points, self.settings))

    def _apply(self, session: Session, brand_id: int, verdicts: list[Verdict], now: datetime) -> list[int]:
        row = store.live_alert(session=session, brand_id=brand_id)
        state = _state_of(row) if row is not None else None
        opened: list[int] = []
        for verdict in verdicts:
            change = next_change(state, verdict, step=self.step, calm_buckets=self.spikes.calm_buckets, now=now)
            if change.kind == "none" and change.state == state:
                continue
            row = self._save(session, brand_id, row, change, now)
            if change.kind == "open":
                opened.append(row.id)
            state = change.state if change.kind != "end" else None
            if change.kind == "end":
                row = None
        return opened

    def _save(self, session: Session, brand_id: int, row: SpikeAlert | None, change: Change,
              now: datetime) -> SpikeAlert:
        state = change.state
        assert state is not None
        if row is None:
            row = SpikeAlert(brand_id=brand_id, window_start=state.window_start, window_end=state.window_end,
                             observed=state.observed, expected=state.expected, score=state.score,
                             status=state.status, created_at=now, explanation=state.explanation)
        row.window_end, row.observed, row.expected = state.window_end, state.observed, state.expected
        row.score, row.explanation, row.calm_buckets = state.score, state.explanation, state.calm_buckets
        row.status, row.ended_at, row.updated_at = state.status, state.ended_at, now
        session.add(row)
        session.flush()
        if change.kind == "open":
            log.warning("negative spike for brand %s: %s", brand_id, state.explanation)
            enqueue(session=session, kind="spike_alert", dedupe_key=f"spike:{row.id}",
                    payload={"alert_id": row.id}, channel=self.escalation_channel, now=now)
            enqueue(session=session, kind="spike_chart", dedupe_key=f"spike-chart:{row.id}",
                    payload={"alert_id": row.id}, channel=self.escalation_channel, now=now)
        elif change.notify:
            reason = f"{change.kind}:{state.window_end.isoformat()}"
            enqueue_alert_update(session=session, alert_id=row.id, reason=reason, now=now)
        return row


def enqueue_alert_update(*, session: Session, alert_id: int, reason: str, now: datetime) -> None:
    """Ask for the alert's card to be redrawn; pending updates of one card are sent as one."""
    enqueue(session=session, kind="spike_update", dedupe_key=f"spike-update:{alert_id}:{reason}",
            payload={"alert_id": alert_id}, channel=None, now=now)


def _state_of(row: SpikeAlert) -> AlertState:
    return AlertState(status=row.status, window_start=row.window_start, window_end=row.window_end,
                      observed=row.observed, expected=row.expected, score=row.score, explanation=row.explanation,
                      calm_buckets=row.calm_buckets, ended_at=row.ended_at, muted_until=row.muted_until)
