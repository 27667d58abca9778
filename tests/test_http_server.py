"""The one HTTP listener under abuse, over real sockets: malformed headers get a one-line 4xx, credentials are
judged from the headers before any body is read, and idle or dripping clients neither starve a signed request
nor stay connected forever."""

from __future__ import annotations

import json
import socket
import threading
import time

import httpx
import pytest

from bot.http.app import HttpApp
from bot.http.push import IngestApp, push_endpoints
from bot.http.server import HttpServer, ServerSettings
from bot.slack.runner import slack_gate
from monitors.ingest.pipeline import Pipeline
from monitors.sync import apply_config
from tests.test_push import ENV, NOW, TOKEN, bearer, config_for, mentions, signed

pytestmark = pytest.mark.timeout(60)


def serve(engine, settings: ServerSettings = ServerSettings()) -> HttpServer:
    config = config_for()
    brand_ids = apply_config(engine, config, now=NOW)
    endpoints, _ = push_endpoints(config, engine, env=ENV)
    app = HttpApp()
    ingest = IngestApp(engine, Pipeline(config, brand_ids), endpoints, clock=lambda: NOW)
    app.mount("/ingest", ingest, gate=ingest.gate)

    def slack(environ, start_response):  # stands in for Bolt: only reached past the gate
        body = environ["wsgi.input"].read(int(environ["CONTENT_LENGTH"]))
        body.decode("utf-8")
        start_response("200 OK", [("Content-Length", "2")])
        return [b"ok"]

    app.mount("/slack/events", slack, gate=lambda environ: slack_gate(environ, now=time.time()))
    return HttpServer(app, host="127.0.0.1", port=0, settings=settings)


@pytest.fixture
def server(sqlite_engine):
    server = serve(sqlite_engine)
    yield server
    server.close()


