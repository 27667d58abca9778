"""Feed parsing speed: feedparser against Earful's lxml-based parser, on the same bytes.

    .venv/bin/python bench/bench_parsers.py            # writes bench/results/parsers.json
    .venv/bin/python bench/bench_parsers.py --quick    # fewer rounds, prints only

Feeds are generated (fixed seed: RSS 2.0, RSS 1.0, Atom, JSON Feed; HTML-rich descriptions, entities, dates)
plus the fixture feeds in tests/fixtures/feeds. Each parser gets the bytes, never a URL; the figure is the
best of several rounds of CPU time (time.process_time), so a busy machine skews it less. The end-to-end row
polls a local HTTP server (tests/fixtures/feed_server.py) through Fetcher + FeedSource.
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import sys
import time
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from pathlib import Path
from xml.sax.saxutils import escape

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import feedparser  # noqa: E402
import lxml  # noqa: E402

from monitors.ingest.feedparse import FeedError, parse_feed  # noqa: E402
from monitors.ingest.fetch import Fetcher, FetchSettings  # noqa: E402
from monitors.ingest.sources.base import SourceState  # noqa: E402
from monitors.ingest.sources.feed import FeedSource  # noqa: E402
from tests.fixtures.feed_server import FEEDS_DIR, FeedServer  # noqa: E402

NOW = datetime(2025, 6, 1, tzinfo=timezone.utc)
WORDS = ("acme refund order support broken late delivery great love hate app update crash customer service "
         "waited hours phone call email reply never again thanks fixed quickly price shipping box damaged").split()


def _paragraph(rng: random.Random) -> str:
    words = [rng.choice(WORDS) for _ in range(rng.randint(20, 80))]
    words[rng.randrange(len(words))] = f"<a href=\"/t/{rng.randint(1, 999)}\">{rng.choice(WORDS)}</a>"
    words[rng.randrange(len(words))] = f"<b>{rng.choice(WORDS)}</b> &amp; caf&#233;"
    return "<p>" + " ".join(words) + "</p>"


def _entries(rng: random.Random, n: int) -> list[dict]:
    out = []
    for i in range(n):
        when = NOW - timedelta(minutes=17 * i)
        out.append({
            "id": f"https://example.com/posts/{i}",
            "title": " ".join(rng.choice(WORDS) for _ in range(rng.randint(4, 10))).capitalize(),
            "html": "".join(_paragraph(rng) for _ in range(rng.randint(1, 4))),
            "author": f"user{rng.randint(1, 500)}",
            "when": when,
        })
    return out


def rss2(entries: list[dict]) -> bytes:
    items = "".join(
        f"<item><title>{escape(e['title'])}</title><link>{e['id']}</link><guid>{e['id']}</guid>"
        f"<description>{escape(e['html'])}</description><dc:creator>{e['author']}</dc:creator>"
        f"<pubDate>{format_datetime(e['when'], usegmt=True)}</pubDate></item>"
        for e in entries
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/">'
        f"<channel><title>Bench</title><link>https://example.com/</link><language>en</language>{items}"
        "</channel></rss>"
    ).encode()


def rss1(entries: list[dict]) -> bytes:
    items = "".join(
        f'<item rdf:about="{e["id"]}"><title>{escape(e["title"])}</title><link>{e["id"]}</link>'
        f"<description>{escape(e['html'])}</description><dc:date>{e['when'].isoformat()}</dc:date></item>"
        for e in entries
    )
    return (
        '<?xml version="1.0"?><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
        'xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/">'
        f'<channel rdf:about="https://example.com/"><title>Bench</title></channel>{items}</rdf:RDF>'
    ).encode()


def atom(entries: list[dict]) -> bytes:
    items = "".join(
        f"<entry><id>{e['id']}</id><title>{escape(e['title'])}</title>"
        f'<link rel="alternate" type="text/html" href="{e["id"]}"/>'
        f"<author><name>{e['author']}</name></author><published>{e['when'].isoformat()}</published>"
        f"<updated>{e['when'].isoformat()}</updated><content type=\"html\">{escape(e['html'])}</content></entry>"
        for e in entries
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom" xml:lang="en">'
        f"<title>Bench</title><id>urn:bench</id><updated>{NOW.isoformat()}</updated>{items}</feed>"
    ).encode()


def json_feed(entries: list[dict]) -> bytes:
    return json.dumps({
        "version": "https://jsonfeed.org/version/1.1", "title": "Bench",
        "items": [{"id": e["id"], "url": e["id"], "title": e["title"], "content_html": e["html"],
                   "authors": [{"name": e["author"]}], "date_published": e["when"].isoformat()} for e in entries],
    }).encode()


def corpus(items_per_feed: int) -> dict[str, bytes]:
    """Generated feeds plus every fixture feed that is a feed (not an error case)."""
    rng = random.Random(20250601)
    feeds = {}
    for name, build in (("rss2", rss2), ("rss1", rss1), ("atom", atom), ("jsonfeed", json_feed)):
        feeds[f"generated/{name}"] = build(_entries(rng, items_per_feed))
    for sidecar in sorted(FEEDS_DIR.glob("*.expect.json")):
        if "error" in json.loads(sidecar.read_text()):
            continue
        for path in FEEDS_DIR.glob(sidecar.name.replace(".expect.json", ".*")):
            if path != sidecar:
                feeds[f"fixtures/{path.name}"] = path.read_bytes()
    return feeds


def is_json(name: str) -> bool:
    return name.endswith(".json") or name.endswith("jsonfeed")


def ours(body: bytes) -> int:
    try:
        return len(parse_feed(body, url="https://example.com/feed", now=NOW).mentions)
    except FeedError:
        return 0


def theirs(body: bytes) -> int:
    return len(feedparser.parse(body).entries)


def measure(parse, feeds: dict[str, bytes], rounds: int) -> dict:
    items = 0
    best = float("inf")
    for _ in range(rounds):
        started = time.process_time()  # CPU time: other processes on a shared machine do not count
        items = sum(parse(body) for body in feeds.values())
        best = min(best, time.process_time() - started)
    return {"items": items, "seconds": round(best, 4), "items_per_second": round(items / best)}


def end_to_end(body: bytes, polls: int) -> dict:
    source = FeedSource()
    with FeedServer() as server, Fetcher(FetchSettings(timeout=5)) as fetcher:
        server.route("/feed.xml", body=body, content_type="application/rss+xml", gzip=True)
        state = SourceState(id=1, name="bench", kind="feed", url=server.url("/feed.xml"), params={})
        started = time.perf_counter()
        items = sum(len(source.poll(fetcher, state, now=NOW).mentions) for _ in range(polls))
        seconds = time.perf_counter() - started
    return {"polls": polls, "items": items, "seconds": round(seconds, 4), "items_per_second": round(items / seconds)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer rounds; print, do not write results")
    parser.add_argument("--items", type=int, default=200, help="items per generated feed")
    args = parser.parse_args()
    rounds = 1 if args.quick else 7
    feeds = corpus(args.items)
    xml_feeds = {k: v for k, v in feeds.items() if not is_json(k)}  # feedparser 6 does not read JSON Feed
    json_feeds = {k: v for k, v in feeds.items() if is_json(k)}
    results = {
        "command": "python bench/bench_parsers.py" + (" --quick" if args.quick else ""),
        "machine": {"python": platform.python_version(), "platform": platform.platform(),
                    "lxml": lxml.__version__, "feedparser": feedparser.__version__},
        "feeds": {name: len(body) for name, body in feeds.items()},
        "xml_feeds": {
            "earful_lxml": measure(ours, xml_feeds, rounds), "feedparser": measure(theirs, xml_feeds, rounds)},
        "json_feeds_earful_only": measure(ours, json_feeds, rounds),
        "per_format": {},
        "end_to_end_http_rss2": end_to_end(feeds["generated/rss2"], 10 if args.quick else 30),
    }
    for name in ("generated/rss2", "generated/rss1", "generated/atom"):
        one = {name: feeds[name]}
        results["per_format"][name] = {
            "earful_lxml": measure(ours, one, rounds), "feedparser": measure(theirs, one, rounds)}
    xml = results["xml_feeds"]
    results["speedup_xml"] = round(xml["earful_lxml"]["items_per_second"] / xml["feedparser"]["items_per_second"], 1)
    print(json.dumps(results, indent=2))
    if not args.quick:
        out = ROOT / "bench" / "results" / "parsers.json"
        out.write_text(json.dumps(results, indent=2) + "\n")
        print(f"wrote {out.relative_to(ROOT)}", file=sys.stderr)


if __name__ == "__main__":
    main()
