"""Matching and scoring in worker processes, so a large poll uses every core.

VADER is pure Python and is most of the cost of ingesting an item; threads cannot run it in parallel. Big
batches go to a pool of processes, each holding its own Pipeline; small batches (most polls of a running
instance) stay in the calling thread, where the pool's start-up and pickling would cost more than they save.
"""

from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import Future, ProcessPoolExecutor
from datetime import datetime

from monitors.config import Config
from monitors.ingest import Pipeline
from monitors.sources.base import RawMention
from storage.mentions import NewMention

POOL_MIN_ITEMS = 200  # below this a batch is prepared in the calling thread

_worker_pipeline: Pipeline | None = None


def _start_worker(config: Config, brand_ids: dict[str, int]) -> None:
    global _worker_pipeline
    _worker_pipeline = Pipeline(config, brand_ids)


def _prepare_in_worker(items: list[RawMention], brand_names: list[str], now: datetime) -> list[NewMention]:
    assert _worker_pipeline is not None, "worker started without a pipeline"
    return _worker_pipeline.prepare(items, brand_names=brand_names, now=now)


def default_processes() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


class ScoringPool:
    def __init__(self, pipeline: Pipeline, *, processes: int | None = None):
        self.pipeline = pipeline
        self.processes = default_processes() if processes is None else processes
        self._pool: ProcessPoolExecutor | None = None

    def submit(self, items: list[RawMention], *, brand_names: list[str], now: datetime) -> Future:
        """A future of the prepared rows."""
        if self.processes > 1 and len(items) >= POOL_MIN_ITEMS:
            return self._executor().submit(_prepare_in_worker, items, brand_names, now)
        future: Future = Future()
        try:
            future.set_result(self.pipeline.prepare(items, brand_names=brand_names, now=now))
        except Exception as exc:  # noqa: BLE001 - handed to whoever reads the future
            future.set_exception(exc)
        return future

    def _executor(self) -> ProcessPoolExecutor:
        if self._pool is None:
            # spawn, not fork: the parent runs threads (scheduler, Slack socket), and forking those is unsafe
            self._pool = ProcessPoolExecutor(
                max_workers=self.processes, mp_context=multiprocessing.get_context("spawn"),
                initializer=_start_worker, initargs=(self.pipeline.config, self.pipeline.brand_ids),
            )
        return self._pool

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
