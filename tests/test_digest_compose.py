"""Digest composition and rendering (pure): plain values and a fixed `now` in, exact numbers and text out."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from bot.messages.digest import digest_message, digest_text, pack
from bot.messages.sections import Style, duration, sections
from monitors.digest.compose import Inputs, compose, median, percentile, source_issues
from monitors.digest.period import daily
from monitors.digest.terms import brand_terms, top_terms, words
from storage.digest_queries import (AgentAction, BrandRow, CaseRow, DayCount, NegativePost, SourceRow, SpikeRow,
                                    WaitingCase)
from tests.fixtures.slack_limits import check_blocks

ZONE = "Europe/London"
PERIOD = daily(date(2026, 10, 25), ZONE)  # clocks go back: 25 hours, 23:00 UTC on the 24th to 00:00 on the 26th
NOW = datetime(2026, 10, 26, 9, 0, tzinfo=timezone.utc)
FIRST = date(2026, 10, 12)  # the window's first day (day index 0)


def utc(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 10, day, hour, minute, tzinfo=timezone.utc)


def inputs(**changes) -> Inputs:
    base = dict(
        period=PERIOD, brands=[BrandRow(1, "Acme", False, "acme"), BrandRow(2, "Rival", True, "rival")],
        scope=[1], first_day=FIRST, counts=[], cases=[], waiting_total=0, waiting=[], agents=[], negative_posts=[],
        negative_sources=[], negative_texts=[], spikes=[], sources=[])
    base.update(changes)
    return Inputs(**base)


def case(n: int, opened: datetime, *, status: str = "open", first_response: datetime | None = None,
         resolved: datetime | None = None, due: datetime | None = None) -> CaseRow:
    return CaseRow(n, 1, status, opened, first_response, resolved, due, opened - timedelta(minutes=10))


def test_volumes_previous_period_and_baseline_come_from_day_indexes():
    counts = [DayCount(1, 13, 3, 1, 2), DayCount(1, 12, 1, 0, 1), DayCount(1, 6, 0, 7, 0), DayCount(1, 5, 9, 9, 9),
              DayCount(2, 13, 0, 0, 4)]
    digest = compose(inputs(counts=counts), now=NOW)
    acme, rival = digest.brands
    assert (acme.now.total, acme.previous.total, acme.baseline.total) == (6, 2, 9)  # day 5 is outside 6..12
    assert acme.baseline_average == 9 / 7 and round(acme.now.net) == 17 and acme.previous.net == 0
    assert rival.now.net == -100 and rival.competitor
    assert [v.share for v in digest.voice] == [0.6, 0.4] and digest.voice[1].positive_share == 0
    assert digest.chart.series[0].positive[-1] == 3 and digest.chart.days[-1] == PERIOD.first_day


def test_case_numbers_follow_their_definitions():
    opened = utc(25, 8)  # published at 07:50
    rows = [
        case(1, opened, status="resolved", resolved=utc(25, 10), due=utc(25, 12)),  # closed in time, no reply
        case(2, opened, status="claimed", first_response=utc(25, 8, 30), due=utc(25, 9)),
        case(3, opened, status="open", due=utc(25, 9)),  # never answered: a breach
        case(4, opened, status="resolved", first_response=utc(25, 13), resolved=utc(25, 14), due=utc(25, 12)),
        case(5, opened, status="dismissed", resolved=utc(25, 9), due=utc(25, 12)),
        case(6, opened, status="dismissed", first_response=utc(25, 12, 30), resolved=utc(25, 13), due=utc(25, 12)),
        case(7, utc(24, 12), status="open", due=utc(24, 16)),  # opened and due the day before
        case(8, utc(25, 23, 30), status="open", due=utc(26, 3, 30)),  # due after the period
    ]
    stats = compose(inputs(cases=rows, waiting_total=4), now=NOW).cases
    assert (stats.opened, stats.opened_previous) == (7, 1)
    assert (stats.answered, stats.resolved, stats.resolved_without_reply, stats.dismissed) == (3, 2, 1, 2)
    assert stats.breaches == 3  # 3 never answered, 4 and 6 answered after the deadline
    assert stats.unanswered == 4
    # from publication; the dismissed case's reply is counted as an answer but not timed
    assert stats.response_median == timedelta(hours=2, minutes=55) and stats.response_p90 == timedelta(hours=5,
                                                                                                       minutes=10)
    assert stats.resolution_median == timedelta(hours=4, minutes=10)
    assert stats.resolution_p90 == timedelta(hours=6, minutes=10)


def test_a_deadline_still_ahead_is_no_breach():
    rows = [case(1, utc(25, 8), due=utc(25, 20))]
    assert compose(inputs(cases=rows), now=utc(25, 21)).cases.breaches == 1
    assert compose(inputs(cases=rows), now=utc(25, 19)).cases.breaches == 0


def test_median_and_nearest_rank_percentile():
    values = [timedelta(minutes=m) for m in (10, 20, 30, 40, 50, 60, 70, 80, 90, 100)]
    assert median(values) == timedelta(minutes=55) and percentile(values, 0.9) == timedelta(minutes=90)
    assert median([timedelta(1)]) == percentile([timedelta(1)], 0.9) == timedelta(1)
    assert median([]) is None and percentile([], 0.9) is None


def test_agents_are_counted_per_person():
    actions = [AgentAction("UA", "claimed", 2), AgentAction("UA", "resolved", 1), AgentAction("UB", "resolved", 3),
               AgentAction("UB", "snoozed", 5), AgentAction("UC", "dismissed", 1), AgentAction("UD", "answered", 2)]
    agents = compose(inputs(agents=actions), now=NOW).cases.agents
    assert [(a.user, a.claimed, a.answered, a.resolved, a.dismissed) for a in agents] == [
        ("UA", 2, 0, 1, 0), ("UB", 0, 0, 3, 0), ("UD", 0, 2, 0, 0), ("UC", 0, 0, 0, 1)]


def source(name: str, **kw) -> SourceRow:
    values = dict(name=name, kind="feed", enabled=True, interval_seconds=600, consecutive_failures=0,
                  last_status=200, last_error=None, last_success_at=NOW - timedelta(minutes=5), last_item_count=10,
                  disabled_reason=None, mentions=3)
    values.update(kw)
    return SourceRow(**values)


def test_source_health():
    issues = source_issues([
        source("fine"),
        source("gone", enabled=False, disabled_reason="removed from the configuration"),
        source("off", enabled=False),
        source("banned", enabled=False, disabled_reason="HTTP 401: check the token"),
        source("limited", consecutive_failures=2, last_status=429, last_error="HTTP 429\nmore"),
        source("broken", consecutive_failures=1, last_status=None, last_error="timed out"),
        source("stale", last_success_at=NOW - timedelta(minutes=31)),
        source("fresh-ish", last_success_at=NOW - timedelta(minutes=29)),
        source("new", last_success_at=None),
        source("empty", last_item_count=0),
    ], NOW)
    assert [(i.name, i.problem, i.detail) for i in issues] == [
        ("banned", "disabled", "HTTP 401: check the token"),
        ("limited", "rate-limited", "HTTP 429"),
        ("broken", "failing", "once: timed out"),
        ("new", "stale", "never fetched successfully"),
        ("stale", "stale", "last success 31 min ago"),
        ("empty", "returned nothing", "its last fetch had no items"),
    ]


def test_terms_leave_out_stopwords_brands_links_and_rare_words():
    texts = ["Acme's refund is late again https://x.example/refund-late @acme_support",
             "@AcmeCorp where is my REFUND?", "Refunds, refund: still waiting for the refund", "waiting waiting",
             "one-off rant about invoices"]
    exclude = brand_terms([("Acme", 'acme OR "acme corp" OR #acmehelp')])
    assert {"acme", "corp", "acmehelp", "acmes"} <= exclude and "or" not in exclude
    assert top_terms(texts, exclude=exclude) == [("refund", 3), ("waiting", 2)]
    assert words("Ça ne marche pas, l'app plante") >= {"ça", "marche", "l'app", "plante"}


def big_inputs(brands: int) -> Inputs:
    rows = [BrandRow(i, f"Brand <{i}> & Sons {'x' * 60}", i % 3 == 0, f"b{i}") for i in range(1, brands + 1)]
    counts = [DayCount(i, 13, i, 2 * i, 3) for i in range(1, brands + 1)]
    waiting = [WaitingCase(i, "Brand <1>", "open", None, utc(20, 8), "C0SUPPORT", f"17000000{i}.000100",
                           "https://x.example/p", "<@U123>", "<!channel> " + "long text " * 80) for i in range(5)]
    posts = [NegativePost(i, "forum", "<!here>", 10 ** i, "https://x.example/" + "a" * 2500, None,
                          "bad " * 400, ("Brand <1>",)) for i in range(5)]
    spikes = [SpikeRow("Brand <1>", utc(25, h), utc(25, h + 1), 40, 10, 0.9, "open") for h in range(9)]
    sources = [source(f"src-{i}", consecutive_failures=1, last_error="x" * 900) for i in range(30)]
    return inputs(brands=rows, scope=[r.id for r in rows if not r.competitor], counts=counts, waiting_total=400,
                  waiting=waiting, negative_posts=posts, spikes=spikes, sources=sources,
                  negative_sources=[(f"<src {i}>", 100 - i) for i in range(9)],
                  agents=[AgentAction(f"U{i:03d}", "resolved", i) for i in range(20)],
                  negative_texts=[f"word{i % 50} again{i % 7}" for i in range(2000)])


def test_block_kit_limits_hold_with_forty_brands():
    digest = compose(big_inputs(40), now=NOW, late=True, scheduled_at=utc(26, 9))
    message = digest_message(digest, workspace_url="https://acme.slack.com/")
    assert check_blocks(message.blocks) == []
    assert len(message.blocks) <= 50
    texts = [b["text"]["text"] for b in message.blocks if b["type"] == "section"]
    assert all(len(t) <= 3000 for t in texts)
    mentions = texts[0]
    assert mentions.count("\n") == 11 and "and 30 more brands with" in mentions  # title, 10 brands, the fold
    assert "and 395 more" in texts[3]
    assert "<!channel>" not in str(message.blocks) and "<!here>" not in str(message.blocks)
    assert "|&lt;@U123&gt;>: “&lt;!channel&gt; long text" in texts[3]
    assert "*Brand &lt;40&gt; &amp; Sons" in mentions
    assert "<https://acme.slack.com/archives/C0SUPPORT/p17000000" in texts[3]
    assert "Late:" in message.blocks[1]["elements"][0]["text"]
    assert len(message.text) <= 3000 and "(late)" in message.text


def test_pack_counts_what_does_not_fit():
    from bot.messages.sections import Section

    text = pack(Section("T", [f"line {i} " + "x" * 500 for i in range(10)]), Style(slack=True))
    assert len(text) <= 3000 and text.endswith("…and 5 more lines") and text.count("\n") == 6


def test_text_and_slack_say_the_same():
    digest = compose(inputs(counts=[DayCount(1, 13, 3, 1, 2), DayCount(2, 13, 1, 1, 1)],
                            cases=[case(1, utc(25, 8), status="resolved", first_response=utc(25, 8, 30),
                                        resolved=utc(25, 9))],
                            agents=[AgentAction("ann", "resolved", 1)], negative_texts=["slow app", "slow app"],
                            negative_sources=[("forum", 2)]), now=NOW)
    plain = [[s.title, *s.lines] for s in sections(digest, Style(slack=False))]
    slack = [pack(s, Style(slack=True)).replace("*", "").split("\n") for s in sections(digest, Style(slack=True))]
    assert plain == slack
    text = digest_text(digest)
    assert text.startswith("Daily digest · Sun 25 Oct 2026\nEurope/London · compared with the day before")
    assert "Acme: 6 mentions (new vs 0 the day before; 7-day avg 0) · net sentiment +17" in text
    assert "Rival (competitor): 50% of positive mentions" not in text  # shares are per brand line
    assert "Rival (competitor): 33% of mentions" in text
    assert "Words (posts they appear in): app (2) · slow (2)" in text
    assert "By person: ann claimed 0, answered 0, resolved 1, dismissed 0" in text
    assert "answered 1 · resolved 1 · dismissed 0" in text  # every resolved case had its reply recorded


def test_durations_read_naturally():
    assert [duration(timedelta(minutes=m)) for m in (0, 59, 60, 61, 47 * 60, 49 * 60)] == [
        "0 min", "59 min", "1 h", "1 h 1 min", "47 h", "2 days 1 h"]
    assert duration(None) == "—"
