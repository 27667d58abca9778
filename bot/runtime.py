"""Wiring: from a config and the environment to a database, a poller, a dispatcher and a scheduler."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Callable

import sqlalchemy as sa
from apscheduler.schedulers.background import BackgroundScheduler

from bot.clock import utcnow
from bot.console import ConsoleDeliverer
from bot.dbguard import DatabaseGuard
from bot.metrics import ITEMS_INGESTED, POLL_CYCLE
from bot.outbox.delivery import Deliverer
from bot.outbox.dispatcher import Dispatcher
from monitors.config import Config, Secrets
from monitors.digest.run import enqueue_due, schedules
from monitors.cases.escalation import policy_of, sweep
from monitors.ingest.fetch import Fetcher, FetchSettings
from monitors.ingest.pipeline import Pipeline
from monitors.ingest.poller import Poller, SourceOutcome
from monitors.cases.replies.watch import ReplyWatch
from monitors.spikes.watch import SpikeWatch, worker_name
from monitors.sync import apply_config
from storage.cases import wake_snoozed
from storage.db import open_database, session_scope
from storage.jobs import claim_job
from storage.retention import prune
from storage.rollup import refresh_rollup

log = logging.getLogger(__name__)

POLL_TICK_SECONDS = 15  # how often to look for due sources; each source keeps its own interval
REPLY_TICK_SECONDS = 60  # how often to look for threads due a re-read; each case keeps its own interval
DIGEST_TICK_SECONDS = 60
RETENTION_TICK_SECONDS = 3600  # pruning runs once an hour (one worker does it)


@dataclass
class Runtime:
    config: Config
    secrets: Secrets
    engine: sa.Engine
    poller: Poller
    fetcher: Fetcher
    clock: Callable[[], datetime] = utcnow
    dispatcher: Dispatcher | None = None
    scheduler: BackgroundScheduler | None = field(default=None, repr=False)
    reply_watch: ReplyWatch | None = field(default=None, repr=False)
    spike_watch: SpikeWatch | None = field(default=None, repr=False)
    # told after each source of a poll cycle: (outcome, done, total); `earful run` shows long cycles' progress
    on_poll_progress: Callable[[SourceOutcome, int, int], None] | None = field(default=None, repr=False)
    # one shared pause for every job while the database is unreachable
    db_guard: DatabaseGuard = field(default_factory=DatabaseGuard, repr=False)

    @classmethod
    def build(cls, config: Config, secrets: Secrets, *, clock: Callable[[], datetime] = utcnow) -> "Runtime":
        engine = open_database(secrets.database_url)
        brand_ids = apply_config(engine, config, now=clock())
        fetcher = Fetcher(FetchSettings.from_config(config.fetch))
        poller = Poller(engine, Pipeline(config, brand_ids), fetcher, workers=config.fetch.workers,
                        processes=config.ingest.processes or None)
        return cls(config=config, secrets=secrets, engine=engine, poller=poller, fetcher=fetcher, clock=clock)

    def attach(self, deliverer: Deliverer) -> Dispatcher:
        self.dispatcher = Dispatcher(self.engine, deliverer, self.config.slack)
        return self.dispatcher

    def attach_console(self) -> Dispatcher:
        return self.attach(ConsoleDeliverer())

    # jobs: each reads the clock once and hands `now` down --------------------------------------------------

    def poll_job(self) -> None:
        started = time.monotonic()
        outcomes = self.poller.poll_due(self.clock(), on_progress=self.on_poll_progress)
        if outcomes:  # a tick with nothing due is not a cycle
            POLL_CYCLE.observe(time.monotonic() - started)
            ITEMS_INGESTED.inc(sum(outcome.fetched for outcome in outcomes))
        for outcome in outcomes:
            if outcome.error:
                log.warning("source %s: %s", outcome.name, outcome.error)
        if outcomes and self.dispatcher:
            self.wake_outbox()  # new cards go out now rather than at the next outbox tick

    def wake_outbox(self) -> None:
        """Run the outbox job now on its own thread (the scheduler's), so the caller does not wait for every
        send: a poll, a sweep or a digest would otherwise hold its next tick until the queue drained. Without a
        running scheduler (a direct call), it sends inline."""
        if self.scheduler is not None and self.scheduler.running:
            try:
                self.scheduler.modify_job("outbox", next_run_time=datetime.now(self.scheduler.timezone))
                return
            except Exception:  # noqa: BLE001 - the job is gone (shutting down): nothing more to send now
                return
        self.outbox_job()

    def outbox_job(self) -> None:
        if self.dispatcher is not None:
            while self.dispatcher.run_once(self.clock()):
                pass

    def sweep_job(self) -> None:
        now = self.clock()
        with session_scope(self.engine) as session:
            wake_snoozed(session=session, now=now)
        # reminders and escalations: each exactly once, whichever worker's sweep gets there first
        with session_scope(self.engine) as session:
            swept = sweep(session=session, policy=policy_of(self.config.complaints), slack=self.config.slack,
                          now=now)
        if (swept.reminded or swept.escalated or swept.backlog) and self.dispatcher is not None:
            self.wake_outbox()

    def reply_job(self) -> None:
        """Re-read unanswered cases' public threads for the brand's own replies."""
        if self.reply_watch is None:
            self.reply_watch = ReplyWatch(self.engine, self.fetcher, interval=timedelta(
                seconds=self.config.complaints.reply_check_interval))
        result = self.reply_watch.run_once(self.clock())
        if result.answered and self.dispatcher is not None:
            self.wake_outbox()

    def digest_job(self) -> None:
        """Bring the mention rollup up to date, then enqueue the digests that are due (exactly once across
        workers; a missed one goes out late) and send them."""
        now = self.clock()
        while True:
            with session_scope(self.engine) as session:
                if not refresh_rollup(session=session, now=now):
                    break
        with session_scope(self.engine) as session:
            enqueued = enqueue_due(session=session, schedules=schedules(self.config), now=now,
                                   owner=worker_name())
        if enqueued and self.dispatcher is not None:
            self.wake_outbox()

    def retention_job(self) -> None:
        """Prune old mentions, sent outbox rows and closed cases' old events, once an hour across workers.
        Never within the spike detector's history, which it relearns its baselines from."""
        now = self.clock()
        keep = max(timedelta(days=self.config.schedule.retention_days), timedelta(seconds=self.config.spikes.history))
        with session_scope(self.engine) as session:
            if not claim_job(session=session, job="retention", period=now.strftime("%Y-%m-%dT%H"),
                             owner=worker_name(), now=now):
                return
        pruned = prune(self.engine, now=now, mentions_before=now - keep)
        if pruned.mentions or pruned.outbox or pruned.events:
            log.info("pruned %d mentions, %d outbox rows and %d events older than their keep",
                     pruned.mentions, pruned.outbox, pruned.events)

    def spike_job(self) -> None:
        """Judge each own brand's newly settled buckets of negative mentions; a new alert goes out now."""
        if self.spike_watch is None:  # keeps each brand's detector in memory between runs
            self.spike_watch = SpikeWatch(self.engine, self.config, owner=worker_name())
        if self.spike_watch.check(self.clock()) and self.dispatcher is not None:
            self.wake_outbox()

    def start_scheduler(self) -> BackgroundScheduler:
        schedule = self.config.schedule
        guard = self.db_guard.wrap  # while the database is unreachable, every job pauses calmly
        scheduler = BackgroundScheduler(timezone=schedule.timezone, job_defaults={
            "coalesce": True, "max_instances": 1, "misfire_grace_time": 60})
        scheduler.add_job(guard(self.poll_job), "interval", seconds=POLL_TICK_SECONDS, id="poll",
                          next_run_time=self.clock())
        scheduler.add_job(guard(self.outbox_job), "interval", seconds=schedule.outbox_interval, id="outbox")
        scheduler.add_job(guard(self.sweep_job), "interval", seconds=schedule.sla_sweep_interval, id="sweep")
        scheduler.add_job(guard(self.reply_job), "interval", seconds=REPLY_TICK_SECONDS, id="replies")
        scheduler.add_job(guard(self.spike_job), "interval", seconds=schedule.spike_check_interval, id="spikes",
                          next_run_time=self.clock())
        # checked every minute rather than fired once at the digest time, so a worker that was down catches up
        scheduler.add_job(guard(self.digest_job), "interval", seconds=DIGEST_TICK_SECONDS, id="digest",
                          next_run_time=self.clock())
        scheduler.add_job(guard(self.retention_job), "interval", seconds=RETENTION_TICK_SECONDS, id="retention")
        scheduler.start()
        self.scheduler = scheduler
        return scheduler

    def stop(self) -> None:
        """Ask every job to end now (Ctrl-C): a poll drops its fetches and hands its sources back, the outbox
        finishes the send it is in and hands the rest back. close() then waits only for that."""
        self.poller.stop()
        if self.dispatcher is not None:
            self.dispatcher.stop()

    def close(self) -> None:
        if self.scheduler is not None and self.scheduler.running:
            self.scheduler.shutdown(wait=True)
        if self.dispatcher is not None:
            self.dispatcher.wait_idle(timeout=15)  # a send on another thread (a click's card update)
        self.poller.close()
        self.fetcher.close()
        self.engine.dispose()
