"""Fault-injection suite: several `earful run` workers on one PostgreSQL, killed and starved, must still do
everything exactly once.

    .venv/bin/python bench/bench_faults.py            # 2,000 feeds, 3 workers, about 20 minutes
    .venv/bin/python bench/bench_faults.py --short    # 150 feeds, 3 workers, about 5 minutes (tests/test_faults.py)
    .venv/bin/python bench/bench_faults.py --cycles   # 2,000-source poll cycle and 304 cycle, 1 and 3 workers

Real parts: a fresh database on the PostgreSQL at EARFUL_TEST_POSTGRES_URL, real worker processes, feeds over
local HTTP (bench/faults/world.py), a Slack stand-in over real HTTP with rate limits and the faults in
bench/faults/slack.py. While the workers run, the suite (as the team would) claims every fourth case, and
injects, one after another: kill -9 of a worker while it polls, while it stores mentions, while it posts, and
after a post before it is recorded; kill -9 at random moments; every database connection terminated
(pg_terminate_backend); a 429 storm; a burst of 500s; a Slack outage; and all the time some 500s, lost answers
and late answers. Then the faults stop, publishing stops, and the workers get time to catch up; the counts in
bench/faults/checks.py are taken and written to bench/results/faults[_short].json. Exit 1 when a count that
must be 0 is not.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import asdict, dataclass, replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

from bench.faults.checks import Timing, count, polls_per_10s  # noqa: E402
from bench.faults.slack import FaultySlack  # noqa: E402
from bench.faults.workers import SIGNING_SECRET, Supervisor, Worker, free_port  # noqa: E402
from bench.faults.world import FeedWorld  # noqa: E402
from storage.db import make_engine, migrate  # noqa: E402
from tests.fixtures.feed_server import FeedServer  # noqa: E402

POSTGRES_URL = os.environ.get("EARFUL_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
RESULTS = ROOT / "bench" / "results"
AGENTS = ["UAGENT1", "UAGENT2", "UAGENT3"]
# counts that must be 0 for the run to pass
MUST_BE_ZERO = [
    "served, never stored (lost)", "stored twice", "complaints without a case", "cases without a card",
    "cases with more than one card", "messages posted more than once (extra copies)",
    "due cases never escalated (starved)", "follow-ups overdue (starved)", "escalations recorded, never sent",
    "reminders missing", "outbox rows still pending", "outbox rows given up (failed)",
    "sources not polled within two intervals",
]


@dataclass(frozen=True)
class Plan:
    feeds: int
    workers: int
    interval: int           # s between polls of a source
    publish_every: tuple[float, float]  # s between a feed's new items
    sla: int
    escalation_repeat: int
    sweep: int
    fault_times: dict[str, float]  # fault name -> s after the start
    outage: float
    storm: float
    burst_of_500s: float
    random_kills: int
    faults_end: float
    catch_up: float         # at most this long for the workers to finish after the faults

    @classmethod
    def full(cls) -> "Plan":
        return cls(feeds=2000, workers=3, interval=120, publish_every=(360, 1200), sla=180, escalation_repeat=240,
                   sweep=30, fault_times={"poll": 50, "store": 90, "post": 130, "record": 170, "database": 210,
                                          "storm": 240, "500s": 290, "outage": 330},
                   outage=180, storm=30, burst_of_500s=30, random_kills=5, faults_end=600, catch_up=420)

    @classmethod
    def short(cls) -> "Plan":
        return cls(feeds=150, workers=3, interval=75, publish_every=(40, 90), sla=60, escalation_repeat=30,
                   sweep=5, fault_times={"poll": 10, "store": 16, "post": 24, "record": 32, "database": 40,
                                         "storm": 46, "500s": 54, "outage": 62},
                   outage=20, storm=6, burst_of_500s=6, random_kills=1, faults_end=90, catch_up=180)


def write_config(path: Path, plan: Plan, world: FeedWorld, worker: str, digest_at: datetime) -> None:
    sources = "".join(f'[[sources]]\nname = "feed-{f.number}"\nkind = "feed"\nurl = "{world.url(f)}"\n'
                      f'interval = "{plan.interval}s"\n' for f in world.feeds)
    path.write_text(f"""
