"""Digest benchmark: compose the managers' digest over a database of 1,000,000 mentions, on SQLite and PostgreSQL.

Builds a year of mentions for six brands (three of them competitors) from twenty sources, with cases, audit
events and spike alerts, using bulk Core inserts. Then times `monitors.digest.run.gather` (every query plus the
pure composition) for the daily and the weekly digest, median of several runs, and the chart rendering apart.
PostgreSQL gets a database of its own, created here and dropped afterwards.

    python bench/bench_digest.py [--mentions 1000000] [--runs 7] [--postgres URL | --no-postgres]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

from storage.db import make_engine, migrate, session_scope  # noqa: E402
from storage.models import Brand, Case, Event, Mention, MentionBrand, Source, SpikeAlert  # noqa: E402
from storage.rollup import refresh_rollup  # noqa: E402

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=timezone.utc)  # a Monday: the weekly digest is due too
BRANDS = [("Acme", False), ("Globex", False), ("Initech", False), ("Umbrella", True), ("Hooli", True),
          ("Stark", True)]
WORDS = ("refund charged twice login crash outage support waiting slow broken invoice billing app update sync "
         "delivery late cancel subscription error password reset account locked missing order package great love "
         "fast helpful team office folder export report dashboard mobile price plan upgrade feature request "
         "webinar release notes sharing link storage backup restore calendar email notification").split()
CHUNK = 20_000


def texts(rng: random.Random, count: int = 3000) -> list[str]:
    return [" ".join(rng.choice(WORDS) for _ in range(rng.randint(8, 24))) for _ in range(count)]


def populate(engine: sa.Engine, *, mentions: int, days: int = 365, seed: int = 7) -> dict:
    """Fill an empty, migrated database; returns what was written."""
    rng = random.Random(seed)
    bodies = texts(rng)
    start = NOW - timedelta(days=days)
    span = days * 86400
    with engine.begin() as conn:
        conn.execute(sa.insert(Brand.__table__), [
            {"id": i + 1, "name": name, "query": name.lower(), "exclude": [], "handles": {}, "competitor": comp}
            for i, (name, comp) in enumerate(BRANDS)])
        conn.execute(sa.insert(Source.__table__), [
            {"id": i + 1, "name": f"source-{i + 1:02d}", "kind": "feed", "url": f"https://s{i}.example/feed",
             "params": {}, "brands": [], "interval_seconds": 900, "enabled": True, "consecutive_failures": 0,
             "last_success_at": NOW - timedelta(minutes=5 if i % 7 else 90), "last_item_count": 20}
            for i in range(20)])
    brand_weights = [30, 20, 10, 25, 10, 5]
    counts = {"mentions": 0, "mention_brand": 0, "cases": 0, "events": 0}
    case_rows: list[dict] = []
    event_rows: list[dict] = []
    # stored in the order they were published, as polling stores them: ids follow time
    offsets = sorted(rng.random() * span for _ in range(mentions))
    for first in range(1, mentions + 1, CHUNK):
        mention_rows, pair_rows = [], []
        for mention_id in range(first, min(first + CHUNK, mentions + 1)):
            published = start + timedelta(seconds=offsets[mention_id - 1])
            roll = rng.random()
            label = "negative" if roll < 0.3 else "positive" if roll < 0.55 else "neutral"
            sentiment = -0.6 if label == "negative" else 0.6 if label == "positive" else 0.0
            complaint = label == "negative" and rng.random() < 0.25
            mention_rows.append({
                "id": mention_id, "source_id": rng.randint(1, 20), "external_id": f"e{mention_id}",
                "url": f"https://site.example/p/{mention_id}", "author": f"user{rng.randint(1, 50_000)}",
                "author_reach": int(rng.paretovariate(1.2) * 100), "text": rng.choice(bodies),
                "published_at": published, "fetched_at": published + timedelta(minutes=10), "sentiment": sentiment,
                "sentiment_label": label, "complaint_score": 0.8 if complaint else 0.1, "is_complaint": complaint,
                "complaint_cues": "[]", "content_hash": f"h{mention_id}", "story_key": f"s{mention_id}"})
            brand_ids = {rng.choices(range(1, 7), weights=brand_weights)[0]}
            if rng.random() < 0.15:
                brand_ids.add(rng.choices(range(1, 7), weights=brand_weights)[0])
            for brand_id in sorted(brand_ids):
                pair_rows.append({"mention_id": mention_id, "brand_id": brand_id, "published_at": published,
                                  "negative": label == "negative"})
            own = [b for b in brand_ids if not BRANDS[b - 1][1]]
            if complaint and own:
                case_rows.append(_case(rng, len(case_rows) + 1, mention_id, own[0], published))
                event_rows.extend(_events(case_rows[-1]))
        with engine.begin() as conn:
            bulk_insert(conn, Mention.__table__, mention_rows)
            bulk_insert(conn, MentionBrand.__table__, pair_rows)
        counts["mentions"] += len(mention_rows)
        counts["mention_brand"] += len(pair_rows)
    with engine.begin() as conn:
        bulk_insert(conn, Case.__table__, case_rows)
        bulk_insert(conn, Event.__table__, event_rows)
        conn.execute(sa.insert(SpikeAlert.__table__), [
            {"brand_id": 1 + n % 3, "window_start": NOW - timedelta(hours=30 - n), "window_end":
             NOW - timedelta(hours=29 - n), "observed": 40.0, "expected": 12.0, "score": 0.9, "status": "open",
             "created_at": NOW - timedelta(hours=29 - n)} for n in range(0, 300, 10)])
        if engine.dialect.name == "postgresql":
            for table in ("mention", "mention_brand", "case", "event", "brand", "source"):
                conn.execute(sa.text(f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "
                                     f"(SELECT max(id) FROM \"{table}\"))"))
    counts["cases"], counts["events"] = len(case_rows), len(event_rows)
    return counts


def bulk_insert(conn: sa.Connection, table: sa.Table, rows: list[dict]) -> None:
    """Rows straight to the driver: COPY on PostgreSQL, one executemany on SQLite (timestamps written the way
    the models store them: naive UTC)."""
    if not rows:
        return
    columns = list(rows[0])
    if conn.dialect.name == "postgresql":
        names = ", ".join(f'"{c}"' for c in columns)
        with conn.connection.driver_connection.cursor() as cursor:
            with cursor.copy(f'COPY "{table.name}" ({names}) FROM STDIN') as copy:
                for row in rows:
                    copy.write_row([_naive(row[c]) for c in columns])
        return
    marks = ", ".join("?" for _ in columns)
    conn.exec_driver_sql(f'INSERT INTO "{table.name}" ({", ".join(columns)}) VALUES ({marks})',
                         [tuple(_sqlite_value(row[c]) for c in columns) for row in rows])


def _naive(value):
    return value.astimezone(timezone.utc).replace(tzinfo=None) if isinstance(value, datetime) else value


def _sqlite_value(value):
    if isinstance(value, datetime):
        return _naive(value).isoformat(sep=" ", timespec="microseconds")
    return int(value) if isinstance(value, bool) else value


def _case(rng: random.Random, case_id: int, mention_id: int, brand_id: int, published: datetime) -> dict:
    """Older cases are all closed; the last three days' are in every state."""
    opened = published + timedelta(minutes=10)
    recent = published > NOW - timedelta(days=3)
    roll = rng.random()
    claimed = opened + timedelta(minutes=rng.randint(5, 240)) if not recent or roll < 0.8 else None
    answered = claimed + timedelta(minutes=rng.randint(2, 120)) if claimed and rng.random() < 0.85 else None
    resolved = claimed + timedelta(minutes=rng.randint(10, 600)) if claimed and (not recent or roll < 0.5) else None
    if resolved and answered and answered > resolved:
        answered = resolved
    status = "resolved" if resolved else "claimed" if claimed else "open"
    if resolved and not answered and rng.random() < 0.5:
        status = "dismissed"
    if status != "resolved" and resolved and resolved > NOW:
        resolved, status = None, "claimed"
    return {"id": case_id, "mention_id": mention_id, "brand_id": brand_id, "status": status, "priority": 0.5,
            "claimed_by": f"U{rng.randint(1, 12):03d}" if claimed else None, "opened_at": opened,
            "claimed_at": claimed, "first_response_at": answered, "resolved_at": resolved,
            "sla_due_at": published + timedelta(hours=4), "slack_channel": "C0SUPPORT",
            "slack_ts": f"{int(opened.timestamp())}.{case_id % 1_000_000:06d}", "version": 1}


