"""`POST /ingest`: the HTTP endpoint where scrapers, Zapier or n8n push items into a source of kind `push`.

A small threaded WSGI server of its own (the Slack HTTP mode server exists only in one of three run modes),
started by `earful run` when the config has a push source, on EARFUL_PUSH_PORT or the first push source's
params.port (default 8787). Checks, in this order: path and method; size (1 MB, 413); credentials (401);
JSON (400); the schema (422, every problem listed); the named source (403 when the credentials belong to
another). Accepted items go through the same match-score-store path as polled ones (monitors.ingest.intake).
The payload schema and the signature scheme are documented in monitors/ingest/push.py.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from dataclasses import dataclass, field
from datetime import datetime
from socketserver import ThreadingMixIn
from typing import Any, Callable, Iterable, Mapping
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import sqlalchemy as sa

from monitors.config import Config
from monitors.ingest.pipeline import Pipeline
from monitors.ingest.intake import store_mentions
from monitors.ingest.push import (
    MAX_BODY, PayloadError, bearer_token, parse_payload, signature_matches, timestamp_problem, token_matches,
)
from monitors.ingest.sources.push import DEFAULT_PORT
from storage.db import session_scope
from storage.sources import source_health

log = logging.getLogger(__name__)

INGEST_PATH = "/ingest"
DRAIN_LIMIT = 8 * MAX_BODY  # an oversized body up to this size is read and dropped, so the client sees the 413
_CHUNK = 64 * 1024


@dataclass(frozen=True)
class PushEndpoint:
    """A push source as the server needs it: where its items go and the credentials that admit them."""

    name: str
    source_id: int
    brands: list[str]
    token: str | None = field(default=None, repr=False)
    secret: str | None = field(default=None, repr=False)


@dataclass
class Answer:
    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)


def push_endpoints(config: Config, engine: sa.Engine,
                   env: Mapping[str, str] | None = None) -> tuple[list[PushEndpoint], list[str]]:
    """The enabled push sources with their secrets read from the environment, and what is missing."""
    env = os.environ if env is None else env
    with session_scope(engine) as session:
        ids = {s.name: s.id for s in source_health(session=session)}
    endpoints, problems = [], []
    for source in config.sources:
        if source.kind != "push" or not source.enabled:
            continue
        secrets = {}
        for key in ("token_env", "secret_env"):
            name = source.params.get(key)
            secrets[key] = (env.get(name) or "").strip() or None if name else None
            if name and not secrets[key]:
                problems.append(f"push source {source.name!r}: environment variable {name} (params.{key}) is unset")
        if source.name not in ids:
            problems.append(f"push source {source.name!r} is not in the database yet")
            continue
        endpoints.append(PushEndpoint(source.name, ids[source.name], config.brand_names_for(source),
                                      token=secrets["token_env"], secret=secrets["secret_env"]))
    return endpoints, problems


class IngestApp:
    """The WSGI application. `on_stored(case_ids)` runs after a batch that opened cases (e.g. send cards now)."""

    def __init__(self, engine: sa.Engine, pipeline: Pipeline, endpoints: list[PushEndpoint], *,
                 clock: Callable[[], datetime], on_stored: Callable[[list[int]], None] | None = None):
        self.engine = engine
        self.pipeline = pipeline
        self.endpoints = endpoints
        self.clock = clock
        self.on_stored = on_stored

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        try:
            answer = self.handle(environ)
        except Exception:  # noqa: BLE001 - one bad request must not take the server down
            log.exception("ingest request failed")
            answer = Answer(500, {"error": "internal error; see Earful's log"})
        data = json.dumps(answer.body).encode("utf-8")
        headers = [("Content-Type", "application/json"), ("Content-Length", str(len(data))),
                   *answer.headers.items()]
        start_response(f"{answer.status} {_REASONS.get(answer.status, '')}".strip(), headers)
        return [data]

    def handle(self, environ: dict) -> Answer:
        if environ.get("PATH_INFO", "").rstrip("/") != INGEST_PATH:
            return Answer(404, {"error": f"not found; items are posted to {INGEST_PATH}"})
        if environ.get("REQUEST_METHOD") != "POST":
            return Answer(405, {"error": f"use POST {INGEST_PATH}"}, {"Allow": "POST"})
        length = environ.get("CONTENT_LENGTH") or ""
        if not length.strip().isdigit():
            return Answer(411, {"error": "a Content-Length header is required"})
        size = int(length)
        if size > MAX_BODY:
            _drain(environ["wsgi.input"], size)
            return Answer(413, {"error": f"body larger than {MAX_BODY:,} bytes; send fewer items per request"})
        body = environ["wsgi.input"].read(size)

        admitted, refusal = self._authenticate(environ, body)
        if refusal is not None:
            return refusal
        try:
            batch = parse_payload(body)
        except PayloadError as exc:
            return Answer(422 if exc.problems else 400, {"error": exc.message, "problems": exc.problems})
        endpoint, refusal = _choose(admitted, batch.source, {e.name for e in self.endpoints})
        if refusal is not None:
            return refusal
        now = self.clock()
        try:
            stored = store_mentions(self.engine, self.pipeline, source_id=endpoint.source_id,
                                    brand_names=endpoint.brands, mentions=batch.items, now=now)
        except Exception:  # noqa: BLE001 - e.g. the database is away; the sender should retry
            log.exception("storing pushed items for %s failed", endpoint.name)
            return Answer(503, {"error": "could not store the items right now; retry later"}, {"Retry-After": "30"})
        if stored.case_ids and self.on_stored is not None:
            self.on_stored(stored.case_ids)
        return Answer(200, {"source": endpoint.name, "received": len(batch.items),
                            "matched": stored.new + stored.updated + stored.unchanged, "new": stored.new,
                            "updated": stored.updated, "complaints": len(stored.case_ids),
                            "case_ids": stored.case_ids})

    def _authenticate(self, environ: dict, body: bytes) -> tuple[list[PushEndpoint], Answer | None]:
        """The endpoints whose credentials the request carries. Every candidate is compared, so the time taken
        does not tell which one came close."""
        token = bearer_token(environ.get("HTTP_AUTHORIZATION"))
        signature = environ.get("HTTP_X_EARFUL_SIGNATURE")
        if token is None and not signature:
            return [], _unauthorized("credentials missing: send Authorization: Bearer <token>, or sign the body "
                                     "(X-Earful-Signature and X-Earful-Timestamp)")
        if token is not None:
            matches = [token_matches(token, e.token) if e.token else False for e in self.endpoints]
            admitted = [e for e, ok in zip(self.endpoints, matches) if ok]
            return admitted, None if admitted else _unauthorized("invalid token")
        timestamp = environ.get("HTTP_X_EARFUL_TIMESTAMP")
        problem = timestamp_problem(timestamp, now=self.clock())
        if problem is not None:
            return [], _unauthorized(problem)
        matches = [signature_matches(body, signature=signature, timestamp=timestamp, secret=e.secret)
                   if e.secret else False for e in self.endpoints]
        admitted = [e for e, ok in zip(self.endpoints, matches) if ok]
        return admitted, None if admitted else _unauthorized("invalid signature")


def _choose(admitted: list[PushEndpoint], named: str | None, known: set[str]) -> tuple[PushEndpoint, Answer | None]:
    if named is None:
        if len(admitted) == 1:
            return admitted[0], None
        return admitted[0], Answer(422, {"error": "invalid payload", "problems": [
            "source: required (these credentials belong to several push sources: "
            + ", ".join(sorted(e.name for e in admitted)) + ")"]})
    chosen = next((e for e in admitted if e.name == named), None)
    if chosen is not None:
        return chosen, None
    if named in known:
        return admitted[0], Answer(403, {"error": f"these credentials are not the ones of push source {named!r}"})
    return admitted[0], Answer(422, {"error": "invalid payload", "problems": [
        f"source: no push source named {named!r}"]})


def _unauthorized(reason: str) -> Answer:
    return Answer(401, {"error": reason}, {"WWW-Authenticate": 'Bearer realm="earful"'})


def _drain(stream, size: int) -> None:
    left = min(size, DRAIN_LIMIT)
    while left > 0:
        chunk = stream.read(min(_CHUNK, left))
        if not chunk:
            return
        left -= len(chunk)


_REASONS = {200: "OK", 400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found",
            405: "Method Not Allowed", 411: "Length Required", 413: "Content Too Large",
            422: "Unprocessable Content", 500: "Internal Server Error", 503: "Service Unavailable"}


# --- the server ------------------------------------------------------------------------------------------

class _ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format, *args) -> None:  # noqa: A002 - the stdlib's name
        log.debug("ingest: " + format, *args)


class IngestServer:
    def __init__(self, server: WSGIServer):
        self.server = server
        self.thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1},
                                       name="ingest-http", daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{'127.0.0.1' if host == '0.0.0.0' else host}:{port}{INGEST_PATH}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


def serve_ingest(app: IngestApp, *, port: int, host: str = "0.0.0.0") -> IngestServer:
    """Listen on host:port (0: any free port) in a background thread."""
    return IngestServer(make_server(host, port, app, server_class=_ThreadingServer, handler_class=_QuietHandler))


def ingest_port(config: Config, env: Mapping[str, str] | None = None) -> int:
    """EARFUL_PUSH_PORT, else the first push source's params.port, else 8787."""
    env = os.environ if env is None else env
    if (env.get("EARFUL_PUSH_PORT") or "").strip().isdigit():
        return int(env["EARFUL_PUSH_PORT"])
    ports = [s.params.get("port", DEFAULT_PORT) for s in config.sources if s.kind == "push" and s.enabled]
    return ports[0] if ports else DEFAULT_PORT


def start_ingest_server(runtime, env: Mapping[str, str] | None = None) -> IngestServer | None:
    """Called by `earful run`: serve POST /ingest when the config has an enabled push source, else None."""
    env = os.environ if env is None else env
    if not any(s.kind == "push" and s.enabled for s in runtime.config.sources):
        return None
    endpoints, problems = push_endpoints(runtime.config, runtime.engine, env)
    for problem in problems:
        log.warning("%s; its pushes will be refused", problem)
    app = IngestApp(runtime.engine, runtime.poller.pipeline, endpoints, clock=runtime.clock)
    server = serve_ingest(app, port=ingest_port(runtime.config, env), host=env.get("EARFUL_PUSH_HOST") or "0.0.0.0")
    log.warning("Earful accepts pushed items at %s (%d push source(s))", server.url, len(endpoints))
    return server
