"""Poll due sources: lease them, fetch in parallel, parse and score in processes, store.

A failing source never stops the cycle: its error, status and next attempt (exponential backoff with jitter,
never sooner than Retry-After) go into its health record, and a source that keeps answering 404/410 is
disabled with a reason. The conditional-GET state is saved in the same transaction as the mentions, so a
crash mid-cycle loses nothing: the next poll simply fetches the same items again. Sources whose batches are
ready at the same moment share a transaction; if it fails, they are stored again one by one, so only the
batch that cannot be stored is lost for this cycle (and fetched again the next).
"""

from __future__ import annotations

import logging
import os
import random
import socket
import threading
import time
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Callable

import sqlalchemy as sa
from sqlmodel import Session

from monitors.ingest.fetch import Fetcher, FetchError, backoff_delay
from monitors.ingest.heartbeat import LeaseHeartbeat
from monitors.ingest.pipeline import Pipeline
from monitors.ingest.intake import store_rows_in
from monitors.ingest.pool import Prepared, ScoringPool
from monitors.ingest.sources.base import PollResult, SourceState
from monitors.ingest.sources.registry import SOURCE_KINDS
from monitors.learning import current_correction
from storage.db import session_scope
from storage.mentions import BatchResult
from storage.models import Source
from storage.sources import lease_due_sources, record_failure, record_success

log = logging.getLogger(__name__)

GONE_STATUSES = (404, 410)
GONE_DISABLE_AFTER = 3  # consecutive 404/410 answers before a source is disabled
# at most this much in one transaction: a failure re-stores a group source by source, and a long write
# transaction keeps other writers (the outbox, Slack actions) waiting on SQLite
STORE_GROUP_SOURCES = 20
STORE_GROUP_ROWS = 5_000
GROUP_WAIT = 0.2  # seconds to wait for another batch to join the ready ones
GROUP_MAX_DELAY = 1.0  # seconds a ready batch may wait in all
STOP_CHECK = 0.2  # seconds between looks at the stop flag while nothing finishes


@dataclass
class SourceOutcome:
    name: str
    kind: str
    fetched: int = 0
    new: int = 0
    updated: int = 0
    complaints: int = 0
    not_modified: bool = False
    error: str | None = None
    warnings: list[str] = field(default_factory=list)
    case_ids: list[int] = field(default_factory=list)


@dataclass
class _Poll:
    """One source's way through a cycle."""

    state: SourceState
    interval: int
    failures: int
    brands: list[str]
    result: PollResult | None = None
    outcome: SourceOutcome = field(init=False)

    def __post_init__(self) -> None:
        self.outcome = SourceOutcome(name=self.state.name, kind=self.state.kind)


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


SOURCES_PER_CYCLE = 1000  # sources one scheduled poll cycle leases at most
# how long a worker may go silent before another takes its sources: the heartbeat renews it every third of
# that while the sources are still being polled, so a killed worker's sources are polled again within this
SOURCE_LEASE = timedelta(seconds=30)


