"""BlueskySource against a local server speaking searchPosts and createSession: the search is always signed in."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import parse_qs

import pytest

from monitors.configure import source_config
from monitors.ingest.fetch import ContentError, FetchError, HTTPStatusError
from monitors.ingest.sources.registry import SOURCE_KINDS
from monitors.ingest.sources.base import SourceState
from monitors.ingest.sources.bluesky import BlueskySource
from tests.fixtures.feed_server import Reply

NOW = datetime(2026, 11, 6, 12, 0, tzinfo=timezone.utc)
FIXTURES = Path(__file__).parent / "fixtures" / "sources" / "bluesky"
SEARCH = "/xrpc/app.bsky.feed.searchPosts"
PDS_SEARCH = "/pds" + SEARCH
SESSION = "/pds/xrpc/com.atproto.server.createSession"


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


ROOT_SESSION = "/xrpc/com.atproto.server.createSession"


@pytest.fixture(autouse=True)
def account(feed_server, monkeypatch):
    """Every search is signed in: the server's root plays the PDS for `state`, "/pds" for `signed_in`."""
    monkeypatch.setenv("BSKY_APP_PASSWORD", "abcd-efgh-ijkl-mnop")
    feed_server.route(ROOT_SESSION, fixture("session.json"), content_type="application/json")


def signed_in(server, cursor: str | None = None, *, pds: str = "/pds", **params) -> SourceState:
    return SourceState(id=1, name="bsky", kind="bluesky", url="", cursor=cursor,
                       params={"query": "acme", "pds_url": server.url(pds), "handle": "earful-bot.bsky.social",
                               "app_password_env": "BSKY_APP_PASSWORD", **params})


def state(server, cursor: str | None = None, **params) -> SourceState:
    return signed_in(server, cursor, pds="", **params)


def query_of(request) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(request.query).items()}


def json_reply(body, status: int = 200, headers: dict | None = None) -> Reply:
    return Reply(status=status, headers={"Content-Type": "application/json", **(headers or {})},
                 body=body if isinstance(body, bytes) else json.dumps(body))


def one_page(server, path: str = SEARCH) -> None:
    """The fixture page, then nothing more when asked with its cursor."""
    server.route(path, handler=lambda r: json_reply(
        fixture("search_page.json") if "cursor" not in query_of(r) else fixture("empty.json")))


def appview(server, times: list[datetime], headers: dict | None = None) -> None:
    """Posts made at `times`, newest first, filtered by `since`, paged by an opaque offset cursor."""
    def handler(request):
        asked = query_of(request)
        since = datetime.fromisoformat(asked["since"].replace("Z", "+00:00"))
        matching = sorted((t for t in times if t >= since), reverse=True)
        start, size = int(asked.get("cursor", "0")), int(asked["limit"])
        posts = [{"uri": f"at://did:plc:x/app.bsky.feed.post/{int(t.timestamp())}", "indexedAt": t.isoformat(),
                  "author": {"did": "did:plc:x", "handle": "x.bsky.social"},
                  "record": {"text": "acme", "createdAt": t.isoformat()}} for t in matching[start:start + size]]
        more = start + size < len(matching)
        return json_reply({"posts": posts, **({"cursor": str(start + size)} if more else {})}, headers=headers)

    server.route(SEARCH, handler=handler)


def test_registered_and_validated():
    assert isinstance(SOURCE_KINDS["bluesky"], BlueskySource)
    source_config(name="b", kind="bluesky", params={"query": "acme", "handle": "me.bsky.social",
                                                   "app_password_env": "BSKY_APP_PASSWORD"})
    for params, complaint in [
        ({}, "params.query: missing"),
        ({"query": "acme"}, "params.handle: missing; Bluesky's post search needs a signed-in account"),
        ({"query": "acme", "handle": "me.bsky.social"}, "params.app_password_env: missing; .* app password"),
        ({"query": "acme", "app_password_env": "BSKY"}, "params.handle: missing"),
        ({"query": "acme", "handle": "me.bsky.social", "app_password_env": "B", "pds_url": "bsky.social"},
         "params.pds_url: 'bsky.social' is not an http"),
        ({"query": "acme", "handle": "me.bsky.social", "app_password_env": "abcd-efgh-ijkl-mnop"}, "NAME"),
    ]:
        with pytest.raises(ValueError, match=complaint):
            source_config(name="b", kind="bluesky", params=params)


