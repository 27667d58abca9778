"""RedditSource against a local server speaking Reddit's listing format: mapping, paging, cursor, OAuth, errors."""

from __future__ import annotations

import base64
import json
import re
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import parse_qs

import pytest

from monitors.configure import source_config
from monitors.ingest.fetch import ContentError, FetchError, HTTPStatusError
from monitors.ingest.sources.registry import SOURCE_KINDS
from monitors.ingest.sources.base import SourceState
from monitors.ingest.sources.reddit import RedditSource
from tests.fixtures.feed_server import Reply

NOW = datetime(2026, 11, 6, 12, 0, tzinfo=timezone.utc)
HOUR = 3600
T_NOW = int(NOW.timestamp())
FIXTURES = Path(__file__).parent / "fixtures" / "sources" / "reddit"


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def state(url: str, cursor: str | None = None, **params) -> SourceState:
    return SourceState(id=1, name="reddit", kind="reddit", url=url, params={"query": "acme", **params},
                       cursor=cursor)


def query_of(request) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(request.query).items()}


def listing_server(server, posts: list[tuple[str, int]], path: str = "/search.json", headers=None) -> None:
    """A Reddit that holds `posts` (fullname, created_utc), newest first, and pages them with after/limit."""
    def handler(request):
        asked = query_of(request)
        names = [name for name, _ in posts]
        start = names.index(asked["after"]) + 1 if "after" in asked else 0
        page = posts[start:start + int(asked["limit"])]
        more = start + len(page) < len(posts)
        children = [{"kind": "t3", "data": {"name": name, "title": f"Acme post {name}", "selftext": "",
                                             "score": 1, "num_comments": 0, "created_utc": created,
                                             "permalink": f"/r/acme/comments/{name[3:]}/x/"}}
                    for name, created in page]
        body = {"kind": "Listing", "data": {"after": page[-1][0] if more and page else None,
                                            "children": children}}
        return Reply(headers={"Content-Type": "application/json", **(headers or {})}, body=json.dumps(body))

    server.route(path, handler=handler)


def spaced(count: int, newest: int, step: int) -> list[tuple[str, int]]:
    return [(f"t3_p{i:04d}", newest - i * step) for i in range(count)]


def test_registered_and_validated():
    assert isinstance(SOURCE_KINDS["reddit"], RedditSource)
    ok = source_config(name="r", kind="reddit", params={"query": "acme", "subreddits": ["r/acme", "AcmeSupport"],
                                                       "client_id_env": "REDDIT_ID", "secret_env": "REDDIT_SECRET"})
    assert ok.url == ""  # the default, www.reddit.com, is filled in at poll time
    for params, complaint in [
        ({}, "params.query: missing"),
        ({"query": "acme", "subreddits": ["no spaces"]}, "params.subreddits"),
        ({"query": "acme", "client_id_env": "REDDIT_ID"}, "params.secret_env: OAuth needs both"),
        ({"query": "acme", "client_id_env": "abc-123-not-a-name", "secret_env": "S"}, "NAME of an environment"),
        ({"query": "acme", "querry": "x"}, "params.querry: unknown setting"),
        ({"query": "acme", "max_pages": 0}, "params.max_pages"),
    ]:
        with pytest.raises(ValueError, match=complaint):
            source_config(name="r", kind="reddit", params=params)


def test_a_page_maps_posts_and_comments(feed_server, fetcher):
    feed_server.route("/r/acme+AcmeSupport/search.json", fixture("search_page.json"), content_type="application/json")
    result = RedditSource().poll(fetcher, state(feed_server.url(""), subreddits=["r/acme", "AcmeSupport"]), now=NOW)

    asked = feed_server.last("/r/acme+AcmeSupport/search.json")
    assert query_of(asked) == {"q": "acme", "sort": "new", "type": "link", "limit": "100", "raw_json": "1",
                               "restrict_sr": "1"}
    assert asked.headers["user-agent"].startswith("Earful/")  # Reddit refuses anonymous agents

    post, link, comment = result.mentions  # the "more" stub is skipped
    assert post.external_id == post.thread_id == "t3_1abc01" and post.parent_id is None
    assert post.title == "Acme charged me twice and nobody answers"
    assert post.text.startswith("Ordered the Acme kettle on Monday & got charged twice")
    assert post.url == "https://www.reddit.com/r/acme/comments/1abc01/acme_charged_me_twice_and_nobody_answers/"
    assert (post.author, post.author_reach) == ("kettle_owner", 42 + 17)
    assert post.published_at == datetime(2026, 11, 6, 11, 0, tzinfo=timezone.utc)
    assert post.extra["subreddit"] == "acme" and "link" not in post.extra

    assert link.text == link.title and link.author is None  # a link post has no body; [deleted] is nobody
    assert link.extra["link"] == "https://news.example.com/acme-kettle" and link.author_reach == 150

    assert comment.external_id == "t1_kc0003"
    assert (comment.thread_id, comment.parent_id) == ("t3_1abbzz", "t1_kc0001")
    assert comment.author_reach == 5 and comment.extra["post_title"] == "Anyone else double-charged by Acme?"
    assert result.cursor == str(T_NOW - HOUR) and result.warnings == []


