"""Earful's one HTTP application: a WSGI router in front of `/slack/events` (Bolt, HTTP mode), `/ingest` (push
sources) and `/healthz`, served by bot/http/server.py.

Each route may have a gate: a check of the request line and headers alone (credentials, sizes, timestamps)
that the server runs before it reads a byte of the body, so a client without credentials cannot make Earful
buffer a body or hold a thread. The route runs the same gate again itself, so it is safe behind any server.
Every refusal and error is one line of JSON, `{"error": "..."}`, never a traceback.
"""

from __future__ import annotations

import json
import logging
import sys
import threading
from dataclasses import dataclass, field
from typing import Callable, Iterable, Mapping

log = logging.getLogger(__name__)

WSGIApp = Callable[[dict, Callable], Iterable[bytes]]

REASONS = {200: "OK", 400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found",
           405: "Method Not Allowed", 409: "Conflict", 411: "Length Required", 413: "Content Too Large",
           422: "Unprocessable Content", 431: "Request Header Fields Too Large", 500: "Internal Server Error",
           501: "Not Implemented", 503: "Service Unavailable"}


def status_line(code: int) -> str:
    return f"{code} {REASONS.get(code, '')}".strip()


@dataclass(frozen=True)
class Refusal:
    """An answer decided before the body is read."""

    status: int
    message: str
    headers: dict[str, str] = field(default_factory=dict)

    def body(self) -> bytes:
        return json_line({"error": self.message})


def json_line(value) -> bytes:
    """JSON on one line (json.dumps never breaks lines without indent), ending in a newline."""
    return json.dumps(value).encode("utf-8") + b"\n"


def answer(start_response: Callable, status: int, body: bytes, headers: Mapping[str, str] | None = None,
           content_type: str = "application/json") -> list[bytes]:
    start_response(status_line(status), [("Content-Type", content_type), ("Content-Length", str(len(body))),
                                         *(headers or {}).items()])
    return [body]


def refuse(start_response: Callable, refusal: Refusal) -> list[bytes]:
    return answer(start_response, refusal.status, refusal.body(), refusal.headers)


Gate = Callable[[Mapping[str, str]], "Refusal | None"]


@dataclass
class Route:
    app: WSGIApp
    gate: Gate | None = None
    methods: tuple[str, ...] = ("POST",)


class HttpApp:
    """Routes by exact path. Routes can be mounted after the server started listening (the Slack app is built
    once Slack answered), and a path that is expected but not mounted yet answers 503 rather than 404."""

    def __init__(self) -> None:
        self._routes: dict[str, Route] = {}
        self._pending: dict[str, str] = {}
        self._lock = threading.Lock()

    def mount(self, path: str, app: WSGIApp, *, gate: Gate | None = None,
              methods: tuple[str, ...] = ("POST",)) -> None:
        with self._lock:
            self._routes[path] = Route(app, gate, methods)
            self._pending.pop(path, None)

    def expect(self, path: str, what: str) -> None:
        """`path` will be mounted soon; until then it answers 503 saying `what` is starting."""
        with self._lock:
            self._pending[path] = what

    def unmount(self, path: str) -> None:
        with self._lock:
            self._routes.pop(path, None)

    @property
    def paths(self) -> list[str]:
        return sorted(self._routes)

    def _route(self, environ: Mapping[str, str]) -> tuple[Route | None, Refusal | None]:
        path = environ.get("PATH_INFO") or "/"
        path = path.rstrip("/") or "/"
        route = self._routes.get(path)
        if route is None:
            if path in self._pending:
                return None, Refusal(503, f"{self._pending[path]} is starting; retry shortly",
                                     {"Retry-After": "5"})
            return None, Refusal(404, "not found; Earful serves " + ", ".join(self.paths or ["nothing yet"]))
        method = environ.get("REQUEST_METHOD", "")
        if method not in route.methods and not (method == "HEAD" and "GET" in route.methods):
            return None, Refusal(405, f"use {' or '.join(route.methods)} {path}", {"Allow": ", ".join(route.methods)})
        return route, None

    def gate(self, environ: Mapping[str, str]) -> Refusal | None:
        """The server's pre-body check: the route, its method, and the route's own gate."""
        route, refusal = self._route(environ)
        if refusal is not None or route.gate is None:
            return refusal
        return route.gate(environ)

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        try:
            route, refusal = self._route(environ)
            if refusal is None and route.gate is not None:
                refusal = route.gate(environ)
            if refusal is not None:
                return refuse(start_response, refusal)
            return route.app(environ, start_response)
        except Exception:  # noqa: BLE001 - one bad request must not show a traceback or stop the server
            log.exception("HTTP %s %s failed", environ.get("REQUEST_METHOD"), environ.get("PATH_INFO"))
            failed = sys.exc_info()  # lets the server drop the connection if the route had started answering
            return refuse(lambda status, headers: start_response(status, headers, failed),
                          Refusal(500, "internal error; see Earful's log"))