[[brands]]
name = "Acme"
query = 'acme OR @acme'

{sources}
[slack]
support_channel = "#earful-support"
escalation_channel = "#earful-escalations"
digest_channel = "#earful-digest"
flood_threshold = 1000
messages_per_second = 3.0

[complaints]
sla = "{plan.sla}s"
escalation_repeat = "{plan.escalation_repeat}s"
max_age = "3650d"

[schedule]
timezone = "UTC"
digest_time = "{digest_at:%H:%M}"
outbox_interval = "3s"
sla_sweep_interval = "{plan.sweep}s"
spike_check_interval = "60s"

[spikes]
settle = "30s"

[fetch]
contact = "{worker}@faults.test"
per_host = 8
timeout = "10s"

[ingest]
processes = 1
""")


# While the switch is on, the next insert of mentions turns it off and sleeps two seconds: that one store's
# transaction is then open long enough for a kill to land inside it (stores are otherwise over in milliseconds),
# and no other store is slowed. Earful never reads this table.
SLOW_STORE_SWITCH = """
CREATE TABLE fault_switch (slow_store boolean NOT NULL);
INSERT INTO fault_switch VALUES (false);
CREATE FUNCTION fault_slow_store() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF (SELECT slow_store FROM fault_switch) THEN
        UPDATE fault_switch SET slow_store = false;
        PERFORM pg_sleep(2);
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER fault_slow_store AFTER INSERT ON mention FOR EACH STATEMENT EXECUTE FUNCTION fault_slow_store();
"""


class Database:
    """A database of the suite's own on the PostgreSQL server, dropped at the end."""

    def __init__(self) -> None:
        self.admin = make_engine(POSTGRES_URL).execution_options(isolation_level="AUTOCOMMIT")
        self.name = f"earful_faults_{uuid.uuid4().hex[:8]}"
        with self.admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{self.name}"'))
        self.url = make_engine(POSTGRES_URL).url.set(database=self.name).render_as_string(hide_password=False)
        self.engine = make_engine(self.url)
        migrate(self.engine)
        with self.engine.begin() as conn:  # a switch that holds the next store open, so a kill lands inside it
            conn.execute(sa.text(SLOW_STORE_SWITCH))

    def worker_url(self, worker: str) -> str:
        return f"{self.url}?application_name={worker}"

    def terminate_connections(self) -> int:
        with self.admin.connect() as conn:
            return conn.execute(sa.text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = :name AND pid <> pg_backend_pid()"), {"name": self.name}).scalar()

    def slow_next_store(self, on: bool) -> None:
        with self.engine.begin() as conn:
            conn.execute(sa.text("UPDATE fault_switch SET slow_store = :on"), {"on": on})

    def storing(self) -> list[str]:
        """Workers held inside a store's transaction by the switch: their insert of mentions is sleeping."""
        with self.admin.connect() as conn:
            return list(conn.execute(sa.text(
                "SELECT application_name FROM pg_stat_activity WHERE datname = :name AND state = 'active' "
                "AND wait_event = 'PgSleep' AND query ILIKE 'insert into mention %'"), {"name": self.name}).scalars())

    def drop(self) -> None:
        self.engine.dispose()
        with self.admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))
        self.admin.dispose()


class Team:
    """Support staff: claim every fourth case soon after it opens, as a Claim button press would."""

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine
        self.claimed = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._work, name="team", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(10)

    def _work(self) -> None:
        from sqlmodel import Session

        from storage.cases import claim

        while not self._stop.wait(3):
            try:
                with Session(self.engine) as session:
                    ids = session.execute(sa.text(
                        "SELECT id FROM \"case\" WHERE status = 'open' AND id % 4 = 0 ORDER BY id")).scalars().all()
                    for case_id in ids:
                        claim(session=session, case_id=case_id, user=AGENTS[case_id % len(AGENTS)],
                              now=datetime.now(timezone.utc))
                        session.commit()
                        self.claimed += 1
            except sa.exc.OperationalError:
                pass  # the suite itself terminated the connection; try again on the next round


