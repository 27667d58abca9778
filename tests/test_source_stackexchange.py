"""Stack Exchange questions over real HTTP (gzip, as the real API sends): mapping, paging, fromdate cursor,
backoff, quota, the API's error bodies."""

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
from monitors.ingest.sources.stackexchange import error_from_body
from tests.fixtures.feed_server import Reply

FIXTURES = Path(__file__).parent / "fixtures" / "sources" / "stackexchange"
NOW = datetime(2026, 11, 6, 12, 0, tzinfo=timezone.utc)
KIND = SOURCE_KINDS["stackexchange"]
SEARCH = "/search/advanced"


def state(server, *, cursor: str | None = None, **params) -> SourceState:
    return SourceState(id=1, name="so", kind="stackexchange", url=server.url(""),
                       params={"query": "acme", **params}, cursor=cursor)


def sent(server) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(server.last(SEARCH).query).items()}


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def test_a_page_of_questions_maps_reach_thread_and_plain_text(feed_server, fetcher):
    feed_server.route(SEARCH, fixture("questions_page1.json"), content_type="application/json", gzip=True)
    result = KIND.poll(fetcher, state(feed_server), now=NOW)
    first, second = result.mentions
    assert first.external_id == "stackexchange:stackoverflow:q79100001" and first.thread_id == "79100001"
    assert first.title == 'Acme SDK upload fails with "timeout" & retries forever'  # entities decoded
    assert first.author == "José Ruiz"
    assert first.text.startswith("Since yesterday every upload through the Acme SDK fails:")
    assert "<p>" not in first.text and "acme.errors.Timeout" in first.text
    assert first.author_reach == 3 + 2  # score + answers
    assert first.published_at == datetime(2026, 11, 6, 10, 0, tzinfo=timezone.utc)
    assert first.extra["tags"] == ["python", "acme-sdk"]
    assert second.author_reach == 0  # a negative score is no reach
    query = sent(feed_server)
    assert (query["site"], query["q"], query["sort"], query["order"], query["filter"]) == (
        "stackoverflow", "acme", "creation", "desc", "withbody")
    assert query["fromdate"] == str(int((NOW - timedelta(days=1)).timestamp()))  # first poll: the last day
    assert "key" not in query
    assert result.cursor == "1793959200" and result.warnings == []


def test_the_next_poll_asks_from_the_cursor_on_the_chosen_site_with_a_key(feed_server, fetcher, monkeypatch):
    monkeypatch.setenv("EARFUL_TEST_SE_KEY", "k3y((")
    feed_server.route(SEARCH, fixture("empty.json"))
    result = KIND.poll(fetcher, state(feed_server, cursor="1793959200", site="superuser",
                                      key_env="EARFUL_TEST_SE_KEY"), now=NOW)
    assert result.mentions == [] and result.cursor == "1793959200"
    query = sent(feed_server)
    assert query["fromdate"] == str(1793959200 - 600) and query["site"] == "superuser" and query["key"] == "k3y(("


def test_pages_while_has_more_up_to_the_cap(feed_server, fetcher):
    def page(request):
        number = int(parse_qs(request.query)["page"][0])
        items = [{"question_id": number * 1000 + i, "title": "acme", "body": "<p>acme</p>",
                  "creation_date": 1793959200 - number * 100 - i, "score": 0, "answer_count": 0} for i in range(100)]
        return Reply(body=json.dumps({"items": items, "has_more": number < 2, "quota_remaining": 200}))

    feed_server.route(SEARCH, handler=page)
    result = KIND.poll(fetcher, state(feed_server), now=NOW)
    assert feed_server.hits(SEARCH) == 2 and len(result.mentions) == 200
    assert result.cursor == str(1793959200 - 100)


