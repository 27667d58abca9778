"""The digest over a real database (SQLite and PostgreSQL): a small world with known counts gives exact numbers.

The period is 29 March 2026 in Europe/London, the day clocks spring forward: the local day runs from 00:00 UTC
to 23:00 UTC, so a post at 22:30 UTC is still that day and one at 23:30 UTC is the next.
"""

from __future__ import annotations

import itertools
from datetime import date, datetime, timedelta, timezone

import sqlalchemy as sa

from monitors.digest.compose import Digest
from monitors.digest.period import daily
from monitors.digest.run import gather
from storage import cases
from storage.db import session_scope
from storage.mentions import NewMention, store_batch
from storage.models import Source, SpikeAlert
from storage.response_clock import record_response
from storage.rollup import refresh_rollup
from storage.sources import BrandSpec, SourceSpec, sync_brands, sync_sources

ZONE = "Europe/London"
DAY = date(2026, 3, 29)
PERIOD = daily(DAY, ZONE)
NOW = datetime(2026, 3, 30, 9, 0, tzinfo=timezone.utc)  # the digest goes out the next morning
_ids = itertools.count(1)


def utc(day: int, hour: int, minute: int = 0, month: int = 3) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=timezone.utc)


def mention(engine, source: int, brands: list[int], when: datetime, label: str, text: str, *, reach: int = 0,
            complaint_for: int | None = None, author: str = "someone") -> int | None:
    """Store one mention as ingest would, `fetched` five minutes after it was published; returns its case id."""
    n = next(_ids)
    item = NewMention(
        external_id=f"w{n}", text=text, content_hash=f"h{n}", story_key=f"s{n}", published_at=when,
        url=f"https://forum.example/t/{n}", author=author, author_reach=reach,
        sentiment={"positive": 0.6, "negative": -0.6}.get(label, 0.0), sentiment_label=label,
        is_complaint=complaint_for is not None, complaint_score=0.9 if complaint_for else 0.1, brand_ids=brands,
        case_brand_id=complaint_for, sla_due_at=when + timedelta(hours=4) if complaint_for else None)
    with session_scope(engine) as session:
        result = store_batch(session=session, source_id=source, items=[item], now=when + timedelta(minutes=5))
    return result.case_ids[0] if result.case_ids else None


def act(engine, verb: str, case_id: int, user: str, at: datetime) -> None:
    with session_scope(engine) as session:
        getattr(cases, verb)(session=session, case_id=case_id, user=user, now=at)


def respond(engine, case_id: int, user: str, at: datetime) -> None:
    with session_scope(engine) as session:
        record_response(session=session, case_id=case_id, actor=user, url="https://forum.example/reply", now=at)