def test_a_page_maps_posts_replies_and_reach(feed_server, fetcher):
    one_page(feed_server)
    result = BlueskySource().poll(fetcher, state(feed_server), now=NOW)
    first, second = [r for r in feed_server.requests if r.path == SEARCH]
    assert query_of(first) == {"q": "acme", "sort": "latest", "limit": "100", "since": "2026-11-05T12:00:00.000Z"}
    assert query_of(second)["cursor"] == "eyJsYXN0IjoyfQ"  # the API's cursor pages within the poll

    reply, odd, root = result.mentions
    assert reply.external_id == "at://did:plc:eve4example/app.bsky.feed.post/3lreply00000"
    assert reply.thread_id == "at://did:plc:dan4example/app.bsky.feed.post/3lroot00000a"
    assert reply.parent_id == "at://did:plc:zed4example/app.bsky.feed.post/3lparent0000"
    assert reply.url == "https://bsky.app/profile/eve.example.com/post/3lreply00000"
    assert (reply.author, reply.author_reach, reply.language) == ("eve.example.com", 3, "en")
    assert reply.published_at == datetime(2026, 11, 6, 11, 30, tzinfo=timezone.utc)

    assert odd.url == "https://bsky.app/profile/did:plc:odd4example/post/3lodd000000b" and odd.language is None

    assert root.thread_id == root.external_id and root.parent_id is None
    assert root.author_reach == 25 + 6 + 4 + 1
    assert root.extra == {"likeCount": 25, "repostCount": 6, "replyCount": 4, "quoteCount": 1}
    assert root.text.startswith("Acme charged me twice for one kettle")
    assert result.cursor == "2026-11-06T11:30:00.000Z" and result.warnings == []


def test_an_empty_page_keeps_the_cursor(feed_server, fetcher):
    feed_server.route(SEARCH, fixture("empty.json"), content_type="application/json")
    result = BlueskySource().poll(fetcher, state(feed_server, "2026-11-06T11:30:00.000Z"), now=NOW)
    assert result.mentions == [] and result.cursor == "2026-11-06T11:30:00.000Z"
    assert query_of(feed_server.last(SEARCH))["since"] == "2026-11-06T11:25:00.000Z"  # less the overlap


def test_paging_then_only_newer_posts(feed_server, fetcher):
    times = [NOW - timedelta(minutes=7 * i) for i in range(1, 300)]  # 205 within the look-back
    appview(feed_server, times)
    first = BlueskySource().poll(fetcher, state(feed_server), now=NOW)
    assert len(first.mentions) == 205 and feed_server.hits(SEARCH) == 3
    assert first.cursor == "2026-11-06T11:53:00.000Z"

    appview(feed_server, times + [NOW + timedelta(minutes=1), NOW + timedelta(minutes=2)])
    later = NOW + timedelta(minutes=3)
    second = BlueskySource().poll(fetcher, state(feed_server, first.cursor), now=later)
    assert query_of(feed_server.last(SEARCH))["since"] == "2026-11-06T11:48:00.000Z"
    assert len(second.mentions) == 3  # the two new posts and the one inside the overlap
    assert second.cursor == "2026-11-06T12:02:00.000Z"


def test_the_page_cap_and_the_rate_limit_stop_paging(feed_server, fetcher):
    times = [NOW - timedelta(minutes=i) for i in range(1, 1000)]
    appview(feed_server, times)
    capped = BlueskySource().poll(fetcher, state(feed_server, max_pages=2), now=NOW)
    assert len(capped.mentions) == 200 and "raise params.max_pages" in capped.warnings[0]

    feed_server.requests.clear()
    appview(feed_server, times, headers={"ratelimit-limit": "3000", "ratelimit-remaining": "0",
                                         "ratelimit-reset": "1793966700", "ratelimit-policy": "3000;w=300"})
    limited = BlueskySource().poll(fetcher, state(feed_server), now=NOW)
    assert feed_server.hits(SEARCH) == 1 and len(limited.mentions) == 100
    assert "rate limit ran out" in limited.warnings[0]


def test_too_many_requests(feed_server, fetcher):
    feed_server.route(SEARCH, b'{"error": "RateLimitExceeded"}', status=429, headers={"Retry-After": "60"})
    with pytest.raises(HTTPStatusError) as caught:
        BlueskySource().poll(fetcher, state(feed_server), now=NOW)
    assert (caught.value.status, caught.value.retry_after) == (429, 60)