class Poller:
    def __init__(
        self, engine: sa.Engine, pipeline: Pipeline, fetcher: Fetcher, *, workers: int = 8,
        owner: str | None = None, rng: random.Random | None = None, processes: int | None = 1,
        lease: timedelta = SOURCE_LEASE,
    ):
        self.engine = engine
        self.pipeline = pipeline
        self.fetcher = fetcher
        self.workers = workers
        self.owner = owner or worker_id()
        self.rng = rng or random.Random()
        self.lease = lease
        self.scoring = ScoringPool(pipeline, processes=processes)
        self._stopping = threading.Event()

    def stop(self) -> None:
        """Ask a running cycle to end now (Ctrl-C): what is in flight is dropped, not recorded as failed, and
        the sources not settled are handed back, so the next poll takes them at once. Later cycles poll nothing."""
        self._stopping.set()
        self.fetcher.abort()

    @property
    def stopped(self) -> bool:
        return self._stopping.is_set()

    def poll_due(
        self, now: datetime, *, all_enabled: bool = False,
        on_progress: Callable[[SourceOutcome, int, int], None] | None = None,
    ) -> list[SourceOutcome]:
        """Poll what is due (or every enabled source); `on_progress(outcome, done, total)` after each one.

        Three stages overlap: fetching (threads), parsing, matching and scoring (processes, for big batches),
        storing (this thread; a source's items and its health record always commit together, several sources
        to a transaction when they are ready at once). The sources' leases are short and renewed while the
        cycle runs; those not settled when it stops early are handed back (monitors.ingest.heartbeat)."""
        if self.stopped:
            return []
        with session_scope(self.engine) as session:
            self.pipeline.correction = current_correction(session=session)  # verdicts given since the last cycle
            # a scheduled cycle takes a bounded share and leaves the rest to the next tick or another worker;
            # `poll --once` promises every enabled source
            leased = lease_due_sources(session=session, now=now, owner=self.owner, all_enabled=all_enabled,
                                       lease=self.lease, limit=None if all_enabled else SOURCES_PER_CYCLE)
            polls = [_Poll(self._state(s), s.interval_seconds, s.consecutive_failures, list(s.brands))
                     for s in leased]
        outcomes: list[SourceOutcome] = []
        if not polls:
            return outcomes
        ids = {poll.state.name: poll.state.id for poll in polls}
        with LeaseHeartbeat(self.engine, owner=self.owner, lease=self.lease, now=now,
                            source_ids=list(ids.values())) as heartbeat:

            def finished(outcome: SourceOutcome) -> None:
                heartbeat.settled(ids[outcome.name])
                outcomes.append(outcome)
                if on_progress:
                    on_progress(outcome, len(outcomes), len(polls))

            self._cycle(polls, now, finished)
        return outcomes

    def _cycle(self, polls: list["_Poll"], now: datetime, finished: Callable[[SourceOutcome], None]) -> None:
        pool = ThreadPoolExecutor(max_workers=min(self.workers, len(polls)), thread_name_prefix="poll")
        try:
            self._stages(pool, polls, now, finished)
        finally:
            # stopping: fetches still queued never start, and those in flight were aborted (Poller.stop)
            pool.shutdown(wait=not self.stopped, cancel_futures=True)

    def _stages(self, pool: ThreadPoolExecutor, polls: list["_Poll"], now: datetime,
                finished: Callable[[SourceOutcome], None]) -> None:
        stage: dict[Future, tuple[str, _Poll]] = {
            pool.submit(self._fetch, poll.state, now): ("fetched", poll) for poll in polls
        }
        ready: list[tuple[_Poll, Prepared]] = []
        ready_since = 0.0
        while stage:
            # with batches ready, wait a little for more to join them (see _store), never long
            done, _ = wait(stage, timeout=GROUP_WAIT if ready else STOP_CHECK, return_when=FIRST_COMPLETED)
            if self.stopped:  # what failed now failed because of the stop: not the sources' fault
                return
            for future in done:
                step, poll = stage.pop(future)
                settle = self._fetched if step == "fetched" else self._prepared
                settled = settle(future, poll, now)
                if isinstance(settled, SourceOutcome):
                    finished(settled)
                elif isinstance(settled, Prepared):
                    ready_since = ready_since if ready else time.monotonic()
                    ready.append((poll, settled))
                else:
                    stage[settled] = ("prepared", poll)
            # ...unless a scoring process is idle: then storing costs the others nothing, and what is left
            # to store when the last batch arrives is what the cycle's end waits for
            if ready and (not done or len(stage) < self.scoring.processes or _group_full(ready)
                          or time.monotonic() - ready_since >= GROUP_MAX_DELAY):
                for outcome in self._store(ready, now):
                    finished(outcome)
                ready = []
        for outcome in self._store(ready, now):
            finished(outcome)

    def close(self) -> None:
        self.scoring.close(at_once=self.stopped)

    @staticmethod
    def _state(source: Source) -> SourceState:
        return SourceState(id=source.id, name=source.name, kind=source.kind, url=source.url,
                           params=dict(source.params), etag=source.etag, last_modified=source.last_modified,
                           cursor=source.cursor)

    def _fetch(self, state: SourceState, now: datetime) -> PollResult:
        kind = SOURCE_KINDS.get(state.kind)
        if kind is None:
            raise FetchError(f"unknown source kind {state.kind!r}")
        return kind.fetch(self.fetcher, state, now=now)

    def _fetched(self, future: Future, poll: "_Poll", now: datetime) -> Future | SourceOutcome:
        """Hand a fetched batch to parsing and scoring, or settle a failed fetch."""
        try:
            poll.result = future.result()
        except Exception as exc:  # noqa: BLE001 - settled in _settled_failure
            return self._settled_failure(exc, poll, now)
        poll.outcome.not_modified = poll.result.not_modified
        return self.scoring.submit(poll.result, brand_names=poll.brands, now=now)

    def _settled_failure(self, exc: Exception, poll: "_Poll", now: datetime) -> SourceOutcome:
        if isinstance(exc, FetchError):
            self._failed(poll, now, str(exc), exc.status, exc.retry_after)
        else:  # a parser or source bug must not stop the cycle
            if not _is_expected(exc):
                log.error("polling %s failed", poll.state.name, exc_info=exc)
            self._failed(poll, now, f"{exc}" or type(exc).__name__, None, None)
        return poll.outcome

    def _prepared(self, future: Future, poll: "_Poll", now: datetime) -> "Prepared | SourceOutcome":
        try:
            prepared = future.result()
        except Exception as exc:  # noqa: BLE001 - not a feed after all, a parser bug, a worker that died
            return self._settled_failure(exc, poll, now)
        poll.outcome.fetched, poll.outcome.warnings = prepared.fetched, prepared.warnings
        return prepared

    def _store(self, ready: list[tuple["_Poll", Prepared]], now: datetime) -> list[SourceOutcome]:
        """Store the batches that are ready, several sources to a transaction: a commit writes every page the
        batches touched, and random-key index pages are shared between them (10 sources per commit stored
        30% faster than one). poll_due lets ready batches wait up to GROUP_WAIT for the next one, and
        GROUP_MAX_DELAY in all: the scoring processes keep working meanwhile."""
        outcomes: list[SourceOutcome] = []
        group: list[tuple[_Poll, Prepared]] = []
        for poll, prepared in ready:
            if _group_full(group):
                outcomes += self._store_group(group, now)
                group = []
            group.append((poll, prepared))
        if group:
            outcomes += self._store_group(group, now)
        return outcomes

    def _store_group(self, group: list[tuple["_Poll", Prepared]], now: datetime) -> list[SourceOutcome]:
        try:
            with session_scope(self.engine) as session:
                results = [self._store_one(session, poll, prepared, now) for poll, prepared in group]
        except Exception as exc:  # noqa: BLE001 - e.g. the database went away; the whole group is rolled back
            if len(group) > 1:  # one batch may have spoiled it: store them one by one, so only that one fails
                return [outcome for item in group for outcome in self._store_group([item], now)]
            poll = group[0][0]
            log.exception("storing %s failed", poll.state.name)
            # in the source's health, with its backoff, and its lease handed back: left leased, no worker would
            # poll it again until the lease ran out
            self._failed(poll, now, f"could not store: {exc}", None, None)
            return [poll.outcome]
        for (poll, _), stored in zip(group, results):
            outcome = poll.outcome
            outcome.new, outcome.updated = stored.new, stored.updated
            outcome.complaints, outcome.case_ids = len(stored.case_ids), stored.case_ids
        return [poll.outcome for poll, _ in group]

    @staticmethod
    def _store_one(session: Session, poll: "_Poll", prepared: Prepared, now: datetime) -> BatchResult:
        """One source's items and its health record (with the new cursor), in the caller's transaction."""
        state, result = poll.state, poll.result
        stored = store_rows_in(session, source_id=state.id, rows=prepared.rows, now=now)
        record_success(
            session=session, source_id=state.id, now=now,
            next_poll_at=now + timedelta(seconds=poll.interval),
            status=304 if result.not_modified else 200, etag=result.etag or state.etag,
            last_modified=result.last_modified or state.last_modified,
            cursor=result.cursor if result.cursor is not None else state.cursor,
            items=prepared.fetched, warning="; ".join(prepared.warnings)[:1000] or None,
        )
        return stored

    def _failed(self, poll: "_Poll", now: datetime, error: str, status: int | None,
                retry_after: float | None) -> None:
        state, outcome = poll.state, poll.outcome
        failures = poll.failures + 1
        delay = backoff_delay(failures, interval=poll.interval, retry_after=retry_after,
                              random_fraction=self.rng.random())
        disable = None
        if status in GONE_STATUSES and failures >= GONE_DISABLE_AFTER:
            said = "its file was missing or unreadable" if state.url.lower().startswith("file:") else \
                f"answered {status}"
            disable = (f"{said} {failures} times in a row; fix its url in the config "
                       "(a changed url re-enables the source)")
        outcome.error = error
        try:
            with session_scope(self.engine) as session:
                record_failure(session=session, source_id=state.id, now=now, status=status, error=error,
                               next_poll_at=now + timedelta(seconds=delay), disable_reason=disable)
        except Exception:  # noqa: BLE001
            log.exception("recording the failure of %s failed", state.name)


def _group_full(group: list[tuple["_Poll", Prepared]]) -> bool:
    return len(group) >= STORE_GROUP_SOURCES or sum(len(prepared.rows) for _, prepared in group) >= STORE_GROUP_ROWS


def _is_expected(exc: Exception) -> bool:
    """Errors that describe the source, not a bug in Earful (no traceback for those)."""
    return type(exc).__name__.endswith(("FeedError", "SourceError"))
