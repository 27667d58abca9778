"""MastodonSource against a local server speaking the Mastodon API: hashtag timelines, search, paging, errors."""

from __future__ import annotations

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
from monitors.ingest.sources.mastodon import MastodonSource
from tests.fixtures.feed_server import Reply

NOW = datetime(2026, 11, 6, 12, 0, tzinfo=timezone.utc)
FIXTURES = Path(__file__).parent / "fixtures" / "sources" / "mastodon"
TAG = "/api/v1/timelines/tag/acme"
SEARCH = "/api/v2/search"


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def state(url: str, cursor: str | None = None, **params) -> SourceState:
    return SourceState(id=1, name="masto", kind="mastodon", url=url, params=params or {"hashtags": ["acme"]},
                       cursor=cursor)


def query_of(request) -> dict[str, list[str]]:
    return parse_qs(request.query)


def tag_server(server, newest: int, *, link: bool = True, headers: dict | None = None) -> None:
    """A tag timeline holding statuses 1..newest; min_id gives the page just above it, newest first."""
    def handler(request):
        asked = query_of(request)
        limit = int(asked["limit"][0])
        if "min_id" in asked:
            low = int(asked["min_id"][0])
            ids = list(range(low + 1, min(low + limit, newest) + 1))[::-1]
        else:
            ids = list(range(newest, max(newest - limit, 0), -1))
        statuses = [{"id": str(i), "created_at": "2026-11-06T11:00:00.000Z", "content": f"<p>acme #{i}</p>",
                     "account": {"acct": "someone", "followers_count": 1}} for i in ids]
        out = {"Content-Type": "application/json", **(headers or {})}
        if link and ids:
            base = server.url(TAG)
            out["Link"] = f'<{base}?max_id={ids[-1]}>; rel="next", <{base}?min_id={ids[0]}>; rel="prev"'
        return Reply(headers=out, body=json.dumps(statuses))

    server.route(TAG, handler=handler)


def test_registered_and_validated():
    assert isinstance(SOURCE_KINDS["mastodon"], MastodonSource)
    source_config(name="m", kind="mastodon", params={"hashtags": ["#acme", "AcmeSupport"]})
    source_config(name="m", kind="mastodon", params={"query": "acme", "token_env": "MASTODON_TOKEN"})
    for params, complaint in [
        ({}, "params.hashtags: missing"),
        ({"hashtags": ["acme"], "query": "acme"}, "not both"),
        ({"query": "acme"}, "params.token_env: Mastodon search needs a token"),
        ({"hashtags": ["two words"]}, "is not a hashtag"),
    ]:
        with pytest.raises(ValueError, match=complaint):
            source_config(name="m", kind="mastodon", params=params)


def test_a_tag_page_maps_statuses_and_threads(feed_server, fetcher):
    feed_server.route(TAG, fixture("tag_page.json"), content_type="application/json")
    result = MastodonSource().poll(fetcher, state(feed_server.url(""), hashtags=["#acme", "acmecorp"]), now=NOW)
    assert query_of(feed_server.last(TAG)) == {"limit": ["40"], "any[]": ["acmecorp"]}  # first poll: no min_id

    by_id = {m.external_id[-1]: m for m in result.mentions}
    root = by_id["1"]
    assert root.text == "Acme double-charged me & support is silent.\nDay 3. #acme"
    assert root.author == "alice_k@127.0.0.1"  # a local account, qualified with the server's host
    assert root.author_reach == 1200 + 15 + 40
    assert root.extra["followers_count"] == 1200 and root.extra["replies_count"] == 4
    assert root.url == "https://mastodon.social/@alice_k/113500000000000001"
    assert root.published_at == datetime(2026, 11, 6, 10, 0, tzinfo=timezone.utc) and root.language == "en"
    assert (root.thread_id, root.parent_id) == ("113500000000000001", None)

    assert (by_id["4"].parent_id, by_id["4"].thread_id) == ("113500000000000001", "113500000000000001")
    assert (by_id["5"].parent_id, by_id["5"].thread_id) == ("113500000000000004", "113500000000000001")
    remote = by_id["3"]  # replies to a status from before this poll: that status is the best thread id known
    assert (remote.parent_id, remote.thread_id) == ("112999999999999999", "112999999999999999")
    assert remote.author == "bob@other.example" and remote.language == "de" and remote.author_reach == 411
    assert by_id["2"].title == "billing rant" and by_id["2"].thread_id == "113500000000000002"
    assert result.cursor == "113500000000000005" and result.warnings == []


