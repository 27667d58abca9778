"""A generated corpus of brand mentions and the feeds that carry them (deterministic for a given seed).

Benchmarks build their inputs here so they never depend on data outside the repository.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from xml.sax.saxutils import escape

OPENINGS = [
    "Just tried {brand} for our team", "Day three with {brand}", "Quick note about {brand}",
    "Has anyone else noticed {brand}", "Our office switched to {brand}", "Thoughts on {brand} after a month",
    "Update on my {brand} ticket", "Comparing {brand} and a few others",
]
PRAISE = [
    "the new dashboard is fast and clear", "support answered within minutes and fixed it",
    "sync has been rock solid all week", "pricing is fair for what you get", "the mobile app finally feels polished",
]
COMPLAINTS = [
    "the app doesn't work since the update and nobody answers", "I was charged twice and I'm still waiting for a refund",
    "third time I'm asking support, no response at all", "lost a whole folder of files, this is unacceptable",
    "cancel my subscription, the outage has lasted two days",
]
NEUTRAL = [
    "they announced a new data center in Frankfurt", "the release notes mention a change to sharing links",
    "a colleague asked how the export format works", "there is a webinar about the API next Tuesday",
]
FILLER = (
    "We mostly use it for shared folders and weekly reports. The team is about twenty people spread over three "
    "offices, so sharing and permissions matter more than raw storage. I'll keep posting as things change."
)


def mention_text(rng: random.Random, brand: str) -> str:
    roll = rng.random()
    body = rng.choice(COMPLAINTS if roll < 0.2 else PRAISE if roll < 0.6 else NEUTRAL)
    opening = rng.choice(OPENINGS).format(brand=brand)
    return f"{opening}: {body}. {FILLER[: rng.randint(60, len(FILLER))]}"


def rss_feed(feed_no: int, items: int, *, seed: int = 1, brand: str = "Acme") -> tuple[bytes, list[str]]:
    """An RSS 2.0 feed with `items` entries; returns the bytes and the entry texts."""
    rng = random.Random(seed * 100_003 + feed_no)
    start = datetime(2026, 11, 1, tzinfo=timezone.utc)
    parts, texts = [], []
    for i in range(items):
        text = mention_text(rng, brand)
        texts.append(text)
        when = format_datetime(start + timedelta(minutes=feed_no * 7 + i * 13))
        parts.append(
            f"<item><guid>feed{feed_no}-item{i}</guid><title>Post {i} on feed {feed_no}</title>"
            f"<link>https://site{feed_no}.example/posts/{i}?utm_source=rss</link>"
            f"<pubDate>{when}</pubDate><author>writer{i % 37}@site{feed_no}.example (Writer {i % 37})</author>"
            f"<description>{escape(text)}</description></item>"
        )
    body = (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
        f"<title>Feed {feed_no}</title><link>https://site{feed_no}.example/</link><description>bench</description>"
        + "".join(parts) + "</channel></rss>"
    )
    return body.encode("utf-8"), texts
