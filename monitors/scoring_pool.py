"""Parsing, matching and scoring in worker processes, so a large poll uses every core.

Parsing a feed and scoring its items are pure Python and most of the cost of ingesting an item; threads cannot
run them in parallel. Big batches go to a pool of processes, each holding its own Pipeline: a fetched feed is
sent as its raw bytes (cheap to hand over) and comes back as rows ready to store. Small batches (most polls of
a running instance) stay in the calling thread, where the pool's start-up and hand-over would cost more than
they save.
"""

from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from datetime import datetime

from monitors.config import Config
from monitors.ingest import Pipeline
from monitors.heap import settle_after_startup
from monitors.sources.base import PollResult
from monitors.sources.feed import parsed
from storage.rows import NewMention

POOL_MIN_ITEMS = 200  # below this a batch is prepared in the calling thread
POOL_MIN_BYTES = 100_000  # an unparsed feed this big (about 200 items) goes to the pool
# Scoring processes yield the CPU to the process that started them. That one stores every batch, one at a time,
# and (in `earful run`) answers Slack within its 3-second limit; at equal priority the scheduler shares the cores
# out evenly, so it fell behind during a big poll and stored its backlog alone at the end while the scoring
# processes sat idle. Niceness 10 gives it about ten times their weight whenever it wants to run.
WORKER_NICENESS = 10

_worker_pipeline: Pipeline | None = None


@dataclass
class Prepared:
    """A poll's items, ready to store."""

    rows: list[NewMention]
    fetched: int  # items the source returned, matching or not
    warnings: list[str]


def prepare(pipeline: Pipeline, result: PollResult, brand_names: list[str], now: datetime) -> Prepared:
    """Parse (if the result still holds a document) and prepare; raises ContentError for a body that is no feed."""
    result = parsed(result, now=now)
    rows = pipeline.prepare(result.mentions, brand_names=brand_names, now=now)
    return Prepared(rows=rows, fetched=len(result.mentions), warnings=list(result.warnings))


def _start_worker(config: Config, brand_ids: dict[str, int]) -> None:
    global _worker_pipeline
    lower_priority(WORKER_NICENESS)
    _worker_pipeline = Pipeline(config, brand_ids)
    _worker_pipeline.warm_up()  # now, not in the middle of the first batch
    settle_after_startup()


def lower_priority(increment: int) -> None:
    """Make this process nicer (where the platform has niceness); it cannot be undone, and need not be."""
    if hasattr(os, "nice"):
        try:
            os.nice(increment)
        except OSError:  # not permitted here (some sandboxes); scoring still works, only less politely
            pass


def _prepare_in_worker(result: PollResult, brand_names: list[str], now: datetime) -> Prepared:
    assert _worker_pipeline is not None, "worker started without a pipeline"
    return prepare(_worker_pipeline, result, brand_names, now)


def _worker_context() -> multiprocessing.context.BaseContext:
    """Not fork: the parent runs threads (scheduler, Slack socket), and forking those is unsafe. Where it exists,
    a fork server: a fresh, single-threaded process that imports and builds what scoring needs once
    (monitors.prewarm), from which each worker is forked ready, instead of starting Python and doing it all
    again (about half a second of CPU per worker). Elsewhere, spawn."""
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["monitors.prewarm"])
    return context


def default_processes() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def _is_big(result: PollResult) -> bool:
    if result.document is not None:
        return len(result.document.body) >= POOL_MIN_BYTES
    return len(result.mentions) >= POOL_MIN_ITEMS


class ScoringPool:
    def __init__(self, pipeline: Pipeline, *, processes: int | None = None):
        self.pipeline = pipeline
        self.processes = default_processes() if processes is None else processes
        self._pool: ProcessPoolExecutor | None = None

    def submit(self, result: PollResult, *, brand_names: list[str], now: datetime) -> Future:
        """A future of the Prepared items of one poll."""
        if self.processes > 1 and _is_big(result):
            try:
                return self._executor().submit(_prepare_in_worker, result, brand_names, now)
            except BrokenProcessPool:  # a worker died (killed, out of memory): start a fresh pool once
                self.close()
                return self._executor().submit(_prepare_in_worker, result, brand_names, now)
        future: Future = Future()
        try:
            future.set_result(prepare(self.pipeline, result, brand_names, now))
        except Exception as exc:  # noqa: BLE001 - handed to whoever reads the future
            future.set_exception(exc)
        return future

    def _executor(self) -> ProcessPoolExecutor:
        if self._pool is None:
            self._pool = ProcessPoolExecutor(
                max_workers=self.processes, mp_context=_worker_context(),
                initializer=_start_worker, initargs=(self.pipeline.config, self.pipeline.brand_ids),
            )
        return self._pool

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
