"""POST /ingest: the payload schema (pure), and the running server answering real HTTP requests, storing what it
accepts through the same pipeline as polls, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

import httpx
import pytest
from sqlmodel import select

from bot.http.app import HttpApp
from bot.http.face import listen_port, open_http
from bot.http.push import IngestApp, push_endpoints
from bot.http.server import HttpServer
from monitors.config import Secrets
from monitors.configure import parse_config, source_config
from monitors.ingest.pipeline import Pipeline
from monitors.ingest.push import (MAX_BODY, MAX_ITEMS, PayloadError, parse_payload, sign, signature_matches,
                                  timestamp_problem)
from monitors.sync import apply_config
from storage.db import session_scope
from storage.models import Case, Mention, Outbox, Source

NOW = datetime(2026, 11, 6, 12, 0, tzinfo=timezone.utc)
TOKEN = "tok-zapier-0123456789"
SECRET = "hmac-secret-abcdef"
ENV = {"EARFUL_TEST_PUSH_TOKEN": TOKEN, "EARFUL_TEST_PUSH_SECRET": SECRET, "EARFUL_TEST_N8N": "tok-n8n"}
COMPLAINT = "Acme charged me twice and support has ignored three emails. I want a refund now."


# --- the schema, pure -------------------------------------------------------------------------------------

def test_a_single_item_maps_every_field():
    batch = parse_payload(json.dumps({
        "source": "zap", "id": 42, "text": " Acme is down ", "url": "https://forum.example/t/1", "title": "Down?",
        "author": "kim", "author_reach": 1500, "published_at": "2026-11-06T11:00:00+02:00", "thread_id": 7,
        "parent_id": "6", "rating": 2, "language": "EN"}).encode())
    assert batch.source == "zap"
    [item] = batch.items
    assert (item.external_id, item.text, item.url, item.title, item.author) == (
        "42", "Acme is down", "https://forum.example/t/1", "Down?", "kim")
    assert (item.author_reach, item.thread_id, item.parent_id, item.rating, item.language) == (1500, "7", "6", 2, "en")
    assert item.published_at == datetime(2026, 11, 6, 9, 0, tzinfo=timezone.utc)


def test_a_time_without_offset_is_utc_and_a_batch_needs_no_source():
    batch = parse_payload(b'{"items": [{"id": "a", "text": "x", "published_at": "2026-11-06T10:00:00"}]}')
    assert batch.source is None and batch.items[0].published_at == datetime(2026, 11, 6, 10, tzinfo=timezone.utc)


def test_every_problem_is_listed_with_its_place():
    body = {"items": [
        {"id": "ok", "text": "fine"},
        {"text": "no id"},
        {"id": "x", "text": "t", "published_at": "yesterday", "rating": 6, "author_reach": -1, "url": "ftp://a/b"},
        {"id": "y", "txt": "typo"},
        "not an object",
    ], "extra": 1}
    with pytest.raises(PayloadError) as caught:
        parse_payload(json.dumps(body).encode())
    assert caught.value.problems == [
        "extra: unknown field (a batch has only \"source\" and \"items\")",
        "items[1].id: required",
        "items[2].url: not an http(s) URL",
        "items[2].author_reach: must be a whole number >= 0",
        "items[2].rating: must be a whole number from 1 to 5",
        "items[2].published_at: not an ISO 8601 time (send text like 2026-11-06T10:00:00Z)",
        "items[3].txt: unknown field (allowed: id, text, url, title, author, author_reach, published_at, thread_id, "
        "parent_id, rating, language)",
        "items[3].text: required",
        "items[4]: must be an object",
    ]


@pytest.mark.parametrize("body, message", [
    (b"{not json", "body is not JSON"), (b"[1]", "must be a JSON object"), (b'{"items": []}', "invalid payload"),
])
def test_unusable_bodies(body, message):
    with pytest.raises(PayloadError, match=message):
        parse_payload(body)


def test_a_batch_holds_at_most_a_thousand_items():
    def batch(n: int) -> bytes:
        return json.dumps({"items": [{"id": f"i{i}", "text": "x"} for i in range(n)]}).encode()

    assert MAX_ITEMS == 1_000  # the README promises this cap to people writing scrapers
    assert len(parse_payload(batch(1_000)).items) == 1_000
    with pytest.raises(PayloadError) as caught:
        parse_payload(batch(1_001))
    assert caught.value.problems == ["items: at most 1000 per request"]


def test_timestamps_outside_five_minutes_are_refused():
    assert timestamp_problem(str(int(NOW.timestamp()) - 299), now=NOW) is None
    assert "more than 5 minutes" in timestamp_problem(str(int(NOW.timestamp()) - 301), now=NOW)
    assert "more than 5 minutes" in timestamp_problem(str(int(NOW.timestamp()) + 400), now=NOW)
    assert "missing" in timestamp_problem(None, now=NOW)
    assert "not unix seconds" in timestamp_problem("²", now=NOW)  # isdigit() says yes, int() says no
    assert not signature_matches(b"{}", signature="sha256=00", timestamp="²", secret=SECRET)


def test_the_push_kind_needs_credentials_and_polls_nothing():
    with pytest.raises(ValueError, match="params.token_env"):
        source_config(name="p", kind="push")
    with pytest.raises(ValueError, match="params.port"):
        source_config(name="p", kind="push", params={"token_env": "X", "port": 70000})
    source_config(name="p", kind="push", params={"secret_env": "X"})


# --- the server over real HTTP ----------------------------------------------------------------------------

def config_for(extra_sources: list[dict] | None = None):
    return parse_config({
        "brands": [{"name": "Acme", "query": "acme"}],
        "sources": [{"name": "zap", "kind": "push",
                     "params": {"token_env": "EARFUL_TEST_PUSH_TOKEN", "secret_env": "EARFUL_TEST_PUSH_SECRET"}},
                    {"name": "n8n", "kind": "push", "params": {"token_env": "EARFUL_TEST_N8N"}},
                    *(extra_sources or [])],
    })


@pytest.fixture
def ingest(engine):
    config = config_for()
    brand_ids = apply_config(engine, config, now=NOW)
    endpoints, problems = push_endpoints(config, engine, env=ENV)
    assert problems == []
    app = HttpApp()
    route = IngestApp(engine, Pipeline(config, brand_ids), endpoints, clock=lambda: NOW)
    app.mount("/ingest", route, gate=route.gate)
    server = HttpServer(app, host="127.0.0.1", port=0)
    with httpx.Client(base_url=server.url, timeout=5) as client:
        yield client
    server.close()


def bearer(token: str = TOKEN) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}


def signed(body: bytes, *, at: datetime = NOW, secret: str = SECRET) -> dict[str, str]:
    stamp = int(at.timestamp())
    return {"X-Earful-Timestamp": str(stamp), "X-Earful-Signature": sign(body, secret=secret, timestamp=stamp),
            "Content-Type": "application/json"}


def mentions(engine) -> list[Mention]:
    with session_scope(engine) as session:
        return list(session.exec(select(Mention).order_by(Mention.id)).all())


def test_a_good_token_stores_the_item_and_a_complaint_opens_a_case(ingest, engine):
    item = {"source": "zap", "id": "z-1", "text": COMPLAINT, "author": "kim", "author_reach": 2500,
            "thread_id": "t-9", "parent_id": "t-8", "url": "https://forum.example/t/9",
            "published_at": "2026-11-06T11:30:00Z"}
    answer = ingest.post("/ingest", json=item, headers=bearer())
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["source"], body["received"], body["new"], body["complaints"]) == ("zap", 1, 1, 1)
    [stored] = mentions(engine)
    assert (stored.external_id, stored.author_reach, stored.thread_id, stored.parent_id) == ("z-1", 2500, "t-9", "t-8")
    assert stored.is_complaint
    with session_scope(engine) as session:
        [case] = session.exec(select(Case)).all()
        source = session.exec(select(Source).where(Source.name == "zap")).one()
        assert case.mention_id == stored.id and stored.source_id == source.id
        assert [row.kind for row in session.exec(select(Outbox)).all()] == ["post_card"]
    assert body["case_ids"] == [case.id]

    again = ingest.post("/ingest", json=item, headers=bearer())  # a retried delivery changes nothing
    assert again.json()["new"] == 0 and len(mentions(engine)) == 1


def test_a_batch_keeps_only_items_about_a_brand(ingest, engine):
    batch = {"items": [{"id": "1", "text": "Acme works great"}, {"id": "2", "text": "unrelated weather talk"}]}
    answer = ingest.post("/ingest", json=batch, headers=bearer())
    assert answer.json() | {"case_ids": []} == {"source": "zap", "received": 2, "matched": 1, "new": 1, "updated": 0,
                                                 "complaints": 0, "case_ids": []}
    assert [m.external_id for m in mentions(engine)] == ["1"]


def test_bad_or_missing_tokens_are_refused(ingest, engine):
    item = {"id": "1", "text": "Acme"}
    wrong = (bearer("tok-zapier-0123456788"), {"Authorization": "Bearer"}, {"Authorization": f"Basic {TOKEN}"}, {})
    for headers in wrong:
        answer = ingest.post("/ingest", json=item, headers=headers)
        assert answer.status_code == 401 and answer.headers["www-authenticate"].startswith("Bearer")
        assert answer.json()["error"]
    assert mentions(engine) == []


def test_a_good_hmac_signature_is_accepted(ingest, engine):
    body = json.dumps({"id": "h-1", "text": "Acme shipped my order early"}).encode()
    answer = ingest.post("/ingest", content=body, headers=signed(body))
    assert answer.status_code == 200, answer.text
    assert [m.external_id for m in mentions(engine)] == ["h-1"]


def test_stale_forged_and_replayed_signatures_are_refused(ingest, engine):
    body = json.dumps({"id": "h-2", "text": "Acme"}).encode()
    stale = ingest.post("/ingest", content=body, headers=signed(body, at=NOW - timedelta(minutes=6)))
    assert stale.status_code == 401 and "more than 5 minutes" in stale.json()["error"]
    forged = ingest.post("/ingest", content=body, headers=signed(body, secret="guess"))
    assert forged.status_code == 401 and forged.json()["error"] == "invalid signature"
    # an old signed request replayed with a fresh timestamp: the timestamp is part of what is signed
    old = signed(body, at=NOW - timedelta(minutes=10))
    replay = ingest.post("/ingest", content=body, headers={**old, "X-Earful-Timestamp": str(int(NOW.timestamp()))})
    assert replay.status_code == 401
    tampered = ingest.post("/ingest", content=body.replace(b"h-2", b"h-3"), headers=signed(body))
    assert tampered.status_code == 401
    assert mentions(engine) == []


def test_bad_json_and_schema_problems_get_4xx_with_reasons(ingest, engine):
    bad = ingest.post("/ingest", content=b'{"id": 1, "text": ', headers=bearer())
    assert bad.status_code == 400 and bad.json()["error"].startswith("body is not JSON")
    invalid = ingest.post("/ingest", json={"items": [{"id": "1", "text": "Acme"},
                                                     {"id": "2", "text": "x", "published_at": "soon"}]},
                          headers=bearer())
    assert invalid.status_code == 422
    assert invalid.json() == {"error": "invalid payload", "problems": [
        "items[1].published_at: not an ISO 8601 time (send text like 2026-11-06T10:00:00Z)"]}
    assert mentions(engine) == []  # all or nothing


def test_oversized_bodies_are_refused_with_413(ingest, engine):
    body = json.dumps({"id": "big", "text": "Acme " + "x" * MAX_BODY}).encode()
    answer = ingest.post("/ingest", content=body, headers=bearer())
    assert answer.status_code == 413 and "1,000,000 bytes" in answer.json()["error"]
    assert mentions(engine) == []


def test_the_named_source_must_match_the_credentials(ingest, engine):
    other = ingest.post("/ingest", json={"source": "n8n", "id": "1", "text": "Acme"}, headers=bearer())
    assert other.status_code == 403
    unknown = ingest.post("/ingest", json={"source": "zapp", "id": "1", "text": "Acme"}, headers=bearer())
    assert unknown.status_code == 422 and unknown.json()["problems"] == ["source: no push source named 'zapp'"]
    mine = ingest.post("/ingest", json={"source": "n8n", "id": "1", "text": "Acme"}, headers=bearer("tok-n8n"))
    assert mine.status_code == 200 and mine.json()["source"] == "n8n"


def test_wrong_path_and_method(ingest):
    assert ingest.post("/other", json={}, headers=bearer()).status_code == 404
    wrong = ingest.get("/ingest")
    assert wrong.status_code == 405 and wrong.headers["allow"] == "POST"


def test_unset_secrets_are_reported_and_refuse_everything(engine):
    config = config_for()
    apply_config(engine, config, now=NOW)
    endpoints, problems = push_endpoints(config, engine, env={})
    assert problems == [
        "push source 'zap': environment variable EARFUL_TEST_PUSH_TOKEN (params.token_env) is unset",
        "push source 'zap': environment variable EARFUL_TEST_PUSH_SECRET (params.secret_env) is unset",
        "push source 'n8n': environment variable EARFUL_TEST_N8N (params.token_env) is unset",
    ]
    assert all(e.token is None and e.secret is None for e in endpoints)


NO_SLACK = Secrets(slack_bot_token=None, slack_app_token=None, slack_signing_secret=None, slack_api_url=None,
                   database_url="")


def test_the_port_and_when_the_server_starts(engine):
    config = config_for([{"name": "p2", "kind": "push", "params": {"token_env": "X", "port": 9999}}])
    assert listen_port(config, env={}) == 8787  # the first push source's port (its default)
    assert listen_port(config, env={"EARFUL_PUSH_PORT": "9100"}) == 9100
    assert listen_port(config, env={"PORT": "9200", "EARFUL_PUSH_PORT": "9100"}) == 9200  # one listener now
    no_push = parse_config({"brands": [{"name": "Acme", "query": "acme"}]})
    assert listen_port(no_push, env={}) == 3000
    assert listen_port(parse_config({"http": {"port": 8080}}), env={}) == 8080
    assert open_http(SimpleNamespace(config=no_push, secrets=NO_SLACK), env={}) is None  # nothing needs HTTP

    brand_ids = apply_config(engine, config, now=NOW)
    pipeline = Pipeline(config, brand_ids)
    runtime = SimpleNamespace(config=config, secrets=NO_SLACK, engine=engine, clock=lambda: NOW,
                              poller=SimpleNamespace(pipeline=pipeline))
    http = open_http(runtime, env={**ENV, "EARFUL_PUSH_PORT": "0"})
    try:
        assert http.server.host == "127.0.0.1"  # not every interface unless [http] host says so
        answer = httpx.post(http.url + "/ingest", json={"id": "r1", "text": "Acme"}, headers=bearer(), timeout=5)
        assert answer.status_code == 200 and answer.json()["new"] == 1
    finally:
        http.close()


# --- replays of signed requests ---------------------------------------------------------------------------

REPLAY_ERROR = "this signed request was already accepted"


def test_a_replayed_signed_request_is_refused_even_after_a_restart(ingest, engine):
    body = json.dumps({"id": "r-1", "text": COMPLAINT}).encode()
    headers = signed(body)
    first = ingest.post("/ingest", content=body, headers=headers)
    assert first.status_code == 200 and first.json()["complaints"] == 1
    again = ingest.post("/ingest", content=body, headers=headers)
    assert again.status_code == 409 and again.json()["error"].startswith(REPLAY_ERROR)

    config = config_for()  # a restarted Earful (or another worker) on the same database
    endpoints, _ = push_endpoints(config, engine, env=ENV)
    app = HttpApp()
    route = IngestApp(engine, Pipeline(config, apply_config(engine, config, now=NOW)), endpoints,
                      clock=lambda: NOW + timedelta(minutes=4))
    app.mount("/ingest", route, gate=route.gate)
    server = HttpServer(app, host="127.0.0.1", port=0)
    try:
        answer = httpx.post(server.url + "/ingest", content=body, headers=headers, timeout=5)
        assert answer.status_code == 409
    finally:
        server.close()
    assert len(mentions(engine)) == 1
    with session_scope(engine) as session:
        assert len(session.exec(select(Case)).all()) == 1
    # the same items signed anew are a new request (and change nothing: the ids de-duplicate)
    fresh = ingest.post("/ingest", content=body, headers=signed(body, at=NOW + timedelta(seconds=1)))
    assert fresh.status_code == 200 and fresh.json()["new"] == 0


def test_identical_signed_requests_racing_on_two_workers_are_accepted_once(engine):
    import threading

    config = config_for()
    brand_ids = apply_config(engine, config, now=NOW)
    endpoints, _ = push_endpoints(config, engine, env=ENV)
    servers = []
    for _ in range(2):
        app = HttpApp()
        route = IngestApp(engine, Pipeline(config, brand_ids), endpoints, clock=lambda: NOW)
        app.mount("/ingest", route, gate=route.gate)
        servers.append(HttpServer(app, host="127.0.0.1", port=0))
    body = json.dumps({"id": "race-1", "text": COMPLAINT}).encode()
    headers = signed(body)
    go = threading.Barrier(8)
    codes: list[int] = []

    def send(server) -> None:
        go.wait()
        codes.append(httpx.post(server.url + "/ingest", content=body, headers=headers, timeout=30).status_code)

    threads = [threading.Thread(target=send, args=(servers[i % 2],)) for i in range(8)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        for server in servers:
            server.close()
    assert sorted(codes) == [200] + [409] * 7
    with session_scope(engine) as session:
        assert len(session.exec(select(Case)).all()) == 1


def test_seen_signatures_are_pruned_by_age_and_forgotten_with_a_failed_transaction(engine):
    from storage.models import SeenSignature
    from storage.replay import record_signature, signature_seen

    keep = timedelta(minutes=10)
    with session_scope(engine) as session:
        assert record_signature(session=session, signature="sha256=old", now=NOW - timedelta(minutes=11), keep=keep)
    with session_scope(engine) as session:
        assert signature_seen(session=session, signature="sha256=old", since=NOW - keep) is False
        assert record_signature(session=session, signature="sha256=new", now=NOW, keep=keep)
        assert not record_signature(session=session, signature="sha256=new", now=NOW, keep=keep)
    with session_scope(engine) as session:
        assert [row.signature for row in session.exec(select(SeenSignature)).all()] == ["sha256=new"]
    with pytest.raises(RuntimeError):
        with session_scope(engine) as session:  # storing the items failed: the request may be sent again
            record_signature(session=session, signature="sha256=failed", now=NOW, keep=keep)
            raise RuntimeError("the database went away")
    with session_scope(engine) as session:
        assert not signature_seen(session=session, signature="sha256=failed", since=NOW - keep)
