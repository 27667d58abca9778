"""GitHub issues and discussions over real HTTP: query building, mapping, paging, cursors, limits, failures."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import parse_qs

import pytest

from monitors.configure import source_config
from monitors.ingest.fetch import ContentError, HTTPStatusError
from monitors.ingest.sources.base import SourceState
from monitors.ingest.sources.registry import SOURCE_KINDS
from tests.fixtures.feed_server import Reply

FIXTURES = Path(__file__).parent / "fixtures" / "sources" / "github"
NOW = datetime(2026, 11, 6, 12, 0, tzinfo=timezone.utc)
KIND = SOURCE_KINDS["github"]
SEARCH = "/search/issues"


def state(server, *, cursor: str | None = None, **params) -> SourceState:
    params = {"query": "acme", "discussions": False, **params}
    return SourceState(id=1, name="gh", kind="github", url=server.url(""), params=params, cursor=cursor)


def query_of(request) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(request.query).items()}


def issue(number: int, created: datetime) -> dict:
    return {"repository_url": "https://api.github.com/repos/acme/notes", "number": number, "title": f"issue {number}",
            "html_url": f"https://github.com/acme/notes/issues/{number}", "user": {"login": "u"}, "comments": 0,
            "created_at": created.isoformat().replace("+00:00", "Z"), "body": "acme", "reactions": {"total_count": 0}}


def test_a_page_of_issues_maps_reach_thread_and_dates(feed_server, fetcher):
    feed_server.route(SEARCH, (FIXTURES / "issues_page1.json").read_bytes(), content_type="application/json")
    result = KIND.poll(fetcher, state(feed_server, repos=["acme/notes", "acme/web"]), now=NOW)
    first, second = result.mentions
    assert first.external_id == "github:acme/notes#412" and first.thread_id == "acme/notes#412"
    assert first.author == "dana-dev" and first.author_reach == 12 + 7  # reactions + comments
    assert first.published_at == datetime(2026, 11, 6, 9, 30, tzinfo=timezone.utc)
    assert first.url == "https://github.com/acme/notes/issues/412"
    assert "**Acme** to 5.2" in first.text  # Markdown kept as text
    assert first.extra["labels"] == ["bug"]
    assert second.text == "" and second.author_reach == 1 and second.thread_id == "other/tool#7"
    sent = query_of(feed_server.last(SEARCH))
    assert sent["q"] == "acme repo:acme/notes repo:acme/web is:issue created:>=2026-11-05T12:00:00Z"
    assert (sent["sort"], sent["order"], sent["per_page"], sent["page"]) == ("created", "desc", "100", "1")
    assert json.loads(result.cursor) == {"issues": "2026-11-06T09:30:00Z"}
    assert "authorization" not in feed_server.last(SEARCH).headers


def test_the_next_poll_asks_only_for_newer_issues(feed_server, fetcher):
    feed_server.route(SEARCH, (FIXTURES / "issues_empty.json").read_bytes())
    cursor = json.dumps({"issues": "2026-11-06T09:30:00Z"})
    result = KIND.poll(fetcher, state(feed_server, cursor=cursor), now=NOW)
    assert result.mentions == [] and json.loads(result.cursor) == {"issues": "2026-11-06T09:30:00Z"}
    assert query_of(feed_server.last(SEARCH))["q"].endswith("created:>=2026-11-06T09:20:00Z")  # minus index lag


def test_pages_up_to_the_cap_and_warns(feed_server, fetcher):
    def page(request):
        number = int(query_of(request)["page"])
        items = [issue(number * 1000 + i, NOW - timedelta(minutes=number * 100 + i)) for i in range(100)]
        return Reply(body=json.dumps({"total_count": 900, "incomplete_results": False, "items": items}),
                     headers={"Content-Type": "application/json"})

    feed_server.route(SEARCH, handler=page)
    result = KIND.poll(fetcher, state(feed_server), now=NOW)
    assert feed_server.hits(SEARCH) == 5 and len(result.mentions) == 500
    assert any("more than 500 new GitHub issues" in w for w in result.warnings)
    assert json.loads(result.cursor)["issues"] == (NOW - timedelta(minutes=100)).isoformat().replace("+00:00", "Z")


def test_an_exhausted_rate_limit_stops_paging_without_failing(feed_server, fetcher):
    items = [issue(i, NOW - timedelta(minutes=i)) for i in range(100)]
    reset = int(NOW.timestamp()) + 42
    feed_server.route(SEARCH, json.dumps({"items": items}),
                      headers={"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(reset)})
    result = KIND.poll(fetcher, state(feed_server), now=NOW)
    assert feed_server.hits(SEARCH) == 1 and len(result.mentions) == 100
    assert any("rate limit is used up for 42 s" in w for w in result.warnings)


@pytest.mark.parametrize("status, headers, retry_after", [
    (429, {"Retry-After": "30"}, 30), (403, {"Retry-After": "61"}, 61), (403, {}, 60)])
def test_rate_limit_answers_carry_a_wait(feed_server, fetcher, status, headers, retry_after):
    feed_server.route(SEARCH, b'{"message": "API rate limit exceeded"}', status=status, headers=headers)
    with pytest.raises(HTTPStatusError) as caught:
        KIND.poll(fetcher, state(feed_server), now=NOW)
    assert caught.value.retry_after == retry_after and not caught.value.permanent
    assert "rate limit" in str(caught.value)


def test_a_bad_token_says_what_to_fix(feed_server, fetcher, monkeypatch):
    monkeypatch.setenv("EARFUL_TEST_GH", "ghp_wrong")
    feed_server.route(SEARCH, b'{"message": "Bad credentials"}', status=401)
    with pytest.raises(HTTPStatusError) as caught:
        KIND.poll(fetcher, state(feed_server, token_env="EARFUL_TEST_GH"), now=NOW)
    assert caught.value.permanent and "params.token_env" in str(caught.value)
    assert feed_server.last(SEARCH).headers["authorization"] == "Bearer ghp_wrong"


def test_a_bad_query_is_a_permanent_error(feed_server, fetcher):
    feed_server.route(SEARCH, b'{"message": "Validation Failed"}', status=422)
    with pytest.raises(HTTPStatusError, match="check params.query and params.repos") as caught:
        KIND.poll(fetcher, state(feed_server), now=NOW)
    assert caught.value.permanent


@pytest.mark.parametrize("body", [b"<html>unicorn</html>", b'{"items": {"a": 1}}', b"[]"])
def test_malformed_answers_are_content_errors(feed_server, fetcher, body):
    feed_server.route(SEARCH, body)
    with pytest.raises(ContentError, match="GitHub"):
        KIND.poll(fetcher, state(feed_server), now=NOW)


def test_discussions_without_a_token_are_a_warning(feed_server, fetcher, monkeypatch):
    monkeypatch.delenv("EARFUL_TEST_GH", raising=False)
    feed_server.route(SEARCH, (FIXTURES / "issues_empty.json").read_bytes())
    result = KIND.poll(fetcher, state(feed_server, discussions=True, token_env="EARFUL_TEST_GH"), now=NOW)
    assert feed_server.hits("/graphql") == 0
    assert any("EARFUL_TEST_GH" in w for w in result.warnings)  # named but unset
    assert any("discussions are searched only with a token" in w for w in result.warnings)


def test_discussions_with_a_token_come_from_graphql(feed_server, fetcher, monkeypatch):
    monkeypatch.setenv("EARFUL_TEST_GH", "ghp_ok")
    feed_server.route(SEARCH, (FIXTURES / "issues_page1.json").read_bytes())
    feed_server.route("/graphql", (FIXTURES / "discussions.json").read_bytes(), content_type="application/json")
    result = KIND.poll(fetcher, state(feed_server, discussions=True, token_env="EARFUL_TEST_GH"), now=NOW)
    found = result.mentions[-1]
    assert found.external_id == "github:acme/notes/discussions/88" and found.thread_id == "acme/notes/discussions/88"
    assert found.author == "lee" and found.author_reach == 10 and found.extra["category"] == "Q&A"
    sent = feed_server.last("/graphql")
    assert sent.method == "POST" and sent.headers["authorization"] == "Bearer ghp_ok"
    variables = json.loads(sent.body)["variables"]
    assert variables["q"] == "acme created:>=2026-11-05T12:00:00Z sort:created-desc"
    assert json.loads(result.cursor) == {"issues": "2026-11-06T09:30:00Z", "discussions": "2026-11-06T10:15:00Z"}
    assert result.warnings == []


def test_graphql_errors_are_a_warning_and_issues_still_count(feed_server, fetcher, monkeypatch):
    monkeypatch.setenv("EARFUL_TEST_GH", "ghp_ok")
    feed_server.route(SEARCH, (FIXTURES / "issues_page1.json").read_bytes())
    feed_server.route("/graphql", json.dumps({"errors": [{"message": "Something went wrong"}]}))
    result = KIND.poll(fetcher, state(feed_server, discussions=True, token_env="EARFUL_TEST_GH"), now=NOW)
    assert len(result.mentions) == 2
    assert result.warnings == ["GitHub discussions search failed: Something went wrong"]


@pytest.mark.parametrize("params, message", [
    ({}, "params.query: missing"),
    ({"repos": ["acme"]}, "params.repos"),
    ({"query": "x", "token_env": "ghp_123 456"}, "params.token_env"),
    ({"query": "x", "discussions": "yes"}, "params.discussions"),
    ({"query": "x", "repo": ["acme/notes"]}, "params.repo: unknown setting"),
])
def test_validate_says_what_is_wrong(params, message):
    with pytest.raises(ValueError, match=message):
        source_config(name="g", kind="github", params=params)


def test_repos_alone_are_enough():
    source_config(name="g", kind="github", params={"repos": ["acme/notes"]})
