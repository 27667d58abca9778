"""The fault-injection suite's short run (bench/bench_faults.py --short): three real workers on PostgreSQL,
killed in every phase, their connections terminated, Slack rate-limited, storming, failing and down; every
count that must be 0 is 0. About five minutes."""

from __future__ import annotations

import pytest

from bench.bench_faults import MUST_BE_ZERO, Plan, Suite
from tests.fixtures.database import POSTGRES_URL, _postgres_admin


@pytest.mark.slow
@pytest.mark.postgres
@pytest.mark.timeout(600)
def test_three_workers_under_every_fault_do_everything_exactly_once(tmp_path):
    if _postgres_admin() is None:
        pytest.skip(f"no PostgreSQL at {POSTGRES_URL}")
    suite = Suite(Plan.short(), tmp_path)
    try:
        result = suite.run()
    finally:
        suite.close()
    counts, faults = result["counts"], result["faults"]
    logs = "\n".join(result["log"] + [f"counts: {counts}", f"faults: {faults}",
                                      f"feed requests per 10 s: {result['polls_per_10s']}"])
    assert result["settled"], logs
    assert {name: counts[name] for name in MUST_BE_ZERO if counts[name]} == {}, logs
    # the run did what it says: work came out, and the faults it names happened
    assert counts["cases"] > 20 and counts["mentions stored"] == counts["brand items served"] > 100
    assert counts["digests posted"] == 1 and counts["reminders owed"] >= 1
    assert faults["kill -9"] >= 4, logs
    assert faults["killed before a post"] == faults["killed after a post, before it was recorded"] == 1, logs
    assert "stores mentions (inside the transaction)" in logs and "polls feeds" in logs, logs
    assert faults.get("outage answers (503)", 0) > 0
