"""End to end, as a user runs it: `earful poll --once` over App Store, GitHub, Stack Exchange, Google News, Google
Alerts and push sources served by a local fixture server; and `earful run` taking a pushed complaint."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from sqlmodel import select

from storage.db import make_engine, session_scope
from storage.models import Case, Mention, Source

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures" / "sources"
EARFUL = [sys.executable, "-m", "bot"]
APP = "1234567890"


def serve_fixtures(feed_server) -> None:
    # polls run at the real clock and the App Store kind keeps a week on its first poll: the reviews are re-dated
    reviews = (FIXTURES / "appstore" / "reviews_page1.xml").read_text()
    recent = time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(time.time() - 3600))
    reviews = re.sub(r"<updated>2026-1[01]-0[156]T[0-9:]+-07:00</updated>", f"<updated>{recent}</updated>", reviews)
    feed_server.route(f"/appstore/us/rss/customerreviews/page=1/id={APP}/sortby=mostrecent/xml",
                      reviews, content_type="text/xml; charset=UTF-8")
    feed_server.route("/github/search/issues", (FIXTURES / "github" / "issues_page1.json").read_bytes(),
                      content_type="application/json")
    feed_server.route("/se/search/advanced", (FIXTURES / "stackexchange" / "questions_page1.json").read_bytes(),
                      content_type="application/json", gzip=True)
    feed_server.route("/gnews/rss/search", (FIXTURES / "google" / "news_search.xml").read_bytes(),
                      content_type="application/rss+xml")
    feed_server.route("/alerts/feeds/1/2", (FIXTURES / "google" / "alerts.xml").read_bytes(),
                      content_type="application/atom+xml")


def write_config(path: Path, feed_server, *, push_port: int = 8787) -> Path:
    url = feed_server.url
    path.write_text(f"""
[[brands]]
name = "Acme"
query = "acme"

[[sources]]
name = "reviews"
kind = "appstore"
url = "{url('/appstore')}"
params = {{ app_id = "{APP}" }}

[[sources]]
name = "issues"
kind = "github"
url = "{url('/github')}"
params = {{ query = "acme", discussions = false }}

[[sources]]
name = "questions"
kind = "stackexchange"
url = "{url('/se')}"
params = {{ query = "acme" }}

[[sources]]
name = "news"
kind = "googlenews"
url = "{url('/gnews')}"
params = {{ query = "acme" }}

[[sources]]
name = "alerts"
kind = "googlealerts"
url = "{url('/alerts/feeds/1/2')}"

[[sources]]
name = "webhook"
kind = "push"
params = {{ token_env = "EARFUL_TEST_PUSH_TOKEN", port = {push_port} }}

[complaints]
max_age = "3650d"
""")
    return path


def stored(database: Path) -> dict[str, list[Mention]]:
    engine = make_engine(f"sqlite:///{database}")
    try:
        with session_scope(engine) as session:
            names = {s.id: s.name for s in session.exec(select(Source)).all()}
            by_source: dict[str, list[Mention]] = {}
            for mention in session.exec(select(Mention).order_by(Mention.id)).all():
                by_source.setdefault(names[mention.source_id], []).append(mention)
            by_source["_cases"] = list(session.exec(select(Case)).all())
            return by_source
    finally:
        engine.dispose()


def test_poll_once_stores_every_kind_with_reach_and_thread_ids(feed_server, tmp_path):
    serve_fixtures(feed_server)
    config = write_config(tmp_path / "earful.toml", feed_server)
    database = tmp_path / "earful.db"
    env = dict(os.environ, DATABASE_URL=f"sqlite:///{database}", EARFUL_TEST_PUSH_TOKEN="t")
    done = subprocess.run(EARFUL + ["poll", "--once", "--config", str(config)], env=env, capture_output=True,
                          text=True, timeout=120, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert "6 source(s) polled" in done.stdout and "0 failed" in done.stdout, done.stdout

    found = stored(database)
    reviews = {m.external_id: m for m in found["reviews"]}
    assert set(reviews) == {"appstore:11223344556", "appstore:11223344555", "appstore:11223300000"}
    assert reviews["appstore:11223344556"].thread_id == "appstore:11223344556"
    [issue, _] = found["issues"]
    assert (issue.thread_id, issue.author_reach, issue.author) == ("acme/notes#412", 19, "dana-dev")
    [question, _] = found["questions"]
    assert (question.thread_id, question.author_reach) == ("79100001", 5)
    assert [m.author for m in found["news"]] == ["The Daily Ledger", "Tech Weekly"]
    assert found["alerts"][0].url == "https://news.example.com/2026/11/acme-invoices?ref=feed"
    assert "webhook" not in found  # nothing to poll
    complaints = {m.external_id for ms in found.values() if ms and isinstance(ms[0], Mention) for m in ms
                  if m.is_complaint}
    assert {"appstore:11223344556", "github:acme/notes#412"} <= complaints
    assert len(found["_cases"]) == len(complaints)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.slow
def test_earful_run_accepts_a_pushed_complaint(feed_server, tmp_path):
    serve_fixtures(feed_server)
    port = free_port()
    config = write_config(tmp_path / "earful.toml", feed_server, push_port=port)
    database = tmp_path / "earful.db"
    env = dict(os.environ, DATABASE_URL=f"sqlite:///{database}", EARFUL_TEST_PUSH_TOKEN="push-secret")
    for name in ("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "EARFUL_PUSH_PORT", "PORT"):
        env.pop(name, None)
    process = subprocess.Popen(EARFUL + ["run", "--config", str(config)], env=env, stdin=subprocess.DEVNULL,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT)
    item = {"source": "webhook", "id": "zap-1", "author": "kim", "author_reach": 300, "thread_id": "t1",
            "text": "Acme billed me twice this month and support has not answered in a week. Refund please."}
    try:
        answer = None
        deadline = time.monotonic() + 30
        while answer is None and time.monotonic() < deadline:
            try:
                answer = httpx.post(f"http://127.0.0.1:{port}/ingest", json=item,
                                    headers={"Authorization": "Bearer push-secret"}, timeout=5)
            except httpx.TransportError:
                time.sleep(0.2)
        assert answer is not None and answer.status_code == 200, answer and answer.text
        assert answer.json()["complaints"] == 1
        health = None
        while time.monotonic() < deadline and (health is None or health.status_code != 200):
            health = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=5)  # the same listener
            time.sleep(0.1)
        assert health.json() == {"status": "ok", "database": "ok", "scheduler": "ok"}
    finally:
        process.terminate()
        _, stderr = process.communicate(timeout=30)
    assert process.returncode == 0, stderr
    assert "Traceback" not in stderr
    [pushed] = stored(database)["webhook"]
    assert (pushed.external_id, pushed.author_reach, pushed.thread_id) == ("zap-1", 300, "t1")
