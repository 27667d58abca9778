"""Source leases are short, renewed while a poll is in progress, and handed back when a cycle stops early; a killed
worker's sources are polled again soon (SQLite and PostgreSQL, feeds over real HTTP, a worker killed with -9)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from monitors.ingest.poller import SOURCE_LEASE
from storage.models import Source
from tests.test_poll import COMPLAINT, NOW, make_poller, rss, table

ROOT = Path(__file__).resolve().parents[1]

WORKER = textwrap.dedent("""
    import random, sys
    from datetime import datetime, timezone
    from monitors.configure import parse_config
    from monitors.ingest.fetch import Fetcher, FetchSettings
    from monitors.ingest.pipeline import Pipeline
    from monitors.ingest.poller import Poller
    from monitors.sync import apply_config
    from storage.db import make_engine

    url, base, now = sys.argv[1], sys.argv[2], datetime.fromisoformat(sys.argv[3])
    config = parse_config({
        "brands": [{"name": "Acme", "query": "acme"}],
        "sources": [{"name": f"s{n}", "kind": "feed", "url": f"{base}/slow{n}.xml"} for n in range(3)],
    })
    engine = make_engine(url)
    poller = Poller(engine, Pipeline(config, apply_config(engine, config, now=now)),
                    Fetcher(FetchSettings(timeout=60)), workers=4, owner="doomed", rng=random.Random(1))
    poller.poll_due(now)
""")


def slow_sources(engine, feed_server, delay: float):
    for n in range(3):
        feed_server.route(f"/slow{n}.xml", rss((f"{n}", COMPLAINT)), content_type="application/rss+xml",
                          delay=delay)
    return make_poller(engine, feed_server, [
        {"name": f"s{n}", "kind": "feed", "url": feed_server.url(f"/slow{n}.xml")} for n in range(3)])


def test_a_killed_workers_sources_are_polled_again_within_the_short_lease(engine, feed_server, tmp_path):
    # Leases were 10 minutes with no heartbeat: one crash left up to 1,000 sources unpolled that long.
    survivor = slow_sources(engine, feed_server, delay=30)
    script = tmp_path / "worker.py"
    script.write_text(WORKER)
    worker = subprocess.Popen([sys.executable, str(script), str(engine.url.render_as_string(hide_password=False)),
                               feed_server.base_url, NOW.isoformat()], cwd=ROOT,
                              env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        deadline = time.monotonic() + 60
        while feed_server.active < 1:  # it is fetching (a host gets few connections at a time)
            assert worker.poll() is None and time.monotonic() < deadline
            time.sleep(0.05)
        assert {s.lease_owner for s in table(engine, Source)} == {"doomed"}
    finally:
        worker.send_signal(signal.SIGKILL)
        worker.wait()
    for n in range(3):
        feed_server.route(f"/slow{n}.xml", rss((f"{n}", COMPLAINT)), content_type="application/rss+xml")
    assert survivor.poll_due(NOW + SOURCE_LEASE / 3) == []  # the dead worker's lease still holds...
    # ...but not for long: 45 s on, its sources are polled again (the 90-s lease held them beyond two intervals
    # of a 30-s source in the fault suite; a lease now lasts 30 s, renewed every 10 s while work goes on)
    later = NOW + timedelta(seconds=45)
    outcomes = survivor.poll_due(later)
    assert sorted(o.name for o in outcomes) == ["s0", "s1", "s2"] and not [o for o in outcomes if o.error]
    assert all(s.lease_owner is None and s.last_success_at == later for s in table(engine, Source))
    survivor.fetcher.close()


def test_a_poll_slower_than_its_lease_keeps_its_sources_by_heartbeat(engine, feed_server):
    poller = slow_sources(engine, feed_server, delay=3)
    poller.lease = timedelta(seconds=1.5)
    other = make_poller(engine, feed_server, [
        {"name": f"s{n}", "kind": "feed", "url": feed_server.url(f"/slow{n}.xml")} for n in range(3)])
    other.owner = "another worker"
    start = datetime.now(timezone.utc)
    done: list = []
    polling = threading.Thread(target=lambda: done.append(poller.poll_due(start)))
    polling.start()
    time.sleep(2.2)  # past the first lease: only the heartbeat keeps the sources
    assert other.poll_due(start + timedelta(seconds=2.2)) == []
    polling.join()
    assert sorted(o.name for o in done[0]) == ["s0", "s1", "s2"]
    assert [feed_server.hits(f"/slow{n}.xml") for n in range(3)] == [1, 1, 1]  # each fetched once
    assert all(s.lease_owner is None for s in table(engine, Source))
    poller.fetcher.close()
    other.fetcher.close()


def test_a_cycle_stopped_midway_hands_back_the_leases_it_has_not_settled(engine, feed_server):
    feed_server.route("/fast.xml", rss(("f", COMPLAINT)), content_type="application/rss+xml")
    for n in range(2):
        feed_server.route(f"/slow{n}.xml", rss((f"{n}", COMPLAINT)), content_type="application/rss+xml",
                          delay=1)
    poller = make_poller(engine, feed_server, [{"name": "fast", "kind": "feed", "url": feed_server.url("/fast.xml")}]
                         + [{"name": f"s{n}", "kind": "feed", "url": feed_server.url(f"/slow{n}.xml")}
                            for n in range(2)])

    def interrupted(outcome, done, total):  # Ctrl-C arrives while the slow ones are still being fetched
        raise KeyboardInterrupt

    try:
        poller.poll_due(NOW, on_progress=interrupted)
        raise AssertionError("the interrupt did not come through")
    except KeyboardInterrupt:
        pass
    leases = {s.name: s.lease_owner for s in table(engine, Source)}
    assert leases == {"fast": None, "s0": None, "s1": None}
    again = poller.poll_due(NOW + timedelta(seconds=15))  # due at once, not after the lease
    assert sorted(o.name for o in again) == ["s0", "s1"]
    poller.fetcher.close()
