"""Parsing, matching and scoring in worker processes, so a large poll uses every core.

Parsing a feed and scoring its items are pure Python and most of the cost of ingesting an item; threads cannot
run them in parallel. Big batches go to a pool of processes, each holding its own Pipeline: a fetched feed is
sent as its raw bytes (cheap to hand over) and comes back as rows ready to store. Small batches (most polls of
a running instance) stay in the calling thread, where the pool's start-up and hand-over would cost more than
they save.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import threading
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from datetime import datetime

from monitors.config import Config
from monitors.ingest.pipeline import Pipeline
from monitors.scoring.adapt import NONE, Correction
from monitors.heap import settle_after_startup
from monitors.ingest.sources.base import PollResult
from monitors.ingest.sources.feed import parsed
from storage.rows import NewMention

POOL_MIN_ITEMS = 200  # below this a batch is prepared in the calling thread
POOL_MIN_BYTES = 100_000  # an unparsed feed this big (about 200 items) goes to the pool
# Scoring processes yield the CPU to the process that started them. That one stores every batch, one at a time,
# and (in `earful run`) answers Slack within its 3-second limit; at equal priority the scheduler shares the cores
# out evenly, so it fell behind during a big poll and stored its backlog alone at the end while the scoring
# processes sat idle. Niceness 10 gives it about ten times their weight whenever it wants to run.
WORKER_NICENESS = 10

_worker_pipeline: Pipeline | None = None

log = logging.getLogger(__name__)


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
    # Ctrl-C in a terminal reaches every process of the group; stopping is the parent's to decide (it shuts the
    # pool down), and a worker's own KeyboardInterrupt would only print a traceback
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _worker_pipeline = Pipeline(config, brand_ids)
    _worker_pipeline.warm_up()  # now, not in the middle of the first batch
    settle_after_startup()
    lower_priority(WORKER_NICENESS)  # after starting up: the poll is waiting for this process to be ready


def lower_priority(increment: int) -> None:
    """Make this process nicer (where the platform has niceness); it cannot be undone, and need not be."""
    if hasattr(os, "nice"):
        try:
            os.nice(increment)
        except OSError:  # not permitted here (some sandboxes); scoring still works, only less politely
            pass


def _prepare_in_worker(result: PollResult, brand_names: list[str], now: datetime,
                       correction: Correction = NONE) -> Prepared:
    assert _worker_pipeline is not None, "worker started without a pipeline"
    _worker_pipeline.correction = correction  # the calling process's, which it refreshes every cycle
    return prepare(_worker_pipeline, result, brand_names, now)


def _worker_context() -> multiprocessing.context.BaseContext:
    """Not fork: the parent runs threads (scheduler, Slack socket), and forking those is unsafe. Where it exists,
    a fork server: a fresh, single-threaded process that imports and builds what scoring needs once
    (monitors.ingest.prewarm), from which each worker is forked ready, instead of starting Python and doing it all
    again (about half a second of CPU per worker). Elsewhere, spawn."""
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["monitors.ingest.prewarm"])
    return context


def default_processes() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def _is_big(result: PollResult) -> bool:
    if result.document is not None:
        return len(result.document.body) >= POOL_MIN_BYTES
    return len(result.mentions) >= POOL_MIN_ITEMS


class ScoringPool:
    """Prepares big batches in worker processes, and everything else (or everything, with one process) in the
    calling thread.

    The processes start in the background on the first big batch: a fork server has to import parsing and
    scoring and build the cue matcher first, a third of a second or more. Until they are up, big batches are
    prepared in the calling thread, which would otherwise sit waiting for them."""

    def __init__(self, pipeline: Pipeline, *, processes: int | None = None):
        self.pipeline = pipeline
        self.processes = default_processes() if processes is None else processes
        self._starting: Future | None = None  # of the ProcessPoolExecutor, once its processes are up

    def submit(self, result: PollResult, *, brand_names: list[str], now: datetime) -> Future:
        """A future of the Prepared items of one poll."""
        if self.processes > 1 and _is_big(result):
            pool = self._started()
            if pool is not None:
                try:
                    return pool.submit(_prepare_in_worker, result, brand_names, now, self.pipeline.correction)
                except BrokenProcessPool:  # a worker died (killed, out of memory): start afresh, this one here
                    self.close()
                    self._started()
        future: Future = Future()
        try:
            future.set_result(prepare(self.pipeline, result, brand_names, now))
        except Exception as exc:  # noqa: BLE001 - handed to whoever reads the future
            future.set_exception(exc)
        return future

    def wait_until_started(self, timeout: float | None = None) -> bool:
        """Start the processes if they are not running, and wait for them; False if they did not come up."""
        if self.processes <= 1:
            return False
        self._started()
        assert self._starting is not None
        try:
            self._starting.result(timeout)
        except Exception:  # noqa: BLE001 - a timeout, or processes that cannot start (logged by _start)
            return False
        return True

    def _started(self) -> ProcessPoolExecutor | None:
        """The pool if its processes are up; otherwise None, starting them in the background if nobody has."""
        if self._starting is None:
            self._starting = Future()
            threading.Thread(target=self._start, args=(self._starting,), name="scoring-start", daemon=True).start()
        if not self._starting.done():
            return None
        if self._starting.exception() is not None:
            return None  # logged once by _start; every batch is prepared in this process instead
        return self._starting.result()

    def _start(self, starting: Future) -> None:
        pool = None
        try:
            pool = ProcessPoolExecutor(
                max_workers=self.processes, mp_context=_worker_context(),
                initializer=_start_worker, initargs=(self.pipeline.config, self.pipeline.brand_ids),
            )
            # a task per process makes the pool start them all now (the first blocks until the fork server is
            # up), not one by one as batches come, and waits until they are ready
            for probe in [pool.submit(os.getpid) for _ in range(self.processes)]:
                probe.result()
        except Exception as exc:  # noqa: BLE001 - e.g. no semaphores in a sandbox, or a worker that cannot start
            log.warning("scoring processes could not start (%s); scoring in this process instead", exc)
            if pool is not None:
                pool.shutdown(wait=False, cancel_futures=True)
            starting.set_exception(exc)
            return
        starting.set_result(pool)

    def close(self, *, at_once: bool = False) -> None:
        """Shut the processes down; `at_once` (Earful is stopping) ends them without finishing their batches."""
        starting, self._starting = self._starting, None
        if starting is not None:
            try:
                pool = starting.result()
            except Exception:  # noqa: BLE001 - it never started
                return
            if at_once:
                # a batch in a worker can take seconds; its results are not wanted any more. SIGTERM ends a worker
                # quietly, and the pool then settles what it held as broken
                for process in list((getattr(pool, "_processes", None) or {}).values()):
                    process.terminate()
            pool.shutdown(wait=True, cancel_futures=True)
