"""HackerNewsSource against a local server speaking the Algolia HN Search format."""

from __future__ import annotations

import json
import re
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import parse_qs

import pytest

from monitors.configure import source_config
from monitors.ingest.fetch import ContentError, HTTPStatusError
from monitors.ingest.sources.registry import SOURCE_KINDS
from monitors.ingest.sources.base import SourceState
from monitors.ingest.sources.hackernews import HackerNewsSource
from tests.fixtures.feed_server import Reply

NOW = datetime(2026, 11, 6, 12, 0, tzinfo=timezone.utc)
T_NOW = int(NOW.timestamp())
FIXTURES = Path(__file__).parent / "fixtures" / "sources" / "hackernews"
SEARCH = "/api/v1/search_by_date"


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def state(url: str, cursor: str | None = None, **params) -> SourceState:
    return SourceState(id=1, name="hn", kind="hackernews", url=url, params={"query": "acme", **params},
                       cursor=cursor)


def query_of(request) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(request.query).items()}


def algolia(server, times: list[int]) -> None:
    """An index of stories created at `times`, answering numericFilters=created_at_i>N newest first, paged."""
    def handler(request):
        asked = query_of(request)
        floor = int(re.fullmatch(r"created_at_i>(\d+)", asked["numericFilters"]).group(1))
        matching = sorted((t for t in times if t > floor), reverse=True)
        size, page = int(asked["hitsPerPage"]), int(asked["page"])
        hits = [{"objectID": str(t), "created_at_i": t, "title": f"Acme {t}", "points": 1, "_tags": ["story"]}
                for t in matching[page * size:(page + 1) * size]]
        body = {"hits": hits, "nbHits": len(matching), "nbPages": -(-len(matching) // size), "page": page,
                "hitsPerPage": size}
        return Reply(headers={"Content-Type": "application/json"}, body=json.dumps(body))

    server.route(SEARCH, handler=handler)


def test_registered_and_validated():
    assert isinstance(SOURCE_KINDS["hackernews"], HackerNewsSource)
    source_config(name="hn", kind="hackernews", params={"query": "acme", "tags": "story"})
    with pytest.raises(ValueError, match="params.query: missing"):
        source_config(name="hn", kind="hackernews", params={"tags": "story"})
    with pytest.raises(ValueError, match="url: 'ftp://x' is not an http"):
        source_config(name="hn", kind="hackernews", url="ftp://x", params={"query": "acme"})


def test_a_page_maps_stories_and_comments(feed_server, fetcher):
    feed_server.route(SEARCH, fixture("search_page.json"), content_type="application/json")
    result = HackerNewsSource().poll(fetcher, state(feed_server.url("/api/v1")), now=NOW)
    assert query_of(feed_server.last(SEARCH)) == {
        "query": "acme", "tags": "(story,comment)", "numericFilters": f"created_at_i>{T_NOW - 86400}",
        "hitsPerPage": "100", "page": "0"}

    comment, show, ask = result.mentions
    assert comment.external_id == "44100321" and comment.url == "https://news.ycombinator.com/item?id=44100321"
    assert comment.text == ("Acme's API has been returning 500s for two days and their status page says \"all good\".\n"
                            "Switching to another vendor.")
    assert (comment.thread_id, comment.parent_id) == ("44100200", "44100250")
    assert comment.title is None and comment.extra["story_title"] == "Ask HN: Which payment APIs do you trust?"
    assert comment.author == "grumpy_dev" and comment.author_reach == 0
    assert comment.published_at == datetime(2026, 11, 6, 11, 30, tzinfo=timezone.utc)

    assert show.title == "Show HN: Acme Kettle & its open API" and show.text == show.title
    assert (show.thread_id, show.parent_id, show.author_reach) == ("44100111", None, 87)
    assert show.extra == {"link": "https://acme.example.com/kettle-api", "num_comments": 12}
    assert ask.text == "Has anyone got a refund out of Acme support?\nAsking for a friend."
    assert result.cursor == str(T_NOW - 1800) and result.warnings == []


def test_an_empty_page(feed_server, fetcher):
    feed_server.route(SEARCH, fixture("empty.json"), content_type="application/json")
    result = HackerNewsSource().poll(fetcher, state(feed_server.url("/api/v1"), cursor="1793950000"), now=NOW)
    assert result.mentions == [] and result.cursor == "1793950000"


def test_paging_then_only_newer_items(feed_server, fetcher):
    times = [T_NOW - 60 * i for i in range(1, 251)]
    algolia(feed_server, times)
    first = HackerNewsSource().poll(fetcher, state(feed_server.url("/api/v1")), now=NOW)
    assert len(first.mentions) == 250 and [query_of(r)["page"] for r in feed_server.requests] == ["0", "1", "2"]
    assert first.cursor == str(T_NOW - 60)

    algolia(feed_server, times + [T_NOW + 30, T_NOW + 90])
    second = HackerNewsSource().poll(fetcher, state(feed_server.url("/api/v1"), cursor=first.cursor), now=NOW)
    # asks from the cursor less the 5-minute overlap: the two new items and five already seen
    assert query_of(feed_server.last(SEARCH))["numericFilters"] == f"created_at_i>{T_NOW - 60 - 300}"
    assert len(second.mentions) == 7 and second.cursor == str(T_NOW + 90)


def test_the_page_cap_warns(feed_server, fetcher):
    algolia(feed_server, [T_NOW - 10 * i for i in range(1, 400)])
    result = HackerNewsSource().poll(fetcher, state(feed_server.url("/api/v1"), max_pages=2), now=NOW)
    assert len(result.mentions) == 200 and "raise params.max_pages" in result.warnings[0]


def test_too_many_requests(feed_server, fetcher):
    feed_server.route(SEARCH, b'{"message": "Too many requests"}', status=429, headers={"Retry-After": "3600"})
    with pytest.raises(HTTPStatusError) as caught:
        HackerNewsSource().poll(fetcher, state(feed_server.url("/api/v1")), now=NOW)
    assert (caught.value.status, caught.value.retry_after) == (429, 3600)


def test_a_refusal_is_permanent(feed_server, fetcher):
    feed_server.route(SEARCH, b'{"message": "Invalid Application-ID or API key"}', status=403)
    with pytest.raises(HTTPStatusError) as caught:
        HackerNewsSource().poll(fetcher, state(feed_server.url("/api/v1")), now=NOW)
    assert caught.value.permanent and caught.value.status == 403


@pytest.mark.parametrize("body, says", [
    (b"Service Unavailable", "not JSON"),
    (fixture("changed_shape.json"), "answer.hits[0].objectID is a number"),
    (b'{"hits": []}', "answer.nbPages is missing"),
])
def test_a_malformed_answer_is_a_content_error(feed_server, fetcher, body, says):
    feed_server.route(SEARCH, body, content_type="application/json")
    with pytest.raises(ContentError, match=re.escape(says)):
        HackerNewsSource().poll(fetcher, state(feed_server.url("/api/v1")), now=NOW)
