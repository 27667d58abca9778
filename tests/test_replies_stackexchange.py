"""Stack Exchange brand replies: answers and comments on the complaint's question, read over real local HTTP,
matched by user id (display names are anyone's), with the API's own errors named."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qs

import pytest

from monitors.config import ConfigError
from monitors.configure import parse_config
from monitors.ingest.fetch import Fetcher, FetchError, FetchSettings
from monitors.cases.replies import FETCHERS
from monitors.cases.replies.base import ThreadRef, brand_reply, normalise_handle
from monitors.cases.replies.watch import ReplyWatch
from storage.db import session_scope
from storage.mentions import NewMention, store_batch
from storage.models import Case, Event
from storage.sources import BrandSpec, SourceSpec, sync_brands, sync_sources
from sqlmodel import select

ASKED = datetime(2026, 11, 7, 9, 0, tzinfo=timezone.utc)
QUESTION_URL = "https://superuser.com/questions/555/acme-sync-lost-my-files"
ANSWERS = "/questions/555/answers"
BRAND_ID = 9001  # the brand's support account on superuser


def at(minutes: int) -> int:
    return int((ASKED + timedelta(minutes=minutes)).timestamp())


def answer(answer_id: int, user_id: int | None, minutes: int, name: str = "someone") -> dict:
    owner = {"display_name": name, "user_type": "registered"} | ({"user_id": user_id} if user_id else {})
    return {"answer_id": answer_id, "question_id": 555, "creation_date": at(minutes), "owner": owner, "score": 0}


def comment(comment_id: int, user_id: int | None, minutes: int, name: str = "someone", on: int = 555) -> dict:
    owner = {"display_name": name} | ({"user_id": user_id} if user_id else {"user_type": "does_not_exist"})
    return {"comment_id": comment_id, "post_id": on, "creation_date": at(minutes), "owner": owner}


def comments_path(answers: list[dict]) -> str:
    """The question's and every answer's comments, asked for in one request."""
    return "/posts/" + ";".join(["555", *(str(a["answer_id"]) for a in answers)]) + "/comments"


def serve(feed_server, answers: list[dict], comments: list[dict]) -> None:
    for path, items in ((ANSWERS, answers), (comments_path(answers), comments)):
        body = {"items": items, "has_more": False, "quota_max": 300, "quota_remaining": 290}
        feed_server.route(path, body=json.dumps(body).encode(), content_type="application/json")


def ref(feed_server) -> ThreadRef:
    return ThreadRef(external_id="stackexchange:superuser:q555", thread_id="555", base_url=feed_server.url(""),
                     url=QUESTION_URL)


@pytest.mark.parametrize(("answers", "comments", "expected"), [
    ([answer(71, 42, 5), answer(72, BRAND_ID, 30)], [], "https://superuser.com/a/72"),
    ([], [comment(81, 42, 3), comment(82, BRAND_ID, 20)], QUESTION_URL + "#comment82_555"),
    # a comment under someone's answer
    ([answer(71, 42, 5)], [comment(84, BRAND_ID, 25, on=71)], QUESTION_URL + "#comment84_71"),
    # the earlier of the two counts, whichever kind it is
    ([answer(72, BRAND_ID, 30)], [comment(82, BRAND_ID, 20)], QUESTION_URL + "#comment82_555"),
    ([], [], None),
    # a look-alike display name, a deleted account, and the brand's own answer from before the question
    ([answer(73, 43, 5, name="Acme Support"), answer(74, None, 6, name="Acme Support"), answer(75, BRAND_ID, -60)],
     [comment(83, None, 4, name="Acme Support")], None),
], ids=["answer", "comment", "comment-on-an-answer", "earliest", "unanswered", "someone-else"])
def test_the_brands_answer_or_comment_is_found(feed_server, fetcher, answers, comments, expected):
    serve(feed_server, answers, comments)

    thread = FETCHERS["stackexchange"](fetcher, ref(feed_server))

    reply = brand_reply(thread, platform="stackexchange", handles=[f"https://superuser.com/users/{BRAND_ID}/acme"],
                        after=ASKED)
    assert (reply.url if reply else None) == expected
    assert thread.gone is False
    asked = parse_qs(feed_server.last(ANSWERS).query)
    assert (asked["site"], asked["pagesize"]) == (["superuser"], ["100"])
    assert feed_server.hits(ANSWERS) == feed_server.hits(comments_path(answers)) == 1


def test_the_key_is_sent_when_the_source_names_one(feed_server, fetcher, monkeypatch):
    serve(feed_server, [], [])
    monkeypatch.setenv("SE_KEY", "k3y")
    thread_ref = ThreadRef(external_id="stackexchange:superuser:q555", thread_id="555",
                           base_url=feed_server.url(""), params={"key_env": "SE_KEY"})
    FETCHERS["stackexchange"](fetcher, thread_ref)
    assert parse_qs(feed_server.last(comments_path([])).query)["key"] == ["k3y"]


def test_without_the_questions_link_a_reply_still_counts(feed_server, fetcher):
    serve(feed_server, [answer(72, BRAND_ID, 30)], [])
    thread = FETCHERS["stackexchange"](fetcher, ThreadRef("stackexchange:superuser:q555", "555",
                                                          feed_server.url("")))
    reply = brand_reply(thread, platform="stackexchange", handles=[str(BRAND_ID)], after=ASKED)
    assert reply is not None and reply.url is None and reply.author == str(BRAND_ID)


def test_a_mention_from_another_source_is_not_read(fetcher):
    assert FETCHERS["stackexchange"](fetcher, ThreadRef("reddit:t3_x", "t3_x", "")) is None


def test_the_apis_own_error_is_named(feed_server, fetcher):
    said = {"error_id": 502, "error_name": "throttle_violation",
            "error_message": "too many requests from this IP, more requests available in 71 seconds"}
    feed_server.route(ANSWERS, body=json.dumps(said).encode(), status=400, content_type="application/json")
    with pytest.raises(FetchError, match="throttle_violation") as caught:
        FETCHERS["stackexchange"](fetcher, ref(feed_server))
    assert caught.value.retry_after == 71
    assert feed_server.hits(comments_path([])) == 0


def test_handles_are_user_ids():
    assert normalise_handle("stackexchange", "https://stackoverflow.com/users/12345/acme-support") == "12345"
    assert normalise_handle("stackexchange", "users/12345") == normalise_handle("stackexchange", " 12345 ") == "12345"
    assert normalise_handle("stackexchange", "Acme Support") == ""  # a display name names nobody in particular


def test_check_config_refuses_a_display_name_as_a_stackexchange_handle():
    brand = {"name": "Acme", "query": "acme", "handles": {"stackexchange": ["Acme Support"]}}
    with pytest.raises(ConfigError, match=r"brands\[0\]\.handles.*'Acme Support' is not a user id"):
        parse_config({"brands": [brand]})
    brand["handles"]["stackexchange"] = ["https://superuser.com/users/9001/acme", "77"]
    assert parse_config({"brands": [brand]}).brands[0].handles["stackexchange"][1] == "77"


@pytest.mark.parametrize(("key", "every"), [(None, timedelta(hours=6)), ("k3y", timedelta(hours=1))],
                         ids=["without-a-key", "with-a-key"])
def test_the_reply_watch_reads_a_stackexchange_thread_as_often_as_the_quota_allows(engine, feed_server, monkeypatch,
                                                                                    key, every):
    monkeypatch.setenv("SE_KEY", key or "")
    with session_scope(engine) as session:
        brands = sync_brands(session=session, specs=[
            BrandSpec("Acme", "acme", [], {"stackexchange": [str(BRAND_ID)]}, False)])
        sources = sync_sources(session=session, now=ASKED, specs=[
            SourceSpec("su", "stackexchange", feed_server.url(""),
                       {"query": "acme", "site": "superuser", "key_env": "SE_KEY"}, ["Acme"], 600, True)])
        item = NewMention(external_id="stackexchange:superuser:q555", text="acme sync lost my files", url=QUESTION_URL,
                          thread_id="555", content_hash="h", story_key="s", published_at=ASKED, is_complaint=True,
                          complaint_score=0.9, brand_ids=[brands["Acme"]], case_brand_id=brands["Acme"],
                          sla_due_at=ASKED + timedelta(hours=4), priority=1.0)
        (case_id,) = store_batch(session=session, source_id=sources["su"], items=[item], now=ASKED).case_ids
    serve(feed_server, [], [])
    start = ASKED + timedelta(minutes=1)
    with Fetcher(FetchSettings(timeout=2, total_timeout=4)) as fetcher:
        watch = ReplyWatch(engine, fetcher, interval=timedelta(minutes=10))
        assert watch.run_once(start).checked == 1
        serve(feed_server, [answer(72, BRAND_ID, 30)], [])
        assert watch.run_once(start + every - timedelta(minutes=1)).checked == 0  # what the quota allows
        assert watch.run_once(start + every).answered == [case_id]
    assert feed_server.hits(ANSWERS) == 2
    assert ("key" in parse_qs(feed_server.last(ANSWERS).query)) is bool(key)
    with session_scope(engine) as session:
        assert session.get(Case, case_id).first_response_at == ASKED + timedelta(minutes=30)
        (answered,) = session.exec(select(Event).where(Event.action == "answered")).all()
        assert (answered.actor, answered.note) == (f"stackexchange:{BRAND_ID}", "https://superuser.com/a/72")


def test_check_config_refuses_handles_for_a_platform_whose_replies_are_not_read():
    brand = {"name": "Acme", "query": "acme", "handles": {"mastadon": ["@acme@mastodon.social"]}}
    with pytest.raises(ConfigError, match=r"brands\[0\]\.handles.*'mastadon': replies are read on bluesky, github"):
        parse_config({"brands": [brand]})


def test_an_answer_in_another_shape_is_a_clear_error(feed_server, fetcher):
    feed_server.route(ANSWERS, body=b'{"items": [{"owner": {"user_id": 1}, "creation_date": 1}]}',
                      content_type="application/json")
    with pytest.raises(FetchError, match=r"Stack Exchange answered in an unexpected format \(items\[0\]\.answer_id"):
        FETCHERS["stackexchange"](fetcher, ref(feed_server))


def test_the_apis_backoff_pauses_that_method_for_every_question(feed_server, fetcher, monkeypatch):
    from monitors.cases.replies import stackexchange

    clock = [1000.0]
    monkeypatch.setattr(stackexchange, "_monotonic", lambda: clock[0])
    monkeypatch.setattr(stackexchange, "_paused_until", {})
    serve(feed_server, [answer(72, BRAND_ID, 30)], [])
    paused = {"items": [answer(72, BRAND_ID, 30)], "has_more": False, "backoff": 30}
    feed_server.route(ANSWERS, body=json.dumps(paused).encode(), content_type="application/json")

    assert FETCHERS["stackexchange"](fetcher, ref(feed_server)).replies  # this answer is still read
    clock[0] += 29
    with pytest.raises(FetchError, match=r"asked for a pause \(1 s left\)") as caught:
        FETCHERS["stackexchange"](fetcher, ref(feed_server))
    assert caught.value.retry_after == pytest.approx(1)
    assert feed_server.hits(ANSWERS) == 1  # nothing asked during the pause
    clock[0] += 1
    FETCHERS["stackexchange"](fetcher, ref(feed_server))
    assert feed_server.hits(ANSWERS) == 2