class Suite:
    def __init__(self, plan: Plan, workdir: Path) -> None:
        self.plan, self.workdir = plan, workdir
        self.database = Database()
        self.feeds = FeedServer().start()
        self.world = FeedWorld.build(self.feeds, plan.feeds, period=plan.publish_every)
        names = [f"w{i + 1}" for i in range(plan.workers)]
        self.slack = FaultySlack(names).start()
        for channel in ("earful-support", "earful-escalations", "earful-digest"):
            self.slack.add_channel(channel)
        for agent in AGENTS:
            self.slack.add_user(agent)
            self.slack.add_channel(agent, id=agent)  # a direct message to the agent
        now = datetime.now(timezone.utc)
        self.digest_at = (now + timedelta(seconds=plan.fault_times["storm"])).replace(second=0, microsecond=0)
        workers = []
        for name in names:
            config = workdir / f"{name}.toml"
            write_config(config, plan, self.world, name, self.digest_at)
            env = dict(os.environ, SLACK_BOT_TOKEN=self.slack.token_for(name), SLACK_API_URL=self.slack.url,
                       SLACK_SIGNING_SECRET=SIGNING_SECRET, PORT=str(free_port()),
                       DATABASE_URL=self.database.worker_url(name))
            env.pop("SLACK_APP_TOKEN", None)
            workers.append(Worker(name, config, env, workdir / f"{name}.log"))
        self.supervisor = Supervisor(workers)
        self.slack.kill = lambda worker: self._kill(worker, None)
        self.team = Team(self.database.engine)
        self.log: list[str] = []
        self.started = 0.0
        self._random = random.Random(5)

    def say(self, line: str) -> None:
        stamp = f"[{time.time() - self.started:6.1f} s]" if self.started else "[setup]"
        self.log.append(f"{stamp} {line}")
        print(f"{stamp} {line}", flush=True)

    def _kill(self, worker: str, phase: str | None) -> None:
        if self.supervisor.kill(worker) and phase:
            self.say(f"kill -9 {worker} while it {phase}")

    # -- the run ---------------------------------------------------------------------------------------------

    def run(self) -> dict:
        plan = self.plan
        self.started = time.time()
        self.supervisor.start()
        self.team.start()
        self.slack.weather.error_rate, self.slack.weather.lost_rate, self.slack.weather.late_rate = 0.02, 0.02, 0.02
        faults = sorted(plan.fault_times.items(), key=lambda item: item[1])
        kills_at = sorted(self._random.uniform(20, plan.faults_end - 10) for _ in range(plan.random_kills))
        timeline = [(at, name) for name, at in faults] + [(at, "random kill") for at in kills_at]
        for at, name in sorted(timeline):
            self._sleep_until(at)
            self._inject(name)
        self._sleep_until(plan.faults_end)
        self.slack.weather.calm()
        self.world.freeze()
        self.say("faults over, publishing stopped: catching up")
        settled = self._catch_up()
        self.team.stop()
        self.supervisor.stop()
        checked = time.time()
        self.say(f"workers stopped ({'settled' if settled else 'NOT settled'} after the faults)")
        timing = Timing(started=self.started, checked=checked, poll_interval=plan.interval, sla=plan.sla,
                        remind_at=0.75, escalation_repeat=plan.escalation_repeat, sweep=plan.sweep)
        counts = count(self.database.engine, self.slack, self.world, timing)
        return {
            "plan": asdict(plan), "counts": counts, "faults": self._fault_counts(), "log": self.log,
            "seconds": round(checked - self.started), "settled": settled,
            "polls_per_10s": polls_per_10s(self.world, timing),
        }

    def _sleep_until(self, at: float) -> None:
        time.sleep(max(0.0, self.started + at - time.time()))

    def _inject(self, name: str) -> None:
        plan, weather = self.plan, self.slack.weather
        if name in ("post", "record"):
            self.slack.arm_kill(name)
            self.say(f"armed: kill -9 the next worker that posts ({'before' if name == 'post' else 'after'} the post)")
        elif name == "poll":
            self._in_background(self._kill_when, lambda: list(self.world.fetching_now()), "polls feeds")
        elif name == "store":
            self.database.slow_next_store(True)
            self._in_background(self._kill_when, self.database.storing, "stores mentions (inside the transaction)",
                                lambda: self.database.slow_next_store(False))
        elif name == "random kill":
            alive = self.supervisor.alive()
            if alive:
                self._kill(self._random.choice(alive), "runs (a random moment)")
        elif name == "database":
            self.say(f"pg_terminate_backend: {self.database.terminate_connections()} connections killed")
        elif name == "storm":
            weather.storm_until = time.monotonic() + plan.storm
            self.say(f"429 storm for {plan.storm:.0f} s")
        elif name == "500s":
            weather.error_rate = 0.5
            threading.Timer(plan.burst_of_500s, lambda: setattr(weather, "error_rate", 0.02)).start()
            self.say(f"half of all calls answer 500 for {plan.burst_of_500s:.0f} s")
        elif name == "outage":
            weather.outage_until = time.monotonic() + plan.outage
            self.say(f"Slack outage (every call 503) for {plan.outage:.0f} s")

    @staticmethod
    def _in_background(work, *args) -> None:
        # a kill waits for its moment; the timeline goes on meanwhile
        threading.Thread(target=work, args=args, daemon=True).start()

    def _kill_when(self, who: callable, phase: str, after=lambda: None, within: float = 90.0) -> None:
        deadline = time.monotonic() + within
        try:
            while time.monotonic() < deadline:
                candidates = [w for w in who() if w in self.supervisor.alive()]
                if candidates:
                    self._kill(candidates[0], phase)
                    return
                time.sleep(0.005)
            self.say(f"no worker {phase} within {within:.0f} s: no kill")
        finally:
            after()

    def _catch_up(self) -> bool:
        """Wait until every feed was polled after publishing stopped and the outbox is empty; then for one more
        SLA, follow-up interval and three sweeps, so what falls due late is sent too, and for the outbox to
        empty again. False when it did not within `catch_up` seconds (twice)."""
        frozen = self.world.frozen_at or time.time()

        def all_polled() -> bool:
            return all(any(h.at > frozen + 1 for h in self.world.hits.get(f.path, [])) for f in self.world.feeds)

        if not self._wait_for(lambda: all_polled() and self._outbox_pending() == 0 and not self.slack.armed()):
            return False
        wait = self.plan.sla + self.plan.escalation_repeat + 3 * self.plan.sweep
        self.say(f"caught up; {wait} s more for the clocks of the newest cases")
        time.sleep(wait)
        return self._wait_for(lambda: self._outbox_pending() == 0)

    def _wait_for(self, done) -> bool:
        deadline = time.time() + self.plan.catch_up
        while time.time() < deadline:
            if done():
                return True
            time.sleep(2)
        return False

    def _outbox_pending(self) -> int:
        try:
            with self.database.engine.connect() as conn:
                return conn.execute(sa.text("SELECT count(*) FROM outbox WHERE status = 'pending'")).scalar()
        except sa.exc.OperationalError:
            return -1

    def _fault_counts(self) -> dict[str, int]:
        workers = self.supervisor.workers
        return {
            "workers": len(workers), "kill -9": sum(w.kills for w in workers),
            "worker exits on their own": self.supervisor.exits, "claims by the team": self.team.claimed,
            **dict(self.slack.counts),
        }

    def close(self, keep_database: bool = False) -> None:
        # a run that failed or was interrupted (a test's timeout) must not leave its workers behind
        self.team.stop()
        self.supervisor.stop()
        self.slack.stop()
        self.feeds.stop()
        if keep_database:
            print(f"database kept: {self.database.url}")
        else:
            self.database.drop()


