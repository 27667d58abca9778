"""Run every benchmark and write their figures into README.md's Benchmarks section.

    .venv/bin/python bench/run.py                  # all of them (about 10 minutes; the digest's 1M rows most)
    .venv/bin/python bench/run.py ingest detector  # some of them
    .venv/bin/python bench/run.py --readme-only    # rewrite the README from bench/results/*.json

Each benchmark compares against its baseline in the same run and writes bench/results/NAME.json; this script
only runs them and renders those files, so the README always shows the figures of the last run.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
BENCHES = ["ingest", "detector", "parsers", "spikes", "digest"]
START, END = "<!-- bench:start -->", "<!-- bench:end -->"


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


def write_readme() -> None:
    readme = ROOT / "README.md"
    text = readme.read_text(encoding="utf-8")
    if START not in text or END not in text:
        raise SystemExit("README.md has no bench markers")
    before, rest = text.split(START, 1)
    _, after = rest.split(END, 1)
    readme.write_text(f"{before}{START}\n{render()}\n{END}{after}", encoding="utf-8")


def main(argv: list[str]) -> None:
    if "--readme-only" not in argv:
        for name in [a for a in argv if not a.startswith("-")] or BENCHES:
            print(f"== {name}", flush=True)
            subprocess.run([sys.executable, str(ROOT / "bench" / f"bench_{name}.py")], check=True, cwd=ROOT)
    write_readme()
    print(render())


if __name__ == "__main__":
    main(sys.argv[1:])