def exchange(server: HttpServer, raw: bytes, *, timeout: float = 5) -> tuple[int, bytes]:
    """Send raw bytes, read the answer until the server closes: (status, body)."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=timeout) as conn:
        conn.sendall(raw)
        data = b""
        while True:
            try:
                chunk = conn.recv(65536)
            except ConnectionResetError:
                break
            if not chunk:
                break
            data += chunk
            head, _, body = data.partition(b"\r\n\r\n")
            lengths = [int(line.split(b":")[1]) for line in head.split(b"\r\n")
                       if line.lower().startswith(b"content-length:")]
            if lengths and len(body) >= lengths[0]:
                break
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split(b" ")[1]), body


def one_line_error(body: bytes) -> str:
    assert body.endswith(b"\n") and body.count(b"\n") == 1, body
    assert b"Traceback" not in body
    return json.loads(body)["error"]


def request(path: str, headers: dict[str, bytes | str], body: bytes = b"") -> bytes:
    lines = [f"POST {path} HTTP/1.1".encode(), b"Host: earful"]
    lines += [name.encode() + b": " + (value if isinstance(value, bytes) else value.encode())
              for name, value in headers.items()]
    return b"\r\n".join(lines) + b"\r\n\r\n" + body


SIGNED_SLACK = {"X-Slack-Signature": "v0=" + "0" * 64, "Content-Type": "application/json"}


@pytest.mark.parametrize("path, headers, status", [
    ("/ingest", {"X-Earful-Timestamp": b"\xb2", "X-Earful-Signature": "sha256=00", "Content-Length": "2"}, 401),
    ("/ingest", {"Authorization": f"Bearer {TOKEN}", "Content-Length": b"\xb2"}, 400),
    ("/ingest", {"Authorization": f"Bearer {TOKEN}", "Content-Length": "abc"}, 400),
    ("/ingest", {"Authorization": f"Bearer {TOKEN}", "Content-Length": "-1"}, 400),
    ("/ingest", {"Authorization": f"Bearer {TOKEN}", "Content-Length": "1_0"}, 400),
    ("/ingest", {"Authorization": f"Bearer {TOKEN}", "Content-Length": "2", "Transfer-Encoding": "chunked"}, 411),
    ("/ingest", {"Authorization": f"Bearer {TOKEN}"}, 411),
    ("/ingest", {"Authorization": "Bearer " + "x" * 300_000, "Content-Length": "2"}, 431),
    ("/slack/events", {"X-Slack-Request-Timestamp": b"\xb2", **SIGNED_SLACK, "Content-Length": "2"}, 401),
    ("/slack/events", {"X-Slack-Request-Timestamp": "12x", **SIGNED_SLACK, "Content-Length": "2"}, 401),
    ("/slack/events", {"X-Slack-Request-Timestamp": "1", **SIGNED_SLACK, "Content-Length": "2"}, 401),
    ("/slack/events", {"X-Slack-Request-Timestamp": str(int(time.time())), "X-Slack-Signature": "v0=zz",
                       "Content-Length": "2"}, 401),
    ("/nowhere", {"Content-Length": "2"}, 404),
])
def test_malformed_headers_get_a_one_line_4xx(server, path, headers, status):
    code, body = exchange(server, request(path, headers, b"{}"))
    assert code == status
    assert one_line_error(body)


def test_a_garbage_request_line(server):
    code, body = exchange(server, b"\x00\xff nonsense\r\n\r\n")
    assert code == 400 and one_line_error(body)


def test_slacks_route_answers_400_for_a_body_that_is_not_utf8(sqlite_engine):
    from bot.http.face import Face
    from bot.slack.runner import mount_http

    class Bolt:  # the adapter reads and decodes the body before anything else
        def dispatch(self, request):  # pragma: no cover - never reached
            raise AssertionError

        oauth_flow = None

    app = HttpApp()
    face = Face(app, HttpServer(app, host="127.0.0.1", port=0))
    try:
        mount_http(Bolt(), face)
        headers = {"X-Slack-Request-Timestamp": str(int(time.time())), **SIGNED_SLACK, "Content-Length": "2"}
        code, body = exchange(face.server, request("/slack/events", headers, b"\xff\xfe"))
        assert code == 400 and one_line_error(body) == "the body is not UTF-8"
    finally:
        face.close()


@pytest.mark.parametrize("path, headers, status", [
    ("/ingest", {}, 401),
    ("/ingest", {"Authorization": "Bearer wrong"}, 401),
    ("/ingest", {"X-Earful-Signature": "sha256=00", "X-Earful-Timestamp": "1"}, 401),
    ("/ingest", {"Authorization": f"Bearer {TOKEN}", "Content-Length": "5000000"}, 413),
    ("/slack/events", {}, 401),
])
def test_credentials_and_size_are_judged_before_the_body_arrives(server, path, headers, status):
    """The client announces a large body and sends none of it: the answer comes at once, not after a timeout."""
    started = time.monotonic()
    code, body = exchange(server, request(path, {"Content-Length": "900000", **headers}), timeout=3)
    assert code == status and one_line_error(body)
    assert time.monotonic() - started < 1


def test_a_refused_sender_that_sends_its_body_still_reads_the_answer(server, sqlite_engine):
    body = json.dumps({"id": "x", "text": "Acme " + "y" * 900_000}).encode()
    for _ in range(3):
        answer = httpx.post(server.url + "/ingest", content=body, headers=bearer("wrong"), timeout=5)
        assert answer.status_code == 401 and answer.json()["error"] == "invalid token"
    assert mentions(sqlite_engine) == []


def test_a_dripping_client_is_closed_after_the_timeout_however_often_it_sends(sqlite_engine):
    server = serve(sqlite_engine, ServerSettings(timeout=2))
    try:
        with socket.create_connection(("127.0.0.1", server.port), timeout=10) as conn:
            conn.sendall(b"POST /ingest HTTP/1.1\r\nHost: x\r\n")
            started = time.monotonic()
            closed_after = None
            while time.monotonic() - started < 8:
                try:
                    conn.sendall(b"X")
                    time.sleep(0.25)
                except OSError:
                    closed_after = time.monotonic() - started
                    break
            if closed_after is None:  # a send into a closed socket may succeed once; the read tells
                conn.settimeout(0.5)
                assert conn.recv(10) == b""
                closed_after = time.monotonic() - started
        assert closed_after < 6
    finally:
        server.close()


@pytest.mark.slow
def test_200_idle_or_dripping_connections_do_not_delay_a_signed_request(server, sqlite_engine):
    stop = threading.Event()
    sockets: list[socket.socket] = []
    for i in range(200):
        conn = socket.create_connection(("127.0.0.1", server.port), timeout=5)
        sockets.append(conn)
        if i % 2:  # half announce a big signed-looking body and drip it; half say nothing at all
            stamp = str(int(NOW.timestamp()))
            conn.sendall(request("/ingest", {"X-Earful-Timestamp": stamp, "X-Earful-Signature": "sha256=00",
                                             "Content-Length": "900000"}, b"{"))

    def drip() -> None:
        while not stop.wait(0.2):
            for conn in sockets[1::2]:
                try:
                    conn.send(b" ")
                except OSError:
                    pass

    dripper = threading.Thread(target=drip, daemon=True)
    dripper.start()
    try:
        time.sleep(0.5)  # let the server take every connection in
        body = json.dumps({"id": "signed-1", "text": "Acme support never answered my refund request"}).encode()
        started = time.monotonic()
        answer = httpx.post(server.url + "/ingest", content=body, headers=signed(body), timeout=5)
        took = time.monotonic() - started
        assert answer.status_code == 200, answer.text
        assert took < 2, f"took {took:.2f}s"
        assert [m.external_id for m in mentions(sqlite_engine)] == ["signed-1"]
    finally:
        stop.set()
        dripper.join()
        for conn in sockets:
            conn.close()