def measure_cycles(feeds: int, workers: int, workdir: Path) -> dict:
    """No faults: how long `workers` workers take to poll `feeds` sources once (each has new items: fetch,
    parse, score, store, open cases), and then once more when every one answers 304."""
    plan = replace(Plan.full(), feeds=feeds, workers=workers, interval=3600, publish_every=(1e9, 1e9),
                   fault_times={"storm": 600})
    suite = Suite(plan, workdir)
    try:
        suite.slack.weather.rate = suite.slack.weather.burst = 1000  # cards are not what is measured here
        suite.started = time.time()
        suite.supervisor.start()
        first = _all_polled(suite.world, since=suite.started, status=200)
        _every_source_recorded(suite.database.engine)
        with suite.database.engine.begin() as conn:  # every source due again, as if its interval came round
            conn.execute(sa.text("UPDATE source SET next_poll_at = now() - interval '1 second'"))
        due = time.time()
        second = _all_polled(suite.world, since=due, status=304)
        suite.supervisor.stop()
    finally:
        suite.close()
    return {"sources": feeds, "workers": workers,
            "first_cycle_seconds": round(first[1] - first[0], 1), "first_poll_after_start_seconds":
            round(first[0] - suite.started, 1), "not_modified_cycle_seconds": round(second[1] - due, 1)}


