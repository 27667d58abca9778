"""Poll due sources: lease them, fetch and parse in parallel, store each source's batch in one transaction.

A failing source never stops the cycle: its error, status and next attempt (exponential backoff with jitter,
never sooner than Retry-After) go into its health record, and a source that keeps answering 404/410 is
disabled with a reason. The conditional-GET state is saved in the same transaction as the mentions, so a
crash mid-cycle loses nothing: the next poll simply fetches the same items again.
"""

from __future__ import annotations

import logging
import os
import random
import socket
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Callable

import sqlalchemy as sa

from monitors.fetch import Fetcher, FetchError, backoff_delay
from monitors.ingest import Pipeline
from monitors.sources import SOURCE_KINDS, PollResult, SourceState
from storage.db import session_scope
from storage.mentions import store_batch
from storage.models import Source
from storage.sources import lease_due_sources, record_failure, record_success

log = logging.getLogger(__name__)

GONE_STATUSES = (404, 410)
GONE_DISABLE_AFTER = 3  # consecutive 404/410 answers before a source is disabled


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


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


class Poller:
    def __init__(
        self, engine: sa.Engine, pipeline: Pipeline, fetcher: Fetcher, *, workers: int = 8,
        owner: str | None = None, rng: random.Random | None = None,
    ):
        self.engine = engine
        self.pipeline = pipeline
        self.fetcher = fetcher
        self.workers = workers
        self.owner = owner or worker_id()
        self.rng = rng or random.Random()

    def poll_due(
        self, now: datetime, *, all_enabled: bool = False,
        on_progress: Callable[[SourceOutcome, int, int], None] | None = None,
    ) -> list[SourceOutcome]:
        """Poll what is due (or every enabled source); `on_progress(outcome, done, total)` after each one."""
        with session_scope(self.engine) as session:
            leased = lease_due_sources(session=session, now=now, owner=self.owner, all_enabled=all_enabled,
                                       lease=timedelta(minutes=10))
            sources = [(self._state(s), s.interval_seconds, s.consecutive_failures, list(s.brands)) for s in leased]
        outcomes: list[SourceOutcome] = []
        if not sources:
            return outcomes
        with ThreadPoolExecutor(max_workers=min(self.workers, len(sources)), thread_name_prefix="poll") as pool:
            futures: dict[Future, tuple] = {
                pool.submit(self._fetch, state, now): (state, interval, failures, brands)
                for state, interval, failures, brands in sources
            }
            for done, future in enumerate(as_completed(futures), start=1):
                state, interval, failures, brands = futures[future]
                outcome = self._settle(future, state, interval, failures, brands, now)
                outcomes.append(outcome)
                if on_progress:
                    on_progress(outcome, done, len(sources))
        return outcomes

    @staticmethod
    def _state(source: Source) -> SourceState:
        return SourceState(id=source.id, name=source.name, kind=source.kind, url=source.url,
                           params=dict(source.params), etag=source.etag, last_modified=source.last_modified,
                           cursor=source.cursor)

    def _fetch(self, state: SourceState, now: datetime) -> PollResult:
        kind = SOURCE_KINDS.get(state.kind)
        if kind is None:
            raise FetchError(f"unknown source kind {state.kind!r}")
        return kind.poll(self.fetcher, state, now=now)

    def _settle(self, future: Future, state: SourceState, interval: int, failures: int, brands: list[str],
                now: datetime) -> SourceOutcome:
        outcome = SourceOutcome(name=state.name, kind=state.kind)
        try:
            result: PollResult = future.result()
        except FetchError as exc:
            self._failed(state, now, interval, failures, outcome, str(exc), exc.status, exc.retry_after)
            return outcome
        except Exception as exc:  # noqa: BLE001 - a parser or source bug must not stop the cycle
            if not _is_expected(exc):
                log.exception("polling %s failed", state.name)
            self._failed(state, now, interval, failures, outcome, f"{exc}" or type(exc).__name__, None, None)
            return outcome
        outcome.fetched, outcome.not_modified = len(result.mentions), result.not_modified
        outcome.warnings = list(result.warnings)
        try:
            rows = self.pipeline.prepare(result.mentions, brand_names=brands, now=now)
            with session_scope(self.engine) as session:
                stored = store_batch(session=session, source_id=state.id, items=rows, now=now)
                record_success(
                    session=session, source_id=state.id, now=now,
                    next_poll_at=now + timedelta(seconds=interval),
                    status=304 if result.not_modified else 200, etag=result.etag or state.etag,
                    last_modified=result.last_modified or state.last_modified,
                    cursor=result.cursor if result.cursor is not None else state.cursor,
                    items=len(result.mentions), warning="; ".join(result.warnings)[:1000] or None,
                )
        except Exception as exc:  # noqa: BLE001 - e.g. the database went away; the batch is rolled back
            log.exception("storing %s failed", state.name)
            outcome.error = f"could not store: {exc}"
            return outcome
        outcome.new, outcome.updated = stored.new, stored.updated
        outcome.complaints, outcome.case_ids = len(stored.case_ids), stored.case_ids
        return outcome

    def _failed(self, state: SourceState, now: datetime, interval: int, failures: int, outcome: SourceOutcome,
                error: str, status: int | None, retry_after: float | None) -> None:
        failures += 1
        delay = backoff_delay(failures, interval=interval, retry_after=retry_after,
                              random_fraction=self.rng.random())
        disable = None
        if status in GONE_STATUSES and failures >= GONE_DISABLE_AFTER:
            disable = (f"answered {status} {failures} times in a row; check the URL, then re-enable the source "
                       "(a config change re-enables it)")
        outcome.error = error
        try:
            with session_scope(self.engine) as session:
                record_failure(session=session, source_id=state.id, now=now, status=status, error=error,
                               next_poll_at=now + timedelta(seconds=delay), disable_reason=disable)
        except Exception:  # noqa: BLE001
            log.exception("recording the failure of %s failed", state.name)


def _is_expected(exc: Exception) -> bool:
    """Errors that describe the source, not a bug in Earful (no traceback for those)."""
    return type(exc).__name__.endswith(("FeedError", "SourceError"))
