"""Many local feeds that publish on their own clocks, and a record of every brand item they ever served.

Feed i publishes item j at `start + phase_i + j * period_i` and always shows its newest WINDOW items, so an item
that a killed worker fetched but never stored is served again on the next poll. ETags follow the newest item,
so an unchanged feed answers 304. Texts are drawn from a few pools; only the brand's ones must be stored.
"""

from __future__ import annotations

import random
import threading
import time
from dataclasses import dataclass, field
from email.utils import format_datetime
from datetime import datetime, timezone
from xml.sax.saxutils import escape

from tests.fixtures.feed_server import FeedServer, Reply, SeenRequest

WINDOW = 8

COMPLAINTS = [
    "@acme your app has been down for {n} hours and nobody from support answers. I want a refund.",
    "Acme charged me twice this month and support still has not replied after {n} days. Terrible service.",
    "Third time this week Acme logged me out and lost my work. So frustrating, please fix this.",
    "Been waiting {n} days for Acme to ship my order, no tracking and no answer from customer service.",
    "Acme deleted my files after the update and support keeps closing my ticket #{n}. Awful.",
]
OTHER_BRAND = [
    "Acme announces new pricing for teams, available from next month (post {n}).",
    "Loving the new Acme dashboard, great work team! {n} stars from me.",
    "How to export a report from Acme in {n} easy steps.",
]
NOT_BRAND = [
    "Globex ships release {n} with a faster search.",
    "Weather today: {n} degrees and sunny.",
]


@dataclass(frozen=True)
class Item:
    guid: str
    published: float
    text: str
    brand: bool
    complaint: bool


@dataclass
class Feed:
    """Item 0 is `backlog_age` old at the start (what a first poll finds); item 1 comes `offset` after the start,
    and one more every `period`."""

    number: int
    backlog_age: float
    offset: float
    period: float

    @property
    def path(self) -> str:
        return f"/feed/{self.number}.xml"

    def published_at(self, start: float, j: int) -> float:
        return start - self.backlog_age if j == 0 else start + self.offset + (j - 1) * self.period

    def published_before(self, start: float, moment: float) -> int:
        """How many items are out at `moment`."""
        elapsed = moment - start - self.offset
        return 1 if elapsed < 0 else int(elapsed // self.period) + 2

    def item(self, start: float, j: int) -> Item:
        rng = random.Random(self.number * 100_003 + j)
        roll = rng.random()
        if roll < 0.13:
            pool, brand, complaint = COMPLAINTS, True, True
        elif roll < 0.5:
            pool, brand, complaint = OTHER_BRAND, True, False
        else:
            pool, brand, complaint = NOT_BRAND, False, False
        # a made-up word makes every text its own story: numbers are folded when stories are compared
        text = f"{rng.choice(pool).format(n=rng.randint(2, 99))} ({_word(rng)} {_word(rng)})"
        return Item(f"f{self.number}-i{j}", self.published_at(start, j), text, brand, complaint)


@dataclass
class Hit:
    at: float
    worker: str
    status: int


@dataclass
class FeedWorld:
    """`feeds` feeds on `server`; publishing stops at `freeze()` so the end state can be polled to the last item."""

    server: FeedServer
    feeds: list[Feed]
    start: float
    frozen_at: float | None = None
    served: set[str] = field(default_factory=set)  # guids of brand items sent in a 200 answer
    hits: dict[str, list[Hit]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def build(cls, server: FeedServer, count: int, *, period: tuple[float, float], seed: int = 7,
              backlog_age: float = 1200.0) -> "FeedWorld":
        """Each feed has one item from `backlog_age` ago (a first poll's old posts) and publishes every `period`."""
        rng = random.Random(seed)
        start = time.time()
        feeds = []
        for number in range(count):
            every = rng.uniform(*period)
            feeds.append(Feed(number, backlog_age, rng.uniform(0, every), every))
        world = cls(server, feeds, start)
        for feed in feeds:
            server.route(feed.path, handler=world._handler(feed))
        return world

    def url(self, feed: Feed) -> str:
        return self.server.url(feed.path)

    def freeze(self) -> None:
        self.frozen_at = time.time()

    def items_out(self, feed: Feed, moment: float) -> list[Item]:
        if self.frozen_at is not None:
            moment = min(moment, self.frozen_at)
        count = feed.published_before(self.start, moment)
        return [feed.item(self.start, j) for j in range(max(0, count - WINDOW), count)]

    def _handler(self, feed: Feed):
        def handle(request: SeenRequest) -> Reply:
            items = self.items_out(feed, time.time())
            etag = f'"{feed.number}-{len(items) and items[-1].guid}"'
            worker = _worker_of(request.headers.get("user-agent", ""))
            if etag in request.headers.get("if-none-match", ""):
                self._note(feed, Hit(time.time(), worker, 304), [])
                return Reply(status=304, headers={"ETag": etag})
            self._note(feed, Hit(time.time(), worker, 200), [i.guid for i in items if i.brand])
            return Reply(headers={"Content-Type": "application/rss+xml; charset=utf-8", "ETag": etag},
                         body=rss(feed, items))
        return handle

    def _note(self, feed: Feed, hit: Hit, brand_guids: list[str]) -> None:
        with self._lock:
            self.hits.setdefault(feed.path, []).append(hit)
            self.served.update(brand_guids)

    def fetching_now(self, within: float = 0.3) -> dict[str, float]:
        """Workers that fetched a feed within the last `within` seconds: {worker: when}."""
        cutoff = time.time() - within
        found: dict[str, float] = {}
        with self._lock:
            for hits in self.hits.values():
                if hits and hits[-1].at >= cutoff:
                    found[hits[-1].worker] = max(found.get(hits[-1].worker, 0.0), hits[-1].at)
        return found


def _word(rng: random.Random) -> str:
    return "".join(rng.choice("bdfgklmnprstvz") + rng.choice("aeiou") for _ in range(3))


def _worker_of(user_agent: str) -> str:
    # each worker's config names its own contact, which Earful puts in the User-Agent: "(+w2@faults.test)"
    for part in user_agent.replace("(", " ").replace(")", " ").replace("+", " ").split():
        if part.endswith("@faults.test"):
            return part.split("@", 1)[0]
    return "?"


def rss(feed: Feed, items: list[Item]) -> bytes:
    entries = "".join(
        f"<item><guid isPermaLink=\"false\">{item.guid}</guid><title>{escape(item.text[:60])}</title>"
        f"<link>https://forum.example/{feed.number}/{item.guid}</link>"
        f"<author>user-{item.guid}@forum.example</author>"
        f"<description>{escape(item.text)}</description>"
        f"<pubDate>{format_datetime(datetime.fromtimestamp(item.published, timezone.utc))}</pubDate></item>"
        for item in items)
    return (f"<?xml version=\"1.0\" encoding=\"utf-8\"?><rss version=\"2.0\"><channel><title>feed {feed.number}"
            f"</title><link>https://forum.example/{feed.number}</link>{entries}</channel></rss>").encode()