def test_an_empty_page_keeps_the_cursor(feed_server, fetcher):
    feed_server.route(TAG, fixture("empty.json"), content_type="application/json")
    result = MastodonSource().poll(fetcher, state(feed_server.url(""), cursor="113500000000000005"), now=NOW)
    assert result.mentions == [] and result.cursor == "113500000000000005"
    assert query_of(feed_server.last(TAG))["min_id"] == ["113500000000000005"]


@pytest.mark.parametrize("link", [True, False])
def test_paging_forward_from_the_cursor_leaves_no_gap(feed_server, fetcher, link):
    tag_server(feed_server, 100, link=link)
    first = MastodonSource().poll(fetcher, state(feed_server.url("")), now=NOW)
    assert len(first.mentions) == 40 and first.cursor == "100"  # the newest page is the look-back

    tag_server(feed_server, 150, link=link)
    capped = MastodonSource().poll(fetcher, state(feed_server.url(""), first.cursor, hashtags=["acme"], max_pages=1),
                                   now=NOW)
    assert sorted(int(m.external_id) for m in capped.mentions) == list(range(101, 141))
    assert capped.cursor == "140" and "the rest come on the next poll" in capped.warnings[0]

    rest = MastodonSource().poll(fetcher, state(feed_server.url(""), capped.cursor), now=NOW)
    assert sorted(int(m.external_id) for m in rest.mentions) == list(range(141, 151))
    assert rest.cursor == "150" and rest.warnings == []

    feed_server.requests.clear()
    tag_server(feed_server, 230, link=link)
    both = MastodonSource().poll(fetcher, state(feed_server.url(""), "150"), now=NOW)
    assert [query_of(r)["min_id"] for r in feed_server.requests] == [["150"], ["190"], ["230"]]
    assert len(both.mentions) == 80 and both.cursor == "230"


def test_an_exhausted_rate_limit_stops_paging_where_it_can_resume(feed_server, fetcher):
    tag_server(feed_server, 300, headers={"X-RateLimit-Limit": "300", "X-RateLimit-Remaining": "0",
                                          "X-RateLimit-Reset": "2026-11-06T12:05:00.000Z"})
    result = MastodonSource().poll(fetcher, state(feed_server.url(""), "100"), now=NOW)
    assert len(feed_server.requests) == 1 and result.cursor == "140"
    assert "rate limit ran out" in result.warnings[0]


def test_search_with_a_token(feed_server, fetcher, monkeypatch):
    monkeypatch.setenv("MASTODON_TOKEN", "tok-123")
    feed_server.route(SEARCH, fixture("search_page.json"), content_type="application/json")
    params = {"query": "acme refund", "token_env": "MASTODON_TOKEN"}
    result = MastodonSource().poll(fetcher, state(feed_server.url(""), **params), now=NOW)
    asked = feed_server.last(SEARCH)
    assert asked.headers["authorization"] == "Bearer tok-123"
    assert query_of(asked) == {"q": ["acme refund"], "type": ["statuses"], "resolve": ["false"], "limit": ["40"]}
    assert [m.external_id for m in result.mentions] == ["113500000000000005", "113500000000000001"]
    assert result.cursor == "113500000000000005"

    feed_server.route(SEARCH, fixture("search_empty.json"), content_type="application/json")
    again = MastodonSource().poll(fetcher, state(feed_server.url(""), result.cursor, **params), now=NOW)
    assert query_of(feed_server.last(SEARCH))["min_id"] == ["113500000000000005"]
    assert again.mentions == [] and again.cursor == result.cursor