def test_an_empty_page_keeps_the_cursor(feed_server, fetcher):
    feed_server.route("/search.json", fixture("empty.json"), content_type="application/json")
    result = RedditSource().poll(fetcher, state(feed_server.url(""), cursor=str(T_NOW - HOUR)), now=NOW)
    assert result.mentions == [] and result.cursor == str(T_NOW - HOUR)
    first = RedditSource().poll(fetcher, state(feed_server.url("")), now=NOW)
    assert first.mentions == [] and first.cursor is None


def test_paging_then_a_second_poll_asks_only_for_what_is_new(feed_server, fetcher):
    # 250 posts ten minutes apart: 144 of them fall in the first poll's 24-hour look-back
    posts = spaced(250, T_NOW - 60, 600)
    listing_server(feed_server, posts)
    first = RedditSource().poll(fetcher, state(feed_server.url("")), now=NOW)
    assert len(first.mentions) == 144 and first.warnings == []
    afters = [query_of(r).get("after") for r in feed_server.requests]
    assert afters == [None, "t3_p0099"]  # 100 per page, then on from the last fullname
    assert first.cursor == str(T_NOW - 60)

    newer = [("t3_new2", T_NOW + 500), ("t3_new1", T_NOW + 400)]
    listing_server(feed_server, newer + posts)
    second = RedditSource().poll(fetcher, state(feed_server.url(""), cursor=first.cursor),
                                 now=datetime.fromtimestamp(T_NOW + 600, tz=timezone.utc))
    assert len(feed_server.requests) == 3  # one page reached the cursor
    # the new posts, plus the one inside the 5-minute overlap (stored idempotently)
    assert [m.external_id for m in second.mentions] == ["t3_new2", "t3_new1", "t3_p0000"]
    assert second.cursor == str(T_NOW + 500)


def test_the_page_cap_stops_paging_and_says_so(feed_server, fetcher):
    listing_server(feed_server, spaced(400, T_NOW - 60, 60))
    result = RedditSource().poll(fetcher, state(feed_server.url(""), max_pages=2), now=NOW)
    assert len(result.mentions) == 200 and len(feed_server.requests) == 2
    assert "raise params.max_pages" in result.warnings[0]


def test_an_exhausted_rate_limit_stops_paging(feed_server, fetcher):
    listing_server(feed_server, spaced(300, T_NOW - 60, 60),
                   headers={"x-ratelimit-remaining": "0.0", "x-ratelimit-reset": "240", "x-ratelimit-used": "100"})
    result = RedditSource().poll(fetcher, state(feed_server.url("")), now=NOW)
    assert len(feed_server.requests) == 1 and len(result.mentions) == 100
    assert "rate limit ran out" in result.warnings[0]
    assert result.cursor == str(T_NOW - 60)


def test_too_many_requests_carries_retry_after(feed_server, fetcher):
    feed_server.route("/search.json", b'{"message": "Too Many Requests", "error": 429}', status=429,
                      headers={"Retry-After": "120"}, content_type="application/json")
    with pytest.raises(HTTPStatusError) as caught:
        RedditSource().poll(fetcher, state(feed_server.url("")), now=NOW)
    assert (caught.value.status, caught.value.retry_after, caught.value.permanent) == (429, 120, False)
    # anonymous polling is what Reddit limits: the health message names both ways in
    assert "params.private_feed_env" in str(caught.value) and "reddit.com/prefs/feeds" in str(caught.value)
    assert "params.client_id_env" in str(caught.value)


def test_a_refusal_says_how_to_set_up_oauth(feed_server, fetcher):
    feed_server.route("/search.json", b'{"message": "Forbidden", "error": 403}', status=403)
    with pytest.raises(HTTPStatusError) as caught:
        RedditSource().poll(fetcher, state(feed_server.url("")), now=NOW)
    assert caught.value.permanent and caught.value.status == 403
    assert "params.client_id_env and params.secret_env" in str(caught.value)
    assert "params.private_feed_env" in str(caught.value) and "https://www.reddit.com/prefs/feeds" in str(caught.value)


FEED_TOKEN = "0123456789abcdef0123456789abcdef01234567"


def test_a_private_feed_url_is_read_as_that_user(feed_server, fetcher, monkeypatch):
    # reddit.com/prefs/feeds shows RSS links such as https://www.reddit.com/r/acme/new/.rss?feed=...&user=...
    monkeypatch.setenv("REDDIT_FEED", feed_server.url(f"/r/acme/new/.rss?feed={FEED_TOKEN}&user=acme_watch"))
    listing_server(feed_server, spaced(150, T_NOW - 60, 60), path="/r/acme/new/.json")
    result = RedditSource().poll(fetcher, state("", private_feed_env="REDDIT_FEED"), now=NOW)
    assert len(result.mentions) == 150 and result.cursor == str(T_NOW - 60)
    asked = [query_of(r) for r in feed_server.requests]
    assert [(q["feed"], q["user"], q["limit"]) for q in asked] == [(FEED_TOKEN, "acme_watch", "100")] * 2
    assert feed_server.hits("/search.json") == 0  # no anonymous search, no OAuth app