def _events(case: dict) -> list[dict]:
    events = [{"case_id": case["id"], "actor": "earful", "action": "opened", "at": case["opened_at"]}]
    for action, at in (("claimed", case["claimed_at"]), ("answered", case["first_response_at"]),
                       (case["status"], case["resolved_at"])):
        if at is not None and at <= NOW:
            events.append({"case_id": case["id"], "actor": case["claimed_by"], "action": action, "at": at})
    return events


def prepare(engine: sa.Engine) -> dict:
    """What a running Earful does before its first digest: statistics, and the rollup caught up. The catch-up is
    timed in two parts: everything but the last day (a first refresh after upgrading), then the last day (what a
    daily refresh costs)."""
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(sa.text("VACUUM ANALYZE"))
    else:
        with engine.begin() as conn:
            conn.execute(sa.text("ANALYZE"))
    timings = {}
    for name, now in (("rollup_backfill_s", NOW - timedelta(days=1)), ("rollup_one_day_s", NOW)):
        started = time.perf_counter()
        while True:
            with session_scope(engine) as session:
                if not refresh_rollup(session=session, now=now):
                    break
        timings[name] = round(time.perf_counter() - started, 2)
    return timings


def time_digest(engine: sa.Engine, *, runs: int) -> dict:
    from monitors.digest.chart import render_chart
    from monitors.digest.period import daily, local_date, weekly_ending
    from monitors.digest.run import gather

    yesterday = local_date(NOW, "Europe/London") - timedelta(days=1)
    results = {}
    for name, period in (("daily", daily(yesterday, "Europe/London")),
                         ("weekly", weekly_ending(yesterday, "Europe/London"))):
        timings = []
        for _ in range(runs):
            started = time.perf_counter()
            with session_scope(engine) as session:
                digest = gather(session=session, period=period, now=NOW)
            timings.append(time.perf_counter() - started)
        chart = []
        for _ in range(3):
            started = time.perf_counter()
            png = render_chart(digest.chart)
            chart.append(time.perf_counter() - started)
        results[name] = {"median_s": round(statistics.median(timings), 4), "runs_s": [round(t, 4) for t in timings],
                         "chart_median_s": round(statistics.median(chart), 4), "chart_bytes": len(png),
                         "mentions_in_period": sum(b.mentions for b in digest.brands),
                         "cases_opened": digest.cases.opened}
    return results