def test_search_pages_by_offset(feed_server, fetcher, monkeypatch):
    monkeypatch.setenv("MASTODON_TOKEN", "tok-123")

    def handler(request):
        offset = int(query_of(request).get("offset", ["0"])[0])
        ids = range(1000 - offset, max(1000 - offset - 40, 950), -1)  # 50 results in all
        statuses = [{"id": str(i), "created_at": "2026-11-06T11:00:00Z", "content": "acme",
                     "account": {"acct": "x"}} for i in ids]
        return Reply(headers={"Content-Type": "application/json"}, body=json.dumps({"statuses": statuses}))

    feed_server.route(SEARCH, handler=handler)
    params = {"query": "acme", "token_env": "MASTODON_TOKEN"}
    result = MastodonSource().poll(fetcher, state(feed_server.url(""), "950", **params), now=NOW)
    assert [query_of(r).get("offset") for r in feed_server.requests] == [None, ["40"]]
    assert len(result.mentions) == 50 and result.cursor == "1000"


def test_auth_problems_say_what_to_fix(feed_server, fetcher, monkeypatch):
    search = {"query": "acme", "token_env": "MASTODON_TOKEN"}
    with pytest.raises(FetchError, match="MASTODON_TOKEN, which is not set") as caught:
        MastodonSource().poll(fetcher, state(feed_server.url(""), **search), now=NOW)
    assert caught.value.permanent
    with pytest.raises(FetchError, match="Mastodon search needs a token: set params.token_env"):
        MastodonSource().poll(fetcher, state(feed_server.url(""), query="acme"), now=NOW)

    feed_server.route(TAG, fixture("auth_required.json"), status=401, content_type="application/json")
    with pytest.raises(HTTPStatusError, match="only to signed-in users: set params.token_env") as caught:
        MastodonSource().poll(fetcher, state(feed_server.url("")), now=NOW)
    assert caught.value.permanent and caught.value.status == 401

    monkeypatch.setenv("MASTODON_TOKEN", "revoked")
    feed_server.route(SEARCH, b'{"error": "The access token is invalid"}', status=401)
    with pytest.raises(HTTPStatusError, match=r"token in \$MASTODON_TOKEN was not accepted"):
        MastodonSource().poll(fetcher, state(feed_server.url(""), **search), now=NOW)


def test_too_many_requests(feed_server, fetcher):
    feed_server.route(TAG, b'{"error": "Too many requests"}', status=429, headers={"Retry-After": "300"})
    with pytest.raises(HTTPStatusError) as caught:
        MastodonSource().poll(fetcher, state(feed_server.url("")), now=NOW)
    assert (caught.value.status, caught.value.retry_after) == (429, 300)


@pytest.mark.parametrize("body, says", [
    (b"<!DOCTYPE html><html>Maintenance</html>", "not JSON"),
    (b'{"statuses": []}', "answer is not a list of statuses"),
    (b'[{"id": "1", "created_at": "2026-11-06T11:00:00Z", "content": "acme"}]', "answer[0].account is missing"),
    (b'[{"id": 1, "created_at": "2026-11-06T11:00:00Z", "content": "acme", "account": {"acct": "a"}}]',
     "answer[0].id is a number"),
    (b'[{"id": "1", "created_at": "soon", "content": "acme", "account": {"acct": "a"}}]',
     "answer[0].created_at is not a date"),
])
def test_a_malformed_answer_is_a_content_error(feed_server, fetcher, body, says):
    feed_server.route(TAG, body, content_type="application/json")
    with pytest.raises(ContentError, match=re.escape(says)):
        MastodonSource().poll(fetcher, state(feed_server.url("")), now=NOW)
