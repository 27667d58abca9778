"""The pure half of ingest: which items become which rows (no I/O; fixed `now`)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from monitors.configure import parse_config
from monitors.ingest.pipeline import STORY_MIN_WORDS, Pipeline, priority, story_key
from monitors.ingest.raw import RawMention

NOW = datetime(2026, 11, 6, 12, 0, tzinfo=timezone.utc)
CONFIG = parse_config({
    "brands": [{"name": "Acme", "query": "acme", "exclude": ['"acme anvils"']},
               {"name": "Globex", "query": "globex", "competitor": True}],
    "complaints": {"sla": "2h", "max_age": "1d"},
})
PIPELINE = Pipeline(CONFIG, {"Acme": 1, "Globex": 2})
COMPLAINT = "Acme charged me twice and support never answered my three emails. I want a refund now."


def prepare(*items: RawMention, brands=("Acme", "Globex")):
    return PIPELINE.prepare(list(items), brand_names=list(brands), now=NOW)


def test_complaint_about_our_brand_opens_a_case_with_its_sla():
    [row] = prepare(RawMention("1", COMPLAINT, published_at=NOW - timedelta(minutes=30), author_reach=1000))
    assert row.is_complaint and row.case_brand_id == 1 and row.brand_ids == [1]
    assert row.sla_due_at == NOW + timedelta(minutes=90)
    assert row.priority == priority(row.complaint_score, 1000) > row.complaint_score
    assert row.complaint_cues  # the card can say why


def test_competitor_complaints_are_stored_but_open_no_case():
    [row] = prepare(RawMention("1", COMPLAINT.replace("Acme", "Globex")))
    assert row.is_complaint and row.brand_ids == [2] and row.case_brand_id is None


def test_exclusions_veto_and_unmatched_items_are_dropped():
    assert prepare(RawMention("1", "The acme anvils exhibit was awful"), RawMention("2", "nothing here")) == []


def test_source_brand_list_limits_matching():
    assert prepare(RawMention("1", COMPLAINT), brands=["Globex"]) == []


def test_old_or_future_dates():
    [old] = prepare(RawMention("1", COMPLAINT, published_at=NOW - timedelta(days=2)))
    assert old.is_complaint and old.case_brand_id is None  # too old for a case
    [future] = prepare(RawMention("2", COMPLAINT, published_at=NOW + timedelta(days=3)))
    assert future.published_at == NOW  # a clock-skewed source cannot push the SLA into the future
    [undated] = prepare(RawMention("3", COMPLAINT))
    assert undated.published_at == NOW


def test_title_is_matched_and_scored_with_the_text():
    [row] = prepare(RawMention("1", "It keeps crashing and nobody answers, I want a refund.", title="Acme app"))
    assert row.brand_ids == [1] and row.is_complaint


def test_the_words_matched_once_key_the_story_as_the_text_alone_would():
    items = [RawMention("1", COMPLAINT, title="Acme billing"), RawMention("2", COMPLAINT, title="Acme charged"),
             RawMention("3", "RT @sam: " + COMPLAINT, author="sam"),
             RawMention("4", "Globex vs acme https://x.example/a via @kim", title="Compare"),
             RawMention("5", "Only the title names it: it crashed", title="ACME café")]
    rows = prepare(*items)
    assert [row.external_id for row in rows] == ["1", "2", "3", "4", "5"]
    for item, row in zip(items, rows):
        assert row.story_key == story_key(item.title, item.text, author=item.author, external_id=item.external_id)
    assert rows[0].brand_ids == [1] and rows[3].brand_ids == [1, 2] and rows[4].brand_ids == [1]


def test_story_keys():
    long_text = COMPLAINT
    assert story_key(None, long_text, author="a", external_id="1") == story_key(None, long_text, author="b",
                                                                                   external_id="2")
    short = "acme down again?"
    assert story_key(None, short, author="a", external_id="1") != story_key(None, short, author="b", external_id="2")
    assert story_key(None, short, author="A", external_id="1") == story_key(None, short, author="a", external_id="9")
    assert story_key(None, "", author="a", external_id="1") != story_key(None, "", author="a", external_id="2")
    # from STORY_MIN_WORDS words on, the same text is one story whoever posts it
    for words, shared in ((STORY_MIN_WORDS - 1, False), (STORY_MIN_WORDS, True), (STORY_MIN_WORDS + 5, True)):
        text = " ".join(f"word{n}" for n in range(words)) + "\n"
        assert (story_key(None, text, author="a", external_id="1")
                == story_key(None, text, author="b", external_id="2")) is shared, words


def test_priority_grows_gently_with_reach():
    assert priority(0.8, 0) == 0.8
    assert priority(0.8, 100_000) < 0.8 * 10
    assert priority(0.9, 10) > priority(0.9, 0)
