"""`earful poll --once` with reddit, hackernews, mastodon and bluesky sources against the local fixture server:
a real process, a real SQLite file; mentions must arrive with reach and thread ids."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

from sqlmodel import Session, select

from storage.db import make_engine
from storage.models import Mention, Source
from tests.fixtures.feed_server import Reply

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures" / "sources"


def recent(minutes: int) -> datetime:
    # the process polls at the real time, and sources look back 24 hours: the fixtures are made fresh
    return datetime.now(timezone.utc) - timedelta(minutes=minutes)


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def fresh_reddit() -> dict:
    page = json.loads((FIXTURES / "reddit" / "search_page.json").read_text())
    for i, child in enumerate(page["data"]["children"]):
        child["data"]["created_utc"] = recent(10 * (i + 1)).timestamp()
    return page


def fresh_hackernews() -> dict:
    page = json.loads((FIXTURES / "hackernews" / "search_page.json").read_text())
    for i, hit in enumerate(page["hits"]):
        hit["created_at_i"] = int(recent(10 * (i + 1)).timestamp())
    return page


def fresh_mastodon() -> list:
    statuses = json.loads((FIXTURES / "mastodon" / "tag_page.json").read_text())
    for i, status in enumerate(statuses):
        status["created_at"] = iso(recent(10 * (i + 1)))
    return statuses


def fresh_bluesky() -> dict:
    page = json.loads((FIXTURES / "bluesky" / "search_page.json").read_text())
    page.pop("cursor")
    for i, post in enumerate(page["posts"]):
        post["indexedAt"] = post["record"]["createdAt"] = iso(recent(10 * (i + 1)))
    return page


def serve(server, path: str, body) -> None:
    data = json.dumps(body)
    server.route(path, handler=lambda request: Reply(headers={"Content-Type": "application/json"}, body=data))


def test_poll_once_stores_social_mentions_with_reach_and_threads(tmp_path, feed_server):
    serve(feed_server, "/reddit/api/v1/access_token", {"access_token": "t", "token_type": "bearer", "expires_in": 3600})
    serve(feed_server, "/reddit/r/acme/search", fresh_reddit())
    serve(feed_server, "/hn/search_by_date", fresh_hackernews())
    serve(feed_server, "/masto/api/v1/timelines/tag/acme", fresh_mastodon())
    serve(feed_server, "/bsky/xrpc/com.atproto.server.createSession",
          json.loads((FIXTURES / "bluesky" / "session.json").read_text()))
    serve(feed_server, "/bsky/xrpc/app.bsky.feed.searchPosts", fresh_bluesky())
    config = tmp_path / "earful.toml"
    config.write_text(f"""
[[brands]]
name = "Acme"
query = "acme"

[[sources]]
name = "reddit"
kind = "reddit"
url = "{feed_server.url('/reddit')}"
params = {{ query = "acme", subreddits = ["acme"], client_id_env = "T_REDDIT_ID", secret_env = "T_REDDIT_SECRET" }}

[[sources]]
name = "hn"
kind = "hackernews"
url = "{feed_server.url('/hn')}"
params = {{ query = "acme" }}

[[sources]]
name = "masto"
kind = "mastodon"
url = "{feed_server.url('/masto')}"
params = {{ hashtags = ["acme"] }}

[[sources]]
name = "bsky"
kind = "bluesky"
params = {{ query = "acme", handle = "earful-bot.bsky.social", app_password_env = "T_BSKY_PASSWORD", pds_url = "{feed_server.url('/bsky')}" }}
""")
    database = f"sqlite:///{tmp_path / 'earful.db'}"
    env = {**os.environ, "DATABASE_URL": database, "T_REDDIT_ID": "app", "T_REDDIT_SECRET": "secret",
           "T_BSKY_PASSWORD": "abcd-efgh-ijkl-mnop"}
    done = subprocess.run([sys.executable, "-m", "bot", "poll", "--once", "--config", str(config)], env=env,
                          capture_output=True, text=True, cwd=tmp_path, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "4 source(s) polled" in done.stdout and "0 failed" in done.stdout, done.stdout

    with Session(make_engine(database)) as session:
        rows = session.exec(
            select(Source.kind, Source.cursor, Mention).join(Mention, Mention.source_id == Source.id)).all()
    by_kind: dict[str, dict[str, Mention]] = {}
    cursors = {}
    for kind, cursor, mention in rows:
        by_kind.setdefault(kind, {})[mention.external_id] = mention
        cursors[kind] = cursor
    assert {kind: len(found) for kind, found in by_kind.items()} == {
        "reddit": 3, "hackernews": 3, "mastodon": 5, "bluesky": 3}
    assert all(cursors.values()), cursors
    assert all(m.thread_id for found in by_kind.values() for m in found.values())

    reddit = by_kind["reddit"]
    assert reddit["t3_1abc01"].author_reach == 59 and reddit["t3_1abc01"].thread_id == "t3_1abc01"
    assert (reddit["t1_kc0003"].thread_id, reddit["t1_kc0003"].parent_id) == ("t3_1abbzz", "t1_kc0001")
    hn = by_kind["hackernews"]
    assert hn["44100111"].author_reach == 87
    assert (hn["44100321"].thread_id, hn["44100321"].parent_id) == ("44100200", "44100250")
    masto = by_kind["mastodon"]
    assert masto["113500000000000001"].author_reach == 1255
    assert masto["113500000000000005"].thread_id == "113500000000000001"
    assert masto["113500000000000003"].language == "de"
    bsky = by_kind["bluesky"]
    reply = bsky["at://did:plc:eve4example/app.bsky.feed.post/3lreply00000"]
    assert reply.thread_id == "at://did:plc:dan4example/app.bsky.feed.post/3lroot00000a"
    assert bsky["at://did:plc:dan4example/app.bsky.feed.post/3lroot00000a"].author_reach == 36
    # the double charge reported on Reddit opens a case like any feed complaint
    assert reddit["t3_1abc01"].is_complaint