def test_a_private_feed_needs_no_query_and_a_bad_one_says_where_to_copy_it(feed_server, fetcher, monkeypatch):
    source_config(name="r", kind="reddit", params={"private_feed_env": "REDDIT_FEED"})
    monkeypatch.setenv("REDDIT_FEED", "https://www.reddit.com/r/acme/new/.rss")  # the public feed, no token
    with pytest.raises(FetchError, match=r"\$REDDIT_FEED does not hold a private feed URL") as caught:
        RedditSource().poll(fetcher, state("", private_feed_env="REDDIT_FEED"), now=NOW)
    assert caught.value.permanent

    monkeypatch.setenv("REDDIT_FEED", feed_server.url(f"/.rss?feed={FEED_TOKEN}&user=acme_watch"))
    feed_server.route("/.json", b'{"message": "Forbidden", "error": 403}', status=403)
    with pytest.raises(HTTPStatusError, match="private feed URL in \\$REDDIT_FEED was not accepted") as caught:
        RedditSource().poll(fetcher, state("", private_feed_env="REDDIT_FEED"), now=NOW)
    assert caught.value.permanent and "prefs/feeds" in str(caught.value)


@pytest.mark.parametrize("body, says", [
    (b"<html><body>our CDN is having a moment</body></html>", "not JSON"),
    (b'{"kind": "Listing", "data": {"children": {"oops": 1}}}', "answer.data.children is an object"),
    (fixture("changed_shape.json"), "answer.data.children[0].data.created_utc is a string"),
    (b'["a", "list"]', "answer is a list"),
])
def test_a_malformed_answer_is_a_content_error(feed_server, fetcher, body, says):
    feed_server.route("/search.json", body, content_type="application/json")
    with pytest.raises(ContentError, match=re.escape(says)):
        RedditSource().poll(fetcher, state(feed_server.url("")), now=NOW)


def test_oauth_token_then_bearer_requests(feed_server, fetcher, monkeypatch):
    monkeypatch.setenv("REDDIT_ID", "my-app")
    monkeypatch.setenv("REDDIT_SECRET", "s3cret")
    feed_server.route("/api/v1/access_token", fixture("token.json"), content_type="application/json")
    feed_server.route("/search", fixture("search_page.json"), content_type="application/json")
    source = RedditSource()
    oauth = state(feed_server.url(""), client_id_env="REDDIT_ID", secret_env="REDDIT_SECRET")
    result = source.poll(fetcher, oauth, now=NOW)
    assert len(result.mentions) == 3

    token_request = feed_server.last("/api/v1/access_token")
    assert token_request.method == "POST" and token_request.body == b"grant_type=client_credentials"
    assert token_request.headers["authorization"] == "Basic " + base64.b64encode(b"my-app:s3cret").decode()
    assert token_request.headers["user-agent"].startswith("Earful/")
    assert feed_server.last("/search").headers["authorization"] == "bearer app-only-token-1"

    source.poll(fetcher, oauth, now=NOW)
    assert feed_server.hits("/api/v1/access_token") == 1  # the token is kept for its lifetime
    source.poll(fetcher, oauth, now=datetime.fromtimestamp(T_NOW + 86400, tz=timezone.utc))
    assert feed_server.hits("/api/v1/access_token") == 2  # and renewed after it


def test_oauth_problems_name_what_to_fix(feed_server, fetcher, monkeypatch):
    oauth = state(feed_server.url(""), client_id_env="REDDIT_ID", secret_env="REDDIT_SECRET")
    with pytest.raises(FetchError, match="REDDIT_ID, which is not set") as caught:
        RedditSource().poll(fetcher, oauth, now=NOW)
    assert caught.value.permanent

    monkeypatch.setenv("REDDIT_ID", "my-app")
    monkeypatch.setenv("REDDIT_SECRET", "wrong")
    feed_server.route("/api/v1/access_token", b'{"message": "Unauthorized", "error": 401}', status=401)
    with pytest.raises(HTTPStatusError, match=r"\$REDDIT_ID / \$REDDIT_SECRET were not accepted") as caught:
        RedditSource().poll(fetcher, oauth, now=NOW)
    assert caught.value.permanent and caught.value.status == 401

    feed_server.route("/api/v1/access_token", fixture("token.json"), content_type="application/json")
    feed_server.route("/search", b'{"message": "Unauthorized", "error": 401}', status=401)
    source = RedditSource()
    with pytest.raises(HTTPStatusError, match="did not accept the app-only token"):
        source.poll(fetcher, oauth, now=NOW)
    feed_server.route("/search", fixture("empty.json"), content_type="application/json")
    source.poll(fetcher, oauth, now=NOW)
    assert feed_server.hits("/api/v1/access_token") == 3  # the refused token was dropped and replaced