def _build_and_time(engine: sa.Engine, *, mentions: int, runs: int) -> dict:
    """Migrate, fill with `mentions` rows, then time the digest: the same steps on either database."""
    migrate(engine)
    started = time.perf_counter()
    counts = populate(engine, mentions=mentions)
    built = time.perf_counter() - started
    result = {"build_s": round(built, 1), **counts, **prepare(engine), **time_digest(engine, runs=runs)}
    engine.dispose()
    return result


def bench_sqlite(mentions: int, runs: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{Path(tmp) / 'digest.db'}")
        return _build_and_time(engine, mentions=mentions, runs=runs)


def bench_postgres(url: str, mentions: int, runs: int) -> dict:
    admin = make_engine(url).execution_options(isolation_level="AUTOCOMMIT")
    name = f"earful_bench_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        engine = make_engine(admin.url.set(database=name).render_as_string(hide_password=False))
        return _build_and_time(engine, mentions=mentions, runs=runs)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.engine.dispose()


def main() -> dict:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mentions", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--postgres", default=os.environ.get("EARFUL_TEST_POSTGRES_URL",
                                                             "postgresql://postgres@127.0.0.1:5432/test"))
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()
    results: dict = {"mentions": args.mentions, "runs": args.runs, "now": NOW.isoformat(),
                     "zone": "Europe/London", "sqlite": bench_sqlite(args.mentions, args.runs)}
    if not args.no_postgres:
        results["postgres"] = bench_postgres(args.postgres, args.mentions, args.runs)
    summary = {db: {kind: results[db][kind]["median_s"] for kind in ("daily", "weekly")}
               for db in ("sqlite", "postgres") if db in results}
    results["summary_median_seconds"] = summary
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "digest.json").write_text(json.dumps(results, indent=2) + "\n")
    for db in summary:
        r = results[db]
        print(f"{db:8} {r['mentions']:,} mentions, {r['mention_brand']:,} brand matches, {r['cases']:,} cases "
              f"(built in {r['build_s']} s): daily digest {r['daily']['median_s'] * 1000:.0f} ms, weekly "
              f"{r['weekly']['median_s'] * 1000:.0f} ms (median of {args.runs}); chart "
              f"{r['daily']['chart_median_s'] * 1000:.0f} ms, {r['daily']['chart_bytes'] // 1024} KB")
    return results


if __name__ == "__main__":
    main()
