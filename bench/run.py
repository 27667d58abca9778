"""Run every benchmark and write their figures into README.md's Benchmarks section.

    .venv/bin/python bench/run.py                  # all of them (about 10 minutes; the digest's 1M rows most)
    .venv/bin/python bench/run.py ingest detector  # some of them
    .venv/bin/python bench/run.py --readme-only    # rewrite the README from bench/results/*.json
    .venv/bin/python bench/run.py faults           # the fault-injection suite (about 25 minutes; not in "all")

Each benchmark compares against its baseline in the same run and writes bench/results/NAME.json; this script
only runs them and renders those files, so the README always shows the figures of the last run.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
RESULTS = ROOT / "bench" / "results"
BENCHES = ["ingest", "detector", "parsers", "spikes", "digest"]
SUITES = ["faults"]  # run only when named: they take long and measure behaviour under faults, not speed


def load(name: str) -> dict | None:
    path = RESULTS / f"{name}.json"
    return json.loads(path.read_text()) if path.exists() else None


def _ingest(d: dict) -> list[str]:
    s = d["summary"]
    rounds = ""
    if s.get("rounds", 1) > 1:
        rounds = (f" (medians of {s['rounds']} interleaved rounds; per round "
                  + ", ".join(f"{x}×" for x in s["speedup_vs_naive_per_round"]) + " and "
                  + ", ".join(f"{x:.0%}" for x in s["share_of_vader_speed_per_round"]) + ")")
    return [
        f"| ingest, end to end ({s['items']:,} items, {d['feeds']} feeds over local HTTP, into SQLite) "
        f"| {s['earful_items_per_s']:,} items/s, peak RSS {s['earful_peak_rss_mb']} MB "
        f"| naive (feedparser fetches, VADER, a commit per row; first {d.get('naive_feeds', '?')} feeds): "
        f"{s['naive_items_per_s']:,} items/s "
        f"→ **{s['speedup_vs_naive']}×**; VADER alone on the same texts: {s['vader_items_per_s']:,} items/s "
        f"→ **{s['share_of_vader_speed']:.0%}** of it{rounds} |",
        f"| second poll cycle, every source answers 304 | {s['not_modified_seconds_per_1000_sources']} s per "
        "1,000 sources | |",
    ]


def _detector(d: dict) -> list[str]:
    rate = d["texts_per_second"]
    rows = [f"| complaint detector alone ({d['texts']:,} generated texts, one core) | {rate['detector']:,} texts/s "
            f"| retired lexicon detector {rate.get('lexicon_detector', 0):,} texts/s; VADER alone {rate['vader']:,} "
            f"texts/s; full Scorer (VADER + detector) {rate['scorer']:,} texts/s |"]
    commands = d.get("commands")
    if commands:
        rows.append(f"| `earful score`, JSON lines in and out ({commands['texts']:,} texts, start-up included) "
                    f"| {commands['earful_score']:,} texts/s | a stock-VADER filter {commands['stock_vader_filter']:,} "
                    f"texts/s → **{commands['share_of_stock_vader']:.0%}** of it |")
    return rows


def _parsers(d: dict) -> list[str]:
    ours, theirs = d["xml_feeds"]["earful_lxml"], d["xml_feeds"]["feedparser"]
    return [f"| feed parsing ({ours['items']} entries, every RSS/Atom fixture) | {ours['items_per_second']:,} items/s "
            f"| feedparser {theirs['items_per_second']:,} items/s → "
            f"{ours['items_per_second'] / theirs['items_per_second']:.1f}× |"]


def _spikes(d: dict) -> list[str]:
    per_row = d.get("us_per_row") or d.get("microseconds_per_row")
    rows = d.get("rows")
    figure = f"{per_row:.0f} µs per row" if per_row else json.dumps(d)[:80]
    return [f"| spike detector, online ({rows:,} rows of one series) | {figure} | |" if rows else
            f"| spike detector, online | {figure} | |"]


def _digest(d: dict) -> list[str]:
    m = d["summary_median_seconds"]
    cells = ", ".join(f"{db}: daily {v['daily'] * 1000:.0f} ms, weekly {v['weekly'] * 1000:.0f} ms"
                      for db, v in m.items())
    return [f"| digest composition over {d['mentions']:,} mentions (median of {d['runs']}) | {cells} "
            "| target: under 500 ms |"]


RENDER = {"ingest": _ingest, "detector": _detector, "parsers": _parsers, "spikes": _spikes, "digest": _digest}


def render() -> str:
    lines = ["| what | Earful | baseline in the same run |", "|---|---|---|"]
    for name in BENCHES:
        data = load(name)
        if data is not None:
            lines.extend(RENDER[name](data))
    return "\n".join(lines)


def render_faults() -> str | None:
    """The fault suite's counts (bench/results/faults.json) and the poll-cycle times (poll_cycles.json)."""
    data, cycles = load("faults"), load("poll_cycles")
    if data is None:
        return None
    from bench.bench_faults import table

    lines = [f"Full run: {data['plan']['feeds']:,} feeds, {data['plan']['workers']} workers, "
             f"{data['seconds']} s.", "", table(data)]
    if cycles:
        lines += ["", "| poll cycle of 2,000 sources (no faults) | 1 worker | 3 workers |", "|---|---|---|"]
        by_workers = {row["workers"]: row for row in cycles}
        one, three = by_workers.get(1, {}), by_workers.get(3, {})
        lines.append(f"| first cycle, every source with a new item (fetch, parse, score, store, open cases) "
                     f"| {one.get('first_cycle_seconds', '?')} s | {three.get('first_cycle_seconds', '?')} s |")
        lines.append(f"| next cycle, every source answers 304 | {one.get('not_modified_cycle_seconds', '?')} s "
                     f"| {three.get('not_modified_cycle_seconds', '?')} s |")
        lines += ["", "The first cycle is timed from the first feed request to the last; the 304 cycle from the moment "
                  "every source is due to its last request, so it includes the wait for the next 15-s poll tick "
                  "(a worker takes at most 1,000 sources a tick)."]
    return "\n".join(lines)


def _replace_block(text: str, name: str, body: str | None) -> str:
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    if body is None:
        return text
    if start not in text or end not in text:
        raise SystemExit(f"README.md has no {name} markers")
    before, rest = text.split(start, 1)
    _, after = rest.split(end, 1)
    return f"{before}{start}\n{body}\n{end}{after}"


def write_readme() -> None:
    readme = ROOT / "README.md"
    text = readme.read_text(encoding="utf-8")
    text = _replace_block(text, "bench", render())
    text = _replace_block(text, "faults", render_faults())
    readme.write_text(text, encoding="utf-8")


def main(argv: list[str]) -> None:
    if "--readme-only" not in argv:
        for name in [a for a in argv if not a.startswith("-")] or BENCHES:
            print(f"== {name}", flush=True)
            script = str(ROOT / "bench" / f"bench_{name}.py")
            subprocess.run([sys.executable, script], check=True, cwd=ROOT)
            if name == "faults":
                subprocess.run([sys.executable, script, "--cycles"], check=True, cwd=ROOT)
    write_readme()
    print(render())


if __name__ == "__main__":
    main(sys.argv[1:])