def build_world(engine) -> dict:
    """Brands Acme and Globex (ours; Globex is never mentioned) and Umbrella (a competitor); five sources in
    different health; mentions, cases and spikes around the spring-forward day."""
    with session_scope(engine) as session:
        brands = sync_brands(session=session, specs=[
            BrandSpec("Acme", "acme OR \"acme corp\"", [], {}, False), BrandSpec("Globex", "globex", [], {}, False),
            BrandSpec("Umbrella", "umbrella", [], {}, True)])
        sources = sync_sources(session=session, now=utc(1, 0), specs=[
            SourceSpec(name, "feed", f"https://{name}.example/feed", {}, [], 900, True)
            for name in ("forum", "reviews", "busy-api", "old-blog", "empty-feed")])
    acme, umbrella = brands["Acme"], brands["Umbrella"]
    forum, reviews = sources["forum"], sources["reviews"]
    world = {"brands": brands, "sources": sources, "cases": {}}
    c = world["cases"]

    # the day before (28 March, GMT) and the baseline week
    mention(engine, forum, [acme], utc(28, 23, 30), "positive", "acme support was quick")  # last minute of the 28th
    c["yesterday"] = mention(engine, forum, [acme], utc(28, 9), "negative", "acme refund still not here",
                             complaint_for=acme, reach=40)
    mention(engine, forum, [acme], utc(26, 12), "positive", "acme is great")
    mention(engine, forum, [acme], utc(26, 13), "positive", "love acme")
    mention(engine, forum, [acme], utc(24, 8), "neutral", "acme released a thing")
    mention(engine, forum, [umbrella], utc(25, 8), "neutral", "umbrella webinar")
    mention(engine, forum, [acme], utc(21, 12), "negative", "older than the baseline: not counted")

    # the day itself, 29 March (00:00 to 23:00 UTC)
    c["refund"] = mention(engine, forum, [acme], utc(29, 0, 30), "negative",
                          "Still no refund from Acme after three weeks. Refund please!", complaint_for=acme,
                          reach=500, author="ann")
    c["login"] = mention(engine, reviews, [acme], utc(29, 10), "negative",
                         "acme app crashes on login <!channel> every single morning, login broken",
                         complaint_for=acme, reach=9000, author="bob")
    mention(engine, forum, [acme], utc(29, 12), "positive", "acme fixed it fast", reach=10)
    mention(engine, forum, [acme], utc(29, 22, 30), "neutral", "acme at 23:30 summer time")  # still the 29th
    mention(engine, forum, [umbrella], utc(29, 11), "positive", "umbrella is nice")
    mention(engine, forum, [umbrella], utc(29, 11, 30), "negative", "umbrella refund is slow too")
    mention(engine, reviews, [acme, umbrella], utc(29, 13), "negative", "acme and umbrella both lost my refund",
            reach=100, author="cat")
    c["dismissed"] = mention(engine, forum, [acme], utc(29, 15), "negative", "acme crashes, login fails",
                             complaint_for=acme, reach=50, author="dan")
    c["late"] = mention(engine, reviews, [acme], utc(29, 5), "negative", "acme invoice is wrong again",
                        complaint_for=acme, reach=20, author="eve")
    # the next day begins at 23:00 UTC
    c["tomorrow"] = mention(engine, forum, [acme], utc(29, 23, 30), "negative", "acme refund again",
                            complaint_for=acme)

    act(engine, "claim", c["yesterday"], "UANN", utc(28, 10))
    act(engine, "resolve", c["yesterday"], "UANN", utc(29, 1))  # 16 h after publication, no reply recorded
    act(engine, "claim", c["refund"], "UBOB", utc(29, 1))
    respond(engine, c["refund"], "UBOB", utc(29, 2))  # 1 h 30 min after publication, before the 04:30 deadline
    act(engine, "resolve", c["refund"], "UBOB", utc(29, 3, 35))  # 3 h 5 min after publication
    act(engine, "dismiss", c["dismissed"], "UMANAGER", utc(29, 15, 30))  # closed before its deadline: no breach
    respond(engine, c["late"], "UCAT", utc(29, 11))  # 6 h: two hours past its 09:00 deadline, a breach
    # c["login"] stays open past its 14:00 deadline: a breach, and unanswered at the end of the day

    with session_scope(engine) as session:
        session.add(SpikeAlert(brand_id=acme, window_start=utc(29, 9), window_end=utc(29, 10), observed=12,
                               expected=2.5, score=0.97, created_at=utc(29, 10, 2)))
        session.add(SpikeAlert(brand_id=acme, window_start=utc(28, 9), window_end=utc(28, 10), observed=9,
                               expected=2, score=0.9, created_at=utc(28, 10, 2)))  # the day before: not listed
        for name, values in {
            "forum": {"last_success_at": NOW - timedelta(minutes=3), "last_item_count": 20},
            "reviews": {"consecutive_failures": 3, "last_status": 500, "last_error": "HTTP 500 from the server",
                        "last_success_at": NOW - timedelta(hours=2), "last_item_count": 5},
            "busy-api": {"consecutive_failures": 1, "last_status": 429, "last_error": "HTTP 429, retry after 60s",
                         "last_success_at": NOW - timedelta(minutes=20), "last_item_count": 5},
            "old-blog": {"last_success_at": NOW - timedelta(minutes=46), "last_item_count": 5},  # > 3 x 15 min
            "empty-feed": {"last_success_at": NOW - timedelta(minutes=3), "last_item_count": 0},
        }.items():
            session.execute(sa.update(Source).where(Source.name == name).values(**values))
    return world


def digest_of(engine, **kw) -> Digest:
    with session_scope(engine) as session:
        return gather(session=session, period=PERIOD, now=NOW, **kw)


def refresh(engine, now: datetime = NOW) -> None:
    while True:
        with session_scope(engine) as session:
            if not refresh_rollup(session=session, now=now):
                return


def brand(digest: Digest, name: str):
    return next(line for line in digest.brands if line.name == name)


