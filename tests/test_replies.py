"""Brand-reply detection per platform, over fixture threads served by a real local HTTP server:
the brand answered, nobody answered, someone else (a look-alike handle) answered, the complaint is gone."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import pytest

from monitors.ingest.fetch import FetchError
from monitors.cases.replies import FETCHERS
from monitors.cases.replies.base import Reply, Thread, ThreadRef, brand_reply, normalise_handle

FIXTURES = Path(__file__).parent / "fixtures" / "sources" / "replies"
NOON = datetime(2026, 11, 7, 12, 0, tzinfo=timezone.utc)
MIDNIGHT = datetime(2026, 11, 7, 0, 0, tzinfo=timezone.utc)

# platform -> (path asked for, the complaint's ids, its publication time, the brand's handles)
PLATFORMS = {
    "reddit": ("/comments/abc.json", "t3_abc", "t3_abc", NOON, ["u/acmesupport"]),
    "hackernews": ("/items/10", "11", "10", NOON, ["ACME"]),
    "mastodon": ("/api/v1/statuses/1/context", "1", "1", MIDNIGHT, ["@acme@127.0.0.1"]),
    "bluesky": ("/xrpc/app.bsky.feed.getPostThread", "at://did:plc:sam/app.bsky.feed.post/c0", None, MIDNIGHT,
                ["@Acme.com"]),
    "github": ("/repos/acme/app/issues/7/comments", "github:acme/app#7", "acme/app#7", MIDNIGHT, ["acme-bot"]),
}

# (platform, fixture or HTTP status, expected: the answering reply's URL, None for no answer; gone?)
CASES = [
    ("reddit", "answered", "https://www.reddit.com/r/acme/comments/abc/x/c2/", False),
    ("reddit", "unanswered", None, False),
    ("reddit", "someone_else", None, False),  # a look-alike handle, and the brand's own deleted comment
    ("reddit", "removed", None, True),
    ("reddit", 404, None, True),
    ("hackernews", "answered", "https://news.ycombinator.com/item?id=13", False),
    ("hackernews", "unanswered", None, False),
    ("hackernews", "someone_else", None, False),
    ("hackernews", "deleted", "https://news.ycombinator.com/item?id=13", True),  # an answer still counts
    ("mastodon", "answered", "https://mastodon.social/@acme/3", False),
    ("mastodon", "unanswered", None, False),
    ("mastodon", "someone_else", None, False),  # acme on another server is someone else
    ("mastodon", 404, None, True),
    ("bluesky", "answered", "https://bsky.app/profile/acme.com/post/r2", False),
    ("bluesky", "unanswered", None, False),
    ("bluesky", "someone_else", None, False),
    ("bluesky", "deleted", None, True),
    ("bluesky", 400, None, True),
    ("github", "answered", "https://github.com/acme/app/issues/7#issuecomment-12", False),
    ("github", "unanswered", None, False),
    ("github", "someone_else", None, False),
    ("github", 410, None, True),
]


@pytest.mark.parametrize(("platform", "served", "answer_url", "gone"), CASES,
                         ids=[f"{c[0]}-{c[1]}" for c in CASES])
def test_brand_reply_per_platform(feed_server, fetcher, platform, served, answer_url, gone):
    path, external_id, thread_id, published, handles = PLATFORMS[platform]
    if isinstance(served, int):
        feed_server.route(path, body=b'{"error": "NotFound"}', status=served, content_type="application/json")
    else:
        body = (FIXTURES / f"{platform}_{served}.json").read_bytes()
        feed_server.route(path, body=body, content_type="application/json")
    ref = ThreadRef(external_id=external_id, thread_id=thread_id, base_url=feed_server.url(""))

    thread = FETCHERS[platform](fetcher, ref)

    assert feed_server.hits(path) == 1
    assert thread.gone is gone
    reply = brand_reply(thread, platform=platform, handles=handles, after=published)
    assert (reply.url if reply else None) == answer_url


def test_a_reply_before_the_complaint_is_no_answer():
    early = Reply(author="acme", published_at=MIDNIGHT, url="u")
    thread = Thread(replies=[early])
    assert brand_reply(thread, platform="hackernews", handles=["acme"], after=NOON) is None
    assert brand_reply(thread, platform="hackernews", handles=["acme"], after=MIDNIGHT) is early


def test_the_earliest_brand_reply_is_the_answer():
    later = Reply(author="acme", published_at=NOON, url="later")
    first = Reply(author="ACME", published_at=MIDNIGHT, url="first")
    assert brand_reply(Thread([later, first]), platform="github", handles=["acme"], after=None) is first


def test_handles_are_matched_exactly_per_platform():
    assert normalise_handle("reddit", "/u/AcmeSupport") == normalise_handle("reddit", "acmesupport")
    assert normalise_handle("mastodon", "@Acme@Mastodon.Social") == "acme@mastodon.social"
    assert normalise_handle("bluesky", "@acme.com") == "acme.com"
    # a Mastodon handle without its server names nobody in particular, so it matches nobody
    thread = Thread([Reply(author="acme@mastodon.social", published_at=None, url="x")])
    assert brand_reply(thread, platform="mastodon", handles=["@acme"], after=None) is None
    assert brand_reply(thread, platform="mastodon", handles=["@acme@mastodon.social"], after=None) is not None


def test_a_github_discussion_is_not_read_without_a_token(fetcher):
    ref = ThreadRef(external_id="github:acme/app/discussions/3", thread_id="acme/app/discussions/3", base_url="")
    assert FETCHERS["github"](fetcher, ref) is None  # GitHub's GraphQL API answers nobody without one


def _discussion_comment(login, minute, url, *, deleted=False, replies=()):
    node = {"author": {"login": login} if login else None, "createdAt": f"2026-11-07T00:{minute:02d}:00Z",
            "url": url, "deletedAt": "2026-11-07T01:00:00Z" if deleted else None}
    return node if replies is None else {**node, "replies": {"nodes": list(replies)}}


DISCUSSION_URL = "https://github.com/acme/app/discussions/3"


@pytest.mark.parametrize(("comments", "answer_url"), [
    # the brand answered in a reply under someone's comment
    ([_discussion_comment("kim", 1, f"{DISCUSSION_URL}#c1", replies=[
        _discussion_comment("Acme-Bot", 9, f"{DISCUSSION_URL}#r9", replies=None)])], f"{DISCUSSION_URL}#r9"),
    ([_discussion_comment("acme-bot", 5, f"{DISCUSSION_URL}#c5")], f"{DISCUSSION_URL}#c5"),
    # a look-alike, a deleted account, and the brand's own deleted comment
    ([_discussion_comment("acme-bot-fan", 2, "a"), _discussion_comment(None, 3, "b"),
      _discussion_comment("acme-bot", 4, "c", deleted=True)], None),
    ([], None),
], ids=["reply", "comment", "someone-else", "unanswered"])
def test_a_github_discussion_is_read_with_the_sources_token(feed_server, fetcher, monkeypatch, comments, answer_url):
    monkeypatch.setenv("GH_TOKEN", "t0ken")
    body = {"data": {"repository": {"discussion": {"comments": {"nodes": comments}}}}}
    feed_server.route("/graphql", body=json.dumps(body).encode(), content_type="application/json")
    ref = ThreadRef(external_id="github:acme/app/discussions/3", thread_id="acme/app/discussions/3",
                    base_url=feed_server.url(""), params={"token_env": "GH_TOKEN"})

    thread = FETCHERS["github"](fetcher, ref)

    reply = brand_reply(thread, platform="github", handles=["acme-bot"], after=MIDNIGHT)
    assert (reply.url if reply else None) == answer_url and thread.gone is False
    sent = feed_server.last("/graphql")
    assert sent.method == "POST" and sent.headers["authorization"] == "Bearer t0ken"
    assert json.loads(sent.body)["variables"] == {"owner": "acme", "name": "app", "number": 3}


def test_a_github_discussion_that_no_longer_resolves_is_gone_and_other_errors_are_said(feed_server, fetcher,
                                                                                       monkeypatch):
    monkeypatch.setenv("GH_TOKEN", "t0ken")
    ref = ThreadRef(external_id="github:acme/app/discussions/3", thread_id="acme/app/discussions/3",
                    base_url=feed_server.url(""), params={"token_env": "GH_TOKEN"})
    missing = {"data": {"repository": {"discussion": None}},
               "errors": [{"type": "NOT_FOUND", "message": "Could not resolve to a Discussion with the number of 3."}]}
    feed_server.route("/graphql", body=json.dumps(missing).encode(), content_type="application/json")
    assert FETCHERS["github"](fetcher, ref).gone is True

    limited = {"data": None, "errors": [{"type": "RATE_LIMITED", "message": "API rate limit exceeded"}]}
    feed_server.route("/graphql", body=json.dumps(limited).encode(), content_type="application/json")
    with pytest.raises(FetchError, match="GitHub could not read the discussion: API rate limit exceeded"):
        FETCHERS["github"](fetcher, ref)

    feed_server.route("/graphql", body=b'{"message": "Bad credentials"}', status=401, content_type="application/json")
    with pytest.raises(FetchError, match="token"):
        FETCHERS["github"](fetcher, ref)


def test_a_reddit_thread_is_read_over_the_sources_oauth_app(feed_server, fetcher, monkeypatch):
    monkeypatch.setenv("REDDIT_ID", "my-app")
    monkeypatch.setenv("REDDIT_SECRET", "s3cret")
    ref = ThreadRef(external_id="t3_abc", thread_id="t3_abc", base_url=feed_server.url("/oauth-test"),
                    params={"client_id_env": "REDDIT_ID", "secret_env": "REDDIT_SECRET"})
    feed_server.route("/oauth-test/api/v1/access_token", b'{"access_token": "tok-1", "expires_in": 86400}',
                      content_type="application/json")
    feed_server.route("/oauth-test/comments/abc", (FIXTURES / "reddit_answered.json").read_bytes(),
                      content_type="application/json")

    thread = FETCHERS["reddit"](fetcher, ref)

    assert brand_reply(thread, platform="reddit", handles=["u/acmesupport"], after=NOON) is not None
    assert feed_server.last("/oauth-test/comments/abc").headers["authorization"] == "bearer tok-1"
    assert feed_server.hits("/oauth-test/comments/abc.json") == 0  # not the public JSON

    FETCHERS["reddit"](fetcher, ref)
    assert feed_server.hits("/oauth-test/api/v1/access_token") == 1  # the token is kept between reads
    feed_server.route("/oauth-test/comments/abc", b'{"message": "Unauthorized"}', status=401,
                      content_type="application/json")
    with pytest.raises(FetchError):
        FETCHERS["reddit"](fetcher, ref)
    feed_server.route("/oauth-test/comments/abc", (FIXTURES / "reddit_answered.json").read_bytes(),
                      content_type="application/json")
    FETCHERS["reddit"](fetcher, ref)
    assert feed_server.hits("/oauth-test/api/v1/access_token") == 2  # a refused token was dropped, a new one asked