def test_backoff_stops_paging_and_the_next_poll_waits(feed_server, fetcher):
    body = json.loads(fixture("questions_page1.json"))
    feed_server.route(SEARCH, json.dumps({**body, "has_more": True, "backoff": 30}))
    result = KIND.poll(fetcher, state(feed_server), now=NOW)
    assert feed_server.hits(SEARCH) == 1 and len(result.mentions) == 2
    assert result.cursor == f"1793959200;wait={int(NOW.timestamp()) + 30}"
    assert any("30 s pause" in w for w in result.warnings)

    early = KIND.poll(fetcher, state(feed_server, cursor=result.cursor), now=NOW + timedelta(seconds=10))
    assert feed_server.hits(SEARCH) == 1  # asked nothing
    assert early.mentions == [] and early.cursor == result.cursor and "20 s left" in early.warnings[0]

    feed_server.route(SEARCH, fixture("empty.json"))
    later = KIND.poll(fetcher, state(feed_server, cursor=result.cursor), now=NOW + timedelta(seconds=31))
    assert feed_server.hits(SEARCH) == 2 and later.cursor == "1793959200"


def test_an_empty_quota_stops_and_warns(feed_server, fetcher):
    body = json.loads(fixture("questions_page1.json"))
    feed_server.route(SEARCH, json.dumps({**body, "has_more": True, "quota_remaining": 0}))
    result = KIND.poll(fetcher, state(feed_server), now=NOW)
    assert feed_server.hits(SEARCH) == 1 and len(result.mentions) == 2
    assert any("params.key_env" in w for w in result.warnings)


def test_error_bodies_become_clear_errors(feed_server, fetcher):
    feed_server.route(SEARCH, fixture("throttle_violation.json"))
    with pytest.raises(HTTPStatusError) as caught:
        KIND.poll(fetcher, state(feed_server), now=NOW)
    assert caught.value.retry_after == 7139 and not caught.value.permanent
    assert "throttle_violation" in str(caught.value)

    denied = error_from_body(json.loads(fixture("access_denied.json")))
    assert denied.permanent and "params.key_env" in str(denied) and denied.status == 403


def test_an_error_sent_with_400_is_named_as_the_api_names_it(feed_server, fetcher):
    feed_server.route(SEARCH, fixture("throttle_violation.json"), status=400, gzip=True)
    with pytest.raises(HTTPStatusError) as caught:
        KIND.poll(fetcher, state(feed_server), now=NOW)
    assert "throttle_violation" in str(caught.value) and "7139 seconds" in str(caught.value)
    assert caught.value.retry_after == 7139 and not caught.value.permanent

    feed_server.route(SEARCH, fixture("access_denied.json"), status=400)
    with pytest.raises(HTTPStatusError) as caught:
        KIND.poll(fetcher, state(feed_server), now=NOW)
    assert "access_denied" in str(caught.value) and caught.value.permanent


@pytest.mark.parametrize("body", [b"", b"<html>Bad Request</html>", b'{"message": "no"}'])
def test_a_bare_400_names_its_usual_causes(feed_server, fetcher, body):
    feed_server.route(SEARCH, body, status=400)
    with pytest.raises(HTTPStatusError) as caught:
        KIND.poll(fetcher, state(feed_server), now=NOW)
    assert "params.site" in str(caught.value) and "params.key_env" in str(caught.value)


def test_an_auth_failure_says_what_to_fix(feed_server, fetcher):
    feed_server.route(SEARCH, b"", status=403)
    with pytest.raises(HTTPStatusError) as caught:
        KIND.poll(fetcher, state(feed_server), now=NOW)
    assert caught.value.permanent and "Stack Exchange refused the request (403)" in str(caught.value)


def test_rate_limit_answer_carries_retry_after(feed_server, fetcher):
    feed_server.route(SEARCH, b"", status=429, headers={"Retry-After": "90"})
    with pytest.raises(HTTPStatusError) as caught:
        KIND.poll(fetcher, state(feed_server), now=NOW)
    assert caught.value.retry_after == 90


@pytest.mark.parametrize("body", [b"<html>down</html>", b'{"items": "none"}', b"[1, 2]", b""])
def test_malformed_answers_are_content_errors(feed_server, fetcher, body):
    feed_server.route(SEARCH, body)
    with pytest.raises(ContentError, match="Stack Exchange"):
        KIND.poll(fetcher, state(feed_server), now=NOW)


@pytest.mark.parametrize("params, message", [
    ({}, "params.query: missing"),
    ({"query": "x", "site": "stack overflow"}, "params.site"),
    ({"query": "x", "key_env": "my key"}, "params.key_env"),
])
def test_validate_says_what_is_wrong(params, message):
    with pytest.raises(ValueError, match=message):
        source_config(name="s", kind="stackexchange", params=params)