def _every_source_recorded(engine: sa.Engine, timeout: float = 300) -> None:
    """Wait until every source's poll is recorded and no lease is held (the workers have stored the cycle)."""
    deadline = time.time() + timeout
    query = sa.text("SELECT count(*) FROM source WHERE last_success_at IS NULL OR lease_owner IS NOT NULL")
    while time.time() < deadline:
        with engine.connect() as conn:
            if conn.execute(query).scalar() == 0:
                return
        time.sleep(0.5)
    raise RuntimeError("the workers did not record the first cycle")


def _all_polled(world: FeedWorld, *, since: float, status: int, timeout: float = 900) -> tuple[float, float]:
    """(first, last) moment of a hit with `status` after `since`, once every feed has one."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        with world._lock:
            firsts = [next((h.at for h in world.hits.get(f.path, []) if h.at > since and h.status == status), None)
                      for f in world.feeds]
        if all(firsts):
            return min(firsts), max(firsts)
        time.sleep(0.5)
    raise RuntimeError(f"not every source was polled within {timeout:.0f} s")


def table(result: dict) -> str:
    lines = ["| check | count |", "|---|---|"]
    for name, value in result["counts"].items():
        mark = " ✗" if name in MUST_BE_ZERO and value else ""
        lines.append(f"| {name} | {value:,}{mark} |")
    lines += ["", "| fault injected | count |", "|---|---|"]
    lines += [f"| {name} | {value:,} |" for name, value in result["faults"].items()]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--short", action="store_true", help="150 feeds and compressed faults, about 5 minutes")
    parser.add_argument("--keep", action="store_true", help="keep the suite's database to look into afterwards")
    parser.add_argument("--cycles", action="store_true", help="poll-cycle times of 2,000 sources, 1 and 3 workers")
    args = parser.parse_args(argv)
    if args.cycles:
        cycles = [measure_cycles(2000, workers, Path(tempfile.mkdtemp(prefix="earful-cycles-")))
                  for workers in (1, 3)]
        RESULTS.mkdir(exist_ok=True)
        (RESULTS / "poll_cycles.json").write_text(json.dumps(cycles, indent=1) + "\n")
        for row in cycles:
            print(row)
        return 0
    plan = Plan.short() if args.short else Plan.full()
    workdir = Path(tempfile.mkdtemp(prefix="earful-faults-"))
    suite = Suite(plan, workdir)
    try:
        result = suite.run()
    finally:
        suite.close(keep_database=args.keep)
    name = "faults_short" if args.short else "faults"
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{name}.json").write_text(json.dumps(result, indent=1) + "\n")
    print(table(result))
    print(f"worker logs: {workdir}")
    failing = [k for k in MUST_BE_ZERO if result["counts"].get(k)]
    if failing or not result["settled"]:
        print("FAILED: " + (", ".join(failing) or "the workers did not settle"), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