def test_exact_numbers_for_a_known_day(engine):
    world = build_world(engine)
    refresh(engine)
    digest = digest_of(engine)
    acme, globex, umbrella = brand(digest, "Acme"), brand(digest, "Globex"), brand(digest, "Umbrella")
    # Acme on the 29th: refund, login, fixed-it (+), 23:30 BST (0), the shared post, the dismissed one, the late one
    assert (acme.now.positive, acme.now.neutral, acme.now.negative) == (1, 1, 5)
    assert round(acme.now.net, 3) == round(100 * (1 - 5) / 7, 3)
    assert (acme.previous.positive, acme.previous.neutral, acme.previous.negative) == (1, 0, 1)
    assert acme.previous.net == 0
    # baseline: the seven days before (22nd to 28th): 28th x2, 26th x2, 24th x1; the 21st is outside
    assert (acme.baseline.positive, acme.baseline.neutral, acme.baseline.negative) == (3, 1, 1)
    assert acme.baseline_average == 5 / 7 and acme.baseline.net == 40
    assert globex.mentions == 0 and globex.now.net is None and globex.baseline_average == 0
    assert (umbrella.now.positive, umbrella.now.negative, umbrella.mentions) == (1, 2, 3)
    assert [b.name for b in digest.brands] == ["Acme", "Globex", "Umbrella"]  # ours first, then competitors

    voice = {v.name: v for v in digest.voice}
    assert voice["Acme"].share == 7 / 10 and voice["Umbrella"].share == 3 / 10 and voice["Globex"].share == 0
    assert voice["Acme"].positive_share == 0.5 and voice["Umbrella"].positive_share == 0.5
    assert voice["Acme"].previous_share == 1.0  # the day before, only Acme was mentioned

    stats = digest.cases
    assert (stats.opened, stats.opened_previous) == (4, 1)
    assert (stats.answered, stats.resolved, stats.resolved_without_reply, stats.dismissed) == (2, 2, 1, 1)
    assert (stats.unanswered, stats.breaches) == (1, 2)
    assert stats.response_median == (timedelta(hours=1, minutes=30) + timedelta(hours=6)) / 2
    assert stats.response_p90 == timedelta(hours=6)
    assert stats.resolution_median == (timedelta(hours=16) + timedelta(hours=3, minutes=5)) / 2
    assert stats.resolution_p90 == timedelta(hours=16)
    assert [w.id for w in stats.oldest_unanswered] == [world["cases"]["login"]]
    agents = {a.user: (a.claimed, a.answered, a.resolved, a.dismissed) for a in stats.agents}
    assert agents == {"UBOB": (1, 1, 1, 0), "UANN": (0, 0, 1, 0), "UCAT": (0, 1, 0, 0), "UMANAGER": (0, 0, 0, 1)}
    assert stats.agents[0].user == "UBOB"

    assert [p.author for p in digest.negative_posts] == ["bob", "ann", "cat", "dan", "eve"]
    assert digest.negative_posts[2].brands == ("Acme",)  # in scope: our brands only
    assert digest.negative_sources == [("reviews", 3), ("forum", 2)]
    terms = dict(digest.negative_terms)
    assert terms["refund"] == 2 and terms["login"] == 2 and terms["crashes"] == 2 and "invoice" not in terms
    assert "acme" not in terms and "umbrella" not in terms and "corp" not in terms  # brand and query words
    assert [(s.brand, s.observed) for s in digest.spikes] == [("Acme", 12)]
    assert [(i.name, i.problem) for i in digest.source_issues] == [
        ("busy-api", "rate-limited"), ("reviews", "failing"), ("old-blog", "stale"), ("empty-feed", "returned nothing")]

    chart = digest.chart
    assert chart.days[0] == date(2026, 3, 16) and chart.days[-1] == DAY and len(chart.days) == 14
    series = {s.name: s for s in chart.series}
    assert series["Acme"].negative[-1] == 5 and series["Acme"].positive[-2] == 1
    assert sum(series["Acme"].positive[:5]) == 0  # empty days are zeros, not gaps
    assert series["Globex"].total == 0


def test_the_same_numbers_whether_counted_by_the_rollup_or_not(engine):
    build_world(engine)
    raw = digest_of(engine)  # nothing rolled up yet: everything comes from the mention tables
    refresh(engine, now=utc(29, 14))  # part of the world is rolled up, the rest is still the tail
    partly = digest_of(engine)
    refresh(engine)
    rolled = digest_of(engine)
    assert raw.brands == partly.brands == rolled.brands
    assert raw.chart == partly.chart == rolled.chart


def test_a_refresh_never_counts_a_mention_twice(engine):
    build_world(engine)
    refresh(engine)
    with session_scope(engine) as session:
        assert refresh_rollup(session=session, now=NOW) == 0  # nothing new
    before = digest_of(engine)
    refresh(engine, now=NOW + timedelta(days=1))
    assert digest_of(engine).brands == before.brands


def test_a_competitor_with_all_the_volume(engine):
    world = build_world(engine)
    quiet = date(2026, 3, 10)
    for hour in range(4):
        mention(engine, world["sources"]["forum"], [world["brands"]["Umbrella"]], utc(10, 9 + hour),
                "positive" if hour else "negative", "umbrella everywhere")
    with session_scope(engine) as session:
        digest = gather(session=session, period=daily(quiet, ZONE), now=NOW)
    assert brand(digest, "Acme").mentions == 0 and brand(digest, "Acme").now.net is None
    voice = {v.name: v for v in digest.voice}
    assert voice["Umbrella"].share == 1 and voice["Acme"].share == 0 and voice["Umbrella"].positive_share == 1
    assert digest.voice[0].name == "Umbrella"
    assert digest.cases.opened == 0 and digest.negative_posts == [] and digest.negative_terms == []


def test_one_brand_in_focus(engine):
    world = build_world(engine)
    digest = digest_of(engine, focus="acme")
    assert digest.focus == "Acme"
    assert [b.name for b in digest.brands] == ["Acme", "Umbrella"]  # compared with the competitors only
    assert digest.cases.opened == 4
    globex = digest_of(engine, focus="Globex")
    assert globex.cases.opened == 0 and globex.negative_posts == [] and globex.spikes == []
    assert world["brands"]["Globex"]
