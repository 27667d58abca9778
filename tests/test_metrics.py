"""Response-time statistics: pure aggregation on a known set of cases, the storage read, and `earful stats`."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from monitors.cases.response_times import CaseTimes, group_stats, median, percentile, short, stats_table
from storage import cases
from storage.case_times import case_times
from storage.db import session_scope
from storage.response_clock import record_response
from tests.test_cli import earful
from tests.test_response_clock import PUBLISHED, world

T = datetime(2026, 11, 7, 0, 0, tzinfo=timezone.utc)
M = timedelta(minutes=1)


def case(brand, agent, status, *, claim=None, reply=None, done=None, opened_after=0):
    return CaseTimes(brand=brand, agent=agent, status=status, started=T, opened_at=T + opened_after * M,
                     claimed_at=T + claim * M if claim is not None else None,
                     first_response_at=T + reply * M if reply is not None else None,
                     resolved_at=T + done * M if done is not None else None)


CASES = [
    case("Acme", "ann", "resolved", claim=10, reply=30, done=60, opened_after=5),
    case("Acme", "ann", "resolved", claim=20, reply=90, done=120),
    case("Acme", "bob", "claimed", claim=40, reply=None),
    case("Acme", None, "open"),
    case("Acme", "bob", "dismissed", claim=1, reply=2, done=3),  # counts in no measure
    case("Globex", "bob", "resolved", claim=5, reply=15, done=25),
]


def test_median_and_nearest_rank_p90():
    values = [timedelta(minutes=m) for m in (5, 1, 4, 2, 3)]
    assert median(values) == timedelta(minutes=3)
    assert median(values[:4]) == timedelta(minutes=3)  # (2 + 4) / 2 — 5, 1, 4, 2 sorted is 1, 2, 4, 5
    assert percentile(values, 0.9) == timedelta(minutes=5)
    assert percentile([timedelta(minutes=m) for m in range(1, 21)], 0.9) == timedelta(minutes=18)
    assert median([]) is None and percentile([], 0.9) is None


def test_per_brand():
    acme, globex = group_stats(CASES, by="brand")
    assert (acme.name, acme.cases) == ("Acme", 5)
    assert (acme.claim.count, acme.claim.median, acme.claim.p90) == (3, 20 * M, 40 * M)  # 5, 20, 40 from opening
    assert (acme.response.count, acme.response.median, acme.response.p90) == (2, 60 * M, 90 * M)
    assert (acme.resolve.count, acme.resolve.median) == (2, 90 * M)
    assert (globex.claim.median, globex.response.median, globex.resolve.p90) == (5 * M, 15 * M, 25 * M)


def test_per_agent_leaves_out_unclaimed():
    rows = {row.name: row for row in group_stats(CASES, by="agent")}
    assert sorted(rows) == ["ann", "bob"]
    assert rows["ann"].response.median == 60 * M and rows["bob"].response.count == 1
    assert rows["bob"].claim.count == 2  # 40 and 5; the dismissed case is not counted


def test_table_text():
    text = stats_table(CASES, since=T - timedelta(days=7), now=T)
    assert "last 7 days (6 cases opened)" in text
    assert "1h00m / 1h30m" in text and "Globex" in text and "ann" in text
    assert short(timedelta(days=2, hours=4, minutes=3)) == "2d04h" and short(None) == "–"


def test_storage_read_and_the_command(engine, database_url):
    first, second = world(engine, cases_wanted=2)
    with session_scope(engine) as session:
        cases.claim(session=session, case_id=first, user="UANN", now=PUBLISHED + 10 * M)
        record_response(session=session, case_id=first, actor="UANN", url=None, now=PUBLISHED + 45 * M)
        cases.resolve(session=session, case_id=first, user="UANN", now=PUBLISHED + 50 * M)
    with session_scope(engine) as session:
        rows = case_times(session=session, since=PUBLISHED - timedelta(days=1), brand="acme")
        assert case_times(session=session, since=PUBLISHED + M) == []
    times = {row.agent: row for row in rows}
    assert set(times) == {"UANN", None}
    assert times["UANN"].first_response_at - times["UANN"].started == 45 * M
    if database_url.startswith("sqlite"):
        done = earful("stats", "--since", "3650d", env={"DATABASE_URL": database_url})
        assert done.returncode == 0, done.stderr
        assert "Acme" in done.stdout and "UANN" in done.stdout and "45m / 45m" in done.stdout
        bad = earful("stats", "--since", "soon", env={"DATABASE_URL": database_url})
        assert bad.returncode == 2 and "--since" in bad.stderr