def test_check_config_refuses_a_source_without_an_app_password(tmp_path):
    config = tmp_path / "earful.toml"
    config.write_text('[[brands]]\nname = "Acme"\nquery = "acme"\n\n[[sources]]\nname = "sky"\nkind = "bluesky"\n'
                      'params = { query = "acme" }\n')
    done = subprocess.run([sys.executable, "-m", "bot", "check-config", "--config", str(config)],
                          capture_output=True, text=True, timeout=60, cwd=Path(__file__).resolve().parents[1])
    assert done.returncode == 2
    assert "params.handle: missing; Bluesky's post search needs a signed-in account" in done.stdout + done.stderr


def test_signs_in_with_the_app_password_and_keeps_the_session(feed_server, fetcher):
    feed_server.route(SESSION, fixture("session.json"), content_type="application/json")
    one_page(feed_server, PDS_SEARCH)
    source = BlueskySource()
    result = source.poll(fetcher, signed_in(feed_server), now=NOW)
    assert len(result.mentions) == 3

    session = feed_server.last(SESSION)
    assert session.method == "POST" and session.headers["content-type"] == "application/json"
    assert json.loads(session.body) == {"identifier": "earful-bot.bsky.social", "password": "abcd-efgh-ijkl-mnop"}
    token = json.loads(fixture("session.json"))["accessJwt"]
    assert feed_server.last(PDS_SEARCH).headers["authorization"] == f"Bearer {token}"

    source.poll(fetcher, signed_in(feed_server), now=NOW + timedelta(minutes=30))
    assert feed_server.hits(SESSION) == 1  # the session is kept
    source.poll(fetcher, signed_in(feed_server), now=NOW + timedelta(minutes=61))
    assert feed_server.hits(SESSION) == 2  # past the token's exp: a new one
    assert feed_server.hits(SEARCH) == 0  # never the logged-out AppView


def test_an_unset_app_password_variable_is_a_permanent_error(feed_server, fetcher, monkeypatch):
    monkeypatch.delenv("BSKY_APP_PASSWORD")
    with pytest.raises(FetchError, match="BSKY_APP_PASSWORD, which is not set") as caught:
        BlueskySource().poll(fetcher, signed_in(feed_server), now=NOW)
    assert caught.value.permanent and feed_server.hits(SESSION) == 0


def test_a_rejected_session_signs_in_again_once(feed_server, fetcher):
    feed_server.route(SESSION, fixture("session.json"), content_type="application/json")
    one_page(feed_server, PDS_SEARCH)
    source = BlueskySource()
    source.poll(fetcher, signed_in(feed_server), now=NOW)

    expired = {"n": 0}

    def handler(request):
        expired["n"] += 1
        if expired["n"] == 1:
            return json_reply({"error": "ExpiredToken", "message": "Token has expired"}, status=400)
        return json_reply(fixture("empty.json"))

    feed_server.route(PDS_SEARCH, handler=handler)
    result = source.poll(fetcher, signed_in(feed_server), now=NOW + timedelta(minutes=5))
    assert result.mentions == [] and feed_server.hits(SESSION) == 2


def test_a_wrong_app_password_names_the_variable(feed_server, fetcher, monkeypatch):
    monkeypatch.setenv("BSKY_APP_PASSWORD", "wrong")
    feed_server.route(SESSION, fixture("session_refused.json"), status=401, content_type="application/json")
    with pytest.raises(HTTPStatusError, match=r"app password in \$BSKY_APP_PASSWORD were not accepted") as caught:
        BlueskySource().poll(fetcher, signed_in(feed_server), now=NOW)
    assert caught.value.permanent and caught.value.status == 401


@pytest.mark.parametrize("body, says", [
    (b"upstream connect error", "not JSON"),
    (b'{"posts": {"uri": "x"}}', "answer.posts is an object"),
    (b'{"posts": [{"uri": "at://x/app.bsky.feed.post/1", "author": {"handle": "a"}, "record": {}}]}',
     "answer.posts[0].indexedAt is missing"),
    (b'{"posts": [{"uri": "at://x/app.bsky.feed.post/1", "author": {"handle": "a"}, '
     b'"indexedAt": "2026-11-06T11:00:00Z", "record": {"reply": {"root": "at://y"}}}]}',
     "answer.posts[0].record.reply.root is a string"),
])
def test_a_malformed_answer_is_a_content_error(feed_server, fetcher, body, says):
    feed_server.route(SEARCH, body, content_type="application/json")
    with pytest.raises(ContentError, match=re.escape(says)):
        BlueskySource().poll(fetcher, state(feed_server), now=NOW)
