"""`POST /ingest`: where scrapers, Zapier or n8n push items into a source of kind `push`.

A route of Earful's one HTTP application (bot/http/app.py). Checks, in this order, from the headers alone
before the body is read (`IngestApp.gate`): Content-Length (411, 400), size (1 MB, 413), credentials (401: a
bearer token entirely; a signature's timestamp); then with the body: the signature (401), JSON (400), the
schema (422, every problem listed), the named source (403 when the credentials belong to another); a signed
request already accepted is refused as a replay (409), across restarts and workers (storage/replay.py).
Accepted items go through the same match-score-store path as polled ones (monitors.ingest.intake).
The payload schema and the signature scheme are documented in monitors/ingest/push.py.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable, Iterable, Mapping

import sqlalchemy as sa

from bot.http.app import Refusal, answer as respond, json_line
from monitors.config import Config
from monitors.ingest.pipeline import Pipeline
from monitors.ingest.intake import store_mentions
from monitors.ingest.push import (
    MAX_BODY, SIGNATURE_WINDOW, PayloadError, bearer_token, parse_payload, signature_matches, timestamp_problem,
    token_matches,
)
from storage.db import session_scope
from storage.replay import record_signature, signature_seen
from storage.sources import source_health

log = logging.getLogger(__name__)

INGEST_PATH = "/ingest"


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
    """The WSGI route. `on_stored(case_ids)` runs after a batch that opened cases (e.g. send cards now)."""

    def __init__(self, engine: sa.Engine, pipeline: Pipeline, endpoints: list[PushEndpoint], *,
                 clock: Callable[[], datetime], on_stored: Callable[[list[int]], None] | None = None):
        self.engine = engine
        self.pipeline = pipeline
        self.endpoints = endpoints
        self.clock = clock
        self.on_stored = on_stored

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        answer = self.handle(environ)
        return respond(start_response, answer.status, json_line(answer.body), answer.headers)

    def gate(self, environ: Mapping[str, str]) -> Refusal | None:
        """What the headers alone decide, before a byte of the body is read."""
        length = (environ.get("CONTENT_LENGTH") or "").strip()
        if not length:
            return Refusal(411, "a Content-Length header is required")
        if not (length.isascii() and length.isdigit()):
            return Refusal(400, "Content-Length is not a number of bytes")
        if int(length) > MAX_BODY:
            return Refusal(413, f"body larger than {MAX_BODY:,} bytes; send fewer items per request")
        token = bearer_token(environ.get("HTTP_AUTHORIZATION"))
        signature = environ.get("HTTP_X_EARFUL_SIGNATURE")
        if token is None and not signature:
            return _unauthorized("credentials missing: send Authorization: Bearer <token>, or sign the body "
                                 "(X-Earful-Signature and X-Earful-Timestamp)")
        if token is not None:
            return None if self._token_holders(token) else _unauthorized("invalid token")
        problem = timestamp_problem(environ.get("HTTP_X_EARFUL_TIMESTAMP"), now=self.clock())
        return None if problem is None else _unauthorized(problem)

    def handle(self, environ: dict) -> Answer:
        refusal = self.gate(environ)
        if refusal is not None:
            return Answer(refusal.status, {"error": refusal.message}, refusal.headers)
        body = environ["wsgi.input"].read(int(environ["CONTENT_LENGTH"]))
        admitted = self._admitted(environ, body)
        if not admitted:
            return _refused("invalid signature")
        replay_key = _replay_key(environ)
        if replay_key is not None:
            with session_scope(self.engine) as session:
                if signature_seen(session=session, signature=replay_key, since=self.clock() - REPLAY_KEEP):
                    return _REPLAYED
        try:
            batch = parse_payload(body)
        except PayloadError as exc:
            return Answer(422 if exc.problems else 400, {"error": exc.message, "problems": exc.problems})
        endpoint, refusal = _choose(admitted, batch.source, {e.name for e in self.endpoints})
        if refusal is not None:
            return refusal
        now = self.clock()

        def remember(session) -> None:  # in the items' transaction: both commit, or neither
            if not record_signature(session=session, signature=replay_key, now=now, keep=REPLAY_KEEP):
                raise _Replayed  # an identical request committed meanwhile (another thread or worker)

        try:
            stored = store_mentions(self.engine, self.pipeline, source_id=endpoint.source_id,
                                    brand_names=endpoint.brands, mentions=batch.items, now=now,
                                    also=remember if replay_key is not None else None)
        except _Replayed:
            return _REPLAYED
        except Exception:  # noqa: BLE001 - e.g. the database is away; the sender should retry
            log.exception("storing pushed items for %s failed", endpoint.name)
            return Answer(503, {"error": "could not store the items right now; retry later"}, {"Retry-After": "30"})
        if stored.case_ids and self.on_stored is not None:
            self.on_stored(stored.case_ids)
        return Answer(200, {"source": endpoint.name, "received": len(batch.items),
                            "matched": stored.new + stored.updated + stored.unchanged, "new": stored.new,
                            "updated": stored.updated, "complaints": len(stored.case_ids),
                            "case_ids": stored.case_ids})

    def _token_holders(self, token: str) -> list[PushEndpoint]:
        """Every candidate is compared, so the time taken does not tell which one came close."""
        matches = [token_matches(token, e.token) if e.token else False for e in self.endpoints]
        return [e for e, ok in zip(self.endpoints, matches) if ok]

    def _admitted(self, environ: Mapping[str, str], body: bytes) -> list[PushEndpoint]:
        """The endpoints whose credentials the request carries (the gate has let it through)."""
        token = bearer_token(environ.get("HTTP_AUTHORIZATION"))
        if token is not None:
            return self._token_holders(token)
        signature, timestamp = environ["HTTP_X_EARFUL_SIGNATURE"], environ["HTTP_X_EARFUL_TIMESTAMP"]
        matches = [signature_matches(body, signature=signature, timestamp=timestamp, secret=e.secret)
                   if e.secret else False for e in self.endpoints]
        return [e for e, ok in zip(self.endpoints, matches) if ok]


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


# a signature's timestamp is accepted up to 5 minutes either side of now, so a request is replayable for
# 10 minutes after it was first seen: its signature is kept that long
REPLAY_KEEP = 2 * SIGNATURE_WINDOW


class _Replayed(Exception):
    pass


_REPLAYED = Answer(409, {"error": "this signed request was already accepted; a replay is refused (sign each "
                                  "request with its own timestamp)"})


def _replay_key(environ: Mapping[str, str]) -> str | None:
    """The signature of a signed request (bearer-token requests have none: their items' ids de-duplicate)."""
    if bearer_token(environ.get("HTTP_AUTHORIZATION")) is not None:
        return None
    return environ["HTTP_X_EARFUL_SIGNATURE"].strip().lower()


def _unauthorized(reason: str) -> Refusal:
    return Refusal(401, reason, {"WWW-Authenticate": 'Bearer realm="earful"'})


def _refused(reason: str) -> Answer:
    refusal = _unauthorized(reason)
    return Answer(refusal.status, {"error": refusal.message}, refusal.headers)
